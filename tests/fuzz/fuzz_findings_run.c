/* libFuzzer target for the merge of sorted runs of findings
 * (src/findings/run.c, recon/findings_run.h): the input as one run, merged
 * with a run that is whole. Damaged bytes are refused, never a crash; what
 * the merge hands out is whole: a known kind and side, every string
 * terminated. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon/findings_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64], whole[128], input[128];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/fuzz_findings_run.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(whole, sizeof whole, "%s/whole", dir);
		snprintf(input, sizeof input, "%s/input", dir);
		rcn_finding f = {.kind = RCN_K_SHORT_PAYMENT,
				 .reason = "missing",
				 .side = RCN_SIDE_LEDGER,
				 .channel = "wechat",
				 .merchant_id = "1",
				 .order_no = "ORD-1",
				 .refund_no = "",
				 .channel_txn_id = "",
				 .channel_refund_id = "",
				 .ledger_status = "PAID",
				 .channel_status = "",
				 .trade_time = "",
				 .source = "ledger_orders",
				 .detail = ""};
		const rcn_finding *one[] = {&f};
		rcn_err err;
		if (!rcn_findings_run_write(whole, one, 1, NULL, &err))
			abort();
	}
	FILE *out = fopen(input, "wb");
	if (!out || (size && fwrite(data, 1, size, out) != size))
		abort();
	fclose(out);
	const char *paths[] = {whole, input};
	rcn_err err;
	rcn_findings_merge *m = rcn_findings_merge_open(paths, 2, NULL, 0, &err);
	if (!m)
		abort(); /* both files are there */
	const rcn_finding *f;
	while ((f = rcn_findings_merge_next(m)) != NULL)
		if (f->kind >= RCN_K__COUNT || (f->side != RCN_SIDE_CHANNEL && f->side != RCN_SIDE_LEDGER) ||
		    strlen(f->order_no) + strlen(f->detail) + strlen(f->source) > (size_t)1 << 30)
			__builtin_trap();
	(void)rcn_findings_merge_ok(m, &err);
	rcn_findings_merge_close(m);
	return 0;
}
