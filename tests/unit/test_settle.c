/* Settlement cycles on the shipped rules/settlement.csv and rules/calendar/cn.csv
 * with real dates (the 2025 National Day and its 调休 Saturday), the net amount
 * with its fee rounding, rule lookup, and file:line for every CSV mistake. */
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

#include "recon/settle.h"

#define RULES	     FIXTURES_DIR "/../rules/"
#define SETTLEMENT   RULES "settlement.csv"
#define CALENDAR_CSV RULES "calendar/cn.csv"

static rcn_calendar *cn;
static rcn_settle_rules *shipped;

static int load_shipped(void **state)
{
	rcn_err err;
	(void)state;
	rcn_rc rc = rcn_calendar_load(&cn, CALENDAR_CSV, &err);
	if (rc == RCN_OK)
		rc = rcn_settle_rules_load(&shipped, SETTLEMENT, &err);
	return tu_setup_loaded(rc, &err);
}

static int free_shipped(void **state)
{
	(void)state;
	rcn_settle_rules_free(shipped);
	rcn_calendar_free(cn);
	return 0;
}

static rcn_date day(const char *iso)
{
	rcn_date d;
	rcn_err err;
	assert_int_equal(rcn_date_parse(&d, iso, strlen(iso), &err), RCN_OK);
	return d;
}

/* The due date of business date iso under rule as "YYYY-MM-DD", or the error message. */
static const char *due_on(const rcn_settle_rule *rule, const rcn_calendar *cal, const char *iso)
{
	static char out[600];
	rcn_date end = -1;
	rcn_err err;
	rcn_err_clear(&err);
	if (rcn_settle_due(rule, cal, day(iso), &end, &err) == RCN_OK) {
		char buf[11];
		snprintf(out, sizeof(out), "%s", rcn_date_format(buf, end));
	} else {
		assert_int_equal(err.code, RCN_EUSAGE);
		assert_string_equal(err.file, "");
		assert_int_equal(end, -1); /* *out untouched */
		snprintf(out, sizeof(out), "%s", err.msg);
	}
	return out;
}

static const char *due(const rcn_settle_rule *rule, const char *iso)
{
	return due_on(rule, cn, iso);
}

static rcn_settle_rule cycle(bool working_days, int days)
{
	rcn_settle_rule r = {.channel = "wechat", .merchant = "*", .working_days = working_days, .days = days};
	return r;
}

static const rcn_settle_rule *find(const char *channel, const char *merchant)
{
	return rcn_settle_rules_find(shipped, channel, merchant);
}

/* The shipped defaults (T+1 for every merchant of the three channels) and one
 * example row of each other cycle of FORMATS.md §6. */
static void test_shipped_rules(void **state)
{
	(void)state;
	const rcn_settle_rule *r = find("wechat", "1900000109");
	assert_non_null(r);
	assert_string_equal(r->channel, "wechat");
	assert_string_equal(r->merchant, "*");
	assert_true(r->working_days);
	assert_int_equal(r->days, 1);
	assert_int_equal(r->line, 15);
	assert_int_equal(find("alipay", "2088000000000001")->line, 16);
	assert_int_equal(find("unionpay", "898111148990001")->line, 17);

	r = find("wechat", "1900000301"); /* 20–300 users */
	assert_true(r->working_days);
	assert_int_equal(r->days, 7);
	assert_int_equal(r->line, 20);
	r = find("wechat", "1900000302"); /* new merchant */
	assert_true(r->working_days);
	assert_int_equal(r->days, 14);
	r = find("alipay", "2088000000000303"); /* cross-border */
	assert_string_equal(r->merchant, "2088000000000303");
	assert_true(r->working_days);
	assert_int_equal(r->days, 3);
	r = find("unionpay", "898111148990304");
	assert_false(r->working_days);
	assert_int_equal(r->days, 1);

	/* a merchant rule belongs to its channel only */
	assert_string_equal(find("alipay", "1900000301")->merchant, "*");
	/* no merchant id: the channel's rule; a channel without rules: NULL (T+1) */
	assert_int_equal(find("wechat", NULL)->line, 15);
	assert_int_equal(find("wechat", "")->line, 15);
	assert_null(find("saobei", "1900000301"));
	assert_null(find(NULL, "1900000301"));
	assert_null(rcn_settle_rules_find(NULL, "wechat", "*"));
}

