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

#include "open_book_fixture.h"
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

/* Writes data's workbook into a new temporary directory dir (a mkdtemp
 * template); returns the workbook's path (valid until the next call). */
static const char *write_report(char dir[], const rcn_report_data *data)
{
	static char path[256];
	assert_non_null(mkdtemp(dir));
	rcn_err err;
	assert_int_equal(rcn_report_xlsx(dir, "2026-03-02", data, &err), RCN_OK);
	snprintf(path, sizeof(path), "%s/recon-2026-03-02.xlsx", dir);
	return path;
}

/* Writes the findings' workbook into a new temporary directory; returns its path. */
static const char *write_findings(char dir[], const rcn_finding *const *fp, size_t n)
{
	rcn_report_data data;
	memset(&data, 0, sizeof(data));
	data.findings = fp;
	data.n_findings = n;
	return write_report(dir, &data);
}

/* The workbook's part (e.g. "xl/styles.xml") holds text. */
static void assert_part_has(const char *path, const char *part, const char *text)
{
	char *xml = entry(path, part);
	assert_non_null(xml);
	if (!strstr(xml, text))
		fail_msg("%s lacks %s", part, text);
	free(xml);
}

/* xl/workbook.xml defines the print/filter range name (e.g. "'汇总 Summary'!$A$1:$AV$5"). */
static void assert_defined_name(const char *path, const char *range)
{
	char want[256];
	snprintf(want, sizeof(want), "%s</definedName>", range);
	assert_part_has(path, "xl/workbook.xml", want);
}

/* The sheet's range is ref (e.g. "A1:V5") and it has no row after last. */
static void assert_extent(const char *sh, const char *ref, int last)
{
	char want[64];
	snprintf(want, sizeof(want), "<dimension ref=\"%s\"/>", ref);
	assert_non_null(strstr(sh, want));
	snprintf(want, sizeof(want), "<row r=\"%d\"", last + 1);
	assert_null(strstr(sh, want));
}

/* Removes the workbook and its temporary directory. */
static void remove_workbook(const char *path, const char *dir)
{
	remove(path);
	rmdir(dir);
}

static void test_workbook(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_xlsx.XXXXXX";
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

	const char *path = write_report(dir, &data);

	char *wbx = entry(path, "xl/workbook.xml");
	assert_non_null(wbx);
	const char *names[] = {"name=\"汇总 Summary\" sheetId=\"1\"",
			       "name=\"短款 SHORT_PAYMENT\" sheetId=\"2\"",
			       "name=\"手续费不符 FEE_MISMATCH\" sheetId=\"3\"",
			       "name=\"待核对 PENDING\" sheetId=\"4\"",
			       "name=\"已匹配备注 Notes\" sheetId=\"5\"",
			       "name=\"结算 Settlement\" sheetId=\"6\"",
			       "name=\"隔离 Quarantine\" sheetId=\"7\"",
			       "name=\"未结差异 open_items\" sheetId=\"8\""};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(wbx, names[i]))
			fail_msg("workbook.xml lacks %s: %s", names[i], wbx);
	assert_null(strstr(wbx, "sheetId=\"9\""));
	assert_null(strstr(wbx, "OVERPAYMENT")); /* kinds that do not occur get no sheet */
	free(wbx);

	/* rows are written as they come (inline strings); only the texts rows
	 * repeat (a reason in Chinese, an action) are shared, each once */
	assert_part_has(path, "xl/sharedStrings.xml",
			"<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"");

	/* the SHORT_PAYMENT sheet: frozen header, filter over the data, 55.00 as a number, no formula */
	char *sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_non_null(sh);
	assert_non_null(
		strstr(sh, "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"));
	assert_non_null(strstr(sh, "<autoFilter ref=\"A1:W2\"/>"));
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
	assert_part_has(path, "xl/worksheets/sheet3.xml", "><v>0.006</v>");
	assert_part_has(path, "xl/worksheets/sheet3.xml", "><v>0.012</v>");
	assert_part_has(path, "xl/worksheets/sheet4.xml", "><v>12345.67</v>");
	assert_part_has(path, "xl/styles.xml", "formatCode=\"#,##0.00\"");
	assert_part_has(path, "xl/styles.xml", "formatCode=\"0.00000\"");
	assert_part_has(path, "docProps/core.xml", "2026-03-02T00:00:00Z");

	/* a second write gives the same bytes */
	size_t n1, n2;
	char *a = slurp(path, &n1);
	rcn_err err;
	assert_int_equal(rcn_report_xlsx(dir, "2026-03-02", &data, &err), RCN_OK);
	char *b = slurp(path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1);
	free(a);
	free(b);
	remove_workbook(path, dir);
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
	assert_extent(sh, "A1:W5", 5);
	assert_non_null(strstr(sh, "<c r=\"C4\" t=\"inlineStr\"><is><t>ORD-2</t></is></c>"));
	assert_null(strstr(sh, "ORD-3"));
	assert_non_null(strstr(
		sh, "<row r=\"5\"><c r=\"A5\" t=\"inlineStr\"><is><t>另有 4 条见 discrepancies.csv — 4 more rows in "
		    "discrepancies.csv</t></is></c></row>"));
	assert_non_null(strstr(sh, "<autoFilter ref=\"A1:W5\"/>"));
	free(sh);
	assert_defined_name(path, "'长款 OVERPAYMENT'!$A$1:$W$5");
	remove_workbook(path, dir);
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
	remove_workbook(path, dir);

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
	remove_workbook(path, dir2);
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
	remove_workbook(path, dir);
}

