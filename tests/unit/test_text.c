/* Untrusted text (recon/text.h): what statement fields may hold
 * (rcn_text_check) and how messages quote input (rcn_quote). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include "test_main.h"

#include "recon/text.h"

static size_t check(const char *s, size_t n, rcn_text_fault *f)
{
	return rcn_text_check(s, n, f);
}

static void test_text_check(void **state)
{
	(void)state;
	rcn_text_fault f;
	static const char ok[] = "ORD-2026\t拿铁 café\r\n, padded   to more than eight bytes";
	assert_int_equal(check(ok, sizeof(ok) - 1, &f), sizeof(ok) - 1);
	assert_int_equal(f, RCN_TEXT_OK);
	assert_int_equal(check("", 0, &f), 0);
	assert_int_equal(f, RCN_TEXT_OK);
	struct {
		const char *s;
		size_t n, at;
		rcn_text_fault fault;
	} bad[] = {
		{"W-P\0"
		 "001",
		 7, 3, RCN_TEXT_NUL},
		{"W-P\x1b]0;t\x07", 9, 3, RCN_TEXT_CONTROL},
		{"0123456789abcd\x07", 15, 14, RCN_TEXT_CONTROL}, /* past a whole word of ASCII */
		{"01234567\x7f", 9, 8, RCN_TEXT_CONTROL},	  /* DEL */
		{"\x01", 1, 0, RCN_TEXT_CONTROL},
		{"\x1f", 1, 0, RCN_TEXT_CONTROL},
		{"\x0b", 1, 0, RCN_TEXT_CONTROL}, /* vertical tab */
		{"ab\xc2\x9b"
		 "2J",
		 6, 2, RCN_TEXT_CONTROL},		/* U+009B, CSI */
		{"ab\xc2\x80", 4, 2, RCN_TEXT_CONTROL}, /* U+0080 */
		{"W-P\xff\xfe", 5, 3, RCN_TEXT_INVALID},
		{"\xc0\xaf", 2, 0, RCN_TEXT_INVALID},	       /* overlong '/' */
		{"x\xed\xa0\x80", 4, 1, RCN_TEXT_INVALID},     /* a surrogate */
		{"x\xf4\x90\x80\x80", 5, 1, RCN_TEXT_INVALID}, /* past U+10FFFF */
		{"拿\xe9\x93", 5, 3, RCN_TEXT_INVALID},	       /* cut short at the end */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(check(bad[i].s, bad[i].n, &f), bad[i].at);
		assert_int_equal(f, bad[i].fault);
	}
	/* U+00A0 (no-break space) and U+2028 are text: only C0, DEL and C1 are refused */
	assert_int_equal(check("a\xc2\xa0"
			       "b\xe2\x80\xa8",
			       7, &f),
			 7);
	assert_string_equal(rcn_text_fault_name(RCN_TEXT_CONTROL), "a control character");
	assert_string_equal(rcn_text_fault_name(RCN_TEXT_NUL), "a NUL byte");
	assert_string_equal(rcn_text_fault_name(RCN_TEXT_INVALID), "invalid UTF-8");
}

static void test_quote(void **state)
{
	(void)state;
	char out[RCN_QUOTE_BUF];
	assert_string_equal(rcn_quote(out, sizeof(out), "plain 文字", 12, RCN_QUOTE_MAX), "plain 文字");
	assert_string_equal(RCN_QUOTE("\x1b[2J\x07", 5), "\\x1b[2J\\x07");
	assert_string_equal(RCN_QUOTE("a\\b", 3), "a\\\\b");
	assert_string_equal(RCN_QUOTE("x\xff\xfey", 4), "x\\xff\\xfey");
	assert_string_equal(RCN_QUOTE("\xe2\x80\xae"
				      "evil",
				      7),
			    "\\u202eevil");
	/* cut on a character boundary, marked */
	assert_string_equal(rcn_quote(out, sizeof(out), "元元元", 9, 4), "元...");
	char longer[200];
	memset(longer, 'a', sizeof(longer));
	const char *q = RCN_QUOTE(longer, sizeof(longer));
	assert_int_equal(strlen(q), RCN_QUOTE_MAX + 3);
	assert_string_equal(q + RCN_QUOTE_MAX, "...");
}

/* The one JSON string writer (logs, alerts, manifests, recon_runs.inputs):
 * always valid JSON, whatever the bytes. */
static void test_json_put(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"a\"b\\c", "\"a\\\"b\\\\c\""},
		{"x\ny\r\tz\x01\x7f", "\"x\\ny\\r\\tz\\u0001\\u007f\""},
		{"短款 ok", "\"短款 ok\""},
		{"\xff\xe7\x9f", "\"\\ufffd\\ufffd\\ufffd\""}, /* a byte that never starts UTF-8, a cut sequence */
		{"\xc0\xaf", "\"\\ufffd\\ufffd\""},	       /* an overlong '/' */
		{"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""}, /* a surrogate */
		{"", "\"\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rcn_buf b;
		rcn_buf_init(&b, 1 << 16);
		assert_int_equal(rcn_json_put(&b, cases[i][0]), RCN_OK);
		assert_int_equal(b.len, strlen(cases[i][1]));
		assert_memory_equal(b.data, cases[i][1], b.len);
		rcn_buf_free(&b);
	}
	rcn_buf b;
	rcn_buf_init(&b, 1 << 16);
	assert_int_equal(rcn_json_put(&b, NULL), RCN_OK);
	assert_memory_equal(b.data, "null", 4);
	rcn_buf_free(&b);
}

RCN_TEST_MAIN(cmocka_unit_test(test_text_check), cmocka_unit_test(test_quote), cmocka_unit_test(test_json_put))