/* 2025.json: 国庆节、中秋节 off Wed 10-01..Wed 10-08; Sun 09-28 and Sat 10-11
 * worked (调休). Tue 09-30 is the last working day before the holiday. */
static void test_national_day_2025(void **state)
{
	(void)state;
	assert_string_equal(due(NULL, "2025-09-30"), "2025-10-09"); /* no rule: T+1 */
	assert_string_equal(due(find("wechat", "1900000109"), "2025-09-30"), "2025-10-09");
	assert_string_equal(due(find("alipay", "2088000000000303"), "2025-09-30"), "2025-10-11");
	/* T+7: 10-09, 10-10, 10-11 (调休 Sat), 10-13, 10-14, 10-15, 10-16 */
	assert_string_equal(due(find("wechat", "1900000301"), "2025-09-30"), "2025-10-16");
	/* T+14: ... 10-17, 10-20, 10-21, 10-22, 10-23, 10-24, 10-27 */
	assert_string_equal(due(find("wechat", "1900000302"), "2025-09-30"), "2025-10-27");
	/* T+7 from inside the holiday counts from 10-09 as well */
	assert_string_equal(due(find("wechat", "1900000301"), "2025-10-03"), "2025-10-16");
	/* Mon 09-29 is T+1 of the 调休 Sunday 09-28 and T+7 crosses the holiday */
	assert_string_equal(due(NULL, "2025-09-28"), "2025-09-29");
	assert_string_equal(due(find("wechat", "1900000301"), "2025-09-26"), "2025-10-13");

	/* D+1 never reads the calendar: the first day of the holiday */
	assert_string_equal(due(find("unionpay", "898111148990304"), "2025-09-30"), "2025-10-01");
	rcn_settle_rule d7 = cycle(false, 7);
	assert_string_equal(due(&d7, "2025-09-30"), "2025-10-07");

	/* T+0: the day itself when it is a working day, else the next one */
	rcn_settle_rule t0 = cycle(true, 0);
	assert_string_equal(due(&t0, "2025-09-30"), "2025-09-30");
	assert_string_equal(due(&t0, "2025-10-01"), "2025-10-09");
	assert_string_equal(due(&t0, "2025-10-08"), "2025-10-09");
	rcn_settle_rule d0 = cycle(false, 0);
	assert_string_equal(due(&d0, "2025-10-01"), "2025-10-01");
}

/* Sat 2025-10-11 is a 调休 working day: a business date of its own, and the T+1 of Friday 10-10. */
static void test_adjusted_saturday(void **state)
{
	(void)state;
	assert_true(rcn_calendar_is_workday(cn, day("2025-10-11")));
	assert_string_equal(due(NULL, "2025-10-10"), "2025-10-11");
	assert_string_equal(due(NULL, "2025-10-11"), "2025-10-13"); /* Sun 10-12 is an ordinary weekend */
	rcn_settle_rule t0 = cycle(true, 0);
	assert_string_equal(due(&t0, "2025-10-11"), "2025-10-11");
	rcn_settle_rule t2 = cycle(true, 2);
	assert_string_equal(due(&t2, "2025-10-10"), "2025-10-13");
	/* an ordinary Friday: the weekend is skipped */
	assert_string_equal(due(NULL, "2025-10-17"), "2025-10-20");
	/* D+1 of Fri 10-10 is the Saturday too, D+2 the Sunday */
	rcn_settle_rule d2 = cycle(false, 2);
	assert_string_equal(due(&d2, "2025-10-10"), "2025-10-12");
}

