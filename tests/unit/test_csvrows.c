/* The CSV row reader: whole plain lines are split without libcsv, everything
 * else goes through it. Each input is read whole, in two pieces split at
 * every byte, and one byte at a time (which never takes the plain-line path):
 * all must give exactly the expected rows and line numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <string.h>

#include "parse/csvrows.h"

typedef struct {
	char out[4096];
	size_t len;
} rows_text;

/* Rows as "LINE:f1|f2|...;" */
static void on_row(void *ctx, rcn_csvrows *r)
{
	rows_text *t = ctx;
	t->len += (size_t)snprintf(t->out + t->len, sizeof(t->out) - t->len, "%ld:", rcn_csvrows_row_line(r));
	for (size_t i = 0; i < rcn_csvrows_count(r); i++) {
		size_t n;
		const char *f = rcn_csvrows_field(r, i, &n);
		t->len += (size_t)snprintf(t->out + t->len, sizeof(t->out) - t->len, "%s%.*s", i ? "|" : "", (int)n, f);
	}
	t->len += (size_t)snprintf(t->out + t->len, sizeof(t->out) - t->len, ";");
}

/* Feeds s[0..n) to r as two pieces split at `split`, or a byte at a time
 * (split SIZE_MAX), and finishes. */
static void feed_split(rcn_csvrows *r, const char *s, size_t n, size_t split)
{
	if (split == SIZE_MAX) {
		for (size_t i = 0; i < n; i++)
			rcn_csvrows_feed(r, s + i, 1);
	} else {
		rcn_csvrows_feed(r, s, split);
		rcn_csvrows_feed(r, s + split, n - split);
	}
	rcn_csvrows_finish(r);
}

static void read_pieces(const char *s, size_t split, bool bytewise, rows_text *t)
{
	memset(t, 0, sizeof(*t));
	rcn_csvrows *r = rcn_csvrows_new("t.csv", on_row, t);
	feed_split(r, s, strlen(s), bytewise ? SIZE_MAX : split);
	assert_null(rcn_csvrows_error(r));
	rcn_csvrows_free(r);
}

static void expect_rows(const char *in, const char *want)
{
	rows_text t;
	size_t n = strlen(in);
	read_pieces(in, n, false, &t);
	assert_string_equal(t.out, want);
	read_pieces(in, 0, true, &t);
	assert_string_equal(t.out, want);
	for (size_t split = 1; split < n; split++) {
		read_pieces(in, split, false, &t);
		if (strcmp(t.out, want) != 0)
			fail_msg("split at %zu: got %s, want %s", split, t.out, want);
	}
}

static void test_plain_lines(void **state)
{
	(void)state;
	expect_rows("a,b,c\r\nd,,f\n", "1:a|b|c;2:d||f;");
	expect_rows("x,y,\r\n", "1:x|y|;");
	expect_rows("`1,` 2 ,`3\n", "1:`1|` 2 |`3;");
	expect_rows("a,b", "1:a|b;");		     /* no newline at the end */
	expect_rows("\n\r\n,\n \t,\t\nz\n", "5:z;"); /* blank rows are skipped, lines still counted */
	expect_rows("\xEF\xBB\xBFh1,h2\nv1,v2\n", "1:h1|h2;2:v1|v2;");
}

static void test_quotes_and_bare_cr(void **state)
{
	(void)state;
	expect_rows("\"q,1\",2\nplain,3\n", "1:q,1|2;2:plain|3;");
	expect_rows("\"multi\nline\",z\nnext,1\n", "1:multi\nline|z;3:next|1;");
	expect_rows("\"a\"\"b\",c\n", "1:a\"b|c;");
	/* a bare CR ends a row inside a line; the rest is a row of its own */
	expect_rows("a\rb,c\nd\n", "1:a;1:b|c;2:d;");
	expect_rows("a,b\rc\n", "1:a|b;1:c;");
}

/* Lines longer than the 16-byte blocks the plain path scans: commas, quotes
 * and CRs on both sides of every block edge. */
