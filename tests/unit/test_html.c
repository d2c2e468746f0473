/* index.html: text escaping, data attributes, no scripts or external
 * references, the trend section for 0..30+ points, identical bytes. */
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
#include <unistd.h>

#include "open_book_fixture.h"
#include "recon/report.h"

static const char *escaped(const char *s)
{
	return tu_written(rcn_html_text, s);
}

static void test_escape(void **state)
{
	(void)state;
	assert_string_equal(escaped("DEMO-P001 会员充值"), "DEMO-P001 会员充值");
	assert_string_equal(escaped("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_string_equal(escaped("a&b \"q\" 'x'"), "a&amp;b &quot;q&quot; &#39;x&#39;");
	assert_string_equal(escaped(""), "");
}

static char *render(const rcn_report_data *d)
{
	char dir[] = "/tmp/test_html.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	rcn_err err = {0};
	assert_int_equal(rcn_report_html(dir, "2026-03-02", d, &err), RCN_OK);
	snprintf(path, sizeof(path), "%s/index.html", dir);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	rmdir(dir);
	return buf;
}

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static rcn_finding finding(rcn_kind k, const char *order_no, int64_t ledger, int64_t channel)
{
	rcn_finding f = {.kind = k,
			 .reason = "amount differs",
			 .side = RCN_SIDE_CHANNEL,
			 .rec_type = RCN_REC_PAYMENT,
			 .channel = "wechat",
			 .merchant_id = "1900000109",
			 .order_no = order_no,
			 .refund_no = "",
			 .channel_txn_id = "",
			 .ledger_status = "PAID",
			 .channel_status = "SUCCESS",
			 .has_ledger_amount = true,
			 .has_channel_amount = true,
			 .ledger_amount = ledger,
			 .channel_amount = channel,
			 .trade_time = "",
			 .source = "x.csv:2",
			 .detail = "a 'detail' & more"};
	return f;
}

static void test_page(void **state)
{
	(void)state;
	rcn_finding f[3] = {finding(RCN_K_SHORT_PAYMENT, "<script>alert(1)</script>", 10000, 9000),
			    finding(RCN_K_SHORT_PAYMENT, "DEMO-P002", 5000, 4950),
			    finding(RCN_K_OVERPAYMENT, "DEMO-P003", 100, 300)};
	const rcn_finding *fp[3] = {&f[0], &f[1], &f[2]};
	rcn_tally t = {.channel = "wechat",
		       .merchant_id = "1900000109",
		       .side = RCN_SIDE_CHANNEL,
		       .rows_in = 5,
		       .matched = 2,
		       .discrepancies = 3,
		       .amount_in = 14250,
		       .amount_matched = 1000,
		       .amount_discrepancies = 13250};
	rcn_report_data d = {.findings = fp, .n_findings = 3, .tallies = &t, .n_tallies = 1};
	char *a = render(&d);
	TU_HAS_ALL(a, "&lt;script&gt;alert(1)&lt;/script&gt;", "data-kind=\"SHORT_PAYMENT\" data-count=\"2\"",
		   "data-kind=\"OVERPAYMENT\" data-count=\"1\"",
		   "data-channel=\"*\" data-merchant=\"*\" data-side=\"channel\" data-rows=\"5\" data-matched=\"2\" "
		   "data-discrepancies=\"3\"",
		   "data-balanced=\"yes\"", "<td class=\"n\">-10.00</td>", /* difference of the first short payment */
		   "a &#39;detail&#39; &amp; more");
	TU_HAS_NONE(a, "<script", "http://", "https://", "data-kind=\"STATUS_MISMATCH\"",
		    "class=\"trend\""); /* no trend points: no section */
	char *b = render(&d);
	assert_string_equal(a, b); /* deterministic */
	free(b);

	/* 0..30 points shown; more than 30 keeps the most recent 30 */
	rcn_trend_point p[40];
	for (int i = 0; i < 40; i++)
		p[i] = (rcn_trend_point){.date = 20479 + i, .discrepancies = i % 7, .statement_rows = 100 + i};
	size_t sizes[] = {1, 2, 30, 40};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		d.trend = p;
		d.n_trend = sizes[s];
		char *c = render(&d);
		size_t shown = sizes[s] > 30 ? 30 : sizes[s];
		char want[64];
		snprintf(want, sizeof(want), "class=\"trend\" data-points=\"%zu\"", shown);
		assert_non_null(strstr(c, want));
		assert_int_equal(occurrences(c, "data-date="), 2 * shown);
		if (sizes[s] == 40)
			assert_null(strstr(c, "data-value=\"100\"")); /* the oldest points are dropped */
		free(c);
	}
	free(a);
}

