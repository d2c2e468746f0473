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
	assert_string_equal(split("a\tb\tc", 2), "ERR");
	assert_string_equal(split("a\\tb\tc", 1), "ERR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_split)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