/* The text of cell ref (e.g. "AK3") in sheet xml: its <v> value or its
 * inline string, or "" when the sheet has no such cell. */
static const char *cell(const char *xml, const char *ref)
{
	static char out[512];
	char key[32];
	snprintf(key, sizeof(key), "<c r=\"%s\"", ref);
	out[0] = '\0';
	const char *c = strstr(xml, key);
	if (!c)
		return out;
	const char *end = strstr(c, "</c>");
	const char *v = strstr(c, "<v>"), *t = strstr(c, "<t>");
	const char *from = v && v < end ? v + 3 : t && t < end ? t + 3 : NULL;
	if (from) {
		const char *to = strchr(from, '<');
		snprintf(out, sizeof(out), "%.*s", (int)(to - from), from);
	}
	return out;
}

#define assert_cell(xml, ref, want)                                                                                    \
	do {                                                                                                           \
		const char *got_ = cell((xml), (ref));                                                                 \
		if (strcmp(got_, (want)) != 0)                                                                         \
			fail_msg("cell %s is \"%s\", expected \"%s\"", (ref), got_, (want));                           \
	} while (0)

/* Characters as Excel counts them (UTF-16 units) of a UTF-8 name. */
static size_t excel_len(const char *s, size_t n)
{
	size_t units = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xC0) != 0x80)
			units += c >= 0xF0 ? 2 : 1;
	}
	return units;
}

/* A finding of every kind, notes, a settlement and a quarantined file:
 * every sheet name fits Excel's 31 characters, has none of its forbidden
 * characters, is unique, and a kind's sheet is "<Chinese> <CODE>". */
