/* Shared helpers for the statement parser unit tests: collect the records and
 * quarantined rows a parser emits (copied into zeroed memory, so they compare
 * as bytes), compare two parses' verdicts, read a file whole (the decoder
 * tests use it too), and feed data through rcn_parser whole or in
 * chunks. Include after <cmocka.h>. */
#ifndef RECON_TESTS_PARSER_HARNESS_H
#define RECON_TESTS_PARSER_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/parse.h"

#define PH_MAX_KEEP 16

/* A copy of one rcn_record: every string field, sized for the longest. */
typedef struct {
	char channel[32], merchant_id[64], provider_id[64], txn_id[64], order_no[80], refund_no[80];
	char refund_id[64], currency[16], status[32], trade_type[32], trade_time[20], file[128];
	char movement_type[64], reference[64];
	rcn_rec_type type;
	int64_t amount_fen, settle_fen, fee, net_fen, rate_ppm, balance_fen;
	rcn_date trade_date;
	long line;
} ph_rec;

/* What a parse emitted: the first PH_MAX_KEEP records and quarantined rows
 * (with the totals), and, for helpers that keep them here, the result and code. */
typedef struct {
	int nrec;
	ph_rec rec[PH_MAX_KEEP];
	int nquar;
	long quar_line[PH_MAX_KEEP];
	char quar_reason[PH_MAX_KEEP][256];
	rcn_stmt_result res;
	rcn_rc rc;
	const char *label; /* when set, every quarantined row must be reported against this file */
} ph_collect;

static inline void ph_copy_str(char *dst, size_t n, const char *src)
{
	assert_non_null(src);
	snprintf(dst, n, "%s", src);
}

static inline ph_rec *ph_keep_record(ph_collect *c, const rcn_record *r)
{
	if (c->nrec++ >= PH_MAX_KEEP)
		return NULL;
	ph_rec *k = &c->rec[c->nrec - 1];
	ph_copy_str(k->channel, sizeof(k->channel), r->channel);
	ph_copy_str(k->merchant_id, sizeof(k->merchant_id), r->merchant_id);
	ph_copy_str(k->provider_id, sizeof(k->provider_id), r->provider_id);
	ph_copy_str(k->txn_id, sizeof(k->txn_id), r->channel_txn_id);
	ph_copy_str(k->order_no, sizeof(k->order_no), r->order_no);
	ph_copy_str(k->refund_no, sizeof(k->refund_no), r->refund_no);
	ph_copy_str(k->refund_id, sizeof(k->refund_id), r->channel_refund_id);
	ph_copy_str(k->currency, sizeof(k->currency), r->currency);
	ph_copy_str(k->status, sizeof(k->status), r->status);
	ph_copy_str(k->trade_type, sizeof(k->trade_type), r->trade_type);
	ph_copy_str(k->trade_time, sizeof(k->trade_time), r->trade_time);
	ph_copy_str(k->file, sizeof(k->file), r->file);
	k->type = r->type;
	k->amount_fen = r->amount_fen;
	k->settle_fen = r->settle_fen;
	k->fee = r->fee;
	k->net_fen = r->net_fen;
	k->rate_ppm = r->rate_ppm;
	k->balance_fen = r->balance_fen;
	k->trade_date = r->trade_date;
	k->line = r->line;
	return k;
}

/* rcn_record_fn for trade records: every trade string field must be set;
 * movement fields are copied when present. */
static inline void ph_on_record(void *ctx, const rcn_record *r)
{
	ph_rec *k = ph_keep_record(ctx, r);
	if (k == NULL)
		return;
	if (r->movement_type != NULL)
		ph_copy_str(k->movement_type, sizeof(k->movement_type), r->movement_type);
	if (r->reference != NULL)
		ph_copy_str(k->reference, sizeof(k->reference), r->reference);
}

/* rcn_record_fn for parsers that also emit movements: the movement fields
 * must be set too. */