static void test_beyond_the_calendar(void **state)
{
	(void)state;
	/* Thu 2026-12-31 is covered; the walk leaves 2026 and 2027 has no holiday file */
	assert_string_equal(due(NULL, "2026-12-31"),
			    "T+1 of 2026-12-31: the calendar has no data for 2027: add its holiday file");
	assert_string_equal(due(find("wechat", "1900000302"), "2026-12-20"),
			    "T+14 of 2026-12-20: the calendar has no data for 2027: add its holiday file");
	assert_string_equal(due(NULL, "2022-09-30"),
			    "T+1 of 2022-09-30: the calendar has no data for 2022: add its holiday file");
	rcn_settle_rule t0 = cycle(true, 0);
	assert_string_equal(due(&t0, "2026-12-31"), "2026-12-31");
	/* natural days need no calendar */
	assert_string_equal(due(find("unionpay", "898111148990304"), "2026-12-31"), "2027-01-01");
	assert_string_equal(due_on(find("unionpay", "898111148990304"), NULL, "2026-12-31"), "2027-01-01");
	assert_string_equal(due_on(NULL, NULL, "2025-09-30"),
			    "T+1 of 2025-09-30 counts working days: no business-day calendar is loaded");
	rcn_settle_rule d60 = cycle(false, 60), neg = cycle(false, -1);
	assert_string_equal(due(&d60, "9999-11-01"), "9999-12-31");
	assert_string_equal(due(&d60, "9999-11-02"), "D+60 of 9999-11-02 is past 9999-12-31");
	assert_string_equal(due(&neg, "2025-09-30"), "D+-1 of 2025-09-30: a cycle cannot be negative");
}

static int64_t net(int64_t payments, int64_t refunds, int64_t fee)
{
	rcn_settle_amount a = {.payments_fen = payments, .refunds_fen = refunds, .fee = fee, .net_fen = -42};
	rcn_settle_amount_compute(&a);
	assert_int_equal(a.payments_fen, payments);
	assert_int_equal(a.refunds_fen, refunds);
	assert_int_equal(a.fee, fee);
	return a.net_fen;
}

/* The fee is in 1e-5 yuan (1000 units a fen), rounded half away from zero once. */
static void test_amount(void **state)
{
	(void)state;
	/* 100.00 paid, 20.00 refunded, fee 1500 units = 1.5 fen -> 2 fen */
	assert_int_equal(net(10000, 2000, 1500), 7998);
	assert_int_equal(net(10000, 2000, 1499), 7999);
	assert_int_equal(net(10000, 2000, 500), 7999);	/* 0.5 fen -> 1 */
	assert_int_equal(net(10000, 2000, 499), 8000);	/* 0.499 fen -> 0 */
	assert_int_equal(net(10000, 2000, 2500), 7997); /* 2.5 fen -> 3, not to even */
	assert_int_equal(net(10000, 2000, 60000), 7940);
	assert_int_equal(net(10000, 2000, 0), 8000);
	/* a fee returned on refunds rounds the same way: -1.5 fen is -2 fen */
	assert_int_equal(net(0, 10000, -1500), -9998);
	assert_int_equal(net(0, 10000, -500), -9999);
	assert_int_equal(net(0, 10000, -499), -10000);
	/* negative nets: refunds and fees above the day's payments */
	assert_int_equal(net(100, 300, 60000), -260);
	assert_int_equal(net(0, 0, 1500), -2);
	assert_int_equal(net(0, 0, 0), 0);
	/* the extremes of int64 stay exact */
	assert_int_equal(net(INT64_MAX, 0, 0), INT64_MAX);
	assert_int_equal(net(INT64_MAX - 5, -5, 0), INT64_MAX);
	assert_int_equal(net(0, 0, INT64_MIN), 9223372036854776); /* 9223372036854775.808 fen */
	assert_int_equal(net(0, 0, INT64_MAX), -9223372036854776);
	assert_int_equal(net(INT64_MIN + 10, 0, -10000), INT64_MIN + 20);
}

/* The settlement rules' loader, for test_util's loads. */
static rcn_rc load_rules(void *out, const char *path, rcn_err *err)
{
	return rcn_settle_rules_load(out, path, err);
}

/* The rule r applies to channel's merchant: from line, cycle T+days
 * (working_days) or D+days. */