static void test_empty(void **state)
{
	(void)state;
	rcn_report_data d = {0};
	char *a = render(&d);
	assert_non_null(strstr(a, "No discrepancies"));
	assert_non_null(strstr(a, "</html>"));
	free(a);
}

/* A kind with more rows than a page should hold shows the first 1000 in
 * report order and says how many more there are and where; the count is whole. */
static void test_long_kind(void **state)
{
	(void)state;
	enum { N = 1003 };
	static rcn_finding f[N];
	static const rcn_finding *fp[N];
	static char names[N][16];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "ORD-%04d", i);
		f[i] = finding(RCN_K_FEE_MISMATCH, names[i], 100, 100);
		fp[i] = &f[i];
	}
	rcn_report_data d = {.findings = fp, .n_findings = N};
	char *a = render(&d);
	assert_non_null(strstr(a, "data-kind=\"FEE_MISMATCH\" data-count=\"1003\""));
	assert_non_null(strstr(a, "<td>ORD-0999</td>"));
	assert_null(strstr(a, "<td>ORD-1000</td>"));
	assert_non_null(strstr(a,
			       "<tr class=\"more\" data-more=\"3\"><td colspan=\"19\">另有 3 条，见 discrepancies.csv "
			       "与工作簿 — 3 more rows: every row is in discrepancies.csv and the workbook</td></tr>"));
	free(a);
}

/* What the night could not check comes first, in a red banner, and the
 * quarantine card is not green when a whole file was rejected or is missing
 * (even one with no rows); a night with nothing of the sort has no banner. */
static void test_banner(void **state)
{
	(void)state;
	rcn_quarantine_entry q[2] = {
		{.source = "wx-late",
		 .file = "late/2026-03-02.csv.gz",
		 .line = 0,
		 .reason = "late/2026-03-02.csv.gz: cannot open: No such file or directory"},
		{.source = "wx-main", .file = "a.csv", .line = 7, .reason = "bad <amount>", .rows = 1}};
	rcn_tally t = {.channel = "wechat", .merchant_id = "1900000999", .side = RCN_SIDE_CHANNEL};
	rcn_report_data d = {.tallies = &t, .n_tallies = 1, .quarantine = q, .n_quarantine = 1};
	char *a = render(&d);
	TU_HAS_ALL(a,
		   "<body>\n<div class=\"banner\" role=\"alert\" data-rejected-files=\"1\" data-quarantined-rows=\"0\"",
		   "对账单被拒收或缺失 statement rejected or missing", "wx-late", "late/2026-03-02.csv.gz",
		   "cannot open: No such file or directory",
		   "<div class=\"card bad\" data-quarantined-rows=\"0\" data-rejected-files=\"1\">",
		   "1 个文件被拒收或缺失 1 file(s) rejected or missing");
	TU_HAS_NONE(a, "<div class=\"card ok\" data-quarantined-rows");
	free(a);

	/* a quarantined row, a problem and an unverified settlement: each named */
	const char *problems[] = {"no business-day calendar for 2027"};
	rcn_settlement s = {.channel = "wechat",
			    .merchant_id = "1900000109",
			    .cycle = "T+1",
			    .business_date = 20514,
			    .status = RCN_SETTLE_UNVERIFIED,
			    .detail = "no fund-flow statement of this account is configured"};
	d.quarantine = q + 1;
	d.problems = problems;
	d.n_problems = 1;
	d.settlements = &s;
	d.n_settlements = 1;
	t.quarantined = 1;
	a = render(&d);
	TU_HAS_ALL(a, "<body>\n<div class=\"banner\"", "data-quarantined-rows=\"1\"", "data-problems=\"1\"",
		   "data-unverified-settlements=\"1\"", "no business-day calendar for 2027",
		   "结算无法核对 settlement not verified", "no fund-flow statement of this account is configured",
		   "bad &lt;amount&gt;");
	free(a);

	/* nothing rejected, quarantined, unchecked or unverified: no banner, green card */
	s.status = RCN_SETTLE_DUE;
	d.quarantine = NULL;
	d.n_quarantine = 0;
	d.n_problems = 0;
	t.quarantined = 0;
	a = render(&d);
	TU_HAS_NONE(a, "class=\"banner\"", "<div class=\"card bad\" data-quarantined-rows");
	TU_HAS_ALL(a, "<div class=\"card ok\" data-quarantined-rows=\"0\" data-rejected-files=\"0\">");
	free(a);
}

