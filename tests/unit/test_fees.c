/* Fee schedules: exact rounding at the half-fen boundaries, minimums, caps, 0%
 * charity, refunds returning fees in proportion, the specificity order on given
 * dates, and a file:line message for every mistake in rules/fees.csv. */
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

#include "recon/fees.h"

#define FEES FIXTURES_DIR "/fees/"

static rcn_fee_rule rule(int64_t ppm, int64_t min_fen, int64_t cap_fen, rcn_rounding rounding, rcn_refund_fee refund)
{
	rcn_fee_rule r;
	rcn_fee_rule_from_rate(&r, "wechat", ppm);
	r.min_fen = min_fen;
	r.cap_fen = cap_fen;
	r.rounding = rounding;
	r.refund = refund;
	return r;
}

static int64_t pay(int64_t ppm, rcn_rounding rounding, int64_t amount)
{
	rcn_fee_rule r = rule(ppm, 0, 0, rounding, RCN_REFUND_FEE_PROPORTIONAL);
	return rcn_fee_payment(&r, amount);
}

static rcn_date day(const char *s)
{
	rcn_date d = 0;
	assert_int_equal(rcn_date_parse(&d, s, strlen(s), NULL), RCN_OK);
	return d;
}

static rcn_fee_rules *load_ok(const char *path)
{
	rcn_fee_rules *r = NULL;
	rcn_err err;
	rcn_err_clear(&err);
	rcn_rc rc = rcn_fee_rules_load(&r, path, &err);
	if (rc != RCN_OK) {
		char buf[1200];
		fail_msg("%s", rcn_err_format(&err, buf, sizeof(buf)));
	}
	assert_non_null(r);
	return r;
}

static void test_half_fen_boundaries(void **state)
{
	(void)state;
	/* 125 fen x 0.4% = 0.5 fen exactly: the tie */
	assert_int_equal(pay(4000, RCN_ROUND_HALF_UP, 125), 1);
	assert_int_equal(pay(4000, RCN_ROUND_HALF_EVEN, 125), 0);
	assert_int_equal(pay(4000, RCN_ROUND_UP, 125), 1);
	assert_int_equal(pay(4000, RCN_ROUND_DOWN, 125), 0);
	/* 375 fen x 0.4% = 1.5 fen: half even goes to the even 2 */
	assert_int_equal(pay(4000, RCN_ROUND_HALF_UP, 375), 2);
	assert_int_equal(pay(4000, RCN_ROUND_HALF_EVEN, 375), 2);
	assert_int_equal(pay(4000, RCN_ROUND_UP, 375), 2);
	assert_int_equal(pay(4000, RCN_ROUND_DOWN, 375), 1);
	/* 124 fen = 0.496 fen and 126 fen = 0.504 fen: just either side of the tie */
	assert_int_equal(pay(4000, RCN_ROUND_HALF_UP, 124), 0);
	assert_int_equal(pay(4000, RCN_ROUND_HALF_EVEN, 124), 0);
	assert_int_equal(pay(4000, RCN_ROUND_UP, 124), 1);
	assert_int_equal(pay(4000, RCN_ROUND_DOWN, 124), 0);
	assert_int_equal(pay(4000, RCN_ROUND_HALF_UP, 126), 1);
	assert_int_equal(pay(4000, RCN_ROUND_HALF_EVEN, 126), 1);
	assert_int_equal(pay(4000, RCN_ROUND_UP, 126), 1);
	assert_int_equal(pay(4000, RCN_ROUND_DOWN, 126), 0);
	/* 0.60%: 12.50 yuan = 7.5 fen (half even 8), 14.25 yuan = 8.55 fen, 2.25 yuan = 1.35 fen */
	assert_int_equal(pay(6000, RCN_ROUND_HALF_UP, 1250), 8);
	assert_int_equal(pay(6000, RCN_ROUND_HALF_EVEN, 1250), 8);
	assert_int_equal(pay(6000, RCN_ROUND_HALF_EVEN, 2083), 12); /* 12.498 */
	assert_int_equal(pay(6000, RCN_ROUND_HALF_UP, 1425), 9);
	assert_int_equal(pay(6000, RCN_ROUND_DOWN, 1425), 8);
	assert_int_equal(pay(6000, RCN_ROUND_UP, 225), 2);
	/* the smallest rate, 0.0001%: 500,000 fen = 0.5 fen, 1,500,000 fen = 1.5 fen */
	assert_int_equal(pay(1, RCN_ROUND_HALF_UP, 500000), 1);
	assert_int_equal(pay(1, RCN_ROUND_HALF_EVEN, 500000), 0);
	assert_int_equal(pay(1, RCN_ROUND_HALF_EVEN, 1500000), 2);
	assert_int_equal(pay(1, RCN_ROUND_HALF_EVEN, 2500000), 2);
	assert_int_equal(pay(1, RCN_ROUND_DOWN, 1500000), 1);
	assert_int_equal(pay(1, RCN_ROUND_UP, 1), 1);
	assert_int_equal(pay(1, RCN_ROUND_HALF_UP, 1), 0);
}

