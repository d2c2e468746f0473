/* libFuzzer target for the WeChat fund-flow bill parser, fed by fuzz_parse:
 * the input in two chunks split at a point chosen by its first byte. Every
 * record is a movement. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_record(void *ctx, const rcn_record *r)
{
	*(size_t *)ctx += fuzz_touch_movement(r);
	if (r->type != RCN_REC_MOVEMENT)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rcn_stmt_result res;
	rcn_parser_spec spec = {.kind = RCN_FMT_WECHAT_FUNDFLOW, .channel = "wechat", .rec = on_record};
	fuzz_parse(&spec, data, size, &res);
	if (res.movements + res.bad_rows > res.rows || !fuzz_verdict_consistent(&res) || res.movement_in_fen < 0 ||
	    res.movement_out_fen < 0 || res.payments + res.refunds != 0)
		__builtin_trap();
	return 0;
}
