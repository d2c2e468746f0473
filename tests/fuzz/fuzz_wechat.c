/* libFuzzer target for the WeChat trade bill parser: the input is fed in two
 * chunks split at a point chosen by its first byte, so chunk boundaries land
 * inside BOMs, CRLFs, quoted fields and multi-byte characters. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "recon/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_record(void *ctx, const rcn_record *r)
{
	size_t *n = ctx;
	/* Touch every borrowed string: a dangling view shows up under ASan. */
	*n += strlen(r->channel) + strlen(r->merchant_id) + strlen(r->provider_id) + strlen(r->channel_txn_id) +
	      strlen(r->order_no) + strlen(r->refund_no) + strlen(r->channel_refund_id) + strlen(r->currency) +
	      strlen(r->status) + strlen(r->trade_type) + strlen(r->trade_time) + strlen(r->file);
}

static void on_quarantine(void *ctx, const char *file, long line, const char *reason)
{
	size_t *n = ctx;
	*n += strlen(file) + strlen(reason) + (size_t)(line > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t touched = 0;
	rcn_stmt_result res;
	rcn_err err;
	size_t split = size ? data[0] % (size + 1) : 0;
	rcn_parser_spec spec = {.kind = RCN_FMT_WECHAT_TRADE,
				.file = "fuzz.csv",
				.channel = "wechat",
				.rec = on_record,
				.quar = on_quarantine,
				.ctx = &touched};
	rcn_parser *p = rcn_parser_new(&spec);
	if (rcn_parser_feed(p, (const char *)data, split, &err) == RCN_OK)
		rcn_parser_feed(p, (const char *)data + split, size - split, &err);
	rcn_parser_finish(p, &res);
	rcn_parser_free(p);
	/* Invariants of any verdict. */
	if (res.payments + res.refunds + res.bad_rows > res.rows || (res.totals_ok && res.rejected) ||
	    (res.totals_ok && !res.has_summary) || (res.rejected && res.reason.msg[0] == '\0'))
		__builtin_trap();
	return 0;
}