static void test_exact_and_zero(void **state)
{
	(void)state;
	/* no remainder: every mode agrees, "up" adds nothing */
	for (int m = RCN_ROUND_HALF_UP; m <= RCN_ROUND_DOWN; m++) {
		assert_int_equal(pay(6000, (rcn_rounding)m, 2500), 15);
		assert_int_equal(pay(6000, (rcn_rounding)m, 0), 0);
		assert_int_equal(pay(1000000, (rcn_rounding)m, 12345), 12345); /* 100% */
	}
	/* huge amounts are exact: no overflow of amount x rate */
	assert_int_equal(pay(6000, RCN_ROUND_DOWN, INT64_MAX), 55340232221128654LL);
	assert_int_equal(pay(6000, RCN_ROUND_HALF_UP, INT64_MAX), 55340232221128655LL);
	assert_int_equal(pay(1000000, RCN_ROUND_UP, INT64_MAX), INT64_MAX);
	/* either side of amount x rate = 2^64, where the 64-bit division gives way to the 128-bit one */
	const int64_t below = 3074457345618258LL, above = below + 1; /* x 6000: 2^64 - 3616, 2^64 + 2384 */
	for (int64_t a = below; a <= above; a++) {
		assert_int_equal(pay(6000, RCN_ROUND_HALF_UP, a), 18446744073710LL);
		assert_int_equal(pay(6000, RCN_ROUND_HALF_EVEN, a), 18446744073710LL);
		assert_int_equal(pay(6000, RCN_ROUND_UP, a), 18446744073710LL);
		assert_int_equal(pay(6000, RCN_ROUND_DOWN, a), 18446744073709LL);
	}
}

static void test_minimum_and_cap(void **state)
{
	(void)state;
	/* 0.60% with a 0.10-yuan minimum */
	rcn_fee_rule m = rule(6000, 10, 0, RCN_ROUND_HALF_UP, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_payment(&m, 1), 10);
	assert_int_equal(rcn_fee_payment(&m, 100), 10);	 /* 0.6 fen */
	assert_int_equal(rcn_fee_payment(&m, 1583), 10); /* 9.498 fen: under the minimum */
	assert_int_equal(rcn_fee_payment(&m, 1750), 11); /* 10.5 fen */
	assert_int_equal(rcn_fee_payment(&m, 0), 0);	 /* nothing paid, no minimum */
	/* debit card: 0.38% capped at 20.00 yuan */
	rcn_fee_rule c = rule(3800, 0, 2000, RCN_ROUND_HALF_UP, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_payment(&c, 100000), 380);
	assert_int_equal(rcn_fee_payment(&c, 526300), 2000); /* 1999.94 rounds up to the cap */
	assert_int_equal(rcn_fee_payment(&c, 526315), 2000); /* 1999.997 */
	assert_int_equal(rcn_fee_payment(&c, 1000000), 2000);
	assert_int_equal(rcn_fee_payment(&c, 9000000000000LL), 2000);
	c.rounding = RCN_ROUND_DOWN;
	assert_int_equal(rcn_fee_payment(&c, 526300), 1999);
	/* both: the minimum first, then the cap */
	rcn_fee_rule b = rule(6000, 100, 500, RCN_ROUND_HALF_UP, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_payment(&b, 1000), 100);
	assert_int_equal(rcn_fee_payment(&b, 50000), 300);
	assert_int_equal(rcn_fee_payment(&b, 100000), 500);
}

