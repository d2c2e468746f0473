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
			       "<tr class=\"more\" data-more=\"3\"><td colspan=\"10\">另有 3 条，见 discrepancies.csv "
			       "与工作簿 — 3 more rows: every row is in discrepancies.csv and the workbook</td></tr>"));
	free(a);
}

RCN_TEST_MAIN(cmocka_unit_test(test_escape), cmocka_unit_test(test_page), cmocka_unit_test(test_long_kind),
	      cmocka_unit_test(test_empty))
