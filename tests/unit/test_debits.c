/* Unit tests of the auto-debit contract rules (src/match/debits.c): each rule
 * at its edge, the billing periods' names across year ends (ISO weeks), the
 * retry state walked from the day's attempts, and the exact 200% average. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "rules/debits.h"

static rcn_date day_of(const char *s)
{
	rcn_date d;
	rcn_err err;
	assert_int_equal(rcn_date_parse(&d, s, strlen(s), &err), RCN_OK);
	return d;
}

static rcn_time time_of(const char *s)
{
	rcn_time t;
	rcn_err err;
	assert_int_equal(rcn_time_parse(&t, s, strlen(s), &err), RCN_OK);
	return t;
}

/* The verdict on a debit of `amount` at `at` (the day being at's date), as
 * "kind reason|detail", or "" when every rule is kept. */
static const char *verdict(const rcn_debit_book *b, const char *id, const char *order_no, const char *at,
			   int64_t amount, long nth)
{
	static char out[400];
	rcn_debit_verdict v;
	int32_t c = rcn_debit_book_find(b, id);
	assert_true(c >= 0);
	rcn_time t = time_of(at);
	rcn_debit d = {.order_no = order_no, .at = t, .amount = amount, .day_flags = rcn_debit_day_flags(b, c, nth)};
	rcn_debit_check(b, rcn_time_date(t), c, &d, &v);
	if (v.kind == RCN_K__COUNT)
		return "";
	snprintf(out, sizeof out, "%s %s|%s", rcn_kind_name(v.kind), v.reason, v.detail);
	return out;
}

static void test_validity(void **state)
{
	(void)state;
	rcn_debit_book *b = rcn_debit_book_new();
	rcn_ledger_contract c = tu_contract("S");
	c.signed_at = "2026-03-10 12:00:00";
	c.expires_at = "2026-03-20 00:00:00";
	rcn_debit_book_add(b, &c);
	assert_string_equal(verdict(b, "S", "o", "2026-03-10 11:59:59", 100, 1),
			    "DEBIT_AFTER_TERMINATION before_signing|contract S signed at 2026-03-10 12:00:00");
	assert_string_equal(verdict(b, "S", "o", "2026-03-10 12:00:00", 100, 1), "");
	assert_string_equal(verdict(b, "S", "o", "2026-03-19 23:59:59", 100, 1), "");
	assert_string_equal(verdict(b, "S", "o", "2026-03-20 00:00:00", 100, 1),
			    "DEBIT_AFTER_TERMINATION after_expiry|contract S expired at 2026-03-20 00:00:00");
	assert_int_equal(rcn_debit_book_find(b, "nope"), -1);
	assert_int_equal(rcn_debit_book_find(b, ""), -1);
	rcn_debit_book_free(b);
}

static void test_periods(void **state)
{
	(void)state;
	static const struct {
		const char *period, *at, *label;
		int per;
		long before, nth;
	} cases[] = {
		{"DAY", "2026-03-10 10:00:00", "2026-03-10", 1, 0, 2},
		{"WEEK", "2026-12-31 10:00:00", "2026-W53", 1, 1, 1}, /* a Thursday */
		{"WEEK", "2027-01-03 10:00:00", "2026-W53", 1, 1, 1}, /* its Sunday */
		{"WEEK", "2027-01-04 10:00:00", "2027-W01", 1, 1, 1},
		{"WEEK", "2024-12-30 10:00:00", "2025-W01", 1, 1, 1},
		{"MONTH", "2026-03-31 23:59:59", "2026-03", 1, 1, 1},
		{"QUARTER", "2026-03-10 10:00:00", "2026-Q1", 1, 1, 1},
		{"QUARTER", "2026-04-01 00:00:00", "2026-Q2", 1, 0, 2},
		{"QUARTER", "2026-12-01 00:00:00", "2026-Q4", 2, 2, 1},
		{"YEAR", "2026-01-01 00:00:00", "2026", 3, 1, 3},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rcn_debit_book *b = rcn_debit_book_new();
		rcn_ledger_contract c = tu_contract("P");
		c.billing_period = cases[i].period;
		c.debits_per_period = cases[i].per;
		c.debits_this_period = cases[i].before;
		rcn_debit_book_add(b, &c);
		char want[200], times[32];
		if (cases[i].per == 1)
			snprintf(times, sizeof times, "once");
		else
			snprintf(times, sizeof times, "%d times", cases[i].per);
		snprintf(want, sizeof want, "DOUBLE_CHARGE contract_period|contract P debited more than %s in %s",
			 times, cases[i].label);
		assert_string_equal(verdict(b, "P", "o", cases[i].at, 100, cases[i].nth), want);
		/* one debit fewer keeps the allowance */
		if (cases[i].nth > 1)
			assert_string_equal(verdict(b, "P", "o", cases[i].at, 100, cases[i].nth - 1), "");
		rcn_debit_book_free(b);
	}
	/* no period: the day's count only (10 unless the contract says) */
	rcn_debit_book *b = rcn_debit_book_new();
	rcn_ledger_contract c = tu_contract("N");
	c.debits_this_period = 50;
	rcn_debit_book_add(b, &c);
	assert_string_equal(verdict(b, "N", "o", "2026-03-10 10:00:00", 100, 10), "");
	assert_string_equal(verdict(b, "N", "o", "2026-03-10 10:00:00", 100, 11),
			    "DEBIT_TOO_FREQUENT per_day|contract N allows 10 debits a day");
	rcn_debit_book_free(b);
}