static void test_long_lines(void **state)
{
	(void)state;
	/* each after a first line: the first bytes of an input wait for the BOM check and go to libcsv */
	expect_rows("h\naaaaaaaaaaaaaaa,bbbbbbbbbbbbbbb,,cccccccccccccccc,d\n",
		    "1:h;2:aaaaaaaaaaaaaaa|bbbbbbbbbbbbbbb||cccccccccccccccc|d;");
	expect_rows("h\nx,,,,,,,,,,,,,,,,,y\n", "1:h;2:x|||||||||||||||||y;");
	expect_rows("h\n0123456789abcdefghij,\"q,1\",z\n", "1:h;2:0123456789abcdefghij|q,1|z;");
	expect_rows("h\n0123456789abcdef\"q\",z\nnext,0123456789abcdefghij\n",
		    "1:h;2:0123456789abcdef\"q\"|z;3:next|0123456789abcdefghij;");
	expect_rows("h\n0123456789abcdefghij\rk,l\n", "1:h;2:0123456789abcdefghij;2:k|l;");
	expect_rows("h\n0123456789abcde\r,l\n", "1:h;2:0123456789abcde;2:|l;");
	/* a quote and a CR inside a whole block, not only in the tail after the last one */
	expect_rows("h\n0123456789abcdef,\"q,1\",zzzzzzzzzzzzzzzz\n", "1:h;2:0123456789abcdef|q,1|zzzzzzzzzzzzzzzz;");
	expect_rows("h\n0123456789abcdefghij\rk,lllllllllllllllll\n",
		    "1:h;2:0123456789abcdefghij;2:k|lllllllllllllllll;");
	/* the 32-byte blocks of the AVX2 scan: commas at 31, 32 and 63, a quote
	 * and a CR inside the second whole block, not in the tail */
	expect_rows("h\n0123456789abcdef0123456789abcde,,0123456789abcdef0123456789ab,z\n",
		    "1:h;2:0123456789abcdef0123456789abcde||0123456789abcdef0123456789ab|z;");
	expect_rows("h\n0123456789abcdef0123456789abcdef0123,\"q,1\",456789abcdef0123456789abcdefz\n",
		    "1:h;2:0123456789abcdef0123456789abcdef0123|q,1|456789abcdef0123456789abcdefz;");
	expect_rows("h\n0123456789abcdef0123456789abcdef0123\r,456789abcdef0123456789abcdefzzzzz\n",
		    "1:h;2:0123456789abcdef0123456789abcdef0123;2:|456789abcdef0123456789abcdefzzzzz;");
}

/* A plain line's end is found in the same pass as its commas: several
 * short lines in one block (commas after an LF are the next line's), an LF
 * and a CR LF on both sides of the 16- and 32-byte block edges, an empty
 * line between plain ones. */
static void test_line_ends(void **state)
{
	(void)state;
	expect_rows("h\na,b\nc,d\ne,f\n,\ng\n", "1:h;2:a|b;3:c|d;4:e|f;6:g;"); /* "," is a blank row */
	expect_rows("h\na,b\r\nc,d\r\n\r\ne,f\n", "1:h;2:a|b;3:c|d;5:e|f;");
	/* line 2 is 30 bytes and its CR LF at 30-31, 31-32 and 32-33 of the line */
	expect_rows("h\n0123456789abcdef0123456789,b\r\nx,y\n", "1:h;2:0123456789abcdef0123456789|b;3:x|y;");
	expect_rows("h\n0123456789abcdef0123456789a,b\r\nx,y\n", "1:h;2:0123456789abcdef0123456789a|b;3:x|y;");
	expect_rows("h\n0123456789abcdef0123456789ab,b\r\nx,y\n", "1:h;2:0123456789abcdef0123456789ab|b;3:x|y;");
	/* an LF at 31, 32 and 15 of a line, commas right after it */
	expect_rows("h\n0123456789abcdef0123456789abcde\n,z\n", "1:h;2:0123456789abcdef0123456789abcde;3:|z;");
	expect_rows("h\n0123456789abcdef0123456789abcdef\n,z\n", "1:h;2:0123456789abcdef0123456789abcdef;3:|z;");
	expect_rows("h\n0123456789abcde\n,,x\n", "1:h;2:0123456789abcde;3:||x;");
	/* a CR that is not before an LF, at a block edge and as the input's last byte */
	expect_rows("h\n0123456789abcdef0123456789abcde\rx,y\n", "1:h;2:0123456789abcdef0123456789abcde;2:x|y;");
	expect_rows("h\na,b\r", "1:h;2:a|b;");
}

