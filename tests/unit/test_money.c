/* Money and date parsing: exact values and exact error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <string.h>

#include "recon/date.h"
#include "recon/money.h"

static int64_t parse_ok(const char *s, int scale)
{
	int64_t v = -12345;
	rcn_err err;
	assert_int_equal(rcn_money_parse(&v, s, strlen(s), scale, &err), RCN_OK);
	return v;
}

static const char *parse_err(const char *s, int scale)
{
	static rcn_err err;
	int64_t v = 777;
	assert_int_equal(rcn_money_parse(&v, s, strlen(s), scale, &err), RCN_EFORMAT);
	assert_int_equal(v, 777); /* untouched on failure */
	return err.msg;
}

/* An amount's text and scale, and what rcn_money_parse makes of it: the
 * value, or (msg not NULL) the error message, the value untouched. */
typedef struct {
	const char *text;
	int scale;
	int64_t value;
	const char *msg;
} amount_case;

static void expect_amounts(const amount_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cases[i].msg)
			assert_string_equal(parse_err(cases[i].text, cases[i].scale), cases[i].msg);
		else
			assert_int_equal(parse_ok(cases[i].text, cases[i].scale), cases[i].value);
	}
}

static void test_money_values(void **state)
{
	(void)state;
	static const amount_case cases[] = {
		{"12.30", 2, 1230, NULL},
		{"0.01", 2, 1, NULL},
		{"6", 2, 600, NULL},
		{"0.0", 2, 0, NULL},
		{"-0.27000", 5, -27000, NULL},
		{"0.04000", 5, 4000, NULL},
		{"92233720368547758.07", 2, INT64_MAX, NULL},
		{"9223372036854775807", 0, INT64_MAX, NULL},
		{"-9223372036854775807", 0, -INT64_MAX, NULL},
		{"000000000000000000000012.5", 1, 125, NULL},	     /* leading zeros are digits too */
		{"999999999999999999", 0, 999999999999999999, NULL}, /* 18 digits, unchecked */
	};
	expect_amounts(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_money_errors(void **state)
{
	(void)state;
	assert_string_equal(parse_err("", 2), "invalid amount \"\": empty");
	assert_string_equal(parse_err("12.3.4", 2), "invalid amount \"12.3.4\": more than one decimal point");
	assert_string_equal(parse_err("1e5", 2), "invalid amount \"1e5\": unexpected 'e'");
	assert_string_equal(parse_err("1.234", 2), "invalid amount \"1.234\": more than 2 decimals");
	assert_string_equal(parse_err("92233720368547758.08", 2), "invalid amount \"92233720368547758.08\": too large");
	assert_string_equal(parse_err("99999999999999999999", 2), "invalid amount \"99999999999999999999\": too large");
	assert_string_equal(parse_err("9223372036854775808", 0), "invalid amount \"9223372036854775808\": too large");
	assert_string_equal(parse_err("1000000000000000000.0", 0),
			    "invalid amount \"1000000000000000000.0\": more than 0 decimals");
	assert_string_equal(parse_err("+1", 2), "invalid amount \"+1\": unexpected '+'");
	assert_string_equal(parse_err(" 1", 2), "invalid amount \" 1\": unexpected ' '");
	assert_string_equal(parse_err("-", 2), "invalid amount \"-\": no digits");
	assert_string_equal(parse_err(".", 2), "invalid amount \".\": no digits");
}

/* Amounts of at most 18 characters take one fast pass; these sit on its
 * edges, where the answer must be the checked path's. */
static void test_money_fast_path_edges(void **state)
{
	(void)state;
	static const amount_case cases[] = {
		{"12.", 2, 1200, NULL},
		{".5", 2, 50, NULL},
		{"-.5", 2, -50, NULL},
		{"-0", 2, 0, NULL},
		{"123456789012345.67", 2, 12345678901234567, NULL}, /* 18 characters */
		{"9999999999999.9999", 5, 999999999999999990, NULL},
		{"92233720368547758", 2, 9223372036854775800, NULL}, /* 17 digits, scaled to the edge */
		{"999999999999999.99", 5, 0, "invalid amount \"999999999999999.99\": too large"},
		{"999999999999999999", 2, 0, "invalid amount \"999999999999999999\": too large"},
		{"92233720368547759", 2, 0, "invalid amount \"92233720368547759\": too large"},
		{"1.2.3", 2, 0, "invalid amount \"1.2.3\": more than one decimal point"},
		{"1.-2", 2, 0, "invalid amount \"1.-2\": unexpected '-'"},
		{"--1", 2, 0, "invalid amount \"--1\": unexpected '-'"},
		{"0.001", 2, 0, "invalid amount \"0.001\": more than 2 decimals"},
		{"-.", 2, 0, "invalid amount \"-.\": no digits"},
		/* input is quoted escaped, whole characters only: the message stays valid UTF-8 */
		{"1\x80", 2, 0, "invalid amount \"1\\x80\": unexpected '\\x80'"},
		{"5\xe5\x85\x83", 2, 0, "invalid amount \"5\xe5\x85\x83\": unexpected '\xe5\x85\x83'"},
		{"1\x1b[2J", 2, 0, "invalid amount \"1\\x1b[2J\": unexpected '\\x1b'"},
		/* zeros, the quick way and not: the same answers as any other amount */
		{"0", 2, 0, NULL},
		{"0.", 2, 0, NULL},
		{"0.00", 2, 0, NULL},
		{"0.00000", 5, 0, NULL},
		{"0.05", 2, 5, NULL},
		{"0.10", 2, 10, NULL},
		{"00", 2, 0, NULL},
		{"0.000", 2, 0, "invalid amount \"0.000\": more than 2 decimals"},
		{"0.0", 0, 0, "invalid amount \"0.0\": more than 0 decimals"},
		{"0.0x", 2, 0, "invalid amount \"0.0x\": unexpected 'x'"},
		{"0..", 2, 0, "invalid amount \"0..\": more than one decimal point"},
	};
	expect_amounts(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_money_format(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(rcn_money_format(buf, sizeof(buf), 1230, 2), "12.30");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), -5, 2), "-0.05");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), 0, 2), "0.00");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), -27000, 5), "-0.27000");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), 7, 0), "7");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), 0, 0), "0");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), -120, 0), "-120");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), 100000, 5), "1.00000");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), 123456789012, 2), "1234567890.12");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), INT64_MAX, 2), "92233720368547758.07");
	assert_string_equal(rcn_money_format(buf, sizeof(buf), INT64_MIN, 2), "-92233720368547758.08");
	char small[5];
	assert_string_equal(rcn_money_format(small, sizeof(small), -12345, 2), "-123"); /* cut like snprintf */
	assert_string_equal(rcn_money_format(buf, sizeof(buf), INT64_MIN, 2), "-92233720368547758.08");
}

