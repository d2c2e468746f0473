/* The spill of a night in parts (run/spill.h): what is written comes back
 * field for field — the strings left out because they repeat, the trade
 * times split into a date and a second, the lines written as differences,
 * the empty strings, a text time that is not normal, a long string, a
 * source whose statement file changes — and a damaged file is an error
 * naming it, never a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/spill.h"

enum { N_ROWS = 7 };

static char long_txn[70000];

/* The rows written, in order: each differs from the one before in some way. */
static rcn_record row_at(int i)
{
	static const char *const files[] = {"a.csv", "a.csv", "a.csv", "b.csv", "b.csv", "a.csv", "a.csv"};
	static const char *const times[] = {"2026-03-02 00:00:00", "2026-03-02 23:59:59", "",
					    "2026-03-03 12:34:56", "3/2/2026 1:02",	  "2026-03-02 08:00:01",
					    "2026-03-02 08:00:01"};
	static const long lines[] = {2, 3, 4000000, 2, 7, 5, 6};
	rcn_record r = {.channel = i == 4 ? "alipay" : "wechat",
			.merchant_id = "1900000109",
			.provider_id = "",
			.type = i == 2 ? RCN_REC_REFUND : RCN_REC_PAYMENT,
			.channel_txn_id = i == 6 ? long_txn : "4200000001",
			.order_no = i == 1 ? "" : "ORD-1",
			.refund_no = i == 2 ? "RF-9" : "",
			.channel_refund_id = i == 2 ? "50300001" : "",
			.amount_fen = i == 3 ? INT64_MAX : 12345 * i,
			.settle_fen = -i,
			.fee = i == 5 ? INT64_MIN : -74,
			.net_fen = 0,
			.rate_ppm = -1,
			.currency = i == 5 ? "USD" : "CNY",
			.status = i % 2 ? "REFUND" : "SUCCESS",
			.trade_type = "JSAPI",
			.trade_date = 20514 + i,
			.file = files[i],
			.line = lines[i]};
	snprintf(r.trade_time, sizeof r.trade_time, "%s", times[i]);
	return r;
}

typedef struct {
	int n;
	/* each row's channel and file pointers, and their text then: the row
	 * store takes a pointer it saw before for the same text (intern's
	 * "stable"), so a pointer must never come back with another text */
	const char *channel[N_ROWS], *file[N_ROWS];
	char channel_text[N_ROWS][16], file_text[N_ROWS][16];
} rows_seen;

static void on_row(void *ctx, const rcn_record *r)
{
	rows_seen *seen = ctx;
	rcn_record want = row_at(seen->n++);
	assert_string_equal(r->channel, want.channel);
	assert_string_equal(r->merchant_id, want.merchant_id);
	assert_int_equal(r->type, want.type);
	assert_string_equal(r->channel_txn_id, want.channel_txn_id);
	assert_string_equal(r->order_no, want.order_no);
	assert_string_equal(r->refund_no, want.refund_no);
	assert_string_equal(r->channel_refund_id, want.channel_refund_id);
	assert_true(r->amount_fen == want.amount_fen);
	assert_true(r->settle_fen == want.settle_fen);
	assert_true(r->fee == want.fee);
	assert_true(r->net_fen == want.net_fen);
	assert_true(r->rate_ppm == want.rate_ppm);
	assert_string_equal(r->currency, want.currency);
	assert_string_equal(r->status, want.status);
	assert_string_equal(r->trade_type, want.trade_type);
	assert_string_equal(r->trade_time, want.trade_time);
	assert_int_equal(r->trade_date, want.trade_date);
	assert_string_equal(r->file, want.file);
	assert_int_equal(r->line, want.line);
	int k = seen->n - 1;
	seen->channel[k] = r->channel;
	seen->file[k] = r->file;
	snprintf(seen->channel_text[k], sizeof seen->channel_text[k], "%s", r->channel);
	snprintf(seen->file_text[k], sizeof seen->file_text[k], "%s", r->file);
	for (int i = 0; i < k; i++) {
		if (seen->channel[i] == r->channel)
			assert_string_equal(seen->channel_text[i], r->channel);
		if (seen->file[i] == r->file)
			assert_string_equal(seen->file_text[i], r->file);
	}
}

typedef struct {
	int orders, refunds;
} ledger_seen;

static void on_order(void *ctx, const rcn_ledger_order *o)
{
	ledger_seen *seen = ctx;
	int i = seen->orders++;
	assert_string_equal(o->order_no, i ? "ORD-2" : "ORD-1");
	assert_string_equal(o->merchant_id, "1900000109");
	assert_string_equal(o->channel, "wechat");
	assert_string_equal(o->channel_txn_id, i ? "" : "4200000001");
	assert_string_equal(o->status, "PAID");
	assert_string_equal(o->contract_id, i ? "C-7" : "");
	if (i)
		assert_null(o->currency);
	else
		assert_string_equal(o->currency, "CNY");
	assert_true(o->amount_fen == (i ? 0 : 990));
	assert_true(o->created_at == 1772409600 + i);
	assert_true(o->paid_at == (i ? -1 : 1772409601));
	assert_int_equal(o->business_date, 20514);
}