static void test_sheet_names(void **state)
{
	(void)state;
	static rcn_finding f[RCN_K_MATCHED];
	const rcn_finding *fp[RCN_K_MATCHED];
	for (int k = 0; k < RCN_K_MATCHED; k++) {
		f[k] = finding((rcn_kind)k, "ORD-1", 100, 100);
		fp[k] = &f[k];
	}
	rcn_finding note = finding(RCN_K_MATCHED, "ORD-2", 100, 100);
	const rcn_finding *np[1] = {&note};
	rcn_settlement st;
	memset(&st, 0, sizeof(st));
	st.channel = "wechat", st.merchant_id = "1900000109", st.cycle = "T+1";
	rcn_quarantine_entry q = {"wx", "wechat_20260302.csv", 0, "not a WeChat trade bill", 3, 1000};
	rcn_report_data data;
	memset(&data, 0, sizeof(data));
	data.findings = fp;
	data.n_findings = RCN_K_MATCHED;
	data.notes = np, data.n_notes = 1;
	data.settlements = &st, data.n_settlements = 1;
	data.quarantine = &q, data.n_quarantine = 1;
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	const char *path = write_report(dir, &data);
	char *wb = entry(path, "xl/workbook.xml");
	assert_non_null(wb);
	char names[32][128];
	size_t n = 0;
	for (const char *p = wb; (p = strstr(p, "<sheet name=\"")); n++) {
		p += strlen("<sheet name=\"");
		const char *end = strchr(p, '"');
		size_t len = (size_t)(end - p);
		assert_true(n < 32 && len < sizeof(names[0]));
		snprintf(names[n], sizeof(names[n]), "%.*s", (int)len, p);
		if (excel_len(p, len) > 31)
			fail_msg("sheet name %s is %zu characters", names[n], excel_len(p, len));
		assert_null(strpbrk(names[n], ":\\/?*[]'"));
		for (size_t j = 0; j < n; j++)
			assert_string_not_equal(names[j], names[n]);
	}
	/* summary, 12 kinds, pending, notes, settlement, quarantine, open items */
	assert_int_equal(n, RCN_K_PENDING + 6);
	assert_string_equal(names[RCN_K_PENDING + 5], "未结差异 open_items"); /* the import looks for "open_items" */
	for (int k = 0; k <= RCN_K_PENDING; k++) {
		char want[128];
		snprintf(want, sizeof(want), "%s %s", rcn_kind_name_cn((rcn_kind)k), rcn_kind_name((rcn_kind)k));
		assert_string_equal(names[1 + k], want);
	}
	assert_string_equal(names[RCN_K_PENDING + 2], "已匹配备注 Notes");
	free(wb);

	/* notes, settlement and quarantine: a row each under their headings */
	char *notes = entry(path, "xl/worksheets/sheet15.xml");
	assert_cell(notes, "C1", "商户订单号 order_no");
	assert_cell(notes, "C2", "ORD-2");
	free(notes);
	char *set = entry(path, "xl/worksheets/sheet16.xml");
	assert_cell(set, "J1", "状态 status");
	assert_cell(set, "D2", "T+1");
	assert_cell(set, "J2", "待到账 due");
	free(set);
	char *qs = entry(path, "xl/worksheets/sheet17.xml");
	assert_cell(qs, "E1", "原因 reason");
	assert_cell(qs, "B2", "wechat_20260302.csv");
	assert_cell(qs, "C2", "");
	assert_cell(qs, "D2", "文件 file");
	assert_cell(qs, "F2", "3");
	assert_cell(qs, "G2", "10");
	assert_non_null(strstr(qs, "<autoFilter ref=\"A1:G2\"/>"));
	free(qs);
	remove_workbook(path, dir);
}

/* The summary sheet: summary.csv's columns for each tally and the two
 * totals, the per-kind amounts (signed sums of difference) on the channel
 * lines, the balance proof (a ledger side that does not add up says so) and
 * the per-kind table. */
