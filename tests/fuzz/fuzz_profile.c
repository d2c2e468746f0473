/* libFuzzer target for the profile parser: the shipped profiles
 * (rules/channels/, found from this file's path) are loaded once; an input
 * starting with 'B' or a byte >= 0x80 goes through leshua (GBK, fixed width),
 * anything else through saobei (UTF-8 CSV). It is fed in two chunks split at a
 * point chosen by its first byte, so boundaries land inside CRLFs, quoted
 * fields and multi-byte characters. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rcn_profile *load(const char *name)
{
	char path[1024];
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;
	rcn_profile *p;
	rcn_err err;
	snprintf(path, sizeof(path), "%.*s/../../rules/channels/%s.conf", dir, slash ? __FILE__ : ".", name);
	if (rcn_profile_load(&p, path, &err) != RCN_OK) {
		fprintf(stderr, "%s:%ld: %s\n", err.file, err.line, err.msg);
		abort();
	}
	return p;
}

static void on_record(void *ctx, const rcn_record *r)
{
	size_t *n = ctx;
	/* Touch every borrowed string: a dangling view shows up under ASan. */
	*n += strlen(r->channel) + strlen(r->merchant_id) + strlen(r->provider_id) + strlen(r->channel_txn_id) +
	      strlen(r->order_no) + strlen(r->refund_no) + strlen(r->channel_refund_id) + strlen(r->currency) +
	      strlen(r->status) + strlen(r->trade_type) + strlen(r->trade_time) + strlen(r->file);
	if (r->amount_fen < 0 || (r->type == RCN_REC_REFUND && (r->fee > 0 || r->settle_fen < 0)) ||
	    strlen(r->trade_time) != 19 || r->order_no[0] == '\0')
		__builtin_trap();
}

static void on_quarantine(void *ctx, const char *file, long line, const char *reason)
{
	size_t *n = ctx;
	*n += strlen(file) + strlen(reason) + (size_t)(line > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rcn_profile *saobei, *leshua;
	if (!saobei) {
		saobei = load("saobei");
		leshua = load("leshua");
	}
	size_t touched = 0;
	rcn_stmt_result res;
	rcn_err err;
	bool fixed = size > 0 && (data[0] == 'B' || data[0] >= 0x80);
	rcn_parser_spec spec = {RCN_FMT_PROFILE,	 "fuzz.txt", "bank",	    0,
				fixed ? leshua : saobei, on_record,  on_quarantine, &touched};
	size_t split = size ? data[0] % (size + 1) : 0;
	rcn_parser *p = rcn_parser_new(&spec);
	if (rcn_parser_feed(p, (const char *)data, split, &err) == RCN_OK)
		rcn_parser_feed(p, (const char *)data + split, size - split, &err);
	rcn_parser_finish(p, &res);
	rcn_parser_free(p);
	/* Invariants of any verdict. */
	if (res.payments + res.refunds + res.bad_rows > res.rows || (res.totals_ok && res.rejected) ||
	    (res.totals_ok && !res.has_summary) || (res.rejected && res.reason.msg[0] == '\0') ||
	    (!res.rejected && res.bad_rows > 0) || res.amount_fen < 0 || res.refund_fen < 0)
		__builtin_trap();
	return 0;
}