static inline void ph_on_movement_record(void *ctx, const rcn_record *r)
{
	ph_rec *k = ph_keep_record(ctx, r);
	if (k == NULL)
		return;
	ph_copy_str(k->movement_type, sizeof(k->movement_type), r->movement_type);
	ph_copy_str(k->reference, sizeof(k->reference), r->reference);
}

/* rcn_quarantine_fn: keeps the row's line and reason (the file must be
 * c->label when that is set). */
static inline void ph_on_quarantine(void *ctx, const char *file, long line, const char *reason)
{
	ph_collect *c = ctx;
	if (c->label)
		assert_string_equal(file, c->label);
	if (c->nquar < PH_MAX_KEEP) {
		c->quar_line[c->nquar] = line;
		snprintf(c->quar_reason[c->nquar], sizeof(c->quar_reason[0]), "%s", reason);
	}
	c->nquar++;
}

/* Records and quarantined rows kept by a and b are the same. */
static inline void ph_assert_same_collect(const ph_collect *a, const ph_collect *b)
{
	assert_int_equal(a->nrec, b->nrec);
	assert_int_equal(a->nquar, b->nquar);
	for (int i = 0; i < a->nrec && i < PH_MAX_KEEP; i++)
		assert_memory_equal(&a->rec[i], &b->rec[i], sizeof(ph_rec));
	for (int i = 0; i < a->nquar && i < PH_MAX_KEEP; i++) {
		assert_int_equal(a->quar_line[i], b->quar_line[i]);
		assert_string_equal(a->quar_reason[i], b->quar_reason[i]);
	}
}

/* The totals a statement states itself are the same. */
static inline void ph_assert_same_totals(const rcn_totals *a, const rcn_totals *b)
{
	assert_int_equal(a->has_count, b->has_count);
	assert_int_equal(a->has_amount, b->has_amount);
	assert_int_equal(a->has_refund_count, b->has_refund_count);
	assert_int_equal(a->has_refund_amount, b->has_refund_amount);
	assert_int_equal(a->has_fee, b->has_fee);
	assert_int_equal(a->has_net, b->has_net);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->amount_fen, b->amount_fen);
	assert_int_equal(a->refund_count, b->refund_count);
	assert_int_equal(a->refund_fen, b->refund_fen);
	assert_int_equal(a->fee, b->fee);
	assert_int_equal(a->net_fen, b->net_fen);
}

/* Two parses of the same bytes gave the same verdict, sums and stated totals. */
static inline void ph_assert_same_result(const rcn_stmt_result *a, const rcn_stmt_result *b)
{
	assert_string_equal(a->format, b->format);
	assert_int_equal(a->rows, b->rows);
	assert_int_equal(a->payments, b->payments);
	assert_int_equal(a->refunds, b->refunds);
	assert_int_equal(a->bad_rows, b->bad_rows);
	assert_int_equal(a->amount_fen, b->amount_fen);
	assert_int_equal(a->refund_fen, b->refund_fen);
	assert_int_equal(a->fee, b->fee);
	assert_int_equal(a->net_fen, b->net_fen);
	assert_int_equal(a->movements, b->movements);
	assert_int_equal(a->movement_in_fen, b->movement_in_fen);
	assert_int_equal(a->movement_out_fen, b->movement_out_fen);
	assert_int_equal(a->has_summary, b->has_summary);
	ph_assert_same_totals(&a->stated, &b->stated);
	assert_int_equal(a->totals_ok, b->totals_ok);
	assert_int_equal(a->rejected, b->rejected);
	assert_int_equal(a->reason.code, b->reason.code);
	assert_int_equal(a->reason.line, b->reason.line);
	assert_string_equal(a->reason.file, b->reason.file);
	assert_string_equal(a->reason.msg, b->reason.msg);
}

/* The parse's counts and sums: rows, payments, refunds, the amounts of each
 * (fen) and the fee (1e-5 yuan). */
