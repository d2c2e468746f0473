/* The settlement check: expected T+N money against what arrived — on time,
 * late, short or not at all, and accounts nothing can vouch for. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <string.h>

#include "recon/settle.h"

#define D(y, m, d) rcn_date_from_ymd(y, m, d)

static rcn_settlement due(rcn_date business, rcn_date due_on, int64_t net)
{
	rcn_settlement s;
	memset(&s, 0, sizeof(s));
	s.channel = "wechat";
	s.merchant_id = "M1";
	s.cycle = "T+1";
	s.business_date = business;
	s.due_date = due_on;
	s.amount.net_fen = net;
	s.status = RCN_SETTLE_DUE;
	return s;
}

static const rcn_settle_arrival *arrival(int64_t fen)
{
	static rcn_settle_arrival a;
	a = (rcn_settle_arrival){"wechat", "M1", fen};
	return &a;
}

static void test_on_time_and_short(void **state)
{
	(void)state;
	rcn_settlement s[1] = {due(D(2026, 3, 2), D(2026, 3, 3), 14910)};
	rcn_settle_check(s, 1, arrival(14910), 1, D(2026, 3, 3), 3);
	assert_int_equal(s[0].status, RCN_SETTLE_SETTLED);
	assert_int_equal(s[0].settled_fen, 14910);

	s[0] = due(D(2026, 3, 2), D(2026, 3, 3), 14910);
	rcn_settle_check(s, 1, arrival(14900), 1, D(2026, 3, 3), 3);
	assert_int_equal(s[0].status, RCN_SETTLE_AMOUNT);
	assert_string_equal(s[0].detail, "149.00 credited on 2026-03-03, 149.10 expected");
}

static void test_late_and_missing(void **state)
{
	(void)state;
	/* nothing on the due date: still due; the next day it comes with the next one */
	rcn_settlement s[2] = {due(D(2026, 3, 2), D(2026, 3, 3), 14910), due(D(2026, 3, 3), D(2026, 3, 4), 1988)};
	rcn_settle_check(s, 1, arrival(0), 1, D(2026, 3, 3), 3);
	assert_int_equal(s[0].status, RCN_SETTLE_DUE);
	rcn_settle_check(s, 2, arrival(14910 + 1988), 1, D(2026, 3, 4), 3);
	assert_int_equal(s[0].status, RCN_SETTLE_LATE);
	assert_string_equal(s[0].detail, "due 2026-03-03, arrived 1 day(s) late");
	assert_int_equal(s[1].status, RCN_SETTLE_SETTLED);

	/* only the overdue one comes: late; today's waits */
	s[0] = due(D(2026, 3, 2), D(2026, 3, 3), 14910);
	s[1] = due(D(2026, 3, 3), D(2026, 3, 4), 1988);
	rcn_settle_check(s, 2, arrival(14910), 1, D(2026, 3, 4), 3);
	assert_int_equal(s[0].status, RCN_SETTLE_LATE);
	assert_int_equal(s[1].status, RCN_SETTLE_DUE);

	/* never comes: missing once the carry-over days have passed */
	s[0] = due(D(2026, 3, 2), D(2026, 3, 3), 14910);
	rcn_settle_check(s, 1, arrival(0), 1, D(2026, 3, 5), 3);
	assert_int_equal(s[0].status, RCN_SETTLE_DUE);
	rcn_settle_check(s, 1, arrival(0), 1, D(2026, 3, 6), 3);
	assert_int_equal(s[0].status, RCN_SETTLE_MISSING);
	assert_string_equal(s[0].detail, "due 2026-03-03, nothing arrived by 2026-03-06");
}

static void test_no_flow_no_verdict(void **state)
{
	(void)state;
	/* an account whose fund flow did not come tonight is neither settled nor missing */
	rcn_settlement s[1] = {due(D(2026, 3, 2), D(2026, 3, 3), 14910)};
	rcn_settle_check(s, 1, NULL, 0, D(2026, 3, 9), 3);
	assert_int_equal(s[0].status, RCN_SETTLE_DUE);
	assert_string_equal(rcn_settle_status_name(RCN_SETTLE_UNVERIFIED), "unverified");
	rcn_settle_status st;
	assert_true(rcn_settle_status_parse("late", &st));
	assert_int_equal(st, RCN_SETTLE_LATE);
	assert_false(rcn_settle_status_parse("paid", &st));
}

RCN_TEST_MAIN(cmocka_unit_test(test_on_time_and_short), cmocka_unit_test(test_late_and_missing),
	      cmocka_unit_test(test_no_flow_no_verdict))