static const rcn_settle_rule *expect_rule(const rcn_settle_rules *r, const char *channel, const char *merchant,
					  long line, bool working_days, int days)
{
	const rcn_settle_rule *x = rcn_settle_rules_find(r, channel, merchant);
	assert_non_null(x);
	assert_int_equal(x->line, line);
	assert_int_equal(x->working_days, working_days);
	assert_int_equal(x->days, days);
	return x;
}

static void test_lookup(void **state)
{
	(void)state;
	rcn_settle_rules *r = tu_load_text(load_rules, "channel,merchant,cycle\n"
						       "wechat,*,T+1\n"
						       "wechat,M1,T+7\n"
						       "saobei,M1,D+3\n"
						       "wechat,M2,t+0\n"
						       "alipay,*,D+60\n");
	expect_rule(r, "wechat", "M1", 3, true, 7);
	assert_int_equal(rcn_settle_rules_find(r, "wechat", "M3")->line, 2);
	assert_int_equal(rcn_settle_rules_find(r, "wechat", "m1")->line, 2); /* ids are exact */
	expect_rule(r, "saobei", "M1", 4, false, 3);
	assert_null(rcn_settle_rules_find(r, "saobei", "M2"));
	expect_rule(r, "wechat", "M2", 5, true, 0);
	expect_rule(r, "alipay", "M1", 6, false, 60);
	assert_null(rcn_settle_rules_find(r, "unionpay", "M1"));
	rcn_settle_rules_free(r);

	/* a header alone: no rules, every merchant T+1 */
	r = tu_load_text(load_rules, "# nothing agreed yet\nchannel,merchant,cycle\n");
	assert_null(rcn_settle_rules_find(r, "wechat", "M1"));
	rcn_settle_rules_free(r);
}

/* A file saved by a spreadsheet: BOM, CRLF, columns in another order and case,
 * quoted cells, a trailing empty column and an empty row, no final newline. */
static void test_spreadsheet_file(void **state)
{
	(void)state;
	rcn_settle_rules *r = tu_load_text(load_rules, "\xEF\xBB\xBF"
						       "Cycle,Merchant,CHANNEL,\r\n"
						       "# 商户 comment\r\n"
						       "\"T+7\", \"1900000301\" ,wechat,\r\n"
						       ",,,\r\n"
						       "\r\n"
						       "D+2,*,wechat,");
	const rcn_settle_rule *x = expect_rule(r, "wechat", "1900000301", 3, true, 7);
	assert_string_equal(x->channel, "wechat");
	assert_string_equal(x->merchant, "1900000301");
	expect_rule(r, "wechat", "1900000302", 6, false, 2);
	rcn_settle_rules_free(r);
}

#define HEADER	     "channel,merchant,cycle\n"
#define CYCLE_SYNTAX "(expected T+N for N working days or D+N for N natural days, N from 0 to 60)"

