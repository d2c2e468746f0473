/* decode: GBK/GB18030 to UTF-8 as a stream cut at every possible point, invalid and truncated
 * sequences with their exact messages, UTF-8 pass-through and validation, one-shot fields, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/charset.h"

/* "#支付宝业务明细查询\r\n商家实收（元）,€😀,ok" in GB18030 (😀 is a four-byte sequence) and in UTF-8. */
#define GBK_TEXT                                                                                                       \
	"\x23\xd6\xa7\xb8\xb6\xb1\xa6\xd2\xb5\xce\xf1\xc3\xf7\xcf\xb8\xb2\xe9\xd1\xaf\r\n"                             \
	"\xc9\xcc\xbc\xd2\xca\xb5\xca\xd5\xa3\xa8\xd4\xaa\xa3\xa9,\xa2\xe3\x94\x39\xfc\x36,ok"
#define UTF8_TEXT "#支付宝业务明细查询\r\n商家实收（元）,€😀,ok"

/* Converts s[0..n) cut at a and b (a <= b) into out; returns the first failing code. */
static rcn_rc convert3(const char *from, const char *s, size_t n, size_t a, size_t b, rcn_buf *out, rcn_err *err)
{
	rcn_charset *c;
	assert_int_equal(rcn_charset_open(&c, from, err), RCN_OK);
	rcn_rc rc = rcn_charset_convert(c, s, a, out, err);
	if (rc == RCN_OK)
		rc = rcn_charset_convert(c, s + a, b - a, out, err);
	if (rc == RCN_OK)
		rc = rcn_charset_convert(c, s + b, n - b, out, err);
	if (rc == RCN_OK)
		rc = rcn_charset_finish(c, out, err);
	rcn_charset_close(c);
	return rc;
}

static void expect_split_everywhere(const char *from, const char *in, size_t n, const char *want)
{
	for (size_t a = 0; a <= n; a++) {
		for (size_t b = a; b <= n; b++) {
			rcn_buf out;
			rcn_err err;
			rcn_buf_init(&out, 4096);
			assert_int_equal(convert3(from, in, n, a, b, &out, &err), RCN_OK);
			assert_int_equal(out.len, strlen(want));
			assert_memory_equal(out.data, want, out.len);
			rcn_buf_free(&out);
		}
	}
}

static void test_gbk_every_split(void **state)
{
	(void)state;
	expect_split_everywhere("GBK", GBK_TEXT, sizeof(GBK_TEXT) - 1, UTF8_TEXT);
	expect_split_everywhere("GB18030", GBK_TEXT, sizeof(GBK_TEXT) - 1, UTF8_TEXT);
	expect_split_everywhere("gb2312", "\xd6\xd0\xce\xc4", 4, "中文");
}

static void test_utf8_every_split(void **state)
{
	(void)state;
	expect_split_everywhere("UTF-8", UTF8_TEXT, sizeof(UTF8_TEXT) - 1, UTF8_TEXT);
	expect_split_everywhere("utf8", "\xf4\x8f\xbf\xbf\xef\xbf\xbf", 7, "\xf4\x8f\xbf\xbf\xef\xbf\xbf");
}

/* Converts in two chunks and expects code and msg. */
static void expect_error(const char *from, const char *s, size_t n, size_t split, rcn_rc code, const char *msg)
{
	rcn_buf out;
	rcn_err err;
	rcn_buf_init(&out, 4096);
	assert_int_equal(convert3(from, s, n, split, split, &out, &err), code);
	assert_int_equal(err.code, code);
	assert_string_equal(err.file, "");
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, msg);
	rcn_buf_free(&out);
}

static void test_invalid_gbk(void **state)
{
	(void)state;
	expect_error("GBK",
		     "ab\xff\xfe"
		     "cd",
		     6, 0, RCN_EFORMAT, "invalid GBK byte sequence at byte 2");
	/* Offsets count from the start of the stream, across chunks. */
	expect_error("GBK", "\xd6\xd0\xce\xc4x\xff", 6, 4, RCN_EFORMAT, "invalid GBK byte sequence at byte 5");
	expect_error("GBK", "\xd6\xd0\xce\xc4x\xff", 6, 5, RCN_EFORMAT, "invalid GBK byte sequence at byte 5");
	/* A lead byte followed by a byte that cannot follow it. */
	expect_error("GBK", "\xd6\xd0\xd6\x0a", 4, 3, RCN_EFORMAT, "invalid GBK byte sequence at byte 2");
	/* Cut short at the end of the stream. */
	expect_error("GBK", "\xd6\xd0\xce", 3, 1, RCN_EFORMAT, "truncated GBK byte sequence at the end (byte 2)");
	expect_error("GBK", "\x94\x39\xfc", 3, 2, RCN_EFORMAT, "truncated GBK byte sequence at the end (byte 0)");
}

