/* COPY text rows split into fields: the plain path (nothing escaped but
 * whole-field \N) and the unescaping path give PostgreSQL's values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ledger/pgtext.h"
#include "recon/common.h"

/* Fields as "a|b|<NULL>", or "ERR" for -1. */
static const char *split(const char *in, int max)
{
	static char row[256], out[256];
	const char *f[16];
	snprintf(row, sizeof(row), "%s", in);
	int n = rcn_pgtext_split(row, strlen(row), f, max);
	if (n < 0)
		return "ERR";
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		strcat(out, i ? "|" : "");
		strcat(out, f[i] ? f[i] : "<NULL>");
	}
	return out;
}

static void test_split(void **state)
{
	(void)state;
	assert_string_equal(split("a\tb\tc\n", 16), "a|b|c");
	assert_string_equal(split("\\N\tx\t\\N\n", 16), "<NULL>|x|<NULL>");
	assert_string_equal(split("\t\t", 16), "||");
	assert_string_equal(split("2026-03-02 10:00:00+08\t1234", 16), "2026-03-02 10:00:00+08|1234");
	/* escapes: tab, newline, backslash; an escaped backslash before N is text */
	assert_string_equal(split("a\\tb\tc\\nd\n", 16), "a\tb|c\nd");
	assert_string_equal(split("\\\\N\tz", 16), "\\N|z");
	assert_string_equal(split("x\\\\\t\\N", 16), "x\\|<NULL>");
	/* \N inside a longer field is not NULL */
	assert_string_equal(split("\\Nx\ty", 16), "Nx|y");
	assert_string_equal(split("x\\N\ty", 16), "xN|y");
	assert_string_equal(split("0123456789abcdefx\\N", 16), "0123456789abcdefxN");
	assert_string_equal(split("a\tb\tc", 2), "ERR");
	assert_string_equal(split("a\\tb\tc", 1), "ERR");
}

/* Random rows round-trip: values (NULL, empty, plain, or with tabs,
 * newlines, backslashes and "\\N" as text) written by rcn_pgtext_put_field,
 * joined by tabs and split again give the same values, at every length, so
 * fields, \N and escapes fall on and across the 16-byte blocks of the fast
 * path and a late escape sends a half-cut row to the general one. */
static void test_split_round_trip(void **state)
{
	(void)state;
	const char alphabet[] = "abN\\\t\n\r0123456789-: ";
	unsigned seed = 12345;
	char values[12][40];
	bool is_null[12];
	for (int round = 0; round < 20000; round++) {
		int nf = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
		bool plain = round % 2 == 0; /* half the rows without escapes but \N */
		rcn_buf row;
		rcn_buf_init(&row, 1 << 20);
		for (int k = 0; k < nf; k++) {
			seed = seed * 1103515245u + 12345u;
			is_null[k] = (seed >> 16) % 5 == 0;
			int len = (int)((seed >> 8) % 38);
			for (int c = 0; c < len; c++) {
				seed = seed * 1103515245u + 12345u;
				size_t pick = (seed >> 16) % (plain ? 3 : sizeof(alphabet) - 1);
				values[k][c] = plain ? "axN"[pick] : alphabet[pick];
			}
			values[k][len] = '\0';
			if (k)
				assert_int_equal(rcn_buf_append(&row, "\t", 1), RCN_OK);
			assert_int_equal(rcn_pgtext_put_field(&row, is_null[k] ? NULL : values[k]), RCN_OK);
		}
		if (round % 3 == 0)
			assert_int_equal(rcn_buf_append(&row, "\n", 1), RCN_OK);
		const char *f[16];
		int n = rcn_pgtext_split(row.data, row.len, f, 16);
		assert_int_equal(n, nf);
		for (int k = 0; k < nf; k++) {
			if (is_null[k])
				assert_null(f[k]);
			else
				assert_string_equal(f[k], values[k]);
		}
		rcn_buf_free(&row);
	}
}

/* More fields than asked for is -1 on both paths, wherever the tabs are. */
static void test_split_too_many(void **state)
{
	(void)state;
	assert_string_equal(split("aaaaaaaaaaaaaaaa\tbbbbbbbbbbbbbbbb\tcccccccccccccccc\td", 3), "ERR");
	assert_string_equal(split("aaaaaaaaaaaaaaaa\tbbbbbbbbbbbbbbbb\tcccccccccccccccc\td", 4),
			    "aaaaaaaaaaaaaaaa|bbbbbbbbbbbbbbbb|cccccccccccccccc|d");
	assert_string_equal(split("\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N", 8), "ERR");
	assert_string_equal(split("aaaaaaaaaaaaaaaaaaaa\t\\t\tb", 2), "ERR");
	assert_string_equal(split("aaaaaaaaaaaaaaaaaaaa\t\\t\tb", 3), "aaaaaaaaaaaaaaaaaaaa|\t|b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_split), cmocka_unit_test(test_split_round_trip),
					   cmocka_unit_test(test_split_too_many)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