static void test_summary_sheet(void **state)
{
	(void)state;
	rcn_finding f[4] = {finding(RCN_K_SHORT_PAYMENT, "S1", 5500, 4500),
			    finding(RCN_K_SHORT_PAYMENT, "S2", 300, 100), finding(RCN_K_OVERPAYMENT, "O1", 1000, 1500),
			    finding(RCN_K_SHORT_PAYMENT, "X1", 700, 600)};
	for (int i = 0; i < 4; i++)
		f[i].ledger_status = "PAID", f[i].channel_status = "SUCCESS";
	f[3].merchant_id = "1900000999"; /* no tally of its own: counted in the total only */
	const rcn_finding *fp[4] = {&f[0], &f[1], &f[2], &f[3]};
	rcn_tally t[2];
	memset(t, 0, sizeof(t));
	t[0].channel = t[1].channel = "wechat";
	t[0].merchant_id = t[1].merchant_id = "1900000109";
	t[0].side = RCN_SIDE_LEDGER;
	t[0].rows_in = 4, t[0].discrepancies = 3, t[0].amount_in = 6800, t[0].amount_discrepancies = 6800;
	t[0].kinds[RCN_K_SHORT_PAYMENT] = 2, t[0].kinds[RCN_K_OVERPAYMENT] = 1;
	t[1].side = RCN_SIDE_CHANNEL;
	t[1].rows_in = 3, t[1].discrepancies = 3, t[1].amount_in = 6100, t[1].amount_discrepancies = 6100;
	t[1].kinds[RCN_K_SHORT_PAYMENT] = 2, t[1].kinds[RCN_K_OVERPAYMENT] = 1;
	t[1].payments_fen = 6100, t[1].refunds_fen = 610, t[1].channel_fee = 36600, t[1].suspicious_debits = 1;
	rcn_report_data data;
	memset(&data, 0, sizeof(data));
	data.findings = fp, data.n_findings = 4;
	data.tallies = t, data.n_tallies = 2;
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	const char *path = write_report(dir, &data);
	char *sh = entry(path, "xl/worksheets/sheet1.xml");
	assert_non_null(sh);
	/* summary.csv's columns: A business_date ... P balanced, Q..AB the kinds'
	 * counts, AC..AJ payments to debits over 200%, AK..AV the kinds' amounts */
	assert_cell(sh, "A1", "业务日期 business_date");
	assert_cell(sh, "P1", "平衡 balanced");
	assert_cell(sh, "Q1", "短款笔数 SHORT_PAYMENT");
	assert_cell(sh, "AJ1", "超合约均值200%扣款 debits_over_200pct_of_contract_average");
	assert_cell(sh, "AK1", "短款差额 SHORT_PAYMENT_amount");
	assert_cell(sh, "AV1", "重复记录差额 DUPLICATE_RECORD_amount");
	assert_cell(sh, "AW1", "未结差异笔数 open_items"); /* AW..AZ the open book (issue 19) */
	assert_cell(sh, "AZ1", "逾期金额 overdue_amount");
	assert_cell(sh, "BA1", "");
	assert_cell(sh, "AW2", ""); /* no register: an empty book, zeros on the channel lines */
	assert_cell(sh, "AW3", "0");
	assert_cell(sh, "AX3", "0");
	assert_cell(sh, "A2", "2026-03-02");
	assert_cell(sh, "D2", "ledger");
	assert_cell(sh, "P2", "NO");
	assert_cell(sh, "AK2", ""); /* amounts on the channel lines only */
	assert_cell(sh, "D3", "channel");
	assert_cell(sh, "P3", "yes");
	assert_cell(sh, "Q3", "2");
	assert_cell(sh, "AG3", "54.534"); /* net 61.00 - 6.10 - 0.366 */
	assert_cell(sh, "AH3", "10");	  /* refund rate 10.00% */
	assert_cell(sh, "AI3", "yes");
	assert_cell(sh, "AJ3", "1");
	assert_cell(sh, "AK3", "-12"); /* -10.00 and -2.00 */
	assert_cell(sh, "AL3", "5");
	assert_cell(sh, "B4", "合计 total");
	assert_cell(sh, "D5", "channel");
	assert_cell(sh, "AK5", "-13"); /* and X1's -1.00, whose account has no line */
	assert_non_null(strstr(sh, "<autoFilter ref=\"A1:AZ5\"/>"));
	/* the balance proof from row 7: title, heading, the tallies, the totals */
	assert_non_null(strstr(cell(sh, "A7"), "平衡校验 balance proof"));
	assert_cell(sh, "I8", "四项合计 sum");
	assert_cell(sh, "D9", "4");
	assert_cell(sh, "I9", "3");
	assert_cell(sh, "J9", "不平衡 NO");
	assert_cell(sh, "Q9", "平衡 yes");
	assert_cell(sh, "J10", "平衡 yes");
	assert_cell(sh, "A12", "合计 total");
	assert_cell(sh, "J12", "平衡 yes");
	/* the per-kind table from row 14 */
	assert_cell(sh, "E15", "差额合计 amount (sum of difference)");
	assert_cell(sh, "A16", "短款");
	assert_cell(sh, "B16", "SHORT_PAYMENT");
	assert_cell(sh, "C16", "2");
	assert_cell(sh, "D16", "2");
	assert_cell(sh, "E16", "-13");
	assert_cell(sh, "E17", "5");
	assert_cell(sh, "B28", "total");
	assert_cell(sh, "D28", "3");
	assert_cell(sh, "E28", "-8");
	assert_extent(sh, "A1:AZ28", 28);
	assert_null(strstr(sh, "<f>"));
	free(sh);
	assert_defined_name(path, "'汇总 Summary'!$A$1:$AZ$5");
	remove_workbook(path, dir);
}