static void test_utf8_validation(void **state)
{
	(void)state;
	assert_true(rcn_utf8_valid("", 0));
	assert_true(rcn_utf8_valid(UTF8_TEXT, sizeof(UTF8_TEXT) - 1));
	assert_true(rcn_utf8_valid("\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 19));
	static const char *bad[] = {
		"\xc0\xaf",	    /* overlong '/' */
		"\xc1\xbf",	    /* overlong */
		"\xe0\x80\xaf",	    /* overlong, three bytes */
		"\xf0\x80\x80\xaf", /* overlong, four bytes */
		"\xed\xa0\x80",	    /* surrogate U+D800 */
		"\xed\xbf\xbf",	    /* surrogate U+DFFF */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\x80",		    /* lone continuation */
		"\xe4\xb8",	    /* cut short */
		"\xe4\x41\xad",	    /* a non-continuation inside */
		"\xf8\x88\x80\x80\x80",
		"\xff",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(rcn_utf8_valid(bad[i], strlen(bad[i])));
		char buf[16];
		snprintf(buf, sizeof(buf), "ok%s", bad[i]);
		assert_false(rcn_utf8_valid(buf, strlen(buf)));
	}
	/* The stream names the first bad byte, counted across chunks. */
	expect_error("UTF-8", "ok \xc3\xa9\xc0\xaf", 7, 0, RCN_EFORMAT, "invalid UTF-8 byte sequence at byte 5");
	expect_error("UTF-8", "\xc3\xa9 X\xff", 5, 0, RCN_EFORMAT, "invalid UTF-8 byte sequence at byte 4");
	expect_error("UTF-8", "abc\xed\xa0\x80", 6, 3, RCN_EFORMAT, "invalid UTF-8 byte sequence at byte 3");
	expect_error("UTF-8", "abc\xed\xa0\x80", 6, 4, RCN_EFORMAT, "invalid UTF-8 byte sequence at byte 3");
	expect_error("UTF-8", "abcd\xe4\xb8", 6, 5, RCN_EFORMAT, "truncated UTF-8 byte sequence at the end (byte 4)");
}

static void test_field(void **state)
{
	(void)state;
	char out[64];
	rcn_err err;
	/* Fixed-width fields keep their trailing spaces. */
	assert_int_equal(rcn_charset_field(out, sizeof(out), "\xd6\xd0\xce\xc4  ", 6, "GBK", &err), RCN_OK);
	assert_string_equal(out, "中文  ");
	assert_int_equal(rcn_charset_field(out, sizeof(out), "", 0, "GBK", &err), RCN_OK);
	assert_string_equal(out, "");
	assert_int_equal(rcn_charset_field(out, sizeof(out), "中文", 6, "UTF-8", &err), RCN_OK);
	assert_string_equal(out, "中文");
	/* Exactly fits: six bytes and the NUL. */
	assert_int_equal(rcn_charset_field(out, 7, "\xd6\xd0\xce\xc4", 4, "GBK", &err), RCN_OK);
	assert_string_equal(out, "中文");
	assert_int_equal(rcn_charset_field(out, 6, "\xd6\xd0\xce\xc4", 4, "GBK", &err), RCN_ELIMIT);
	assert_int_equal(err.code, RCN_ELIMIT);
	assert_string_equal(err.msg, "converted text exceeds 5 bytes");
	assert_int_equal(rcn_charset_field(out, sizeof(out), "\xd6\xd0\xff", 3, "GBK", &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "invalid GBK byte sequence at byte 2");
	assert_int_equal(rcn_charset_field(out, sizeof(out), "\xd6", 1, "GBK", &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "truncated GBK byte sequence at the end (byte 0)");
	assert_int_equal(rcn_charset_field(out, sizeof(out), "x", 1, "latin1", &err), RCN_EUSAGE);
	assert_string_equal(err.msg, "unsupported encoding 'latin1' (use GBK or UTF-8)");
}

static void test_limit(void **state)
{
	(void)state;
	rcn_charset *c;
	rcn_buf out;
	rcn_err err;
	/* Both converters stop at the buffer's limit. */
	static const char *from[] = {"GBK", "UTF-8"};
	static const char *in[] = {GBK_TEXT, UTF8_TEXT};
	for (size_t i = 0; i < 2; i++) {
		rcn_buf_init(&out, 10);
		assert_int_equal(rcn_charset_open(&c, from[i], &err), RCN_OK);
		assert_int_equal(rcn_charset_convert(c, in[i], strlen(in[i]), &out, &err), RCN_ELIMIT);
		assert_int_equal(err.code, RCN_ELIMIT);
		assert_string_equal(err.msg, "converted text exceeds 10 bytes");
		assert_true(out.len <= 10);
		rcn_charset_close(c);
		rcn_buf_free(&out);
	}
	/* A large input converts through the internal 4 KiB steps. */
	size_t n = 3 * 10000;
	char *big = malloc(n);
	assert_non_null(big);
	for (size_t i = 0; i < n; i += 3)
		memcpy(big + i, "\xd6\xd0-", 3);
	rcn_buf_init(&out, (size_t)1 << 20);
	assert_int_equal(rcn_charset_open(&c, "GBK", &err), RCN_OK);
	assert_int_equal(rcn_charset_convert(c, big, n, &out, &err), RCN_OK);
	assert_int_equal(rcn_charset_finish(c, &out, &err), RCN_OK);
	assert_int_equal(out.len, 4 * 10000);
	assert_memory_equal(out.data + out.len - 4, "中-", 4);
	rcn_charset_close(c);
	rcn_buf_free(&out);
	free(big);
	rcn_charset_close(NULL);
	assert_int_equal(rcn_charset_open(&c, "EBCDIC", &err), RCN_EUSAGE);
	assert_string_equal(err.msg, "unsupported encoding 'EBCDIC' (use GBK or UTF-8)");
}

RCN_TEST_MAIN(RCN_UNIT_TESTS(test_gbk_every_split, test_utf8_every_split, test_invalid_gbk, test_utf8_validation,
			     test_field, test_limit))