/* A finding's row says where to look it up and what to do: channel
 * transaction id, both statuses, fees (in the fee table), trade time,
 * due_by, action and source; an urgent one is marked. */
static void test_columns(void **state)
{
	(void)state;
	rcn_finding f[2] = {finding(RCN_K_FEE_MISMATCH, "DEMO-P008", 20000, 20000),
			    finding(RCN_K_DOUBLE_CHARGE, "DEMO-P006", 4000, 4000)};
	f[0].channel_txn_id = "4200001234202603021000000008";
	f[0].has_expected_fee = f[0].has_channel_fee = true;
	f[0].expected_fee = 120000;
	f[0].channel_fee = 200000;
	f[0].trade_time = "2026-03-02 13:14:15";
	f[0].source = "wechat_1900000109_20260302.csv:11";
	f[1].channel_txn_id = "4200001234202603021000000062";
	f[1].due_by = 20514; /* 2026-03-02 */
	f[1].urgent = true;
	f[1].action_cn = "立即退还重复扣款 <X>";
	const rcn_finding *fp[2] = {&f[1], &f[0]}; /* in report order (rcn_report_data): by kind */
	rcn_report_data d = {.findings = fp, .n_findings = 2};
	char *a = render(&d);
	TU_HAS_ALL(
		a, "<th>渠道交易号<br><span class=\"muted\">channel_txn_id</span></th>",
		"<th>处理期限<br><span class=\"muted\">due_by</span></th>",
		"<th>处理建议<br><span class=\"muted\">action</span></th>",
		"<th>规则手续费<br><span class=\"muted\">expected fee</span></th>",
		"<tr data-urgent=\"no\"><td>手续费不符<br><span class=\"muted\">FEE_MISMATCH</span></td><td>wechat</td>"
		"<td>1900000109</td><td>DEMO-P008</td><td></td><td>4200001234202603021000000008</td>"
		"<td>amount differs</td><td>PAID</td><td>SUCCESS</td><td class=\"n\">200.00</td>"
		"<td class=\"n\">200.00</td>", /* the difference between: rcn_finding_difference's */
		"<td class=\"n\">1.20000</td>"
		"<td class=\"n\">2.00000</td><td>2026-03-02 13:14:15</td><td></td><td></td>"
		"<td>wechat_1900000109_20260302.csv:11</td>",
		"<tr class=\"urgent\" data-urgent=\"yes\"><td>重复扣款<br><span class=\"muted\">DOUBLE_CHARGE</span>"
		"<br><span class=\"tag\">紧急 urgent</span></td>",
		"<td>4200001234202603021000000062</td>", "<td>2026-03-02</td><td>立即退还重复扣款 &lt;X&gt;</td>");
	free(a);
}

/* Short and over apart, signed: +30 and -20 are never 50; fees expected
 * against charged; the definition of difference is on the page. */