/* What to do and by when: a finding's action, deadline and urgency, after its detail. */
static void test_handling_columns(void **state)
{
	(void)state;
	rcn_finding f = finding(RCN_K_DOUBLE_CHARGE, "D-1", 100, 100);
	f.action_cn = "立即退还重复扣款";
	f.due_by = rcn_date_from_ymd(2026, 3, 3);
	f.urgent = true;
	rcn_finding g = finding(RCN_K_DOUBLE_CHARGE, "D-2", 100, 100);
	const rcn_finding *fp[2] = {&f, &g};
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	const char *path = write_findings(dir, fp, 2);
	char *sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_cell(sh, "S1", "处理建议 action");
	assert_cell(sh, "T1", "处理期限 due_by");
	assert_cell(sh, "U1", "紧急 urgent");
	assert_cell(sh, "S2", "立即退还重复扣款");
	assert_cell(sh, "T2", "2026-03-03");
	assert_cell(sh, "U2", "紧急 yes");
	assert_cell(sh, "S3", "");
	assert_cell(sh, "T3", "");
	assert_cell(sh, "U3", "");
	free(sh);
	remove_workbook(path, dir);
}

/* A text several rows carry (the same action, a reason in Chinese) is written
 * once into sharedStrings.xml and referred to by index; a text one row has
 * stays inline; what the text holds is escaped in the shared part as inline. */
static void test_shared_strings(void **state)
{
	(void)state;
	static const char action[] = "退还 <重复> & 复核";
	rcn_finding f = finding(RCN_K_DOUBLE_CHARGE, "D-1", 100, 100);
	rcn_finding g = finding(RCN_K_DOUBLE_CHARGE, "D-2", 100, 100);
	rcn_finding h = finding(RCN_K_DOUBLE_CHARGE, "D-3", 100, 100);
	f.action_cn = g.action_cn = action; /* one rule's text: the same address */
	h.action_cn = "只此一次";
	const rcn_finding *fp[3] = {&f, &g, &h};
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	const char *path = write_findings(dir, fp, 3);
	char *sst = entry(path, "xl/sharedStrings.xml");
	assert_non_null(sst);
	assert_non_null(strstr(sst, "<si><t>退还 &lt;重复&gt; &amp; 复核</t></si>"));
	assert_null(strstr(sst, "只此一次"));
	const char *first = strstr(sst, "退还"); /* once */
	assert_null(strstr(first + 1, "退还"));
	char *sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_non_null(sh);
	assert_non_null(strstr(sh, "<c r=\"S2\" t=\"s\"><v>"));
	assert_non_null(strstr(sh, "<c r=\"S3\" t=\"s\"><v>"));
	assert_cell(sh, "S4", "只此一次");
	free(sh);
	free(sst);
	remove_workbook(path, dir);
}

/* 未结差异 open_items: open_items.csv's columns under bilingual headings
 * ending in the CSV's names, the book's items in order, amounts as numbers
 * (a fee's on the fee format), a formula-looking note as text; the summary
 * sheet's open/overdue columns; a finding's item id last on its sheet; a
 * book longer than a sheet says how many more open_items.csv has. */
