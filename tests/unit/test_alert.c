/* The alert's body carries the night's problems (issue 16 item 21): in the
 * JSON document as an array, in the robots' markdown under the totals (before
 * anything md_cap could cut) and in the title. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"

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

RCN_TEST_MAIN(cmocka_unit_test(test_json_lists_problems), cmocka_unit_test(test_markdown_puts_problems_first))