static void test_signed(void **state)
{
	(void)state;
	rcn_finding f[5] = {finding(RCN_K_SHORT_PAYMENT, "S1", 10000, 9000),
			    finding(RCN_K_SHORT_PAYMENT, "S2", 5100, 5050), finding(RCN_K_OVERPAYMENT, "O1", 100, 300),
			    finding(RCN_K_STATUS_MISMATCH, "T1", 3000, 6000),
			    finding(RCN_K_STATUS_MISMATCH, "T2", 4000, 2000)};
	const rcn_finding *fp[5] = {&f[0], &f[1], &f[2], &f[3], &f[4]};
	rcn_tally t = {.channel = "wechat",
		       .merchant_id = "1900000109",
		       .side = RCN_SIDE_CHANNEL,
		       .has_expected_fee = true,
		       .expected_fee = 292000,
		       .channel_fee = 372000};
	rcn_report_data d = {.findings = fp, .n_findings = 5, .tallies = &t, .n_tallies = 1};
	char *a = render(&d);
	TU_HAS_ALL(a, "data-short-total=\"-1050\"", "短款合计 short payments<b class=\"bad\">-10.50</b>",
		   "data-over-total=\"200\"", "长款合计 overpayments<b class=\"bad\">+2.00</b>",
		   "data-kind=\"SHORT_PAYMENT\" data-series=\"negative\" data-value=\"-1050\"",
		   "data-kind=\"OVERPAYMENT\" data-series=\"positive\" data-value=\"200\"",
		   "data-kind=\"STATUS_MISMATCH\" data-series=\"negative\" data-value=\"-2000\"",
		   "data-kind=\"STATUS_MISMATCH\" data-series=\"positive\" data-value=\"3000\"",
		   "data-series=\"expected\" data-value=\"292000\"", "data-series=\"charged\" data-value=\"372000\"",
		   "id=\"difference-note\"", "手续费不符 FEE_MISMATCH：渠道手续费 − 规则手续费",
		   "结算不符 SETTLEMENT_MISMATCH：到账 − 应结");
	TU_HAS_NONE(a, "|difference|", "50.00");
	free(a);
}

/* The settlement section: every settlement of the report, status in Chinese. */
static void test_settlement(void **state)
{
	(void)state;
	rcn_settlement s[2] = {{.channel = "wechat",
				.merchant_id = "1900000109",
				.cycle = "T+1",
				.business_date = 20514,
				.due_date = 20515,
				.amount = {15000, 0, 90000, 14910},
				.status = RCN_SETTLE_LATE,
				.has_settled = true,
				.settled_fen = 14910,
				.settled_on = 20516,
				.detail = "due 2026-03-03, arrived 1 day(s) late"},
			       {.channel = "wechat",
				.merchant_id = "1900000109",
				.cycle = "T+1",
				.business_date = 20515,
				.due_date = 20516,
				.amount = {2000, 0, 12000, 1988},
				.status = RCN_SETTLE_AMOUNT,
				.has_settled = true,
				.settled_fen = 1900,
				.settled_on = 20516}};
	rcn_report_data d = {.settlements = s, .n_settlements = 2};
	char *a = render(&d);
	TU_HAS_ALL(a, "<table class=\"settlement\" data-count=\"2\">",
		   "<tr data-status=\"late\"><td>2026-03-02</td><td>wechat</td><td>1900000109</td><td>T+1</td>"
		   "<td class=\"n\">150.00</td><td class=\"n\">0.00</td><td class=\"n\">0.90000</td>"
		   "<td class=\"n\">149.10</td><td>2026-03-03</td><td class=\"bad\">逾期到账<br><span "
		   "class=\"muted\">late</span></td><td class=\"n\">149.10</td><td>2026-03-04</td>"
		   "<td class=\"n\">0.00</td><td>due 2026-03-03, arrived 1 day(s) late</td></tr>",
		   "<tr data-status=\"amount\">", "金额不符<br><span class=\"muted\">amount</span>",
		   "<td class=\"n\">-0.88</td>");
	free(a);
	d.n_settlements = 0;
	a = render(&d);
	TU_HAS_ALL(a, "<table class=\"settlement\" data-count=\"0\">");
	free(a);
}

#define TD_N(v) "<td class=\"n\">" v "</td>"

/* 未结差异 Open items, after the finding tables and before settlement: the
 * counts and amounts, a row per kind and a total by age band, the items in
 * the book's order (overdue first, marked), escaped; an empty book one line;
 * past 1000 items, how many more open_items.csv has. */
