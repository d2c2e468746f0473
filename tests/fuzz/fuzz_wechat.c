/* libFuzzer target for the WeChat trade bill parser, fed by fuzz_parse: the
 * input in two chunks split at a point chosen by its first byte. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rcn_stmt_result res;
	rcn_parser_spec spec = {.kind = RCN_FMT_WECHAT_TRADE, .channel = "wechat"};
	fuzz_parse(&spec, data, size, &res);
	if (res.payments + res.refunds + res.bad_rows > res.rows || !fuzz_verdict_consistent(&res))
		__builtin_trap();
	return 0;
}
