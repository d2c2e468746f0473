/* The string map behind every join: exact hits and misses for keys that
 * share prefixes or differ only in length, first value kept, growth. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <string.h>

#include "recon/common.h"
#include "util/perf.h"

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

/* Every byte of a key moves its hash, at each length the tail loads cover
 * (1-7 bytes after the 8-byte words), and the hashed calls agree with the
 * plain ones. */
static void test_hash_every_byte(void **state)
{
	(void)state;
	char a[40], b[40];
	for (size_t n = 1; n <= 31; n++) {
		memset(a, 'x', n);
		a[n] = '\0';
		for (size_t p = 0; p < n; p++) {
			memcpy(b, a, n + 1);
			b[p] = 'y';
			assert_true(rcn_hash(a, n) != rcn_hash(b, n));
		}
		assert_true(rcn_hash(a, n) != rcn_hash(a, n - 1)); /* a prefix */
	}
	rcn_strmap m;
	rcn_strmap_init(&m, 4);
	const char *keys[] = {"a",	 "ab",	     "abc",	  "abcd",
			      "abcdefg", "abcdefgh", "abcdefghi", "4200001202603020000000001462"};
	for (uint32_t i = 0; i < 8; i++) {
		size_t n = strlen(keys[i]);
		rcn_strmap_prefetch_hashed(&m, rcn_hash(keys[i], n));
		assert_true(rcn_strmap_put_hashed(&m, keys[i], n, rcn_hash(keys[i], n), i, NULL));
	}
	for (uint32_t i = 0; i < 8; i++) {
		uint32_t v = 99, w = 99, existing = 99;
		size_t n = strlen(keys[i]);
		assert_true(rcn_strmap_get(&m, keys[i], n, &v));
		assert_true(rcn_strmap_get_hashed(&m, keys[i], n, rcn_hash(keys[i], n), &w));
		assert_int_equal(v, i);
		assert_int_equal(w, i);
		assert_false(rcn_strmap_put(&m, keys[i], n, 50, &existing));
		assert_int_equal(existing, i);
	}
	rcn_strmap_free(&m);
}

/* A record's strings copied in one allocation: each copy equal to its
 * original, NUL-terminated where the next one starts, "" (not a copy) for an
 * empty or NULL one, and the originals free to change afterwards. */
static void test_arena_strdups(void **state)
{
	(void)state;
	rcn_arena a;
	rcn_arena_init(&a);
	char one[] = "4200001202603020000000001462", two[] = "BN20260302";
	const char *in[5] = {one, "", NULL, two, "x"}, *out[5];
	rcn_arena_strdups(&a, 5, in, out);
	memset(one, '?', strlen(one));
	memset(two, '?', strlen(two));
	assert_string_equal(out[0], "4200001202603020000000001462");
	assert_string_equal(out[1], "");
	assert_string_equal(out[2], "");
	assert_string_equal(out[3], "BN20260302");
	assert_string_equal(out[4], "x");
	assert_ptr_equal(out[3], out[0] + 29);
	assert_ptr_equal(out[4], out[3] + 11);
	const char *none[2] = {"", NULL}, *got[2] = {NULL, NULL};
	rcn_arena_strdups(&a, 2, none, got);
	assert_string_equal(got[0], "");
	assert_string_equal(got[1], "");
	/* more than a block holds, in one call */
	static char big[3][2u << 20];
	for (int i = 0; i < 3; i++) {
		memset(big[i], 'a' + i, sizeof(big[i]) - 1);
		big[i][sizeof(big[i]) - 1] = '\0';
	}
	const char *bin[3] = {big[0], big[1], big[2]}, *bout[3];
	rcn_arena_strdups(&a, 3, bin, bout);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(bout[i], big[i], sizeof(big[i]));
	rcn_arena_free(&a);
}

/* A night in parts keeps the blocks a part's arenas give back for the next
 * part's (rcn_arena_pool_keep): the next arena writes into the same blocks,
 * the newest given back first; a block bigger than the standard one is
 * never kept; keeping nothing again gives the kept ones back. */
