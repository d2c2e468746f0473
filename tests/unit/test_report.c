/* Report cells and files: quoting, formula neutralisation, BOM + CRLF, the
 * atomic swap of a date's directory, the open book's open_items.csv and
 * summary.csv columns. */
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

#include "open_book_fixture.h"
#include "recon/report.h"

static void test_text_cells(void **state)
{
	(void)state;
	assert_string_equal(tu_written(rcn_csv_text, "DEMO-P001"), "DEMO-P001");
	assert_string_equal(tu_written(rcn_csv_text, "会员充值"), "会员充值");
	assert_string_equal(tu_written(rcn_csv_text, "a,b"), "\"a,b\"");
	assert_string_equal(tu_written(rcn_csv_text, "say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(tu_written(rcn_csv_text, "two\nlines"), "\"two\nlines\"");
	/* quotes first, last and side by side */
	assert_string_equal(tu_written(rcn_csv_text, "\"q\"\",x"), "\"\"\"q\"\"\"\",x\"");
	assert_string_equal(tu_written(rcn_csv_text, "x,\""), "\"x,\"\"\"");
	/* a crafted merchant field must never run as a formula in Excel */
	assert_string_equal(tu_written(rcn_csv_text, "=HYPERLINK(\"http://x\",\"y\")"),
			    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	assert_string_equal(tu_written(rcn_csv_text, "+1"), "\"'+1\"");
	assert_string_equal(tu_written(rcn_csv_text, "-2"), "\"'-2\"");
	assert_string_equal(tu_written(rcn_csv_text, "@SUM(A1)"), "\"'@SUM(A1)\"");
	assert_string_equal(tu_written(rcn_csv_text, "\tx"), "\"'\tx\"");
	assert_string_equal(tu_written(rcn_csv_text, ""), "");
}

static void test_money_cells(void **state)
{
	(void)state;
	char buf[64];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	rcn_csv_money(f, -500, 2); /* numbers stay numbers: no apostrophe on a negative amount */
	fputc(' ', f);
	rcn_csv_money(f, -27000, 5);
	fclose(f);
	assert_string_equal(buf, "-5.00 -0.27000");
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[8192];
	*n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[*n] = '\0';
	fclose(f);
	return buf;
}

static void test_files_and_swap(void **state)
{
	(void)state;
	char dir[] = "/tmp/recon-report-XXXXXX";
	assert_non_null(mkdtemp(dir));
	rcn_date day = rcn_date_from_ymd(2026, 3, 2);
	rcn_finding f;
	memset(&f, 0, sizeof(f));
	f.kind = RCN_K_SHORT_PAYMENT;
	f.reason = "amount";
	f.channel = "wechat";
	f.merchant_id = "1900000109";
	f.order_no = "=cmd|' /C calc'!A0";
	f.refund_no = f.channel_txn_id = f.channel_refund_id = f.trade_time = f.detail = "";
	f.ledger_status = "PAID";
	f.channel_status = "SUCCESS";
	f.has_ledger_amount = f.has_channel_amount = true;
	f.ledger_amount = 5500;
	f.channel_amount = 5000;
	f.first_seen = day;
	f.source = "bill.csv:3";
	f.action_cn = "向渠道申诉"; /* the handling columns come last (issue 18) */
	f.due_by = rcn_date_from_ymd(2026, 3, 5);
	f.urgent = true;
	f.item_id = "00014"; /* the open item, last (issue 19) */
	const rcn_finding *list[] = {&f};
	rcn_quarantine_entry q = {"wx", "bad.csv", 0, "bad.csv:4: control totals do not match", 1, 600};
	rcn_report_dir rd;
	rcn_err err;

	for (int round = 0; round < 2; round++) {
		rcn_report_data data = {.findings = list, .n_findings = 1, .quarantine = &q, .n_quarantine = 1};
		assert_int_equal(rcn_report_prepare(&rd, dir, day, &data, &err), RCN_OK);
		assert_int_equal(rcn_report_commit(&rd, &err), RCN_OK);
	}
	char path[512];
	size_t n;
	snprintf(path, sizeof(path), "%s/2026-03-02/discrepancies.csv", dir);
	const char *text = slurp(path, &n);
	assert_memory_equal(text,
			    "\xEF\xBB\xBF"
			    "business_date,kind,kind_cn,reason,",
			    37);
	assert_non_null(strstr(text, "\r\n2026-03-02,SHORT_PAYMENT,短款,amount,wechat,1900000109,\"'=cmd|' /C "
				     "calc'!A0\",,,PAID,SUCCESS,55.00,50.00,-5.00,,,,2026-03-02,0,bill.csv:3,,"
				     "渠道实收少于账本金额,向渠道申诉,2026-03-05,yes,00014\r\n"));
	for (size_t i = 0; i < n; i++)
		if (text[i] == '\n')
			assert_int_equal(text[i - 1], '\r');
	snprintf(path, sizeof(path), "%s/2026-03-02/quarantine.csv", dir);
	text = slurp(path, &n);
	assert_non_null(
		strstr(text, "\r\n2026-03-02,wx,bad.csv,,file,bad.csv:4: control totals do not match,1,6.00\r\n"));
	/* the swap leaves exactly the date directory, no temporary one */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s)\" = 2026-03-02", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The date's reports of data into a new temporary directory; returns the
 * text of reports/<date>/name (a static buffer) and removes the directory. */
static const char *report_file(const rcn_report_data *data, const char *name)
{
	char dir[] = "/tmp/recon-report-XXXXXX", path[512], cmd[600];
	assert_non_null(mkdtemp(dir));
	rcn_report_dir rd;
	rcn_err err;
	assert_int_equal(rcn_report_prepare(&rd, dir, rcn_date_from_ymd(2026, 3, 2), data, &err), RCN_OK);
	assert_int_equal(rcn_report_commit(&rd, &err), RCN_OK);
	snprintf(path, sizeof(path), "%s/2026-03-02/%s", dir, name);
	size_t n;
	const char *text = slurp(path, &n);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return text;
}

static const char OPEN_HEADER[] = "\xEF\xBB\xBFid,kind,kind_cn,reason,reason_cn,channel,merchant_id,order_no,refund_no,"
				  "channel_txn_id,difference,first_seen,age_days,due_by,overdue,status,status_cn,owner,"
				  "note,last_change,changed_by,awaiting_approval\r\n";

/* open_items.csv: every item of the book in its order, the difference in
 * yuan (a fee's with 5 decimals), overdue "yes", a formula-looking note
 * neutralised, a note with a comma quoted, Chinese as is, a write-off
 * awaiting approval; without a register, the header alone. */
static void test_open_items_csv(void **state)
{
	(void)state;
	rcn_open_item items[4];
	rcn_open_book book;
	fixture_book(&book, items);
	rcn_report_data data = {.book = &book};
	const char *text = report_file(&data, "open_items.csv");
	const char *want[] = {
		OPEN_HEADER,
		"00014,SHORT_PAYMENT,短款,amount,渠道实收少于账本金额,wechat,1900000109,DEMO-P002,,4200001,-10.00,"
		"2026-02-20,7,2026-02-27,yes,acknowledged,处理中,张三,\"已联系渠道, 等回复\",2026-03-01 10:00:00,"
		"zhangsan,\r\n",
		"00028,FEE_MISMATCH,手续费不符,rate,单笔手续费与费率规则不符,wechat,1900000109,DEMO-P009,,,0.00600,"
		"2026-03-02,0,2026-03-09,,open,未处理,,\"'=1+1\",2026-03-02 02:00:00,recon run 2026-03-02,\r\n",
		"0003C,DOUBLE_CHARGE,重复扣款,same_channel,同一订单在同一渠道重复收款,alipay,2088000000000001,DEMO-"
		"P020,,,"
		"2500.00,2026-01-15,35,,,acknowledged,处理中,李四,核销 write off,2026-03-02 09:30:00,lisi,"
		"written_off (asked by alice)\r\n",
		"0004G,DUPLICATE_RECORD,重复记录,same_transaction_listed_twice,对账单重复列出同一笔交易,wechat,"
		"1900000109,"
		"DEMO-P030,,,,2026-02-23,5,,,open,未处理,,,,,\r\n",
	};
	const char *p = text;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (strncmp(p, want[i], strlen(want[i])) != 0)
			fail_msg("open_items.csv line %zu:\n%s\nexpected\n%s", i + 1, p, want[i]);
		p += strlen(want[i]);
	}
	assert_string_equal(p, "");

	data.book = NULL; /* no register: an empty book */
	assert_string_equal(report_file(&data, "open_items.csv"), OPEN_HEADER);
}

/* summary.csv's last four columns: an account's open items on its channel
 * line, the whole book (an account without a line included) on the total
 * channel line, nothing on the ledger lines; zeros without a register. */
static void test_summary_open_columns(void **state)
{
	(void)state;
	rcn_open_item items[4];
	rcn_open_book book;
	fixture_book(&book, items);
	rcn_tally t[2];
	memset(t, 0, sizeof(t));
	t[0].channel = t[1].channel = "wechat";
	t[0].merchant_id = t[1].merchant_id = "1900000109";
	t[0].side = RCN_SIDE_LEDGER;
	t[1].side = RCN_SIDE_CHANNEL;
	rcn_report_data data = {.tallies = t, .n_tallies = 2, .book = &book};
	const char *text = report_file(&data, "summary.csv");
	TU_HAS_ALL(text,
		   ",DUPLICATE_RECORD_amount,open_items,open_amount,overdue_items,overdue_amount\r\n2026-03-02,wechat,"
		   "1900000109,ledger,",
		   ",,,,,,,,,,,,,,,,\r\n2026-03-02,wechat,1900000109,channel,", /* 12 kind amounts, 4 open: empty */
		   ",0.00,0.00,3,10.01,1,10.00\r\n2026-03-02,*,*,ledger,", ",0.00,0.00,4,2510.01,1,10.00\r\n");
	data.book = NULL;
	text = report_file(&data, "summary.csv");
	TU_HAS_ALL(text, ",0.00,0,0.00,0,0.00\r\n2026-03-02,*,*,ledger,", ",0.00,0,0.00,0,0.00\r\n");
}

RCN_TEST_MAIN(cmocka_unit_test(test_text_cells), cmocka_unit_test(test_money_cells),
	      cmocka_unit_test(test_files_and_swap), cmocka_unit_test(test_open_items_csv),
	      cmocka_unit_test(test_summary_open_columns))