static void test_rate_and_fee(void **state)
{
	(void)state;
	int64_t ppm;
	rcn_err err;
	assert_int_equal(rcn_rate_parse(&ppm, "0.60%", 5, &err), RCN_OK);
	assert_int_equal(ppm, 6000);
	assert_int_equal(rcn_rate_parse(&ppm, "0.54%", 5, &err), RCN_OK);
	assert_int_equal(ppm, 5400);
	assert_int_equal(rcn_rate_parse(&ppm, "0%", 2, &err), RCN_OK);
	assert_int_equal(ppm, 0);
	assert_int_equal(rcn_rate_parse(&ppm, "0.6", 3, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "invalid rate \"0.6\": expected a percentage like 0.60%");
	assert_int_equal(rcn_rate_parse(&ppm, "101%", 4, &err), RCN_EFORMAT);
	/* half up to the fen: 6.00 * 0.6% = 0.036 -> 0.04; 60.00 * 0.54% = 0.324 -> 0.32 */
	assert_int_equal(rcn_fee_half_up(600, 6000), 4);
	assert_int_equal(rcn_fee_half_up(6000, 5400), 32);
	assert_int_equal(rcn_fee_half_up(-5000, 5400), -27);
	/* exactly half a fen rounds up, just below rounds down: 125 * 0.4% = 0.5 fen */
	assert_int_equal(rcn_fee_half_up(125, 4000), 1);
	assert_int_equal(rcn_fee_half_up(124, 4000), 0);
	assert_int_equal(rcn_fee_half_up(-125, 4000), -1);
}

static void test_dates(void **state)
{
	(void)state;
	rcn_date d;
	rcn_err err;
	char buf[20];
	assert_int_equal(rcn_date_parse(&d, "1970-01-01", 10, &err), RCN_OK);
	assert_int_equal(d, 0);
	assert_int_equal(rcn_date_parse(&d, "2024-02-29", 10, &err), RCN_OK);
	assert_string_equal(rcn_date_format(buf, d), "2024-02-29");
	assert_string_equal(rcn_date_format(buf, d + 1), "2024-03-01");
	assert_int_equal(rcn_date_parse(&d, "2023-02-29", 10, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "invalid date \"2023-02-29\": no such day");
	assert_int_equal(rcn_date_parse(&d, "2026/03/01", 10, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "invalid date \"2026/03/01\": expected YYYY-MM-DD");
	assert_int_equal(rcn_date_parse(&d, "2026-3-1", 8, &err), RCN_EFORMAT);
	/* year boundary */
	assert_int_equal(rcn_date_parse(&d, "2025-12-31", 10, &err), RCN_OK);
	assert_string_equal(rcn_date_format(buf, d + 1), "2026-01-01");
	/* the last good date is remembered: a bad one in between, the same again, another */
	rcn_date first, again, next;
	assert_int_equal(rcn_date_parse(&first, "2026-03-02", 10, &err), RCN_OK);
	assert_int_equal(rcn_date_parse(&d, "2026-02-30", 10, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "invalid date \"2026-02-30\": no such day");
	assert_int_equal(rcn_date_parse(&again, "2026-03-02", 10, &err), RCN_OK);
	assert_int_equal(again, first);
	assert_int_equal(rcn_date_parse(&next, "2026-03-03", 10, &err), RCN_OK);
	assert_int_equal(next, first + 1);
	assert_int_equal(rcn_date_parse(&d, "2026-03-0", 9, &err), RCN_EFORMAT); /* a prefix of the last */
	assert_int_equal(rcn_date_parse(&d, "2026-03-02", 10, &err), RCN_OK);
	assert_int_equal(d, first);
}

/* Every day from 1900 to 2200, and some far away, formats as printf would
 * and parses back (from 1970, the parser's range). */
static void test_date_format_every_day(void **state)
{
	(void)state;
	char got[11], want[16];
	for (rcn_date d = rcn_date_from_ymd(1900, 1, 1); d <= rcn_date_from_ymd(2200, 12, 31); d++) {
		int y, m, dd;
		rcn_date_to_ymd(d, &y, &m, &dd);
		snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, dd);
		assert_string_equal(rcn_date_format(got, d), want);
		rcn_date back;
		if (y >= 1970) {
			assert_int_equal(rcn_date_parse(&back, got, 10, NULL), RCN_OK);
			assert_int_equal(back, d);
		}
	}
	assert_string_equal(rcn_date_format(got, rcn_date_from_ymd(12026, 3, 2)), "2026-03-02"); /* year mod 10000 */
	assert_string_equal(rcn_date_format(got, rcn_date_from_ymd(9999, 12, 31)), "9999-12-31");
	assert_string_equal(rcn_date_format(got, rcn_date_from_ymd(7, 1, 9)), "0007-01-09");
}

static void test_datetimes(void **state)
{
	(void)state;
	char out[20];
	rcn_date d;
	rcn_err err;
	const char *fw = "2014-11-10 16\xEF\xBC\x9A"
			 "33\xEF\xBC\x9A"
			 "45"; /* full-width colons */
	assert_int_equal(rcn_datetime_parse(out, &d, fw, strlen(fw), &err), RCN_OK);
	assert_string_equal(out, "2014-11-10 16:33:45");
	assert_int_equal(rcn_datetime_parse(out, &d, "2026-03-02 23:59:59", 19, &err), RCN_OK);
	assert_int_equal(d, rcn_date_from_ymd(2026, 3, 2));
	assert_int_equal(rcn_datetime_parse(out, &d, "2026-03-02 24:00:00", 19, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "invalid time \"2026-03-02 24:00:00\": expected YYYY-MM-DD HH:MM:SS");
	assert_int_equal(rcn_datetime_parse(out, &d, "2026-03-02", 10, &err), RCN_EFORMAT);
	assert_int_equal(rcn_datetime_parse(out, &d, "2026-03-02 12:00:00x", 20, &err), RCN_EFORMAT);
}

/* Local times as numbers: seconds since 1970 on the zone's clock. */
static void test_times(void **state)
{
	(void)state;
	char out[20];
	rcn_time t;
	rcn_err err;
	assert_int_equal(rcn_time_parse(&t, "2026-03-02 10:00:01", 19, &err), RCN_OK);
	assert_true(t == (int64_t)rcn_date_from_ymd(2026, 3, 2) * 86400 + 36001);
	assert_string_equal(rcn_time_format(out, t), "2026-03-02 10:00:01");
	assert_int_equal(rcn_time_date(t), rcn_date_from_ymd(2026, 3, 2));
	assert_int_equal(rcn_time_date(t - 36002), rcn_date_from_ymd(2026, 3, 1));
	/* before 1970 the date still rounds down */
	assert_int_equal(rcn_time_date(-1), -1);
	assert_string_equal(rcn_time_format(out, -1), "1969-12-31 23:59:59");
	assert_int_equal(rcn_time_date(-86400), -1);
	assert_int_equal(rcn_time_date(-86401), -2);
	assert_string_equal(rcn_time_format(out, RCN_TIME_MIN), "0001-01-01 00:00:00");
	assert_string_equal(rcn_time_format(out, RCN_TIME_MAX), "9999-12-31 23:59:59");
	assert_string_equal(rcn_time_format(out, RCN_NO_TIME), "");
	/* days one after another and back: each time on its own day */
	const char *days[] = {"2026-03-03 00:00:00", "2026-03-02 23:59:59", "2026-02-28 12:00:00",
			      "2026-03-03 00:00:00"};
	const rcn_date want[] = {rcn_date_from_ymd(2026, 3, 3), rcn_date_from_ymd(2026, 3, 2),
				 rcn_date_from_ymd(2026, 2, 28), rcn_date_from_ymd(2026, 3, 3)};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(rcn_time_parse(&t, days[i], 19, &err), RCN_OK);
		assert_int_equal(rcn_time_date(t), want[i]);
		assert_string_equal(rcn_time_format(out, t), days[i]);
	}
	assert_int_equal(rcn_time_parse(&t, "2026-03-02 24:00:00", 19, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "invalid time \"2026-03-02 24:00:00\": expected YYYY-MM-DD HH:MM:SS");
}

RCN_TEST_MAIN(cmocka_unit_test(test_money_values), cmocka_unit_test(test_money_errors),
	      cmocka_unit_test(test_money_fast_path_edges), cmocka_unit_test(test_money_format),
	      cmocka_unit_test(test_rate_and_fee), cmocka_unit_test(test_dates),
	      cmocka_unit_test(test_date_format_every_day), cmocka_unit_test(test_datetimes),
	      cmocka_unit_test(test_times))