static void test_arena_pool(void **state)
{
	(void)state;
	enum { BIG = 3u << 20 }; /* each in a standard block of its own: no two fit in one */
	static char text[BIG];
	memset(text, 'x', sizeof text - 1);
	rcn_arena_pool_keep(16u << 20);
	rcn_arena a;
	rcn_arena_init(&a);
	const char *first[3];
	for (int i = 0; i < 3; i++)
		first[i] = rcn_arena_strdup(&a, text);
	assert_ptr_not_equal(first[0], first[1]);
	const char *huge = rcn_arena_alloc(&a, 5u << 20); /* a block of its own, bigger: not kept */
	assert_non_null(huge);
	rcn_arena_free(&a);
	rcn_arena b;
	rcn_arena_init(&b);
	const char *again[3];
	for (int i = 0; i < 3; i++) {
		text[0] = (char)('a' + i);
		again[i] = rcn_arena_strdup(&b, text);
	}
	/* given back newest first, so taken again oldest first: the same blocks, in order */
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(again[i], first[i]);
		assert_int_equal(again[i][0], 'a' + i);
		assert_int_equal(strlen(again[i]), sizeof text - 1);
	}
	rcn_arena_free(&b);
	rcn_arena_pool_keep(0);
	/* nothing kept any more: a new arena still works */
	rcn_arena c;
	rcn_arena_init(&c);
	assert_string_equal(rcn_arena_strdup(&c, "BN20260302"), "BN20260302");
	rcn_arena_free(&c);
}

static bool all(const unsigned char *p, size_t n, unsigned char c)
{
	for (size_t i = 0; i < n; i += 4096)
		if (p[i] != c)
			return false;
	return p[n - 1] == c;
}

/* A big array given back while the pool is kept is handed out again, whole,
 * to the next request of about its size; others are freed. */
static void test_array_pool(void **state)
{
	(void)state;
	enum { BIG = 8u << 20, SMALL = 2u << 20 };
	rcn_array_pool_keep((size_t)12 << 20); /* one 8 MiB array, not two */
	unsigned char *a = rcn_xmalloc(BIG), *b = rcn_xmalloc(BIG);
	memset(a, 0xA5, BIG);
	memset(b, 0x5A, BIG);
	rcn_xfree(a); /* kept */
	rcn_xfree(b); /* over the pool's bytes: freed */
	assert_true(rcn_array_pool_bytes() >= BIG && rcn_array_pool_bytes() < 2 * (size_t)BIG);
	unsigned char *s = rcn_xmalloc(SMALL);
	assert_ptr_not_equal(s, a); /* a quarter of it: not handed a kept array */
	unsigned char *again = rcn_xmalloc(BIG - 4096);
	assert_ptr_equal(again, a);
	assert_true(all(again, BIG - 4096, 0xA5)); /* the same pages, never given back */
	assert_int_equal(rcn_array_pool_bytes(), 0);
	unsigned char *fresh = rcn_xmalloc(BIG);
	memset(fresh, 1, BIG);
	rcn_xfree(again);
	unsigned char *z = rcn_xcalloc(BIG / 16, 16); /* calloc's promise holds for a kept one */
	assert_ptr_equal(z, a);
	assert_true(all(z, BIG, 0));
	rcn_xfree(z);
	assert_true(rcn_array_pool_bytes() >= BIG);
	rcn_array_pool_keep(0); /* the kept one freed, nothing kept any more */
	assert_int_equal(rcn_array_pool_bytes(), 0);
	rcn_xfree(fresh);
	rcn_xfree(s);
	unsigned char *c = rcn_xmalloc(BIG);
	memset(c, 7, BIG);
	rcn_xfree(c);
	assert_int_equal(rcn_array_pool_bytes(), 0);
	rcn_xfree(NULL);
}

RCN_TEST_MAIN(cmocka_unit_test(test_prefixes_and_lengths), cmocka_unit_test(test_growth),
	      cmocka_unit_test(test_hash_every_byte), cmocka_unit_test(test_arena_strdups),
	      cmocka_unit_test(test_arena_pool), cmocka_unit_test(test_array_pool))
