/* libFuzzer target for the reader of a night in parts' spill (src/run/spill.c,
 * run/spill.h): the input as a part's statement-rows file and as its ledger
 * file. Damaged bytes are refused, never a crash; what is read is whole:
 * every string terminated, every trade time at most 19 characters. The
 * files are the process's own, but a disk or a person may still change them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/spill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_row(void *ctx, const rcn_record *r)
{
	(void)ctx;
	if (strlen(r->trade_time) > 19 || strlen(r->channel) + strlen(r->order_no) + strlen(r->file) > (size_t)1 << 30)
		__builtin_trap();
}

static void on_order(void *ctx, const rcn_ledger_order *o)
{
	(void)ctx;
	if (strlen(o->order_no) + strlen(o->contract_id) > (size_t)1 << 30)
		__builtin_trap();
}

static void on_refund(void *ctx, const rcn_ledger_refund *r)
{
	(void)ctx;
	if (strlen(r->refund_no) + strlen(r->order_no) > (size_t)1 << 30)
		__builtin_trap();
}

/* Overwrites path with the input. */
static void put_input(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	if (!dir[0]) {
		char base[] = "/tmp/fuzz_spill.XXXXXX";
		if (!mkdtemp(base))
			abort();
		snprintf(dir, sizeof dir, "%s/.parts", base);
	}
	rcn_err err;
	rcn_spill *s = rcn_spill_new(dir, 2, 1, &err);
	if (!s)
		abort();
	/* a row and an order written, so that the files exist; then replaced by the input */
	rcn_record r = {.channel = "wechat",
			.merchant_id = "1",
			.provider_id = "",
			.channel_txn_id = "t",
			.order_no = "o",
			.refund_no = "",
			.channel_refund_id = "",
			.currency = "CNY",
			.status = "SUCCESS",
			.trade_type = "JSAPI",
			.trade_time = "2026-03-02 10:00:00",
			.file = "a.csv",
			.line = 2};
	rcn_spill_record(s, 0, 1, &r);
	rcn_ledger_order o = {.order_no = "o",
			      .merchant_id = "1",
			      .channel = "wechat",
			      .channel_txn_id = "t",
			      .status = "PAID",
			      .contract_id = "",
			      .currency = "CNY"};
	rcn_spill_order(s, 1, &o);
	if (!rcn_spill_finish(s, &err))
		abort();
	char path[128];
	snprintf(path, sizeof path, "%s/rows-0-1", dir);
	put_input(path, data, size);
	(void)rcn_spill_read_records(s, 0, 1, on_row, NULL, &err);
	snprintf(path, sizeof path, "%s/ledger-1", dir);
	put_input(path, data, size);
	rcn_ledger_sink sink = {.order = on_order, .refund = on_refund};
	(void)rcn_spill_read_ledger(s, 1, &sink, &err);
	rcn_spill_free(s);
	return 0;
}