static void test_charity(void **state)
{
	(void)state;
	/* a 0% merchant pays nothing, even with a minimum on a hand-made rule */
	rcn_fee_rule r = rule(0, 10, 0, RCN_ROUND_UP, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_payment(&r, 1), 0);
	assert_int_equal(rcn_fee_payment(&r, 1000000000), 0);
	assert_int_equal(rcn_fee_refund(&r, 500, 1000), 0);
	assert_int_equal(rcn_fee_refund(&r, 500, 0), 0);
}

static void test_refund_proportional(void **state)
{
	(void)state;
	rcn_fee_rule r = rule(6000, 0, 0, RCN_ROUND_HALF_UP, RCN_REFUND_FEE_PROPORTIONAL);
	/* 100.00 yuan: fee 60 fen; 25.00 + 75.00 refunded return 15 + 45 = 60 */
	assert_int_equal(rcn_fee_payment(&r, 10000), 60);
	assert_int_equal(rcn_fee_refund(&r, 2500, 10000), -15);
	assert_int_equal(rcn_fee_refund(&r, 7500, 10000), -45);
	/* 100.01 yuan: fee 60.006 -> 60; 33.33 returns 19.996 -> 20, 66.68 returns 40.004 -> 40: 60 in all */
	assert_int_equal(rcn_fee_payment(&r, 10001), 60);
	assert_int_equal(rcn_fee_refund(&r, 3333, 10001), -20);
	assert_int_equal(rcn_fee_refund(&r, 6668, 10001), -40);
	/* a refund written negative counts the same */
	assert_int_equal(rcn_fee_refund(&r, -3333, 10001), -20);
	/* the whole order, or more, returns exactly the order's fee */
	assert_int_equal(rcn_fee_refund(&r, 10001, 10001), -60);
	assert_int_equal(rcn_fee_refund(&r, 20000, 10001), -60);
	assert_int_equal(rcn_fee_refund(&r, 0, 10001), 0);

	/* Each refund is rounded on its own, as the channel does: 101.50 yuan costs
	 * 60.9 -> 61 fen, and two halves return 30.5 fen each. Half up returns
	 * 31 + 31 = 62 (a fen more than was charged), half even 30 + 30 = 60. */
	assert_int_equal(rcn_fee_payment(&r, 10150), 61);
	assert_int_equal(rcn_fee_refund(&r, 5075, 10150), -31);
	rcn_fee_rule e = rule(6000, 0, 0, RCN_ROUND_HALF_EVEN, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_payment(&e, 10150), 61);
	assert_int_equal(rcn_fee_refund(&e, 5075, 10150), -30);
	rcn_fee_rule d = rule(6000, 0, 0, RCN_ROUND_DOWN, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_payment(&d, 10150), 60);
	assert_int_equal(rcn_fee_refund(&d, 5075, 10150), -30);
	rcn_fee_rule u = rule(6000, 0, 0, RCN_ROUND_UP, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_payment(&u, 10150), 61);
	assert_int_equal(rcn_fee_refund(&u, 5075, 10150), -31);
	assert_int_equal(rcn_fee_refund(&u, 1, 10150), -1); /* 0.006 fen */

	/* the order's fee includes its minimum and cap */
	rcn_fee_rule m = rule(6000, 10, 0, RCN_ROUND_HALF_UP, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_refund(&m, 50, 100), -5);
	assert_int_equal(rcn_fee_refund(&m, 30, 100), -3);
	assert_int_equal(rcn_fee_refund(&m, 70, 100), -7);
	rcn_fee_rule c = rule(3800, 0, 2000, RCN_ROUND_HALF_UP, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_refund(&c, 250000, 1000000), -500);
	/* large amounts stay exact */
	assert_int_equal(rcn_fee_refund(&r, 4500000000000LL, 9000000000000LL), -27000000000LL);
}