static void test_open_items(void **state)
{
	(void)state;
	rcn_open_item items[4];
	rcn_open_book book;
	fixture_book(&book, items);
	items[3].note = "<b>见邮件</b>";
	rcn_report_data d = {.book = &book};
	char *a = render(&d);
	TU_HAS_ALL(
		a, "<h2 id=\"open-items\">未结差异 Open items</h2>",
		"data-open=\"4\" data-open-amount=\"251001\" data-overdue=\"1\" data-overdue-amount=\"1000\">"
		"未结 4 条，金额 2510.01 元；其中<span class=\"bad\">逾期 1 条，金额 10.00 元</span> — 4 open item(s), "
		"2510.01 yuan; 1 overdue, 10.00 yuan",
		/* age bands 0–3, 4–7, 8–30, >30, then the total: count and amount each */
		"<tr data-kind=\"SHORT_PAYMENT\"><td>短款<br><span class=\"muted\">SHORT_PAYMENT</span></td>" TD_N("0")
			TD_N("0.00") TD_N("1") TD_N("10.00") TD_N("0") TD_N("0.00") TD_N("0") TD_N("0.00") TD_N("1")
				TD_N("10.00") "</tr>",
		"<tr data-kind=\"DOUBLE_CHARGE\"><td>重复扣款<br><span class=\"muted\">DOUBLE_CHARGE</span></td>" TD_N(
			"0") TD_N("0.00") TD_N("0") TD_N("0.00") TD_N("0") TD_N("0.00") TD_N("1") TD_N("2500.00")
			TD_N("1") TD_N("2500.00") "</tr>",
		"<tr class=\"total\"><td>合计 total</td>" TD_N("1") TD_N("0.01") TD_N("2") TD_N("10.00") TD_N("0")
			TD_N("0.00") TD_N("1") TD_N("2500.00") TD_N("4") TD_N("2510.01") "</tr>",
		"<table class=\"open-items\" data-count=\"4\">",
		"<tr class=\"urgent\" data-id=\"00014\" data-overdue=\"yes\" "
		"data-status=\"acknowledged\"><td>00014</td>",
		"<td>2026-02-27<br><span class=\"tag\">逾期 overdue</span></td><td>处理中<br><span "
		"class=\"muted\">acknowledged</span></td><td>张三</td><td>已联系渠道, 等回复</td>",
		"<td class=\"n\">0.00600</td>", /* a fee's difference on the fee scale */
		"待审批 awaiting approval: written_off (asked by alice)", "<td>&lt;b&gt;见邮件&lt;/b&gt;</td>");
	const char *order[] = {"data-id=\"00014\"", "data-id=\"00028\"", "data-id=\"0003C\"", "data-id=\"0004G\""};
	for (size_t i = 1; i < 4; i++)
		assert_true(strstr(a, order[i - 1]) < strstr(a, order[i]));
	assert_true(strstr(a, "差异明细 Discrepancies by kind") < strstr(a, "未结差异 Open items"));
	assert_true(strstr(a, "未结差异 Open items") < strstr(a, "<h2>结算 Settlement</h2>"));
	TU_HAS_NONE(a, "<b>见邮件", "没有未结差异", "class=\"more\"", "|difference|");
	free(a);

	d.book = NULL;
	a = render(&d);
	TU_HAS_ALL(a, "<h2 id=\"open-items\">未结差异 Open items</h2>\n<p class=\"ok\" data-open=\"0\" "
		      "data-overdue=\"0\">没有未结差异 No open items</p>\n");
	TU_HAS_NONE(a, "open-ages", "class=\"open-items\"");
	free(a);

	static rcn_open_item many[1003];
	for (size_t i = 0; i < 1003; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%05zu", i);
		many[i] = fixture_item(id, RCN_K_SHORT_PAYMENT, "amount", "ORD");
	}
	book.items = many, book.n = 1003;
	d.book = &book;
	a = render(&d);
	TU_HAS_ALL(
		a, "data-id=\"00999\"",
		"<tr class=\"more\" data-more=\"3\"><td colspan=\"14\">另有 3 条，见 "
		"open_items.csv 与工作簿 — 3 more items: every item is in open_items.csv and the workbook</td></tr>");
	TU_HAS_NONE(a, "data-id=\"01000\"");
	free(a);
}

RCN_TEST_MAIN(cmocka_unit_test(test_escape), cmocka_unit_test(test_page), cmocka_unit_test(test_long_kind),
	      cmocka_unit_test(test_empty), cmocka_unit_test(test_banner), cmocka_unit_test(test_columns),
	      cmocka_unit_test(test_signed), cmocka_unit_test(test_settlement), cmocka_unit_test(test_open_items))
