/* libFuzzer target for the profile parser: the shipped profiles
 * (rules/channels/, found from this file's path) are loaded once; an input
 * starting with 'B' or a byte >= 0x80 goes through leshua (GBK, fixed width),
 * anything else through saobei (UTF-8 CSV). It is fed in two chunks split at a
 * point chosen by its first byte, so boundaries land inside CRLFs, quoted
 * fields and multi-byte characters (fuzz_parse). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_parse.h"

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
	*(size_t *)ctx += fuzz_touch_record(r);
	if (r->amount_fen < 0 || (r->type == RCN_REC_REFUND && (r->fee > 0 || r->settle_fen < 0)) ||
	    strlen(r->trade_time) != 19 || r->order_no[0] == '\0')
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rcn_profile *saobei, *leshua;
	if (!saobei) {
		saobei = load("saobei");
		leshua = load("leshua");
	}
	rcn_stmt_result res;
	bool fixed = size > 0 && (data[0] == 'B' || data[0] >= 0x80);
	/* half the inputs with a business date (2026-03-02), so saobei's period line is judged */
	rcn_date day = size > 1 && (data[1] & 1) ? 20514 : 0;
	rcn_parser_spec spec = {.kind = RCN_FMT_PROFILE,
				.file = "fuzz.txt",
				.channel = "bank",
				.business_date = day,
				.profile = fixed ? leshua : saobei,
				.rec = on_record};
	fuzz_parse(&spec, data, size, &res);
	if (res.payments + res.refunds + res.bad_rows > res.rows || !fuzz_verdict_consistent(&res) ||
	    (!res.rejected && res.bad_rows > 0) || res.amount_fen < 0 || res.refund_fen < 0)
		__builtin_trap();
	return 0;
}
