/* The text encodings recon writes for PostgreSQL: COPY FROM fields, text[]
 * literals and JSON strings, and the strict int64 reader. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <string.h>

#include "ledger/pgtext.h"
#include "recon/common.h"

static char out[512];

/* What a writer appends for s, as a string. */
static const char *written(rcn_rc (*put)(rcn_buf *, const char *), const char *s)
{
	rcn_buf b;
	rcn_buf_init(&b, 1 << 20);
	assert_int_equal(put(&b, s), RCN_OK);
	snprintf(out, sizeof out, "%.*s", (int)b.len, b.data);
	rcn_buf_free(&b);
	return out;
}

static const char *field(const char *s)
{
	return written(rcn_pgtext_put_field, s);
}

/* Backslash, tab, newline and CR are escaped (COPY would read them as
 * separators); NULL is \N, and a text "\N" is not NULL. */
static void test_put_field(void **state)
{
	(void)state;
	assert_string_equal(field(NULL), "\\N");
	assert_string_equal(field(""), "");
	assert_string_equal(field("微信 1234"), "微信 1234");
	assert_string_equal(field("a\tb\nc\rd\\e"), "a\\tb\\nc\\rd\\\\e");
	assert_string_equal(field("\\N"), "\\\\N");
	assert_string_equal(field("\t"), "\\t");
}

static void test_put_array(void **state)
{
	(void)state;
	const char *v[] = {"A1", "with \"quote\"", "back\\slash", "", NULL, "{,}"};
	rcn_buf b;
	rcn_buf_init(&b, 1 << 20);
	assert_int_equal(rcn_pgtext_put_array(&b, v, 6), RCN_OK);
	assert_int_equal(rcn_buf_append(&b, "", 1), RCN_OK);
	assert_string_equal(b.data, "{\"A1\",\"with \\\"quote\\\"\",\"back\\\\slash\",\"\",\"\",\"{,}\"}");
	rcn_buf_free(&b);
}

static void test_int64(void **state)
{
	(void)state;
	int64_t v;
	assert_true(rcn_pgtext_int64("0", &v));
	assert_int_equal(v, 0);
	assert_true(rcn_pgtext_int64("-9223372036854775808", &v));
	assert_true(v == INT64_MIN);
	assert_true(rcn_pgtext_int64("9223372036854775807", &v));
	assert_true(v == INT64_MAX);
	assert_false(rcn_pgtext_int64("9223372036854775808", &v));
	assert_false(rcn_pgtext_int64("12.5", &v));
	assert_false(rcn_pgtext_int64("-", &v));
	assert_false(rcn_pgtext_int64("", &v));
	assert_false(rcn_pgtext_int64(NULL, &v));
	assert_false(rcn_pgtext_int64(" 1", &v));
}

RCN_TEST_MAIN(cmocka_unit_test(test_put_field), cmocka_unit_test(test_put_array), cmocka_unit_test(test_int64))
