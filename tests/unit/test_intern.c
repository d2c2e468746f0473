/* The matcher's interning (src/match/match_int.h): values that repeat row
 * after row kept once, and a row's names as one shared tuple. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <string.h>

#include "match/match_int.h"

/* Interned values: one copy while a value repeats or comes back among its
 * slot's last few (a file's rows take turns among a few trade types), and
 * one row_names while the same four come back; an old value evicted is
 * copied again, equal. */
static void test_intern_values(void **state)
{
	(void)state;
	rcn_arena a;
	rcn_arena_init(&a);
	intern_cache c;
	memset(&c, 0, sizeof c);
	char buf[2][8] = {"APP", "MWEB"}; /* the caller's buffers change: not stable */
	const char *app = intern(&a, &c, IC_PRODUCT, buf[0], false), *mweb = intern(&a, &c, IC_PRODUCT, buf[1], false);
	assert_ptr_not_equal(app, buf[0]);
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(intern(&a, &c, IC_PRODUCT, i % 2 ? "MWEB" : "APP", false), i % 2 ? mweb : app);
	assert_string_equal(intern(&a, &c, IC_PRODUCT, "", false), "");
	/* nine more values push APP out of the slot's last few: a new copy */
	char v[16];
	for (int i = 0; i < 9; i++) {
		snprintf(v, sizeof v, "T%d", i);
		assert_string_equal(intern(&a, &c, IC_PRODUCT, v, false), v);
	}
	const char *again = intern(&a, &c, IC_PRODUCT, "APP", false);
	assert_string_equal(again, "APP");
	assert_ptr_not_equal(again, app);
	rcn_arena_free(&a);
}

static void test_intern_names(void **state)
{
	(void)state;
	rcn_arena a;
	rcn_arena_init(&a);
	char v[16];
	intern_cache d;
	memset(&d, 0, sizeof d);
	const row_names *pay = intern_names(&a, &d, "wechat", false, "1900000109", "SUCCESS", "APP");
	const row_names *ref = intern_names(&a, &d, "wechat", false, "1900000109", "REFUND", "MWEB");
	assert_string_equal(pay->channel, "wechat");
	assert_string_equal(pay->merchant_id, "1900000109");
	assert_string_equal(pay->status, "SUCCESS");
	assert_string_equal(pay->product, "APP");
	assert_ptr_not_equal(pay, ref);
	assert_ptr_equal(pay->channel, ref->channel);
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(intern_names(&a, &d, "wechat", false, "1900000109", i % 2 ? "REFUND" : "SUCCESS",
					      i % 2 ? "MWEB" : "APP"),
				 i % 2 ? ref : pay);
	const row_names *none = intern_names(&a, &d, NULL, false, "", NULL, "");
	assert_string_equal(none->channel, "");
	assert_string_equal(none->status, "");
	for (int i = 0; i < 9; i++) { /* nine other tuples: pay's is no longer among the last eight */
		snprintf(v, sizeof v, "M%d", i);
		assert_string_equal(intern_names(&a, &d, "wechat", false, v, "SUCCESS", "APP")->merchant_id, v);
	}
	const row_names *pay2 = intern_names(&a, &d, "wechat", false, "1900000109", "SUCCESS", "APP");
	assert_ptr_not_equal(pay2, pay);
	assert_string_equal(pay2->merchant_id, "1900000109");
	assert_string_equal(pay2->product, "APP");
	rcn_arena_free(&a);
}

RCN_TEST_MAIN(RCN_UNIT_TESTS(test_intern_values, test_intern_names))
