/* PostgreSQL's binary format as recon reads it: COPY's header, tuples split
 * in place, and timestamps turned into local "YYYY-MM-DD HH:MM:SS". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <string.h>

#include "ledger/pgbin.h"
#include "recon/common.h"

typedef struct {
	char d[256];
	size_t n;
} wire;

static void put_be(wire *w, uint64_t v, size_t bytes)
{
	for (size_t k = 0; k < bytes; k++)
		w->d[w->n++] = (char)(v >> (8 * (bytes - 1 - k)));
}

static void put_value(wire *w, const char *s, size_t n)
{
	put_be(w, n, 4);
	memcpy(w->d + w->n, s, n);
	w->n += n;
}

static void put_null(wire *w)
{
	put_be(w, UINT32_MAX, 4);
}

static size_t header(const char *flags_ext, size_t n)
{
	wire w = {.n = 0};
	memcpy(w.d, "PGCOPY\n\377\r\n\0", 11);
	memcpy(w.d + 11, flags_ext, n);
	memcpy(w.d + 11 + n, "\0\001", 2); /* the first tuple's field count */
	return rcn_pgbin_header(w.d, 11 + n + 2);
}

static void test_header(void **state)
{
	(void)state;
	assert_int_equal(header("\0\0\0\0\0\0\0\0", 8), 19);
	assert_int_equal(header("\0\002\0\0\0\0\0\0", 8), 19);	   /* bit 17: not critical */
	assert_int_equal(header("\0\0\0\0\0\0\0\003abc", 11), 22); /* an extension area, skipped */
	assert_int_equal(header("\0\001\0\0\0\0\0\0", 8), 0);	   /* bit 16: OIDs */
	assert_int_equal(header("\0\0\0\001\0\0\0\0", 8), 0);	   /* a critical bit */
	assert_int_equal(header("\0\0\0\0\0\0\0\011abc", 11), 0);  /* extension past the data */
	assert_int_equal(rcn_pgbin_header("PGCOPY\n\377\r\n\1\0\0\0\0\0\0\0\0", 19), 0); /* signature */
	assert_int_equal(rcn_pgbin_header("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0", 18), 0);	 /* too short */
}

/* Values come out NUL-terminated in place, NULLs as NULL with length -1,
 * binary values intact before their terminator. */
static void test_split(void **state)
{
	(void)state;
	wire w = {.n = 0};
	put_be(&w, 4, 2);
	put_value(&w, "W\t1", 3);
	put_null(&w);
	put_value(&w, "", 0);
	put_value(&w, "\0\0\0\0\0\0\0\052", 8);
	w.d[w.n] = 'x'; /* the writable byte after the row */
	const char *f[8];
	int lens[8];
	assert_int_equal(rcn_pgbin_split(w.d, w.n, f, lens, 8), 4);
	assert_string_equal(f[0], "W\t1");
	assert_int_equal(lens[0], 3);
	assert_null(f[1]);
	assert_int_equal(lens[1], -1);
	assert_string_equal(f[2], "");
	assert_int_equal(lens[2], 0);
	assert_int_equal(lens[3], 8);
	assert_memory_equal(f[3], "\0\0\0\0\0\0\0\052", 8);
	assert_int_equal(f[3][8], '\0');
}

static void test_split_malformed(void **state)
{
	(void)state;
	const char *f[4];
	int lens[4];
	wire t = {.n = 0};
	put_be(&t, UINT16_MAX, 2); /* the trailer: -1 */
	assert_int_equal(rcn_pgbin_split(t.d, t.n, f, lens, 4), 0);
	t.d[t.n++] = 0;
	assert_int_equal(rcn_pgbin_split(t.d, t.n, f, lens, 4), -1); /* bytes after the trailer */

	wire w = {.n = 0};
	put_be(&w, 2, 2);
	put_value(&w, "abc", 3);
	put_value(&w, "de", 2);
	assert_int_equal(rcn_pgbin_split(w.d, w.n, f, lens, 1), -1);	 /* more fields than asked */
	assert_int_equal(rcn_pgbin_split(w.d, w.n - 1, f, lens, 4), -1); /* a value cut short */
	assert_int_equal(rcn_pgbin_split(w.d, w.n - 2, f, lens, 4), -1);
	assert_int_equal(rcn_pgbin_split(w.d, 9, f, lens, 4), -1); /* a length cut short */
	assert_int_equal(rcn_pgbin_split(w.d, 1, f, lens, 4), -1);
	w.d[w.n] = 'z';
	assert_int_equal(rcn_pgbin_split(w.d, w.n + 1, f, lens, 4), -1); /* a byte left over */
	assert_int_equal(rcn_pgbin_split(w.d, w.n, f, lens, 4), 2);

	wire big = {.n = 0};
	put_be(&big, 1, 2);
	put_be(&big, 0x80000000u, 4); /* a length past INT32_MAX that is not -1 */
	assert_int_equal(rcn_pgbin_split(big.d, big.n, f, lens, 4), -1);
	wire neg = {.n = 0};
	put_be(&neg, 0xfffe, 2); /* a count of -2 */
	assert_int_equal(rcn_pgbin_split(neg.d, neg.n, f, lens, 4), -1);
}

