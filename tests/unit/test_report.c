/* Report cells and files: quoting, formula neutralisation, BOM + CRLF, the
 * atomic swap of a date's directory. */
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
				     "渠道实收少于账本金额,向渠道申诉,2026-03-05,yes\r\n"));
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

RCN_TEST_MAIN(cmocka_unit_test(test_text_cells), cmocka_unit_test(test_money_cells),
	      cmocka_unit_test(test_files_and_swap))