static void on_refund(void *ctx, const rcn_ledger_refund *r)
{
	ledger_seen *seen = ctx;
	seen->refunds++;
	assert_string_equal(r->refund_no, "RF-9");
	assert_string_equal(r->order_no, "ORD-1");
	assert_string_equal(r->channel_refund_id, "");
	assert_string_equal(r->status, "SUCCESS");
	assert_string_equal(r->channel, "wechat");
	assert_string_equal(r->merchant_id, "1900000109");
	assert_string_equal(r->currency, "CNY");
	assert_true(r->amount_fen == 500);
}

static char base[32];

static rcn_spill *spill_with_rows(char *dir, size_t dir_size)
{
	snprintf(base, sizeof base, "/tmp/test_spill.XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(dir, dir_size, "%s/.parts", base);
	rcn_err err;
	rcn_spill *s = rcn_spill_new(dir, 3, 2, &err);
	assert_non_null(s);
	for (int i = 0; i < N_ROWS; i++) {
		rcn_record r = row_at(i);
		rcn_spill_record(s, 1, 2, &r);
	}
	rcn_ledger_order o = {.order_no = "ORD-1",
			      .merchant_id = "1900000109",
			      .channel = "wechat",
			      .channel_txn_id = "4200000001",
			      .status = "PAID",
			      .contract_id = "",
			      .currency = "CNY",
			      .amount_fen = 990,
			      .created_at = 1772409600,
			      .paid_at = 1772409601,
			      .business_date = 20514};
	rcn_spill_order(s, 1, &o);
	rcn_ledger_refund rf = {.refund_no = "RF-9",
				.order_no = "ORD-1",
				.channel_refund_id = "",
				.status = "SUCCESS",
				.channel = "wechat",
				.merchant_id = "1900000109",
				.currency = "CNY",
				.amount_fen = 500};
	rcn_spill_refund(s, 1, &rf);
	o = (rcn_ledger_order){.order_no = "ORD-2",
			       .merchant_id = "1900000109",
			       .channel = "wechat",
			       .channel_txn_id = "",
			       .status = "PAID",
			       .contract_id = "C-7",
			       .currency = NULL,
			       .created_at = 1772409601,
			       .paid_at = -1,
			       .business_date = 20514};
	rcn_spill_order(s, 1, &o);
	assert_true(rcn_spill_finish(s, &err));
	assert_true(rcn_spill_bytes(s) > 0);
	return s;
}

static void test_round_trip(void **state)
{
	(void)state;
	memset(long_txn, 'x', sizeof long_txn - 1);
	char dir[4096], path[4200];
	rcn_spill *s = spill_with_rows(dir, sizeof dir);
	rcn_err err;
	rows_seen seen = {0};
	assert_true(rcn_spill_read_records(s, 1, 2, on_row, &seen, &err));
	assert_int_equal(seen.n, N_ROWS);
	snprintf(path, sizeof path, "%s/rows-1-2", dir);
	assert_int_equal(access(path, F_OK), -1); /* read once: removed */
	rows_seen none = {0};
	assert_true(rcn_spill_read_records(s, 0, 1, on_row, &none, &err)); /* nothing of that part */
	assert_int_equal(none.n, 0);
	ledger_seen ls = {0};
	rcn_ledger_sink sink = {.order = on_order, .refund = on_refund, .ctx = &ls};
	assert_true(rcn_spill_read_ledger(s, 1, &sink, &err));
	assert_int_equal(ls.orders, 2);
	assert_int_equal(ls.refunds, 1);
	rcn_spill_free(s);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(rmdir(base), 0);
}

static void ignore_row(void *ctx, const rcn_record *r)
{
	(void)r;
	(*(int *)ctx)++;
}

/* Every byte of a spill file changed in turn, and every length cut: each
 * read either succeeds or says the file is unreadable, naming it. */
static void test_damage(void **state)
{
	(void)state;
	memset(long_txn, 'y', 100);
	long_txn[100] = '\0';
	char dir[4096], path[4200];
	rcn_spill *s = spill_with_rows(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/rows-1-2", dir);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static unsigned char good[1 << 16];
	size_t n = fread(good, 1, sizeof good, f);
	fclose(f);
	assert_true(n > 100 && n < sizeof good);
	int failed = 0;
	for (size_t cut = 0; cut <= n; cut++) {
		for (int flip = 0; flip < 2; flip++) {
			if (flip && cut == n)
				continue;
			f = fopen(path, "wb");
			assert_non_null(f);
			if (flip) { /* every byte in turn, altered */
				unsigned char bad[sizeof good];
				memcpy(bad, good, n);
				bad[cut] ^= (unsigned char)(cut % 2 ? 0x80 : 0xFF);
				assert_int_equal(fwrite(bad, 1, n, f), n);
			} else {
				assert_int_equal(fwrite(good, 1, cut, f), cut);
			}
			fclose(f);
			rcn_err err = {0};
			int rows = 0;
			bool read = rcn_spill_read_records(s, 1, 2, ignore_row, &rows, &err);
			if (!read) {
				failed++;
				assert_non_null(strstr(err.file, "rows-1-2"));
				assert_non_null(strstr(err.msg, "unreadable"));
			}
			if (!flip && cut < n) /* cut anywhere, between two records too */
				assert_false(read);
		}
	}
	assert_true(failed > (int)n); /* every cut, and many an altered byte */
	rcn_spill_free(s);
	assert_int_equal(rmdir(base), 0);
}

RCN_TEST_MAIN(cmocka_unit_test(test_round_trip), cmocka_unit_test(test_damage))
