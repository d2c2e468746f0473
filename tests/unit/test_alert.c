/* The alert's body carries the night's problems (issue 16 item 21): in the
 * JSON document as an array, in the robots' markdown under the totals (before
 * anything md_cap could cut) and in the title; and the open book (issue 19). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"

#include "open_book_fixture.h"
#include "recon/alert.h"

static const char PROBLEM[] = "the business-day calendar ends 2026-12-31: 1 settlement(s) of this date fall due "
			      "after it and cannot be checked (first: wechat 1900000109 T+1)";

/* The alert body, in format, of a night on 2026-12-31 whose result lists two
 * problems (PROBLEM and a quoted two-line one) or none; the caller frees it. */
static char *alert_body(const char *format, bool with_problems)
{
	rcn_run_result r;
	memset(&r, 0, sizeof(r));
	r.exit_code = 0;
	if (with_problems) {
		snprintf(r.problems[0], sizeof(r.problems[0]), "%s", PROBLEM);
		snprintf(r.problems[1], sizeof(r.problems[1]), "a \"quoted\"\nsecond");
		r.n_problems = 2;
	}
	rcn_alert_summary s = {.day = rcn_date_from_ymd(2026, 12, 31), .result = &r};
	return rcn_alert_body(&s, format);
}

static void test_json_lists_problems(void **state)
{
	(void)state;
	char *body = alert_body("json", true);
	assert_non_null(strstr(body, "  \"problems\": [\n    \"the business-day calendar ends 2026-12-31: 1 "
				     "settlement(s)"));
	assert_non_null(strstr(body, "T+1)\",\n    \"a \\\"quoted\\\"\\nsecond\"\n  ],\n  \"reports\": null\n}\n"));
	free(body);

	body = alert_body("json", false);
	assert_non_null(strstr(body, "  \"problems\": [],\n"));
	free(body);
}

static void test_markdown_puts_problems_first(void **state)
{
	(void)state;
	char *body = alert_body("wecom", true);
	assert_non_null(strstr(body, "(exit 0) — PROBLEM"));
	assert_non_null(strstr(body, "**Problems**\\n- the business-day calendar ends 2026-12-31"));
	assert_non_null(strstr(body, "- a \\\"quoted\\\" second\\n"));
	free(body);

	body = alert_body("dingtalk", false);
	assert_null(strstr(body, "PROBLEM"));
	assert_null(strstr(body, "Problems"));
	free(body);
}

/* The open book's counts and amounts (sums of |difference|, a fee's rounded
 * to the fen), all and overdue, in total and per kind; null without a book. */
static void test_open_items(void **state)
{
	(void)state;
	rcn_open_item items[4];
	rcn_open_book book;
	fixture_book(&book, items);
	rcn_run_result r;
	memset(&r, 0, sizeof(r));
	r.exit_code = 1;
	rcn_alert_summary s = {.day = rcn_date_from_ymd(2026, 3, 2), .result = &r, .book = &book};
	char *body = rcn_alert_body(&s, "json");
	assert_non_null(strstr(
		body,
		"  \"channels\": [],\n  \"open_items\": {\"open\": 4, \"open_amount\": \"2510.01\", \"overdue\": 1, "
		"\"overdue_amount\": \"10.00\", \"kinds\": [\n"
		"      {\"kind\": \"SHORT_PAYMENT\", \"kind_cn\": \"短款\", \"open\": 1, \"open_amount\": \"10.00\", "
		"\"overdue\": 1, \"overdue_amount\": \"10.00\"},\n"
		"      {\"kind\": \"DOUBLE_CHARGE\", \"kind_cn\": \"重复扣款\", \"open\": 1, \"open_amount\": "
		"\"2500.00\", "
		"\"overdue\": 0, \"overdue_amount\": \"0.00\"},\n"
		"      {\"kind\": \"FEE_MISMATCH\", \"kind_cn\": \"手续费不符\", \"open\": 1, \"open_amount\": "
		"\"0.01\", "
		"\"overdue\": 0, \"overdue_amount\": \"0.00\"},\n"
		"      {\"kind\": \"DUPLICATE_RECORD\", \"kind_cn\": \"重复记录\", \"open\": 1, \"open_amount\": "
		"\"0.00\", "
		"\"overdue\": 0, \"overdue_amount\": \"0.00\"}\n  ]},\n  \"failed_files\": ["));
	free(body);
	body = rcn_alert_body(&s, "wecom");
	assert_non_null(strstr(body, "\\n> 未结差异 open items: 4, ¥2510.01; 逾期 overdue: 1, ¥10.00\\n"));
	free(body);

	s.book = NULL;
	body = rcn_alert_body(&s, "json");
	assert_non_null(strstr(body, "  \"channels\": [],\n  \"open_items\": null,\n  \"failed_files\": ["));
	free(body);
	body = rcn_alert_body(&s, "dingtalk");
	assert_null(strstr(body, "open items"));
	free(body);
}

RCN_TEST_MAIN(cmocka_unit_test(test_json_lists_problems), cmocka_unit_test(test_markdown_puts_problems_first),
	      cmocka_unit_test(test_open_items))