/* The field cap holds on either path: 256 fields are a row, 257 an error on line 2. */
static void test_field_cap(void **state)
{
	(void)state;
	char line[1200];
	for (int fields = 256; fields <= 257; fields++) {
		size_t n = (size_t)snprintf(line, sizeof(line), "h\n");
		for (int i = 0; i < fields; i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, i ? ",%d" : "%d", i % 10);
		line[n++] = '\n';
		line[n] = '\0';
		for (int bytewise = 0; bytewise <= 1; bytewise++) {
			rows_text t;
			memset(&t, 0, sizeof(t));
			rcn_csvrows *r = rcn_csvrows_new("t.csv", on_row, &t);
			for (size_t i = 0; i < n; i += bytewise ? 1 : n)
				rcn_csvrows_feed(r, line + i, bytewise ? 1 : n);
			rcn_csvrows_finish(r);
			const rcn_err *e = rcn_csvrows_error(r);
			if (fields == 256) {
				assert_null(e);
				assert_int_equal(strncmp(t.out, "1:h;2:0|1|2", 11), 0);
			} else {
				assert_non_null(e);
				assert_int_equal(e->line, 2);
				assert_string_equal(e->msg, "row has more than 256 fields");
			}
			rcn_csvrows_free(r);
		}
	}
}

/* The error of reading s whole (split 0), in two pieces at split, or byte by byte (split SIZE_MAX). */
static void read_error(const char *s, size_t n, size_t split, char *msg, size_t cap, long *line)
{
	rows_text t;
	memset(&t, 0, sizeof(t));
	rcn_csvrows *r = rcn_csvrows_new("t.csv", on_row, &t);
	feed_split(r, s, n, split);
	const rcn_err *e = rcn_csvrows_error(r);
	snprintf(msg, cap, "%s", e ? e->msg : "(no error)");
	*line = e ? e->line : 0;
	rcn_csvrows_free(r);
}

/* A control character anywhere in a field (on and across the 16- and
 * 32-byte blocks of the plain-line scan, or on libcsv's path) stops the
 * reader naming the field and byte; TAB, and CR LF inside quotes, are text. */
static void test_control_chars(void **state)
{
	(void)state;
	static const char ctl[] = {'\x1b', '\x07', '\x7f', '\x01', '\x0b'};
	char in[128], want[96], msg[600];
	for (size_t c = 0; c < sizeof(ctl); c++) {
		for (size_t pos = 0; pos < 41; pos++) {
			/* h\n then a 41-byte line (three 10-byte fields and an 8-byte one), then a row more */
			size_t n =
				(size_t)snprintf(in, sizeof(in), "h\n0123456789,0123456789,0123456789,01234567\nz\n");
			size_t at = 2 + pos;
			if (in[at] == ',')
				continue;
			in[at] = ctl[c];
			snprintf(want, sizeof(want), "field %zu: a control character (byte %zu of the field)",
				 pos / 11 + 1, pos % 11 + 1);
			size_t splits[] = {0, SIZE_MAX, 1, 2, at, at + 1, 17, 34};
			for (size_t s = 0; s < sizeof(splits) / sizeof(splits[0]); s++) {
				long line;
				read_error(in, n, splits[s] == 0 ? n : splits[s], msg, sizeof(msg), &line);
				if (strcmp(msg, want) != 0 || line != 2)
					fail_msg("byte 0x%02x at %zu, split %zu: line %ld: %s; want %s",
						 (unsigned)ctl[c], pos, splits[s], line, msg, want);
			}
		}
	}
	expect_rows("a\tb,\tc\t\n\"x\r\ny\",z\n", "1:a\tb|\tc\t;2:x\r\ny|z;");
}

RCN_TEST_MAIN(RCN_UNIT_TESTS(test_plain_lines, test_quotes_and_bare_cr, test_long_lines, test_line_ends, test_field_cap,
			     test_control_chars))