static void test_refund_kept_and_unknown_order(void **state)
{
	(void)state;
	rcn_fee_rule k = rule(6000, 10, 0, RCN_ROUND_HALF_UP, RCN_REFUND_FEE_KEPT);
	assert_int_equal(rcn_fee_refund(&k, 5000, 10000), 0);
	assert_int_equal(rcn_fee_refund(&k, 10000, 10000), 0);
	assert_int_equal(rcn_fee_refund(&k, 5000, 0), 0);

	/* order unknown: the rate on the refund itself, rounded, no minimum or cap */
	rcn_fee_rule r = rule(4000, 10, 200, RCN_ROUND_HALF_UP, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(rcn_fee_refund(&r, 125, 0), -1);
	assert_int_equal(rcn_fee_refund(&r, 125, -1), -1);
	assert_int_equal(rcn_fee_refund(&r, 1000000, 0), -4000);
	r.rounding = RCN_ROUND_HALF_EVEN;
	assert_int_equal(rcn_fee_refund(&r, 125, 0), 0);
	assert_int_equal(rcn_fee_refund(&r, -375, 0), -2);
	r.rounding = RCN_ROUND_DOWN;
	assert_int_equal(rcn_fee_refund(&r, 375, 0), -1);
	r.rounding = RCN_ROUND_UP;
	assert_int_equal(rcn_fee_refund(&r, 1, 0), -1);
}

static void test_from_rate(void **state)
{
	(void)state;
	rcn_fee_rule r;
	rcn_fee_rule_from_rate(&r, "alipay", 6000);
	assert_string_equal(r.channel, "alipay");
	assert_string_equal(r.merchant, "*");
	assert_string_equal(r.product, "*");
	assert_int_equal(r.rate_ppm, 6000);
	assert_int_equal(r.min_fen, 0);
	assert_int_equal(r.cap_fen, 0);
	assert_int_equal(r.rounding, RCN_ROUND_HALF_UP);
	assert_int_equal(r.refund, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(r.from, INT32_MIN);
	assert_int_equal(r.to, INT32_MAX);
	assert_int_equal(rcn_fee_payment(&r, 125 * 100 / 60), 1); /* 208 fen: 1.248 */
}

static long found(const rcn_fee_rules *r, const char *channel, const char *merchant, const char *product,
		  const char *date)
{
	const rcn_fee_rule *hit = rcn_fee_rules_find(r, channel, merchant, product, day(date));
	return hit ? hit->line : 0;
}

static void test_specificity(void **state)
{
	(void)state;
	rcn_fee_rules *r = load_ok(FEES "specificity.csv");
	assert_int_equal(rcn_fee_rules_count(r), 7);
	/* line 3 *,*  4 *,NATIVE  5 M,* 2025  6 M,* 2026-  7 M,JSAPI Q3 2025  8 alipay *,*  9 saobei Q1 2025 */
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2025-08-15"), 7);
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2025-07-01"), 7); /* first day */
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2025-09-30"), 7); /* last day, inclusive */
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2025-06-30"), 5);
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2025-10-01"), 5);
	/* merchant exact with product * beats merchant * with product exact */
	assert_int_equal(found(r, "wechat", "1900000109", "NATIVE", "2025-05-01"), 5);
	assert_int_equal(found(r, "wechat", "1900000109", "NATIVE", "2026-03-02"), 6);
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2026-01-01"), 6);
	/* before the merchant's rules take effect: the product rule, then the catch-all */
	assert_int_equal(found(r, "wechat", "1900000109", "NATIVE", "2024-12-31"), 4);
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2024-12-31"), 3);
	assert_int_equal(found(r, "wechat", "1900000110", "NATIVE", "2025-08-15"), 4);
	assert_int_equal(found(r, "wechat", "1900000110", "MICROPAY", "2025-08-15"), 3);
	/* Alipay rows carry no trade type */
	assert_int_equal(found(r, "alipay", "20880211096256330156", "", "2026-03-02"), 8);
	/* a channel with no rule, and one whose only rule is out of effect */
	assert_int_equal(found(r, "unionpay", "898111148990001", "S22", "2026-03-02"), 0);
	assert_int_equal(found(r, "saobei", "852100000001", "微信", "2025-03-31"), 9);
	assert_int_equal(found(r, "saobei", "852100000001", "微信", "2025-04-01"), 0);
	assert_int_equal(found(r, "saobei", "852100000002", "微信", "2025-03-01"), 0);

	const rcn_fee_rule *hit = rcn_fee_rules_find(r, "wechat", "1900000109", "JSAPI", day("2025-08-15"));
	assert_int_equal(hit->rate_ppm, 2000);
	assert_int_equal(rcn_fee_payment(hit, 10000), 20);
	assert_null(rcn_fee_rules_find(NULL, "wechat", "1900000109", "JSAPI", day("2025-08-15")));
	rcn_fee_rules_free(r);
}

static void test_spreadsheet_file(void **state)
{
	(void)state;
	rcn_fee_rules *r = load_ok(FEES "spreadsheet.csv");
	assert_int_equal(rcn_fee_rules_count(r), 3);
	assert_null(rcn_fee_rules_get(r, 3));

	const rcn_fee_rule *a = rcn_fee_rules_get(r, 0);
	assert_int_equal(a->line, 3);
	assert_string_equal(a->channel, "bankpos");
	assert_string_equal(a->merchant, "*");
	assert_string_equal(a->product, "借记卡");
	assert_int_equal(a->rate_ppm, 3800);
	assert_int_equal(a->min_fen, 0);
	assert_int_equal(a->cap_fen, 2000);
	assert_int_equal(a->rounding, RCN_ROUND_HALF_EVEN);
	assert_int_equal(a->refund, RCN_REFUND_FEE_PROPORTIONAL);
	assert_int_equal(a->from, INT32_MIN);
	assert_int_equal(a->to, INT32_MAX);

	const rcn_fee_rule *b = rcn_fee_rules_get(r, 1);
	assert_int_equal(b->line, 7);
	assert_string_equal(b->product, "贷记卡");
	assert_int_equal(b->rate_ppm, 6000);
	assert_int_equal(b->min_fen, 1);
	assert_int_equal(b->rounding, RCN_ROUND_DOWN);
	assert_int_equal(b->refund, RCN_REFUND_FEE_KEPT);
	assert_int_equal(b->from, day("2025-01-01"));
	assert_int_equal(b->to, day("2025-12-31"));

	const rcn_fee_rule *c = rcn_fee_rules_get(r, 2);
	assert_int_equal(c->line, 8);
	assert_string_equal(c->merchant, "19\"00");
	assert_int_equal(c->rate_ppm, 12000);
	assert_int_equal(c->min_fen, 100);
	assert_int_equal(c->rounding, RCN_ROUND_UP);

	assert_ptr_equal(rcn_fee_rules_find(r, "bankpos", "A1", "借记卡", day("2030-01-01")), a);
	assert_ptr_equal(rcn_fee_rules_find(r, "bankpos", "A1", "贷记卡", day("2025-06-01")), b);
	assert_null(rcn_fee_rules_find(r, "bankpos", "A1", "贷记卡", day("2026-01-01")));
	rcn_fee_rules_free(r);
}

/* The fee rules' loader, for test_util's load errors. */
static rcn_rc load_fees(void *out, const char *path, rcn_err *err)
{
	return rcn_fee_rules_load(out, path, err);
}

static void test_overlap(void **state)
{
	(void)state;
	long line;
	assert_string_equal(tu_load_error_at(load_fees, FEES "overlap.csv", &line),
			    FEES "overlap.csv:9: overlaps the rule on line 4 (same channel, merchant and product)");
	assert_int_equal(line, 9);
	/* ranges that touch but share no day are fine */
	rcn_fee_rules *r = load_ok(FEES "adjacent.csv");
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2025-06-29"), 2);
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2025-06-30"), 3);
	assert_int_equal(found(r, "wechat", "1900000109", "JSAPI", "2025-07-01"), 4);
	rcn_fee_rules_free(r);
}

#define HEADER "channel,merchant,product,rate,min_fee,cap,rounding,refund,from,to\n"

static void test_load_errors(void **state)
{
	(void)state;
	static const tu_load_case cases[] = {
		{"", 0, ": no header line (channel,merchant,product,rate,min_fee,cap,rounding,refund,from,to)"},
		{"# only comments\n\n", 0,
		 ": no header line (channel,merchant,product,rate,min_fee,cap,rounding,refund,from,to)"},
		{"# fees\nchannel,merchant,product,rate,fee\n", 2,
		 ":2: unknown column 'fee' (expected channel, merchant, product, rate, min_fee, cap, rounding, refund, "
		 "from, to)"},
		{"channel,merchant,product,rate,Rate\n", 1, ":1: column 'rate' appears twice"},
		{"channel,merchant,product,min_fee\n", 1, ":1: no 'rate' column in the header"},
		{"merchant,product,rate\n", 1, ":1: no 'channel' column in the header"},
		{HEADER "wechat,*,*,0.6,,,,,,\n", 2,
		 ":2: bad value for 'rate': invalid rate \"0.6\": expected a percentage like 0.60%"},
		{HEADER "wechat,*,*,100.01%,,,,,,\n", 2,
		 ":2: bad value for 'rate': invalid rate \"100.01%\": expected 0% to 100% with at most 4 decimals"},
		{HEADER "wechat,*,*,0.12345%,,,,,,\n", 2,
		 ":2: bad value for 'rate': invalid rate \"0.12345%\": expected 0% to 100% with at most 4 decimals"},
		{HEADER "wechat,*,*,,,,,,,\n", 2,
		 ":2: bad value for 'rate': empty (write 0% for a merchant that pays no fee)"},
		{HEADER "wechat,*,*,0.60%,,,,,,\n*,*,*,0.60%,,,,,,\n", 3,
		 ":3: bad value for 'channel': '*' is not allowed: a rule names its channel"},
		{HEADER ",*,*,0.60%,,,,,,\n", 2, ":2: bad value for 'channel': empty"},
		{HEADER "we chat,*,*,0.60%,,,,,,\n", 2,
		 ":2: bad value for 'channel': 'we chat' is not a channel name (letters, digits, - and _)"},
		{HEADER "wechat,,*,0.60%,,,,,,\n", 2,
		 ":2: bad value for 'merchant': empty (write * for every merchant)"},
		{HEADER "wechat,1900*,*,0.60%,,,,,,\n", 2,
		 ":2: bad value for 'merchant': '1900*' mixes * with text: write * alone for every merchant"},
		{HEADER "wechat,*,,0.60%,,,,,,\n", 2, ":2: bad value for 'product': empty (write * for every product)"},
		{HEADER "wechat,*,"
			"P123456789012345678901234567890123456789012345678901234567890123,0.60%,,,,,,\n",
		 2, ":2: bad value for 'product': longer than 63 bytes"},
		{HEADER "wechat,*,*,0.60%,0.001,,,,,\n", 2,
		 ":2: bad value for 'min_fee': invalid amount \"0.001\": more than 2 decimals (yuan with at most 2 "
		 "decimals, or empty for none)"},
		{HEADER "wechat,*,*,0.60%,-1.00,,,,,\n", 2, ":2: bad value for 'min_fee': -1.00 is negative"},
		{HEADER "wechat,*,*,0.60%,,20yuan,,,,\n", 2,
		 ":2: bad value for 'cap': invalid amount \"20yuan\": unexpected 'y' (yuan with at most 2 decimals, "
		 "or empty for none)"},
		{HEADER "wechat,*,*,0.60%,,0.00,,,,\n", 2,
		 ":2: bad value for 'cap': a cap of 0 charges nothing: write rate 0%, or leave cap empty for no cap"},
		{HEADER "wechat,*,*,0.60%,30.00,20.00,,,,\n", 2,
		 ":2: bad value for 'min_fee': 30.00 is above the cap 20.00"},
		{HEADER "alipay,2088,*,0%,0.01,,,,,\n", 2,
		 ":2: bad value for 'min_fee': a 0% rule charges nothing, so it has no minimum"},
		{HEADER "wechat,*,*,0.60%,,,nearest,,,\n", 2,
		 ":2: bad value for 'rounding': 'nearest' (expected half_up, half_even, up or down)"},
		{HEADER "wechat,*,*,0.60%,,,,none,,\n", 2,
		 ":2: bad value for 'refund': 'none' (expected proportional or kept)"},
		{HEADER "wechat,*,*,0.60%,,,,,2025/01/01,\n", 2,
		 ":2: bad value for 'from': invalid date \"2025/01/01\": expected YYYY-MM-DD (or empty for no limit)"},
		{HEADER "wechat,*,*,0.60%,,,,,,2025-02-29\n", 2,
		 ":2: bad value for 'to': invalid date \"2025-02-29\": no such day (or empty for no limit)"},
		{HEADER "wechat,*,*,0.60%,,,,,2025-06-01,2025-05-31\n", 2,
		 ":2: bad value for 'to': 2025-05-31 is before 'from' 2025-06-01"},
		{HEADER "wechat,*,*,0.60%,,,,,\n", 2, ":2: expected 10 fields as in the header, found 9"},
		{HEADER "wechat,*,*,0.60%,,,,,,,,x\n", 2, ":2: field 12 ('x') has no column in the header"},
		{HEADER "wechat,*,\"JSAPI,0.60%,,,,,,\n", 2,
		 ":2: a quoted field has no closing quote (a field cannot span lines)"},
		{HEADER "wechat,*,\"JSAPI\"x,0.60%,,,,,,\n", 2, ":2: text after the closing quote of a field"},
		{HEADER "wechat,*,JS\"API,0.60%,,,,,,\n", 2,
		 ":2: a quote inside an unquoted field (quote the whole field)"},
		{HEADER "bankpos,*,\xBD\xE8\xBC\xC7\xBF\xA8,0.38%,,20.00,,,,\n", 2,
		 ":2: not UTF-8: save the file as CSV UTF-8"},
		{HEADER "wechat,*,*,0.60%,,,,,,\n"
			"wechat,*,*,0.38%,,,,,2025-01-01,2025-01-01\n",
		 3, ":3: overlaps the rule on line 2 (same channel, merchant and product)"},
	};
	tu_expect_load_errors(load_fees, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_load_limits(void **state)
{
	(void)state;
	long line;
	/* a missing file */
	assert_string_equal(tu_load_error_at(load_fees, FEES "no-such-file.csv", &line),
			    FEES "no-such-file.csv: cannot read fee rules: No such file or directory");
	assert_int_equal(line, 0);

	/* a line longer than 4096 bytes */
	tu_expect_long_line(load_fees, HEADER "wechat,*,", 4500, ",0.60%,,,,,,\n");

	/* a NUL byte */
	char path[64];
	snprintf(path, sizeof(path), "/tmp/recon-fees-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char nul[] = HEADER "wechat,*,*,0.60%,,,\0,,,\n";
	assert_int_equal(write(fd, nul, sizeof(nul) - 1), (ssize_t)(sizeof(nul) - 1));
	close(fd);
	const char *msg = tu_load_error_at(load_fees, path, &line);
	assert_string_equal(msg + strlen(path), ":2: line is longer than 4096 bytes or holds a NUL byte");
	unlink(path);

	/* more than 32 fields */
	assert_string_equal(
		tu_load_error(load_fees, HEADER "wechat,*,*,0.60%,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n", &line),
		":2: more than 32 fields");
}

static void test_shipped_rules(void **state)
{
	(void)state;
	rcn_fee_rules *r = load_ok(FIXTURES_DIR "/../rules/fees.csv");
	assert_true(rcn_fee_rules_count(r) >= 6);
	rcn_date d = day("2026-03-02");

	/* the typical 0.6% */
	const rcn_fee_rule *w = rcn_fee_rules_find(r, "wechat", "1900000109", "JSAPI", d);
	assert_non_null(w);
	assert_int_equal(w->rate_ppm, 6000);
	assert_int_equal(rcn_fee_payment(w, 10000), 60);
	const rcn_fee_rule *a = rcn_fee_rules_find(r, "alipay", "20880211096256330156", "", d);
	assert_non_null(a);
	assert_int_equal(a->rate_ppm, 6000);

	/* official online 1.2%, and its 2024 promotion on Native */
	assert_int_equal(rcn_fee_rules_find(r, "wechat", "1900000200", "NATIVE", d)->rate_ppm, 12000);
	assert_int_equal(rcn_fee_rules_find(r, "wechat", "1900000200", "NATIVE", day("2024-06-01"))->rate_ppm, 3800);

	/* debit card 0.38% capped at 20.00 yuan; credit card uncapped */
	const rcn_fee_rule *debit = rcn_fee_rules_find(r, "bankpos", "A1", "借记卡", d);
	assert_non_null(debit);
	assert_int_equal(rcn_fee_payment(debit, 100000), 380);
	assert_int_equal(rcn_fee_payment(debit, 1000000), 2000);
	const rcn_fee_rule *credit = rcn_fee_rules_find(r, "bankpos", "A1", "贷记卡", d);
	assert_non_null(credit);
	assert_int_equal(rcn_fee_payment(credit, 1000000), 6000);

	/* the charity pays nothing; the minimum/kept merchant */
	const rcn_fee_rule *charity = rcn_fee_rules_find(r, "alipay", "20880000000000009999", "", d);
	assert_non_null(charity);
	assert_int_equal(charity->rate_ppm, 0);
	assert_int_equal(rcn_fee_payment(charity, 1000000), 0);
	const rcn_fee_rule *k = rcn_fee_rules_find(r, "alipay", "20880000000000000300", "", d);
	assert_non_null(k);
	assert_int_equal(rcn_fee_payment(k, 50), 1);
	assert_int_equal(rcn_fee_refund(k, 10000, 10000), 0);
	assert_null(rcn_fee_rules_find(r, "leshua", "1", "*", d));
	rcn_fee_rules_free(r);
}

RCN_TEST_MAIN(RCN_UNIT_TESTS(test_half_fen_boundaries, test_exact_and_zero, test_minimum_and_cap, test_charity,
			     test_refund_proportional, test_refund_kept_and_unknown_order, test_from_rate,
			     test_specificity, test_spreadsheet_file, test_overlap, test_load_errors, test_load_limits,
			     test_shipped_rules))