/* Whether a message's start holds its whole tuple, and if not how much
 * more it needs at least: a reader that took the first bytes of a long
 * message asks for the rest, and never for bytes of the next message. */
static void test_missing(void **state)
{
	(void)state;
	wire w = {.n = 0};
	put_be(&w, 3, 2);
	put_value(&w, "abc", 3);
	put_null(&w);
	put_value(&w, "0123456789", 10);
	assert_int_equal(w.n, 2 + 7 + 4 + 14);
	assert_int_equal(rcn_pgbin_missing(w.d, w.n, false), 0);
	assert_int_equal(rcn_pgbin_missing(w.d, 1, false), 1);	     /* not even the count */
	assert_int_equal(rcn_pgbin_missing(w.d, 2, false), 4);	     /* the first length */
	assert_int_equal(rcn_pgbin_missing(w.d, 4, false), 2);	     /* half of it */
	assert_int_equal(rcn_pgbin_missing(w.d, 7, false), 2);	     /* "a" of "abc" */
	assert_int_equal(rcn_pgbin_missing(w.d, 9, false), 4);	     /* the NULL's length */
	assert_int_equal(rcn_pgbin_missing(w.d, 13, false), 4);	     /* the last length */
	assert_int_equal(rcn_pgbin_missing(w.d, 17, false), 10);     /* its value */
	assert_int_equal(rcn_pgbin_missing(w.d, w.n - 1, false), 1); /* its last byte */
	wire t = {.n = 0};
	put_be(&t, 0xffff, 2); /* the trailer */
	assert_int_equal(rcn_pgbin_missing(t.d, t.n, false), 0);
	/* the first message: the header (with an extension) before the tuple, or alone */
	wire f = {.n = 0};
	memcpy(f.d, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\002xy", 21);
	f.n = 21;
	assert_int_equal(rcn_pgbin_missing(f.d, 10, true), 9);
	assert_int_equal(rcn_pgbin_missing(f.d, 19, true), 2);
	assert_int_equal(rcn_pgbin_missing(f.d, 21, true), 0);
	memcpy(f.d + f.n, w.d, w.n);
	f.n += w.n;
	assert_int_equal(rcn_pgbin_missing(f.d, f.n, true), 0);
	assert_int_equal(rcn_pgbin_missing(f.d, 21 + 17, true), 10);
	/* malformed: nothing more to wait for, the splitter says what is wrong */
	wire bad = {.n = 0};
	put_be(&bad, 1, 2);
	put_be(&bad, 0x80000000u, 4);
	assert_int_equal(rcn_pgbin_missing(bad.d, bad.n, false), 0);
}

static const char *ts(int64_t usecs)
{
	static char out[20];
	char v[8];
	for (int k = 0; k < 8; k++)
		v[k] = (char)((uint64_t)usecs >> (8 * (7 - k)));
	rcn_time t = 0;
	return rcn_pgbin_timestamp(&t, v) ? rcn_time_format(out, t) : "ERR";
}

#define SEC 1000000LL
#define DAY (86400 * SEC)

static void test_timestamp(void **state)
{
	(void)state;
	assert_string_equal(ts(0), "2000-01-01 00:00:00");
	/* 2026-03-02 10:00:00.75 is 9557 days and 10 h past 2000: the fraction is dropped */
	assert_string_equal(ts(9557 * DAY + 10 * 3600 * SEC + 750000), "2026-03-02 10:00:00");
	assert_string_equal(ts(9557 * DAY + 86399 * SEC + 999999), "2026-03-02 23:59:59");
	/* before 2000 the time rounds down too, never up to the next second */
	assert_string_equal(ts(-1), "1999-12-31 23:59:59");
	assert_string_equal(ts(-SEC), "1999-12-31 23:59:59");
	assert_string_equal(ts(-SEC - 1), "1999-12-31 23:59:58");
	assert_string_equal(ts(-DAY), "1999-12-31 00:00:00");
	assert_string_equal(ts(-10957 * DAY), "1970-01-01 00:00:00");
	assert_string_equal(ts(60 * DAY), "2000-03-01 00:00:00"); /* 2000 is a leap year */
	/* the same day twice, then another */
	assert_string_equal(ts(9557 * DAY + 1), "2026-03-02 00:00:00");
	assert_string_equal(ts(9558 * DAY + 1), "2026-03-03 00:00:00");
	assert_string_equal(ts(9557 * DAY), "2026-03-02 00:00:00");
	/* years 1 and 9999 are the range; infinity, BC and 10000 are not */
	assert_string_equal(ts(-730119 * DAY), "0001-01-01 00:00:00");
	assert_string_equal(ts(-730119 * DAY - 1), "ERR");
	assert_string_equal(ts(2921939 * DAY + 86399 * SEC + 999999), "9999-12-31 23:59:59");
	assert_string_equal(ts(2921940 * DAY), "ERR");
	assert_string_equal(ts(INT64_MAX), "ERR");
	assert_string_equal(ts(INT64_MIN), "ERR");
	assert_string_equal(ts(INT64_MAX - 1), "ERR");
	assert_string_equal(ts(INT64_MIN + 1), "ERR");
}

static const char *tstz(int64_t usecs, const rcn_pgbin_zone *z)
{
	static char out[20];
	char v[8];
	for (int k = 0; k < 8; k++)
		v[k] = (char)((uint64_t)usecs >> (8 * (7 - k)));
	rcn_time t = 0;
	return rcn_pgbin_timestamptz(&t, v, z) ? rcn_time_format(out, t) : "ERR";
}

/* A window's times in its zone, across a change of offset: New York's
 * clocks went from 02:00 EST to 03:00 EDT at 2026-03-08 07:00 UTC. */
static void test_timestamptz(void **state)
{
	(void)state;
	const int64_t start = 9562 * DAY + 5 * 3600 * SEC; /* 2026-03-07 00:00 EST */
	const int64_t change = 9563 * DAY + 7 * 3600 * SEC;
	const rcn_pgbin_offset seg[] = {{start, -5 * 3600}, {change, -4 * 3600}};
	const rcn_pgbin_zone z = {seg, 2, 9564 * DAY + 4 * 3600 * SEC}; /* to 2026-03-09 00:00 EDT */
	assert_string_equal(tstz(start, &z), "2026-03-07 00:00:00");
	assert_string_equal(tstz(change - 1, &z), "2026-03-08 01:59:59");
	assert_string_equal(tstz(change, &z), "2026-03-08 03:00:00");
	assert_string_equal(tstz(z.end - 1, &z), "2026-03-08 23:59:59");
	/* outside the span: the zone's offset there is not known */
	assert_string_equal(tstz(start - 1, &z), "ERR");
	assert_string_equal(tstz(z.end, &z), "ERR");
	assert_string_equal(tstz(INT64_MAX, &z), "ERR");
	assert_string_equal(tstz(INT64_MIN, &z), "ERR");
	/* an offset of seconds (Shanghai's LMT, +08:05:43, to 1901) */
	const rcn_pgbin_offset lmt[] = {{-36524 * DAY - 8 * 3600 * SEC - 343 * SEC, 8 * 3600 + 343}};
	const rcn_pgbin_zone zl = {lmt, 1, -36523 * DAY};
	assert_string_equal(tstz(lmt[0].from, &zl), "1900-01-01 00:00:00");
	assert_string_equal(tstz(lmt[0].from + 61 * SEC, &zl), "1900-01-01 00:01:01");
	const rcn_pgbin_zone none = {NULL, 0, 0};
	assert_string_equal(tstz(0, &none), "ERR");
}

RCN_TEST_MAIN(cmocka_unit_test(test_header), cmocka_unit_test(test_split), cmocka_unit_test(test_split_malformed),
	      cmocka_unit_test(test_missing), cmocka_unit_test(test_timestamp), cmocka_unit_test(test_timestamptz))
