/* recon-<date>.xlsx read back with our own zip reader: sheet names, frozen
 * header, autofilter, amounts as numbers, a crafted formula kept as text, and
 * the same bytes on a second write. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon/report.h"
#include "recon/zip.h"

typedef struct {
	char *data;
	size_t len;
} buf;

static rcn_rc sink(void *ctx, const char *b, size_t n, rcn_err *err)
{
	(void)err;
	buf *o = ctx;
	o->data = realloc(o->data, o->len + n + 1);
	assert_non_null(o->data);
	memcpy(o->data + o->len, b, n);
	o->len += n;
	o->data[o->len] = '\0';
	return RCN_OK;
}

/* The inflated text of entry `name` (caller frees), or NULL. */
static char *entry(const char *xlsx, const char *name)
{
	rcn_zip *z;
	rcn_err err;
	assert_int_equal(rcn_zip_open_file(&z, xlsx, NULL, NULL, &err), RCN_OK);
	char *out = NULL;
	for (size_t i = 0; i < rcn_zip_count(z); i++) {
		if (strcmp(rcn_zip_entry_at(z, i)->name, name) != 0)
			continue;
		buf b = {NULL, 0};
		assert_int_equal(rcn_zip_read(z, i, sink, &b, &err), RCN_OK);
		out = b.data;
	}
	rcn_zip_close(z);
	return out;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	char *p = malloc((size_t)len + 1);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static rcn_finding finding(rcn_kind k, const char *order_no, int64_t ledger, int64_t channel)
{
	rcn_finding f;
	memset(&f, 0, sizeof(f));
	f.kind = k;
	f.reason = "missing";
	f.side = RCN_SIDE_LEDGER;
	f.rec_type = RCN_REC_PAYMENT;
	f.channel = "wechat";
	f.merchant_id = "1900000109";
	f.order_no = order_no;
	f.refund_no = f.channel_txn_id = f.channel_refund_id = "";
	f.ledger_status = "SUCCESS";
	f.channel_status = "";
	f.has_ledger_amount = true;
	f.ledger_amount = ledger;
	f.has_channel_amount = channel >= 0;
	f.channel_amount = channel < 0 ? 0 : channel;
	f.trade_time = "2026-03-02 10:00:00";
	f.first_seen = rcn_date_from_ymd(2026, 3, 2);
	f.source = "ledger_orders";
	f.detail = "=HYPERLINK(\"http://evil\",\"click\")";
	return f;
}

static void test_workbook(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	assert_non_null(mkdtemp(dir));
	rcn_finding f[3] = {finding(RCN_K_SHORT_PAYMENT, "DEMO-P002", 5500, -1),
			    finding(RCN_K_FEE_MISMATCH, "DEMO-P009", 1000, 1000),
			    finding(RCN_K_PENDING, "DEMO-P015", 1234567, -1)};
	f[1].has_expected_fee = f[1].has_channel_fee = true;
	f[1].expected_fee = 600;
	f[1].channel_fee = 1200;
	const rcn_finding *fp[3] = {&f[0], &f[1], &f[2]};
	rcn_tally t;
	memset(&t, 0, sizeof(t));
	t.channel = "wechat";
	t.merchant_id = "1900000109";
	t.side = RCN_SIDE_CHANNEL;
	t.rows_in = 3;
	t.amount_in = 12345;
	rcn_report_data data;
	memset(&data, 0, sizeof(data));
	data.findings = fp;
	data.n_findings = 3;
	data.tallies = &t;
	data.n_tallies = 1;

	rcn_err err;
	assert_int_equal(rcn_report_xlsx(dir, "2026-03-02", &data, &err), RCN_OK);
	char path[256];
	snprintf(path, sizeof(path), "%s/recon-2026-03-02.xlsx", dir);

	char *wbx = entry(path, "xl/workbook.xml");
	assert_non_null(wbx);
	const char *names[] = {"name=\"汇总 Summary\" sheetId=\"1\"", "name=\"SHORT_PAYMENT\" sheetId=\"2\"",
			       "name=\"FEE_MISMATCH\" sheetId=\"3\"", "name=\"待处理 Pending\" sheetId=\"4\""};
	for (size_t i = 0; i < 4; i++)
		assert_non_null(strstr(wbx, names[i]));
	assert_null(strstr(wbx, "OVERPAYMENT")); /* kinds that do not occur get no sheet */
	free(wbx);

	/* written in constant-memory mode: text cells are inline strings, row by row */
	assert_null(entry(path, "xl/sharedStrings.xml"));

	/* the SHORT_PAYMENT sheet: frozen header, filter over the data, 55.00 as a number, no formula */
	char *sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_non_null(sh);
	assert_non_null(
		strstr(sh, "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"));
	assert_non_null(strstr(sh, "<autoFilter ref=\"A1:R2\"/>"));
	const char *c = strstr(sh, "<c r=\"I2\"");
	assert_non_null(c);
	const char *end = strstr(c, "</c>");
	assert_non_null(end);
	char cell[128];
	snprintf(cell, sizeof(cell), "%.*s", (int)(end - c), c);
	assert_null(strstr(cell, "t=\""));
	assert_non_null(strstr(cell, "><v>55</v>"));
	assert_non_null(strstr(sh, "<c r=\"C1\" s=\"1\" t=\"inlineStr\"><is><t>商户订单号 order_no</t></is></c>"));
	assert_non_null(strstr(sh, "<c r=\"C2\" t=\"inlineStr\"><is><t>DEMO-P002</t></is></c>"));
	assert_non_null(
		strstr(sh, "<c r=\"R2\" t=\"inlineStr\"><is><t>=HYPERLINK(\"http://evil\",\"click\")</t></is></c>"));
	assert_null(strstr(sh, "<f>"));
	free(sh);

	/* fees and larger amounts: exact values, number formats in the styles */
	char *fee = entry(path, "xl/worksheets/sheet3.xml");
	assert_non_null(strstr(fee, "><v>0.006</v>"));
	assert_non_null(strstr(fee, "><v>0.012</v>"));
	free(fee);
	char *pend = entry(path, "xl/worksheets/sheet4.xml");
	assert_non_null(strstr(pend, "><v>12345.67</v>"));
	free(pend);
	char *st = entry(path, "xl/styles.xml");
	assert_non_null(strstr(st, "formatCode=\"#,##0.00\""));
	assert_non_null(strstr(st, "formatCode=\"0.00000\""));
	free(st);
	char *core = entry(path, "docProps/core.xml");
	assert_non_null(strstr(core, "2026-03-02T00:00:00Z"));
	free(core);

	/* a second write gives the same bytes */
	size_t n1, n2;
	char *a = slurp(path, &n1);
	assert_int_equal(rcn_report_xlsx(dir, "2026-03-02", &data, &err), RCN_OK);
	char *b = slurp(path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1);
	free(a);
	free(b);
	unlink(path);
	rmdir(dir);
}

/* Writes the findings' workbook into a new temporary directory; returns its path. */
static const char *write_findings(char dir[], const rcn_finding *const *fp, size_t n)
{
	static char path[256];
	assert_non_null(mkdtemp(dir));
	rcn_report_data data;
	memset(&data, 0, sizeof(data));
	data.findings = fp;
	data.n_findings = n;
	rcn_err err;
	assert_int_equal(rcn_report_xlsx(dir, "2026-03-02", &data, &err), RCN_OK);
	snprintf(path, sizeof(path), "%s/recon-2026-03-02.xlsx", dir);
	return path;
}

/* More findings of a kind than a sheet holds: the sheet is full, its last
 * row says how many more rows discrepancies.csv has, and none is dropped
 * silently. (Excel's limit is 1048576 rows; the test lowers it to 5.) */
static void test_full_sheet(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	char names[7][16];
	rcn_finding f[7];
	const rcn_finding *fp[7];
	for (int i = 0; i < 7; i++) {
		snprintf(names[i], sizeof(names[i]), "ORD-%d", i);
		f[i] = finding(RCN_K_OVERPAYMENT, names[i], 100, 200);
		fp[i] = &f[i];
	}
	rcn_report_xlsx_max_rows(5);
	const char *path = write_findings(dir, fp, 7);
	rcn_report_xlsx_max_rows(1048576);
	char *sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_non_null(sh);
	assert_non_null(strstr(sh, "<dimension ref=\"A1:R5\"/>"));
	assert_non_null(strstr(sh, "<c r=\"C4\" t=\"inlineStr\"><is><t>ORD-2</t></is></c>"));
	assert_null(strstr(sh, "ORD-3"));
	assert_non_null(strstr(
		sh, "<row r=\"5\"><c r=\"A5\" t=\"inlineStr\"><is><t>另有 4 条见 discrepancies.csv — 4 more rows in "
		    "discrepancies.csv</t></is></c></row>"));
	assert_null(strstr(sh, "<row r=\"6\""));
	assert_non_null(strstr(sh, "<autoFilter ref=\"A1:R5\"/>"));
	free(sh);
	char *wb = entry(path, "xl/workbook.xml");
	assert_non_null(strstr(wb, "'OVERPAYMENT'!$A$1:$R$5</definedName>"));
	free(wb);
	remove(path);
	rmdir(dir);
}

/* Markup and control characters stay text; spaces at either end are kept. */
static void test_text_escapes(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	rcn_finding f = finding(RCN_K_SHORT_PAYMENT, "<b>&\x01 ", 100, 50);
	f.ledger_status = "PAID";
	f.channel_status = "SUCCESS";
	const rcn_finding *fp[1] = {&f};
	const char *path = write_findings(dir, fp, 1);
	char *sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_non_null(sh);
	assert_non_null(strstr(
		sh, "<c r=\"C2\" t=\"inlineStr\"><is><t xml:space=\"preserve\">&lt;b&gt;&amp;_x0001_ </t></is></c>"));
	/* 1.00 - 0.50: exact decimals, the difference negative */
	assert_non_null(strstr(sh, "<c r=\"I2\" s=\"2\"><v>1</v></c><c r=\"J2\" s=\"2\"><v>0.5</v></c>"
				   "<c r=\"K2\" s=\"2\"><v>-0.5</v></c>"));
	free(sh);
	remove(path);
	rmdir(dir);

	/* bytes that are not UTF-8 (a cut sequence, a stray continuation, U+FFFF) become U+FFFD; 汇 stays */
	char dir2[] = "/tmp/test_xlsx.XXXXXX";
	f = finding(RCN_K_SHORT_PAYMENT,
		    "a\xE6\xB1\x87"
		    "b\xFF\x80"
		    "c\xE6\xB1"
		    "d\xEF\xBF\xBF",
		    100, 50);
	path = write_findings(dir2, fp, 1);
	sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_non_null(strstr(sh, "<c r=\"C2\" t=\"inlineStr\"><is><t>a\xE6\xB1\x87"
				   "b\xEF\xBF\xBD\xEF\xBF\xBD"
				   "c\xEF\xBF\xBD\xEF\xBF\xBD"
				   "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD</t></is></c>"));
	free(sh);
	remove(path);
	rmdir(dir2);
}

/* Long values with markup, a control character, a bad byte, a Chinese
 * character or a tab at every place: the same escapes wherever the byte
 * falls in or across the 16-byte steps that skip plain ASCII. */
static void test_text_escapes_everywhere(void **state)
{
	(void)state;
	static const char *const odd[][2] = {{"&", "&amp;"},
					     {"<", "&lt;"},
					     {">", "&gt;"},
					     {"\x01", "_x0001_"},
					     {"\xFF", "\xEF\xBF\xBD"},
					     {"\xE6\xB1\x87", "\xE6\xB1\x87"},
					     {"\t", "\t"}};
	enum { N_ODD = sizeof(odd) / sizeof(odd[0]), LEN = 40 };
	static char values[N_ODD * LEN][128], want[N_ODD * LEN][160];
	static rcn_finding f[N_ODD * LEN];
	static const rcn_finding *fp[N_ODD * LEN];
	for (int k = 0; k < N_ODD; k++)
		for (int at = 1; at < LEN; at++) { /* not first: a tab there would ask for xml:space */
			int i = k * LEN + at;
			snprintf(values[i], sizeof(values[i]), "%.*s%s%.*s%d", at,
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", odd[k][0], LEN - at,
				 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", i);
			snprintf(want[i], sizeof(want[i]), "<is><t>%.*s%s%.*s%d</t></is>", at,
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", odd[k][1], LEN - at,
				 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", i);
		}
	size_t n = 0;
	for (int i = 0; i < N_ODD * LEN; i++)
		if (values[i][0]) {
			f[n] = finding(RCN_K_SHORT_PAYMENT, values[i], 100, 50);
			fp[n] = &f[n];
			n++;
		}
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	const char *path = write_findings(dir, fp, n);
	char *sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_non_null(sh);
	for (int i = 0; i < N_ODD * LEN; i++)
		if (values[i][0] && !strstr(sh, want[i]))
			fail_msg("no cell %s", want[i]);
	free(sh);
	remove(path);
	rmdir(dir);
}

RCN_TEST_MAIN(cmocka_unit_test(test_workbook), cmocka_unit_test(test_full_sheet), cmocka_unit_test(test_text_escapes),
	      cmocka_unit_test(test_text_escapes_everywhere))
