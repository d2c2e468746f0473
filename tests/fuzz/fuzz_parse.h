/* Shared pieces of the parser fuzz targets: touching every borrowed string of
 * a record (a dangling view shows up under ASan), counting quarantined rows,
 * one parse of an input fed in two chunks (fuzz_parse), and the invariants
 * any parser's verdict keeps. A target says which parser and what its
 * records must hold; the harness does the rest. */
#ifndef RECON_TESTS_FUZZ_PARSE_H
#define RECON_TESTS_FUZZ_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "recon/parse.h"

/* The length of every string a record borrows. */
static inline size_t fuzz_touch_record(const rcn_record *r)
{
	return strlen(r->channel) + strlen(r->merchant_id) + strlen(r->provider_id) + strlen(r->channel_txn_id) +
	       strlen(r->order_no) + strlen(r->refund_no) + strlen(r->channel_refund_id) + strlen(r->currency) +
	       strlen(r->status) + strlen(r->trade_type) + strlen(r->trade_time) + strlen(r->file);
}

/* The length of every string a record borrows, the movement fields too (a
 * fund-flow or account movement, or any record of a parser that emits them). */
static inline size_t fuzz_touch_movement(const rcn_record *r)
{
	return fuzz_touch_record(r) + strlen(r->movement_type) + strlen(r->reference);
}

/* A record sink whose ctx is a size_t counter of the bytes it touched. */
static inline void fuzz_on_record(void *ctx, const rcn_record *r)
{
	size_t *n = ctx;
	*n += fuzz_touch_record(r);
}

/* A quarantine sink whose ctx is a size_t counter of the bytes it touched. */
static inline void fuzz_on_quarantine(void *ctx, const char *file, long line, const char *reason)
{
	size_t *n = ctx;
	*n += strlen(file) + strlen(reason) + (size_t)(line > 0);
}

/* Parses data with spec, fed as data[0, split) and data[split, size). */
static inline void fuzz_parse_split(const rcn_parser_spec *spec, const uint8_t *data, size_t size, size_t split,
				    rcn_stmt_result *res)
{
	rcn_err err;
	rcn_parser *p = rcn_parser_new(spec);
	if (rcn_parser_feed(p, (const char *)data, split, &err) == RCN_OK)
		rcn_parser_feed(p, (const char *)data + split, size - split, &err);
	rcn_parser_finish(p, res);
	rcn_parser_free(p);
}

/* Parses data the way every parser target does: with base's kind, channel,
 * business date, profile and record sink (fuzz_on_record when NULL), file
 * "fuzz.csv" unless base names one, quarantined rows to fuzz_on_quarantine
 * unless base has a sink, both sinks' ctx a counter of the bytes they touch;
 * fed in two chunks split at the point the input's first byte picks, so chunk
 * boundaries land inside BOMs, CRLFs, quoted fields and multi-byte characters. */
static inline void fuzz_parse(const rcn_parser_spec *base, const uint8_t *data, size_t size, rcn_stmt_result *res)
{
	size_t touched = 0;
	rcn_parser_spec spec = *base;
	spec.file = spec.file ? spec.file : "fuzz.csv";
	spec.rec = spec.rec ? spec.rec : fuzz_on_record;
	spec.quar = spec.quar ? spec.quar : fuzz_on_quarantine;
	spec.ctx = &touched;
	fuzz_parse_split(&spec, data, size, size ? data[0] % (size + 1) : 0, res);
}

/* Invariants of any verdict: totals that check are neither rejected nor
 * without a summary, and a rejection says why. */
static inline bool fuzz_verdict_consistent(const rcn_stmt_result *res)
{
	return !(res->totals_ok && res->rejected) && !(res->totals_ok && !res->has_summary) &&
	       !(res->rejected && res->reason.msg[0] == '\0');
}

#endif
