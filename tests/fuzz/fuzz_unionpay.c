/* libFuzzer target for the UnionPay parsers: the input goes through the ZM, ZME
 * and RD parsers, each fed by fuzz_parse in two chunks split at a point chosen
 * by the first byte, so boundaries land inside CRLFs, fields and GBK characters. The second
 * byte picks the settlement date the years are inferred from. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_record(void *ctx, const rcn_record *r)
{
	*(size_t *)ctx += fuzz_touch_record(r);
	if (strlen(r->trade_time) != 19 || r->amount_fen < 0 || r->settle_fen < 0 || !*r->merchant_id ||
	    !*r->trade_type || r->line < 1)
		__builtin_trap();
}

static void on_quarantine(void *ctx, const char *file, long line, const char *reason)
{
	size_t *n = ctx;
	*n += strlen(file) + strlen(reason);
	if (line < 1 || !*reason)
		__builtin_trap();
}

static void run(rcn_format_kind kind, const uint8_t *data, size_t size, rcn_date day)
{
	rcn_stmt_result res;
	rcn_parser_spec spec = {.kind = kind,
				.file = "fuzz.txt",
				.channel = "unionpay",
				.business_date = day,
				.rec = on_record,
				.quar = on_quarantine};
	fuzz_parse(&spec, data, size, &res);
	/* Invariants of any verdict. */
	if (res.totals_ok == res.rejected || (res.rejected && res.reason.msg[0] == '\0') ||
	    (!res.rejected && res.reason.code != RCN_OK))
		__builtin_trap();
	if (kind == RCN_FMT_UNIONPAY_RD) {
		if (res.rows != 0 || (!res.rejected && (!res.has_summary || !res.stated.has_count)))
			__builtin_trap();
	} else if (res.payments + res.refunds + res.bad_rows != res.rows || (res.bad_rows > 0 && !res.rejected) ||
		   res.amount_fen < 0 || res.refund_fen < 0) {
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int days[][3] = {{2015, 9, 5}, {2026, 1, 1}, {2025, 12, 31}, {2026, 3, 2}};
	const int *d = days[size > 1 ? data[1] % 4 : 0];
	rcn_date day = rcn_date_from_ymd(d[0], d[1], d[2]);
	run(RCN_FMT_UNIONPAY_ZM, data, size, day);
	run(RCN_FMT_UNIONPAY_ZME, data, size, day);
	run(RCN_FMT_UNIONPAY_RD, data, size, day);
	return 0;
}
