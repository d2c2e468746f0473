/* libFuzzer target for the Alipay parsers (业务明细, 汇总, 账务明细): each
 * input goes through all three, fed by fuzz_parse in two chunks split at a
 * point chosen by its first byte, so chunk boundaries land inside GBK and
 * UTF-8 sequences, CRLFs, quoted fields and the encoding sniff. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_record(void *ctx, const rcn_record *r)
{
	*(size_t *)ctx += fuzz_touch_movement(r);
	if (r->type != RCN_REC_MOVEMENT && (r->amount_fen < 0 || r->settle_fen < 0))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const rcn_format_kind kinds[] = {RCN_FMT_ALIPAY_TRADE, RCN_FMT_ALIPAY_SUMMARY, RCN_FMT_ALIPAY_ACCOUNT};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		rcn_stmt_result res;
		rcn_parser_spec spec = {.kind = kinds[k], .channel = "alipay", .rec = on_record};
		fuzz_parse(&spec, data, size, &res);
		if (res.payments + res.refunds + res.movements + res.bad_rows > res.rows ||
		    !fuzz_verdict_consistent(&res) || res.amount_fen < 0 || res.refund_fen < 0 ||
		    res.movement_in_fen < 0 || res.movement_out_fen < 0)
			__builtin_trap();
	}
	return 0;
}