static inline void ph_assert_sums(const rcn_stmt_result *r, long rows, long payments, long refunds, int64_t amount_fen,
				  int64_t refund_fen, int64_t fee)
{
	assert_int_equal(r->rows, rows);
	assert_int_equal(r->payments, payments);
	assert_int_equal(r->refunds, refunds);
	assert_int_equal(r->amount_fen, amount_fen);
	assert_int_equal(r->refund_fen, refund_fen);
	assert_int_equal(r->fee, fee);
}

/* The file was accepted as this format: its summary was read and its control
 * totals agree with the rows. */
static inline void ph_assert_accepted(const rcn_stmt_result *res, const char *format)
{
	assert_string_equal(res->format, format);
	assert_false(res->rejected);
	assert_true(res->has_summary);
	assert_true(res->totals_ok);
}

/* The file was rejected, with this code, for this reason at file:line. */
static inline void ph_assert_rejected(const rcn_stmt_result *res, rcn_rc code, const char *file, long line,
				      const char *msg)
{
	assert_true(res->rejected);
	assert_false(res->totals_ok);
	assert_int_equal(res->reason.code, code);
	assert_string_equal(res->reason.file, file);
	assert_int_equal(res->reason.line, line);
	assert_string_equal(res->reason.msg, msg);
}

/* Feeds data through a parser built from spec in chunks of `step` bytes
 * (0: all at once), stopping at the first feed error (which must name
 * spec->file); returns finish's code. */
static inline rcn_rc ph_parse(const rcn_parser_spec *spec, const char *data, size_t n, size_t step,
			      rcn_stmt_result *res)
{
	rcn_parser *p = rcn_parser_new(spec);
	rcn_err err;
	if (step == 0)
		step = n ? n : 1;
	for (size_t off = 0; off < n; off += step)
		if (rcn_parser_feed(p, data + off, n - off < step ? n - off : step, &err) != RCN_OK) {
			assert_int_not_equal(err.code, RCN_OK); /* a feed error names the file */
			if (spec->file)
				assert_string_equal(err.file, spec->file);
			break;
		}
	rcn_rc rc = rcn_parser_finish(p, res);
	rcn_parser_free(p);
	return rc;
}

/* Parses data[0..n) with base in chunks of `step` bytes (0: all at once)
 * into c, which is reset first; base's ctx and quarantine sink are replaced
 * by c and ph_on_quarantine, which checks every row is reported against
 * base->file. Returns finish's code, also in c->rc; c->res is the result. */
static inline rcn_rc ph_parse_into(ph_collect *c, const rcn_parser_spec *base, const char *data, size_t n, size_t step)
{
	rcn_parser_spec spec = *base;
	memset(c, 0, sizeof(*c));
	c->label = base->file;
	spec.quar = ph_on_quarantine;
	spec.ctx = c;
	c->rc = ph_parse(&spec, data, n, step, &c->res);
	return c->rc;
}

/* Parses data whole into c (ph_parse_into), then again fed steps[i] bytes at
 * a time for each of steps[0..nsteps): every parse must give the same code,
 * verdict, sums, records and quarantined rows. Returns the code. */
static inline rcn_rc ph_parse_all_ways(ph_collect *c, const rcn_parser_spec *base, const char *data, size_t n,
				       const size_t *steps, size_t nsteps)
{
	ph_parse_into(c, base, data, n, 0);
	ph_collect *again = malloc(sizeof(*again));
	assert_non_null(again);
	for (size_t i = 0; i < nsteps; i++) {
		ph_parse_into(again, base, data, n, steps[i]);
		assert_int_equal(again->rc, c->rc);
		ph_assert_same_result(&c->res, &again->res);
		ph_assert_same_collect(c, again);
	}
	free(again);
	return c->rc;
}

/* Reads a whole file into a NUL-terminated buffer the caller frees. */
static inline char *ph_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	char *buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	buf[len] = '\0';
	*n = (size_t)len;
	return buf;
}

#endif
