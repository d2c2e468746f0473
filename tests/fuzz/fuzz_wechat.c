/* libFuzzer target for the WeChat trade bill parser: the input is fed in two
 * chunks split at a point chosen by its first byte, so chunk boundaries land
 * inside BOMs, CRLFs, quoted fields and multi-byte characters. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_record(void *ctx, const rcn_record *r)
{
	size_t *n = ctx;
	/* Touch every borrowed string: a dangling view shows up under ASan. */
	*n += fuzz_touch_record(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t touched = 0;
	rcn_stmt_result res;
	size_t split = size ? data[0] % (size + 1) : 0;
	rcn_parser_spec spec = {.kind = RCN_FMT_WECHAT_TRADE,
				.file = "fuzz.csv",
				.channel = "wechat",
				.rec = on_record,
				.quar = fuzz_on_quarantine,
				.ctx = &touched};
	fuzz_parse_split(&spec, data, size, split, &res);
	if (res.payments + res.refunds + res.bad_rows > res.rows || !fuzz_verdict_consistent(&res))
		__builtin_trap();
	return 0;
}
