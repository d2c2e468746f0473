/* The string map behind every join: exact hits and misses for keys that
 * share prefixes or differ only in length, first value kept, growth. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "recon/common.h"

static void test_prefixes_and_lengths(void **state)
{
	(void)state;
	rcn_strmap m;
	rcn_strmap_init(&m, 0);
	const char *keys[] = {"a", "ab", "abc", "abcdefgh", "abcdefghi", "abcdefgi", ""};
	for (uint32_t i = 0; i < 7; i++)
		assert_true(rcn_strmap_put(&m, keys[i], strlen(keys[i]), i, NULL));
	for (uint32_t i = 0; i < 7; i++) {
		uint32_t v = 99;
		assert_true(rcn_strmap_get(&m, keys[i], strlen(keys[i]), &v));
		assert_int_equal(v, i);
	}
	/* a prefix of a stored key, given with its own length, is not that key */
	uint32_t v = 99;
	assert_false(rcn_strmap_get(&m, "abcdefghij", 10, &v));
	assert_false(rcn_strmap_get(&m, "abcd", 4, &v));
	assert_true(rcn_strmap_get(&m, "abcdefghij", 9, &v)); /* "abcdefghi" */
	assert_int_equal(v, 4);
	/* the first value stays; the second put reports it */
	uint32_t existing = 0;
	assert_false(rcn_strmap_put(&m, "ab", 2, 42, &existing));
	assert_int_equal(existing, 1);
	assert_int_equal(m.count, 7);
	rcn_strmap_free(&m);
}

static void test_growth(void **state)
{
	(void)state;
	enum { N = 200000 };
	static char keys[N][40];
	rcn_strmap m;
	rcn_strmap_init(&m, 16);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "4200001234202603%012u", i);
		assert_true(rcn_strmap_put(&m, keys[i], strlen(keys[i]), i, NULL));
	}
	assert_int_equal(m.count, N);
	assert_true(m.count * 4 <= m.cap * 3);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t v = 0;
		assert_true(rcn_strmap_get(&m, keys[i], strlen(keys[i]), &v));
		assert_int_equal(v, i);
	}
	char other[40];
	snprintf(other, sizeof(other), "4200001234202603%012u", (unsigned)N);
	uint32_t v;
	assert_false(rcn_strmap_get(&m, other, strlen(other), &v));
	rcn_strmap_free(&m);
	/* an empty map answers no */
	rcn_strmap empty = {0};
	assert_false(rcn_strmap_get(&empty, "x", 1, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes_and_lengths),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