static void test_retries(void **state)
{
	(void)state;
	rcn_debit_book *b = rcn_debit_book_new();
	/* F: 1 failure before the day, then the day: fail, ok(a1), fail, fail, ok(a2) */
	rcn_debit_attempt day[] = {
		{"f1", time_of("2026-03-10 01:00:00"), true},  {"a1", time_of("2026-03-10 02:00:00"), false},
		{"f2", time_of("2026-03-10 03:00:00"), true},  {"f3", time_of("2026-03-10 05:30:00"), true},
		{"a2", time_of("2026-03-10 07:00:00"), false}, {"f4", time_of("2026-03-10 08:00:00"), true},
	};
	rcn_ledger_contract c = tu_contract("F");
	c.failures_before = 1;
	c.last_attempt_at = time_of("2026-03-09 23:00:00");
	c.last_attempt_failed = true;
	c.max_consecutive_failures = 2;
	c.min_retry_seconds = 5400;
	c.attempts = day;
	c.n_attempts = sizeof day / sizeof day[0];
	rcn_debit_book_add(b, &c);
	assert_string_equal(verdict(b, "F", "a1", "2026-03-10 02:00:00", 100, 1),
			    "DEBIT_TOO_FREQUENT after_failures|contract F debited after 2 consecutive failed attempts "
			    "(it stops after 2)");
	assert_string_equal(verdict(b, "F", "a2", "2026-03-10 07:00:00", 100, 2),
			    "DEBIT_TOO_FREQUENT after_failures|contract F debited after 2 consecutive failed attempts "
			    "(it stops after 2)");
	/* a debit the ledger has no attempt of tonight: no retry rule */
	assert_string_equal(verdict(b, "F", "zz", "2026-03-10 09:00:00", 100, 3), "");

	/* R: the same attempts, 3 failures allowed: the interval decides */
	c.contract_id = "R";
	c.max_consecutive_failures = 3;
	rcn_debit_attempt day_r[] = {
		{"r1", time_of("2026-03-10 00:29:59"), false}, /* 1 h 29 min 59 s after 23:00: too soon */
		{"x1", time_of("2026-03-10 01:00:00"), true},  {"r2", time_of("2026-03-10 02:30:00"), false},
		{"x2", time_of("2026-03-10 03:00:00"), true},  {"r3", time_of("2026-03-11 02:59:59"), false},
	};
	c.attempts = day_r;
	c.n_attempts = sizeof day_r / sizeof day_r[0];
	rcn_debit_book_add(b, &c);
	assert_string_equal(verdict(b, "R", "r1", "2026-03-10 00:29:59", 100, 1),
			    "DEBIT_TOO_FREQUENT retry_interval|contract R retried 1 h 29 min 59 s after the failed "
			    "attempt at 2026-03-09 23:00:00 (at least 1 h 30 min apart)");
	assert_string_equal(verdict(b, "R", "r2", "2026-03-10 02:30:00", 100, 2), ""); /* exactly 1 h 30 min */
	assert_string_equal(verdict(b, "R", "r3", "2026-03-11 02:59:59", 100, 1), ""); /* a day later */
	rcn_debit_book_free(b);

	b = rcn_debit_book_new();
	c.contract_id = "R3";
	c.min_retry_seconds = 90000;
	rcn_debit_book_add(b, &c);
	assert_string_equal(verdict(b, "R3", "r3", "2026-03-11 02:59:59", 100, 1),
			    "DEBIT_TOO_FREQUENT retry_interval|contract R3 retried 23 h 59 min 59 s after the failed "
			    "attempt at 2026-03-10 03:00:00 (at least 1 d 1 h apart)");
	rcn_debit_book_free(b);
}

static void test_average(void **state)
{
	(void)state;
	rcn_debit_book *b = rcn_debit_book_new();
	rcn_ledger_contract c = tu_contract("A");
	c.past_debits = 3;
	c.past_total_fen = 3002; /* 10.0067 yuan on average: 200% is 20.0133 */
	rcn_debit_book_add(b, &c);
	assert_string_equal(verdict(b, "A", "o", "2026-03-10 10:00:00", 2001, 1), "");
	assert_string_equal(verdict(b, "A", "o", "2026-03-10 10:00:00", 2002, 1),
			    "DEBIT_OVER_LIMIT above_average|contract A debited 20.02: above 200% of its average debit "
			    "of 10.01 (3 earlier debits)");
	c.contract_id = "E"; /* exactly 200% is not above */
	c.past_total_fen = 3000;
	rcn_debit_book_add(b, &c);
	assert_string_equal(verdict(b, "E", "o", "2026-03-10 10:00:00", 2000, 1), "");
	c.contract_id = "T"; /* too short a history */
	c.past_debits = 2;
	c.past_total_fen = 2000;
	rcn_debit_book_add(b, &c);
	assert_string_equal(verdict(b, "T", "o", "2026-03-10 10:00:00", 100000, 1), "");
	/* a graver rule wins, the debit still counts as above the average */
	c.contract_id = "L";
	c.past_debits = 4;
	c.past_total_fen = 4000;
	c.has_limit = true;
	c.per_debit_limit_fen = 5000;
	rcn_debit_book_add(b, &c);
	rcn_debit_verdict v;
	rcn_debit d = {.order_no = "o", .at = time_of("2026-03-10 10:00:00"), .amount = 6000};
	rcn_debit_check(b, day_of("2026-03-10"), rcn_debit_book_find(b, "L"), &d, &v);
	assert_string_equal(v.reason, "per_debit_limit");
	assert_true(v.above_average);
	/* and its detail says so: every debit summary.csv counts is listed with its contract */
	assert_string_equal(v.detail, "contract L allows 50.00 a debit; also above 200% of its average debit of 10.00 "
				      "(4 earlier debits)");
	rcn_debit_book_free(b);
}

RCN_TEST_MAIN(cmocka_unit_test(test_validity), cmocka_unit_test(test_periods), cmocka_unit_test(test_retries),
	      cmocka_unit_test(test_average))