static void test_load_errors(void **state)
{
	(void)state;
	static const tu_load_case cases[] = {
		{"", 0, ": no header line (channel,merchant,cycle)"},
		{"# only comments\n\n", 0, ": no header line (channel,merchant,cycle)"},
		{"# cycles\nchannel,merchant,cycle,note\n", 2,
		 ":2: unknown column 'note' (expected channel, merchant, cycle)"},
		{"channel,merchant,cycle,Channel\n", 1, ":1: column 'channel' appears twice"},
		{"channel,merchant\n", 1, ":1: no 'cycle' column in the header"},
		{"merchant,cycle\n", 1, ":1: no 'channel' column in the header"},
		{HEADER "wechat,*,T+\n", 2, ":2: bad value for 'cycle': 'T+' " CYCLE_SYNTAX},
		{HEADER "wechat,*,X+1\n", 2, ":2: bad value for 'cycle': 'X+1' " CYCLE_SYNTAX},
		{HEADER "wechat,*,T+61\n", 2,
		 ":2: bad value for 'cycle': T+61 is longer than the 60 days recon accepts"},
		{HEADER "wechat,*,d+99\n", 2,
		 ":2: bad value for 'cycle': D+99 is longer than the 60 days recon accepts"},
		{HEADER "wechat,*,T+001\n", 2, ":2: bad value for 'cycle': 'T+001' " CYCLE_SYNTAX},
		{HEADER "wechat,*,T+123456789012\n", 2, ":2: bad value for 'cycle': 'T+123456789012' " CYCLE_SYNTAX},
		{HEADER "wechat,*,T+-1\n", 2, ":2: bad value for 'cycle': 'T+-1' " CYCLE_SYNTAX},
		{HEADER "wechat,*,T1\n", 2, ":2: bad value for 'cycle': 'T1' " CYCLE_SYNTAX},
		{HEADER "wechat,*,T\n", 2, ":2: bad value for 'cycle': 'T' " CYCLE_SYNTAX},
		{HEADER "wechat,*,T+1d\n", 2, ":2: bad value for 'cycle': 'T+1d' " CYCLE_SYNTAX},
		{HEADER "wechat,*,T + 1\n", 2, ":2: bad value for 'cycle': 'T + 1' " CYCLE_SYNTAX},
		{HEADER "wechat,*,\n", 2, ":2: bad value for 'cycle': empty (write T+1 for the next working day)"},
		{HEADER "wechat,*,T+1\n*,*,T+1\n", 3,
		 ":3: bad value for 'channel': '*' is not allowed: a rule names its channel"},
		{HEADER ",*,T+1\n", 2, ":2: bad value for 'channel': empty"},
		{HEADER "we chat,*,T+1\n", 2,
		 ":2: bad value for 'channel': 'we chat' is not a channel name (letters, digits, - and _)"},
		{HEADER "wechat,,T+1\n", 2, ":2: bad value for 'merchant': empty (write * for every merchant)"},
		{HEADER "wechat,1900*,T+1\n", 2,
		 ":2: bad value for 'merchant': '1900*' mixes * with text: write * alone for every merchant"},
		{HEADER "wechat,1234567890123456789012345678901234567890123456789012345678901234,T+1\n", 2,
		 ":2: bad value for 'merchant': longer than 63 bytes"},
		{HEADER "wechat,*\n", 2, ":2: expected 3 fields as in the header, found 2"},
		{HEADER "wechat,*,T+1,x\n", 2, ":2: field 4 ('x') has no column in the header"},
		{HEADER "wechat,\"1900,T+1\n", 2,
		 ":2: a quoted field has no closing quote (a field cannot span lines)"},
		{HEADER "wechat,*,T+1\nunionpay,\xC9\xCC\xBB\xA7,T+1\n", 3,
		 ":3: not UTF-8: save the file as CSV UTF-8"},
		/* duplicates name both lines: the later one first */
		{HEADER "wechat,*,T+1\nalipay,*,T+1\n# changed\nwechat,*,D+1\n", 5,
		 ":5: a second rule for channel 'wechat' and merchant '*' (the first is on line 2)"},
		{HEADER "wechat,A,T+1\nalipay,B,T+1\nalipay,B,T+7\nwechat,A,T+1\n", 4,
		 ":4: a second rule for channel 'alipay' and merchant 'B' (the first is on line 3)"},
		{HEADER "wechat,A,T+1\nwechat,A,T+1\nwechat,A,T+1\n", 3,
		 ":3: a second rule for channel 'wechat' and merchant 'A' (the first is on line 2)"},
	};
	tu_expect_load_errors(load_rules, cases, sizeof(cases) / sizeof(cases[0]));

	long line;
	assert_string_equal(tu_load_error_at(load_rules, RULES "no-such-file.csv", &line),
			    RULES "no-such-file.csv: cannot read settlement rules: No such file or directory");
	assert_int_equal(line, 0);

	/* a line longer than 4096 bytes */
	tu_expect_long_line(load_rules, HEADER "wechat,", 5000, ",T+1\n");
}

RCN_TEST_MAIN_FIXTURE(load_shipped, free_shipped, cmocka_unit_test(test_shipped_rules),
		      cmocka_unit_test(test_national_day_2025), cmocka_unit_test(test_adjusted_saturday),
		      cmocka_unit_test(test_beyond_the_calendar), cmocka_unit_test(test_amount),
		      cmocka_unit_test(test_lookup), cmocka_unit_test(test_spreadsheet_file),
		      cmocka_unit_test(test_load_errors))