static void test_open_items_sheet(void **state)
{
	(void)state;
	rcn_open_item items[4];
	rcn_open_book book;
	fixture_book(&book, items);
	rcn_finding f = finding(RCN_K_SHORT_PAYMENT, "DEMO-P002", 5500, -1);
	f.item_id = "00014";
	const rcn_finding *fp[1] = {&f};
	rcn_tally t;
	memset(&t, 0, sizeof(t));
	t.channel = "wechat", t.merchant_id = "1900000109", t.side = RCN_SIDE_CHANNEL;
	rcn_report_data data;
	memset(&data, 0, sizeof(data));
	data.findings = fp, data.n_findings = 1;
	data.tallies = &t, data.n_tallies = 1;
	data.book = &book;
	char dir[] = "/tmp/test_xlsx.XXXXXX";
	const char *path = write_report(dir, &data);
	assert_part_has(path, "xl/workbook.xml", "<sheet name=\"未结差异 open_items\" sheetId=\"7\"");
	char *sh = entry(path, "xl/worksheets/sheet7.xml");
	assert_non_null(sh);
	static const char *const heads[][2] = {
		{"A1", "编号 id"},
		{"B1", "类型 kind"},
		{"K1", "差额 difference"},
		{"O1", "逾期 overdue"},
		{"P1", "状态 status"},
		{"R1", "负责人 owner"},
		{"S1", "备注 note"},
		{"V1", "待审批 awaiting_approval"},
		{"W1", ""},
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		assert_cell(sh, heads[i][0], heads[i][1]);
	static const char *const cells[][2] = {
		{"A2", "00014"},
		{"B2", "SHORT_PAYMENT"},
		{"C2", "短款"},
		{"E2", "渠道实收少于账本金额"},
		{"J2", "4200001"},
		{"K2", "-10"},
		{"L2", "2026-02-20"},
		{"M2", "7"},
		{"N2", "2026-02-27"},
		{"O2", "yes"},
		{"P2", "acknowledged"},
		{"Q2", "处理中"},
		{"R2", "张三"},
		{"S2", "已联系渠道, 等回复"},
		{"T2", "2026-03-01 10:00:00"},
		{"U2", "zhangsan"},
		{"A3", "00028"},
		{"K3", "0.006"},
		{"O3", ""},
		{"S3", "=1+1"},
		{"A4", "0003C"},
		{"G4", "2088000000000001"},
		{"K4", "2500"},
		{"M4", "35"},
		{"N4", ""},
		{"V4", "written_off (asked by alice)"},
		{"A5", "0004G"},
		{"K5", ""},
		{"V5", ""},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		assert_cell(sh, cells[i][0], cells[i][1]);
	assert_non_null(strstr(sh, "<c r=\"K3\" s=\"3\"><v>0.006</v></c>")); /* 0.00000 */
	assert_non_null(strstr(sh, "<c r=\"S3\" t=\"inlineStr\"><is><t>=1+1</t></is></c>"));
	assert_null(strstr(sh, "<f>"));
	assert_extent(sh, "A1:V5", 5);
	free(sh);
	sh = entry(path, "xl/worksheets/sheet1.xml");
	static const char *const sums[][2] = {
		{"AW2", "3"}, {"AX2", "10.01"},	  {"AY2", "1"}, {"AZ2", "10"}, /* wechat 1900000109 */
		{"AW4", "4"}, {"AX4", "2510.01"}, {"AY4", "1"}, {"AZ4", "10"}, /* the whole book */
		{"AW3", ""},						       /* the ledger total */
	};
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
		assert_cell(sh, sums[i][0], sums[i][1]);
	free(sh);
	sh = entry(path, "xl/worksheets/sheet2.xml");
	assert_cell(sh, "W1", "编号 id");
	assert_cell(sh, "W2", "00014");
	free(sh);
	remove_workbook(path, dir);

	rcn_report_xlsx_max_rows(4);
	char dir2[] = "/tmp/test_xlsx.XXXXXX";
	path = write_report(dir2, &data);
	rcn_report_xlsx_max_rows(1048576);
	sh = entry(path, "xl/worksheets/sheet7.xml");
	assert_extent(sh, "A1:V4", 4);
	assert_cell(sh, "A3", "00028");
	assert_cell(sh, "A4", "另有 2 条见 open_items.csv — 2 more items in open_items.csv");
	free(sh);
	remove_workbook(path, dir2);
}

RCN_TEST_MAIN(cmocka_unit_test(test_workbook), cmocka_unit_test(test_full_sheet), cmocka_unit_test(test_text_escapes),
	      cmocka_unit_test(test_text_escapes_everywhere), cmocka_unit_test(test_sheet_names),
	      cmocka_unit_test(test_summary_sheet), cmocka_unit_test(test_handling_columns),
	      cmocka_unit_test(test_shared_strings), cmocka_unit_test(test_open_items_sheet))
