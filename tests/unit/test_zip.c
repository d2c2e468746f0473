/* decode: the zip reader on the official UnionPay sample, GBK and UTF-8 names, stored entries,
 * streaming in chunks, and every refusal a hostile archive earns (exact messages). Hostile
 * archives are built here by zbuild(), which writes local headers and the central directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "recon/parse.h"
#include "recon/zip.h"
#include "parser_harness.h"

#define UNIONPAY_ZIP SAMPLES_DIR "/unionpay/802310048993424_20150905.zip"
#define UNIONPAY_ZM  "INN15090588ZM_802310048993424"
#define UNIONPAY_RD  "RD201015090501_802310048993424"
#define ZIP_FIXTURES FIXTURES_DIR "/zip"
#define GBK_DETAIL   "20880000000000000156_20260302_\xd2\xb5\xce\xf1\xc3\xf7\xcf\xb8.csv"
#define UTF8_DETAIL  "20880000000000000156_20260302_业务明细.csv"
#define MIB	     ((size_t)1 << 20)
#define GBK_SUMMARY  "20880000000000000156_20260302_\xd2\xb5\xce\xf1\xc3\xf7\xcf\xb8(\xbb\xe3\xd7\xdc).csv"
#define UP_FIXTURE   FIXTURES_DIR "/fetch/unionpay/802310048993424_20150905.zip"

/* ---- building archives ---- */

typedef struct {
	const char *name; /* raw name bytes */
	const void *data;
	size_t n;
	int method; /* 0 stored, 8 deflate, anything else is written as is (data stored) */
	uint16_t flags;
	uint32_t crc_xor;     /* damages the recorded CRC-32 */
	int64_t size_delta;   /* added to the declared inflated size */
	size_t garbage_bytes; /* replace the compressed data by this many bytes of junk */
} zfile;

static void put16(rcn_buf *b, unsigned v)
{
	unsigned char p[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
	assert_int_equal(rcn_buf_append(b, p, 2), RCN_OK);
}

static void put32(rcn_buf *b, uint32_t v)
{
	unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	assert_int_equal(rcn_buf_append(b, p, 4), RCN_OK);
}

static void put(rcn_buf *b, const void *p, size_t n)
{
	assert_int_equal(rcn_buf_append(b, p, n), RCN_OK);
}

static unsigned char *deflate_raw(const void *data, size_t n, size_t *out_n)
{
	z_stream s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&s, (uLong)n);
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	s.next_in = (Bytef *)(uintptr_t)data;
	s.avail_in = (uInt)n;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	*out_n = cap - s.avail_out;
	deflateEnd(&s);
	return out;
}

/* A zip of the given files: local headers with data, then the central directory and end record.
 * Caller frees the result. */
static char *zbuild(const zfile *files, size_t count, size_t *out_n)
{
	rcn_buf b, cd;
	rcn_buf_init(&b, SIZE_MAX);
	rcn_buf_init(&cd, SIZE_MAX);
	for (size_t i = 0; i < count; i++) {
		const zfile *f = &files[i];
		size_t cn = f->n;
		unsigned char *comp = NULL;
		const void *stored = f->data;
		if (f->garbage_bytes) {
			comp = malloc(f->garbage_bytes);
			assert_non_null(comp);
			memset(comp, 0xFF, f->garbage_bytes);
			cn = f->garbage_bytes;
			stored = comp;
		} else if (f->method == 8) {
			comp = deflate_raw(f->data, f->n, &cn);
			stored = comp;
		}
		uint32_t crc = (uint32_t)crc32(0, f->data, (uInt)f->n) ^ f->crc_xor;
		uint32_t usize = (uint32_t)((int64_t)f->n + f->size_delta);
		uint32_t off = (uint32_t)b.len;
		size_t nlen = strlen(f->name);
		put32(&b, 0x04034b50);
		put16(&b, 20);
		put16(&b, f->flags);
		put16(&b, (unsigned)f->method);
		put16(&b, 0);
		put16(&b, 0x5C62);
		put32(&b, crc);
		put32(&b, (uint32_t)cn);
		put32(&b, usize);
		put16(&b, (unsigned)nlen);
		put16(&b, 0);
		put(&b, f->name, nlen);
		if (cn)
			put(&b, stored, cn);
		put32(&cd, 0x02014b50);
		put16(&cd, 20);
		put16(&cd, 20);
		put16(&cd, f->flags);
		put16(&cd, (unsigned)f->method);
		put16(&cd, 0);
		put16(&cd, 0x5C62);
		put32(&cd, crc);
		put32(&cd, (uint32_t)cn);
		put32(&cd, usize);
		put16(&cd, (unsigned)nlen);
		put16(&cd, 0);
		put16(&cd, 0);
		put16(&cd, 0);
		put16(&cd, 0);
		put32(&cd, 0);
		put32(&cd, off);
		put(&cd, f->name, nlen);
		free(comp);
	}
	uint32_t cd_off = (uint32_t)b.len;
	if (cd.len)
		put(&b, cd.data, cd.len);
	put32(&b, 0x06054b50);
	put16(&b, 0);
	put16(&b, 0);
	put16(&b, (unsigned)count);
	put16(&b, (unsigned)count);
	put32(&b, (uint32_t)cd.len);
	put32(&b, cd_off);
	put16(&b, 0);
	rcn_buf_free(&cd);
	*out_n = b.len;
	return b.data;
}

/* ---- reading ---- */

typedef struct {
	rcn_buf out;
	size_t calls, max_chunk;
	size_t fail_after; /* the sink fails on this call (1-based), 0 never */
} collected;

static void collect_init(collected *c)
{
	memset(c, 0, sizeof(*c));
	rcn_buf_init(&c->out, (size_t)64 << 20);
}

static rcn_rc collect(void *ctx, const char *buf, size_t n, rcn_err *err)
{
	collected *c = ctx;
	c->calls++;
	if (n > c->max_chunk)
		c->max_chunk = n;
	if (c->fail_after && c->calls == c->fail_after)
		return rcn_err_set(err, RCN_ETOTALS, "sink", 7, "the sink said no");
	assert_int_equal(rcn_buf_append(&c->out, buf, n), RCN_OK);
	return RCN_OK;
}

/* Opens data[0..n) as `label` with lim and expects open to fail with code and msg. */
static void expect_open_error(const char *data, size_t n, const char *label, const rcn_zip_limits *lim, rcn_rc code,
			      const char *msg)
{
	rcn_zip *z = NULL;
	rcn_err err;
	assert_int_equal(rcn_zip_open_mem(&z, data, n, label, lim, &err), code);
	assert_null(z);
	assert_int_equal(err.code, code);
	assert_string_equal(err.file, label);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, msg);
}

/* Opens data, reads entry 0 and expects the read to fail with code, file and msg. */
static void expect_read_error(const char *data, size_t n, const char *label, const rcn_zip_limits *lim, rcn_rc code,
			      const char *file, const char *msg)
{
	rcn_zip *z;
	rcn_err err;
	collected c;
	collect_init(&c);
	assert_int_equal(rcn_zip_open_mem(&z, data, n, label, lim, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), code);
	assert_int_equal(err.code, code);
	assert_string_equal(err.file, file);
	assert_string_equal(err.msg, msg);
	assert_true(c.max_chunk <= 65536);
	rcn_zip_close(z);
	rcn_buf_free(&c.out);
}

static void test_unionpay_sample(void **state)
{
	(void)state;
	static const char *names[] = {UNIONPAY_ZM, UNIONPAY_RD};
	static const uint64_t sizes[] = {4872, 2312};
	size_t zn;
	char *zbytes = ph_slurp(UNIONPAY_ZIP, &zn);
	for (int from_mem = 0; from_mem < 2; from_mem++) {
		rcn_zip *z;
		rcn_err err;
		if (from_mem)
			assert_int_equal(rcn_zip_open_mem(&z, zbytes, zn, "up.zip", NULL, &err), RCN_OK);
		else
			assert_int_equal(rcn_zip_open_file(&z, UNIONPAY_ZIP, "up.zip", NULL, &err), RCN_OK);
		assert_int_equal(rcn_zip_count(z), 2);
		for (size_t i = 0; i < 2; i++) {
			const rcn_zip_entry *e = rcn_zip_entry_at(z, i);
			assert_string_equal(e->name, names[i]);
			assert_int_equal(e->size, sizes[i]);
			assert_int_equal(e->method, 8);
			assert_true(e->compressed_size < e->size);
			char path[512];
			size_t want_n;
			snprintf(path, sizeof(path), "%s/unionpay/extracted/%s", SAMPLES_DIR, names[i]);
			char *want = ph_slurp(path, &want_n);
			collected c;
			collect_init(&c);
			assert_int_equal(rcn_zip_read(z, i, collect, &c, &err), RCN_OK);
			assert_int_equal(c.out.len, want_n);
			assert_memory_equal(c.out.data, want, want_n);
			/* Reading again gives the same bytes. */
			rcn_buf_reset(&c.out);
			assert_int_equal(rcn_zip_read(z, i, collect, &c, &err), RCN_OK);
			assert_int_equal(c.out.len, want_n);
			rcn_buf_free(&c.out);
			free(want);
		}
		rcn_zip_close(z);
	}
	assert_true(rcn_zip_magic(zbytes, zn));
	assert_false(rcn_zip_magic("PK", 2));
	assert_false(rcn_zip_magic("\x1f\x8b\x08\x00", 4));
	assert_true(rcn_zip_magic("PK\5\6", 4));
	free(zbytes);
}

static void test_gbk_names(void **state)
{
	(void)state;
	rcn_zip *z;
	rcn_err err;
	/* Made by Python's zipfile, then the names patched to GBK bytes without the UTF-8 flag (FORMATS.md §2). */
	assert_int_equal(rcn_zip_open_file(&z, ZIP_FIXTURES "/alipay_gbk_names.zip", "alipay.zip", NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_count(z), 2);
	assert_string_equal(rcn_zip_entry_at(z, 0)->name, UTF8_DETAIL);
	assert_string_equal(rcn_zip_entry_at(z, 1)->name, "20880000000000000156_20260302_业务明细(汇总).csv");
	collected c;
	collect_init(&c);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_OK);
	assert_int_equal(c.out.len, 162);
	/* the content stays GBK: "#支付宝业务明细查询" */
	assert_memory_equal(c.out.data, "\x23\xd6\xa7\xb8\xb6\xb1\xa6\xd2\xb5\xce\xf1\xc3\xf7\xcf\xb8\xb2\xe9\xd1\xaf",
			    19);
	rcn_buf_free(&c.out);
	rcn_zip_close(z);

	/* Flagged UTF-8 names are kept. */
	assert_int_equal(rcn_zip_open_file(&z, ZIP_FIXTURES "/utf8_flag.zip", NULL, NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_count(z), 1);
	assert_string_equal(rcn_zip_entry_at(z, 0)->name, "账务明细.csv");
	rcn_zip_close(z);

	/* The same through zbuild: GBK, unflagged UTF-8, and a name that is neither. */
	zfile files[] = {{.name = GBK_DETAIL, .data = "a,b\r\n", .n = 5, .method = 8},
			 {.name = "业务明细(汇总).csv", .data = "", .n = 0, .method = 0}};
	size_t n;
	char *zip = zbuild(files, 2, &n);
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "alipay.zip", NULL, &err), RCN_OK);
	assert_string_equal(rcn_zip_entry_at(z, 0)->name, UTF8_DETAIL);
	assert_string_equal(rcn_zip_entry_at(z, 1)->name, "业务明细(汇总).csv");
	rcn_zip_close(z);
	free(zip);

	files[0].name = "\xff\xfe.csv";
	zip = zbuild(files, 1, &n);
	expect_open_error(zip, n, "alipay.zip", NULL, RCN_EFORMAT, "entry name is neither UTF-8 nor GBK");
	free(zip);
	files[0].name = GBK_DETAIL;
	files[0].flags = 0x0800;
	zip = zbuild(files, 1, &n);
	expect_open_error(zip, n, "alipay.zip", NULL, RCN_EFORMAT, "entry name is flagged UTF-8 but is not");
	free(zip);
}

static void test_stored(void **state)
{
	(void)state;
	rcn_zip *z;
	rcn_err err;
	collected c;
	assert_int_equal(rcn_zip_open_file(&z, ZIP_FIXTURES "/stored.zip", "stored.zip", NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_count(z), 2);
	const rcn_zip_entry *e = rcn_zip_entry_at(z, 0);
	assert_string_equal(e->name, "hello.txt");
	assert_int_equal(e->method, 0);
	assert_int_equal(e->size, 20);
	assert_int_equal(e->compressed_size, 20);
	collect_init(&c);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_OK);
	assert_string_equal(c.out.data, "hello, stored world\n");
	rcn_buf_free(&c.out);
	/* An empty entry never calls the sink. */
	collect_init(&c);
	assert_string_equal(rcn_zip_entry_at(z, 1)->name, "empty.txt");
	assert_int_equal(rcn_zip_read(z, 1, collect, &c, &err), RCN_OK);
	assert_int_equal(c.calls, 0);
	rcn_zip_close(z);

	/* A stored entry whose sizes disagree. */
	zfile f = {.name = "s.txt", .data = "stored", .n = 6, .method = 0, .size_delta = 1};
	size_t n;
	char *zip = zbuild(&f, 1, &n);
	expect_read_error(zip, n, "s.zip", NULL, RCN_EFORMAT, "s.zip:s.txt",
			  "stored entry declares 6 compressed and 7 inflated bytes");
	free(zip);
}

/* Large entries stream in chunks of at most 64 KiB, stored and deflated. */
static void test_streaming(void **state)
{
	(void)state;
	size_t big = 300 * 1024 + 17;
	char *src = malloc(big);
	assert_non_null(src);
	uint32_t x = 12345;
	for (size_t i = 0; i < big; i++) {
		x = x * 1103515245u + 12345u;
		src[i] = (char)("0123456789,. \r\nABCDEF"[(x >> 16) % 21]);
	}
	zfile files[] = {{.name = "big.csv", .data = src, .n = big, .method = 8},
			 {.name = "dir/big_stored.csv", .data = src, .n = big, .method = 0},
			 {.name = "a..b.csv", .data = "x", .n = 1, .method = 8}};
	size_t n;
	char *zip = zbuild(files, 3, &n);
	rcn_zip *z;
	rcn_err err;
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "big.zip", NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_count(z), 3);
	for (size_t i = 0; i < 2; i++) {
		collected c;
		collect_init(&c);
		assert_int_equal(rcn_zip_read(z, i, collect, &c, &err), RCN_OK);
		assert_int_equal(c.out.len, big);
		assert_memory_equal(c.out.data, src, big);
		assert_true(c.calls >= 5);
		assert_int_equal(c.max_chunk, 65536);
		rcn_buf_free(&c.out);
	}
	/* ".." inside a name that is not a path component is fine. */
	assert_string_equal(rcn_zip_entry_at(z, 2)->name, "a..b.csv");

	/* A sink error stops the read and is returned as the sink set it. */
	collected c;
	collect_init(&c);
	c.fail_after = 2;
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_ETOTALS);
	assert_string_equal(err.file, "sink");
	assert_string_equal(err.msg, "the sink said no");
	assert_int_equal(c.calls, 2);
	rcn_buf_free(&c.out);
	rcn_zip_close(z);

	/* The same archive from a file. */
	char path[] = "/tmp/recon_test_zip.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, zip, n), (ssize_t)n);
	close(fd);
	assert_int_equal(rcn_zip_open_file(&z, path, "big.zip", NULL, &err), RCN_OK);
	collect_init(&c);
	assert_int_equal(rcn_zip_read(z, 1, collect, &c, &err), RCN_OK);
	assert_int_equal(c.out.len, big);
	assert_memory_equal(c.out.data, src, big);
	rcn_buf_free(&c.out);
	rcn_zip_close(z);
	unlink(path);
	free(zip);
	free(src);
}

static void test_escaping_names(void **state)
{
	(void)state;
	static const struct {
		const char *name, *msg;
	} cases[] = {
		{"../x", "entry name \"../x\" escapes the archive"},
		{"a/../../x", "entry name \"a/../../x\" escapes the archive"},
		{"a\\..\\x", "entry name \"a\\..\\x\" escapes the archive"},
		{"..", "entry name \"..\" escapes the archive"},
		{"/etc/passwd", "entry name \"/etc/passwd\" escapes the archive"},
		{"\\windows\\x", "entry name \"\\windows\\x\" escapes the archive"},
		{"C:x.csv", "entry name \"C:x.csv\" escapes the archive"},
		{"d:\\x.csv", "entry name \"d:\\x.csv\" escapes the archive"},
		{"../\n\x1b[2J", "entry name \"../??[2J\" escapes the archive"}, /* no control bytes in messages */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		zfile files[] = {{.name = "ok.csv", .data = "1", .n = 1, .method = 8},
				 {.name = cases[i].name, .data = "pwned", .n = 5, .method = 8}};
		size_t n;
		char *zip = zbuild(files, 2, &n);
		expect_open_error(zip, n, "alipay.zip", NULL, RCN_EFORMAT, cases[i].msg);
		free(zip);
	}
	/* A long name is cut in the message, at a character boundary. */
	char name[400] = "../";
	for (size_t i = 3; i + 3 < sizeof(name); i += 3)
		memcpy(name + i, "业", 3);
	name[sizeof(name) - 1] = '\0';
	zfile f = {.name = name, .data = "1", .n = 1, .method = 8};
	size_t n;
	char *zip = zbuild(&f, 1, &n);
	rcn_zip *z;
	rcn_err err;
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "a.zip", NULL, &err), RCN_EFORMAT);
	assert_non_null(strstr(err.msg, "...\" escapes the archive"));
	assert_true(strlen(err.msg) < 260);
	free(zip);
	f.name = "nul";
	f.n = 1;
	zip = zbuild(&f, 1, &n);
	zip[30 + 1] = '\0'; /* local name: not read */
	zip[n - 22 - 3 + 1] = '\0';
	expect_open_error(zip, n, "a.zip", NULL, RCN_EFORMAT, "entry name contains a NUL byte");
	free(zip);
}

static void test_too_many_entries(void **state)
{
	(void)state;
	zfile files[] = {{.name = "a", .data = "1", .n = 1, .method = 8},
			 {.name = "b", .data = "2", .n = 1, .method = 8},
			 {.name = "c", .data = "3", .n = 1, .method = 0}};
	size_t n;
	char *zip = zbuild(files, 3, &n);
	rcn_zip_limits lim = {2, 0, 0, 0}; /* zero fields take their defaults */
	expect_open_error(zip, n, "many.zip", &lim, RCN_ELIMIT, "3 entries exceed the limit of 2");
	lim.max_entries = 3;
	rcn_zip *z;
	rcn_err err;
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "many.zip", &lim, &err), RCN_OK);
	assert_int_equal(rcn_zip_count(z), 3);
	rcn_zip_close(z);
	free(zip);
}

static void test_bomb(void **state)
{
	(void)state;
	size_t big = 2 * MIB;
	char *zeros = calloc(big, 1);
	assert_non_null(zeros);
	zfile f = {.name = "zeros.bin", .data = zeros, .n = big, .method = 8};
	size_t n;
	char *zip = zbuild(&f, 1, &n);
	assert_true(n < 4096); /* about 1030:1 */
	/* Default limits: the declared ratio gives it away before anything is inflated. */
	rcn_zip *z;
	rcn_err err;
	collected c;
	collect_init(&c);
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "bomb.zip", NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_ELIMIT);
	assert_string_equal(err.file, "bomb.zip:zeros.bin");
	assert_string_equal(err.msg, "inflated/compressed ratio exceeds 1000 (zip bomb?)");
	assert_int_equal(c.calls, 0);
	rcn_zip_close(z);
	rcn_buf_free(&c.out);
	free(zip);

	/* Zeros followed by noise: overall only ~8:1, but the first MiBs come out at ~1000:1. The
	 * check on the bytes inflated so far stops it soon after 1 MiB. */
	char *mixed = malloc(big + 256 * 1024);
	assert_non_null(mixed);
	memcpy(mixed, zeros, big);
	uint32_t x = 7;
	for (size_t i = big; i < big + 256 * 1024; i++) {
		x = x * 1103515245u + 12345u;
		mixed[i] = (char)(x >> 16);
	}
	f.data = mixed;
	f.n = big + 256 * 1024;
	zip = zbuild(&f, 1, &n);
	rcn_zip_limits lim = {0, 0, 0, 10};
	collect_init(&c);
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "bomb.zip", &lim, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_ELIMIT);
	assert_string_equal(err.file, "bomb.zip:zeros.bin");
	assert_string_equal(err.msg, "inflated/compressed ratio exceeds 10 (zip bomb?)");
	assert_true(c.out.len >= MIB && c.out.len <= MIB + 65536);
	rcn_zip_close(z);
	rcn_buf_free(&c.out);
	/* Zeros come out at ~1030:1: a limit above that reads the entry whole. */
	lim.max_ratio = 2000;
	collect_init(&c);
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "bomb.zip", &lim, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_OK);
	assert_int_equal(c.out.len, f.n);
	rcn_zip_close(z);
	rcn_buf_free(&c.out);
	free(zip);
	free(mixed);
	free(zeros);
}

static void test_size_limits(void **state)
{
	(void)state;
	size_t zn;
	char *zbytes = ph_slurp(UNIONPAY_ZIP, &zn);
	rcn_zip_limits lim = {0, 1000, 0, 0};
	expect_read_error(zbytes, zn, "up.zip", &lim, RCN_ELIMIT, "up.zip:" UNIONPAY_ZM,
			  "inflated size exceeds 1000 bytes");
	lim.max_entry_bytes = 4872; /* exactly at the limit is fine */
	rcn_zip *z;
	rcn_err err;
	collected c;
	collect_init(&c);
	assert_int_equal(rcn_zip_open_mem(&z, zbytes, zn, "up.zip", &lim, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_OK);
	assert_int_equal(c.out.len, 4872);
	rcn_zip_close(z);
	rcn_buf_free(&c.out);

	rcn_zip_limits total = {0, 0, 7000, 0};
	expect_open_error(zbytes, zn, "up.zip", &total, RCN_ELIMIT,
			  "entries inflate to 7184 bytes in total, more than the limit of 7000");
	free(zbytes);

	/* Declared sizes that lie, either way. */
	zfile f = {.name = "d.csv", .data = "0123456789abcdef", .n = 16, .method = 8, .size_delta = -6};
	size_t n;
	char *zip = zbuild(&f, 1, &n);
	expect_read_error(zip, n, "lie.zip", NULL, RCN_EFORMAT, "lie.zip:d.csv",
			  "inflated data exceeds the declared size of 10 bytes");
	free(zip);
	f.size_delta = 4;
	zip = zbuild(&f, 1, &n);
	expect_read_error(zip, n, "lie.zip", NULL, RCN_EFORMAT, "lie.zip:d.csv",
			  "inflated data is shorter than the declared size of 20 bytes");
	free(zip);
}

static void test_crc_mismatch(void **state)
{
	(void)state;
	zfile f = {.name = "data.csv", .data = "id,amount\r\n1,0.01\r\n", .n = 19, .method = 8, .crc_xor = 1};
	size_t n;
	char *zip = zbuild(&f, 1, &n);
	expect_read_error(zip, n, "crc.zip", NULL, RCN_EFORMAT, "crc.zip:data.csv", "CRC mismatch");
	rcn_zip *z;
	rcn_err err;
	char line[1100];
	collected c;
	collect_init(&c);
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "crc.zip", NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_EFORMAT);
	assert_string_equal(rcn_err_format(&err, line, sizeof(line)), "crc.zip:data.csv: CRC mismatch");
	rcn_zip_close(z);
	rcn_buf_free(&c.out);
	free(zip);
	f.method = 0;
	zip = zbuild(&f, 1, &n);
	expect_read_error(zip, n, "crc.zip", NULL, RCN_EFORMAT, "crc.zip:data.csv", "CRC mismatch");
	free(zip);

	/* The sample with one compressed byte flipped fails one way or another, never silently. */
	size_t zn;
	char *zbytes = ph_slurp(UNIONPAY_ZIP, &zn);
	zbytes[30 + strlen(UNIONPAY_ZM) + 200] ^= 0x10;
	collect_init(&c);
	assert_int_equal(rcn_zip_open_mem(&z, zbytes, zn, "up.zip", NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &c, &err), RCN_EFORMAT);
	assert_string_equal(err.file, "up.zip:" UNIONPAY_ZM);
	rcn_zip_close(z);
	rcn_buf_free(&c.out);
	free(zbytes);
}

static void test_truncated(void **state)
{
	(void)state;
	size_t zn;
	char *zbytes = ph_slurp(UNIONPAY_ZIP, &zn);
	static const size_t cuts[] = {4, 29, 600, 1000, 1073};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		expect_open_error(zbytes, cuts[i], "up.zip", NULL, RCN_EFORMAT,
				  "truncated zip archive: no end of central directory record");
	/* Cut from a file on disk. */
	char path[] = "/tmp/recon_test_zip.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, zbytes, 700), 700);
	close(fd);
	rcn_zip *z = NULL;
	rcn_err err;
	assert_int_equal(rcn_zip_open_file(&z, path, "up.zip", NULL, &err), RCN_EFORMAT);
	assert_null(z);
	assert_string_equal(err.file, "up.zip");
	assert_string_equal(err.msg, "truncated zip archive: no end of central directory record");
	unlink(path);

	/* The end record survives but the directory it points at does not. */
	char *cut = malloc(zn);
	assert_non_null(cut);
	memcpy(cut, zbytes, zn);
	cut[zn - 22 + 17] = 0x7F; /* central directory offset far past the end */
	expect_open_error(cut, zn, "up.zip", NULL, RCN_EFORMAT,
			  "truncated zip archive: central directory lies past the end record");
	free(cut);

	/* Entry data cut short inside a deflate stream that claims to go on. */
	zfile f = {.name = "t.csv", .data = "some text some text some text\r\n", .n = 32, .method = 8};
	size_t n;
	char *zip = zbuild(&f, 1, &n);
	/* Shrink the recorded compressed size by 3 in both headers: the stream ends early. */
	zip[18] = (char)(zip[18] - 3);
	zip[n - 22 - 46 - 5 + 20] = (char)(zip[n - 22 - 46 - 5 + 20] - 3);
	expect_read_error(zip, n, "t.zip", NULL, RCN_EFORMAT, "t.zip:t.csv", "truncated deflate data");
	free(zip);
	free(zbytes);
}

static void test_not_a_zip(void **state)
{
	(void)state;
	static const char html[] = "<html><body>502 Bad Gateway</body></html>\n";
	expect_open_error(html, sizeof(html) - 1, "alipay.zip", NULL, RCN_EFORMAT, "not a zip archive");
	expect_open_error("", 0, "alipay.zip", NULL, RCN_EFORMAT, "not a zip archive");
	expect_open_error("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10, "alipay.zip", NULL, RCN_EFORMAT,
			  "not a zip archive");
	rcn_zip *z = NULL;
	rcn_err err;
	assert_int_equal(rcn_zip_open_file(&z, "/nonexistent/x.zip", "x.zip", NULL, &err), RCN_EIO);
	assert_null(z);
	assert_string_equal(err.file, "x.zip");
	assert_string_equal(err.msg, "cannot open: No such file or directory");
	/* Without a label the path names the archive. */
	assert_int_equal(rcn_zip_open_file(&z, "/nonexistent/x.zip", NULL, NULL, &err), RCN_EIO);
	assert_string_equal(err.file, "/nonexistent/x.zip");

	/* An empty archive is just an end record. */
	size_t n;
	char *zip = zbuild(NULL, 0, &n);
	assert_int_equal(n, 22);
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "empty.zip", NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_count(z), 0);
	rcn_zip_close(z);
	free(zip);

	/* Garbage where the deflate data should be. */
	zfile f = {.name = "g.csv", .data = "abc", .n = 3, .method = 8, .garbage_bytes = 8};
	zip = zbuild(&f, 1, &n);
	expect_read_error(zip, n, "g.zip", NULL, RCN_EFORMAT, "g.zip:g.csv",
			  "corrupt deflate data: invalid block type");
	free(zip);
}

static void test_refused_entries(void **state)
{
	(void)state;
	zfile f = {.name = "secret.csv", .data = "xxxxxxxx", .n = 8, .method = 8, .flags = 0x0001};
	size_t n;
	char *zip = zbuild(&f, 1, &n);
	expect_open_error(zip, n, "enc.zip", NULL, RCN_EFORMAT, "entry \"secret.csv\" is encrypted");
	free(zip);

	f.flags = 0;
	f.method = 12; /* bzip2 */
	zip = zbuild(&f, 1, &n);
	expect_open_error(zip, n, "bz.zip", NULL, RCN_EFORMAT,
			  "entry \"secret.csv\" uses unsupported compression method 12");
	free(zip);

	/* zip64: a saturated end record. */
	f.method = 8;
	zip = zbuild(&f, 1, &n);
	memset(zip + n - 22 + 16, 0xFF, 4);
	expect_open_error(zip, n, "z64.zip", NULL, RCN_EFORMAT, "zip64 archives are not supported");
	free(zip);

	/* Other disks, and a directory with more in it than the end record says. */
	zfile two[] = {{.name = "a.csv", .data = "aaaa", .n = 4, .method = 8},
		       {.name = "b.csv", .data = "bbbb", .n = 4, .method = 8}};
	zip = zbuild(two, 2, &n);
	zip[n - 22 + 4] = 1;
	expect_open_error(zip, n, "md.zip", NULL, RCN_EFORMAT, "multi-disk archives are not supported");
	zip[n - 22 + 4] = 0;
	zip[n - 22 + 8] = 1;
	zip[n - 22 + 10] = 1;
	expect_open_error(zip, n, "md.zip", NULL, RCN_EFORMAT,
			  "corrupt central directory: 51 bytes left after 1 records");
	zip[n - 22 + 8] = 2;
	zip[n - 22 + 10] = 2;
	/* Entry a's compressed size grown by 3: its deflate stream ends before that. */
	size_t cd = (unsigned char)zip[n - 22 + 16];
	zip[cd + 20] = (char)(zip[cd + 20] + 3);
	expect_read_error(zip, n, "cs.zip", NULL, RCN_EFORMAT, "cs.zip:a.csv",
			  "deflate data ends before the declared compressed size");
	free(zip);
	/* Entry b's compressed size grown into the central directory. */
	zip = zbuild(two, 2, &n);
	cd = (unsigned char)zip[n - 22 + 16] + 46 + 5;
	zip[cd + 20] = (char)(zip[cd + 20] + 3);
	rcn_zip *z;
	rcn_err err;
	collected c;
	collect_init(&c);
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "cs.zip", NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 1, collect, &c, &err), RCN_EFORMAT);
	assert_string_equal(err.file, "cs.zip:b.csv");
	assert_string_equal(err.msg, "entry data runs into the central directory");
	rcn_zip_close(z);
	rcn_buf_free(&c.out);
	zip[cd + 20] = (char)(zip[cd + 20] + 100);
	expect_open_error(zip, n, "cs.zip", NULL, RCN_EFORMAT, "entry \"b.csv\" runs into the central directory");
	free(zip);

	/* An entry whose local header is not one. */
	zip = zbuild(&f, 1, &n);
	zip[0] = 'X';
	expect_read_error(zip, n, "lh.zip", NULL, RCN_EFORMAT, "lh.zip:secret.csv", "corrupt local header");
	free(zip);
}

/* Two entries of one name: which one a reader takes is anyone's guess. */
static void test_duplicate_names(void **state)
{
	(void)state;
	zfile same[] = {{.name = GBK_DETAIL, .data = "forged", .n = 6, .method = 8},
			{.name = GBK_DETAIL, .data = "real", .n = 4, .method = 8}};
	size_t n;
	char *zip = zbuild(same, 2, &n);
	expect_open_error(zip, n, "a.zip", NULL, RCN_EFORMAT, "two entries are named \"" UTF8_DETAIL "\"");
	free(zip);
	/* the same name once in GBK, once flagged UTF-8: the same entry name after decoding */
	same[1].name = UTF8_DETAIL;
	same[1].flags = 0x0800;
	zip = zbuild(same, 2, &n);
	expect_open_error(zip, n, "a.zip", NULL, RCN_EFORMAT, "two entries are named \"" UTF8_DETAIL "\"");
	free(zip);
	/* names that differ only in case are two names */
	zfile cased[] = {{.name = "a.csv", .data = "1", .n = 1, .method = 8},
			 {.name = "A.csv", .data = "2", .n = 1, .method = 8}};
	zip = zbuild(cased, 2, &n);
	rcn_zip *z;
	rcn_err err;
	assert_int_equal(rcn_zip_open_mem(&z, zip, n, "a.zip", NULL, &err), RCN_OK);
	rcn_zip_close(z);
	free(zip);
}

/* Parses the archive files[] as a statement of `channel` (written to a
 * temporary file) and returns the result. */
static rcn_rc parse_archive_of(const char *channel, const zfile *files, size_t count, rcn_stmt_result *res)
{
	size_t n;
	char *zip = zbuild(files, count, &n);
	char path[] = "/tmp/recon_test_zip_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, zip, n), (ssize_t)n);
	close(fd);
	/* the fixtures' dates: UnionPay times carry no year (the sample's), Alipay's header says 2026-03-02 */
	rcn_date day = strcmp(channel, "unionpay") == 0 ? rcn_date_from_ymd(2015, 9, 5) : rcn_date_from_ymd(2026, 3, 2);
	rcn_stmt_kind kind = {channel, NULL, NULL, day, false};
	rcn_rc rc = rcn_stmt_parse(path, "bill.zip", &kind, NULL, NULL, NULL, res, NULL);
	unlink(path);
	free(zip);
	return rc;
}

static void expect_layout_error(const char *channel, const zfile *files, size_t count, const char *msg)
{
	rcn_stmt_result res;
	assert_int_equal(parse_archive_of(channel, files, count, &res), RCN_EFORMAT);
	assert_true(res.rejected);
	assert_string_equal(res.reason.file, "bill.zip");
	assert_int_equal(res.reason.line, 0);
	assert_string_equal(res.reason.msg, msg);
	assert_int_equal(res.payments + res.refunds, 0);
}

/* An archive holds exactly the entries its channel puts there (FORMATS.md §2,
 * §3): a second candidate for an entry, an entry in a folder or an entry of
 * no known role rejects the file, naming the entries. */
static void test_statement_layout(void **state)
{
	(void)state;
	size_t dn, sn;
	char *detail = ph_slurp(FIXTURES_DIR "/alipay/trade_ok.csv", &dn);
	char *summary = ph_slurp(FIXTURES_DIR "/alipay/summary_ok.csv", &sn);
	rcn_stmt_result res;

	zfile ok[] = {{.name = GBK_DETAIL, .data = detail, .n = dn, .method = 8},
		      {.name = GBK_SUMMARY, .data = summary, .n = sn, .method = 8}};
	assert_int_equal(parse_archive_of("alipay", ok, 2, &res), RCN_OK);
	assert_false(res.rejected);
	assert_int_equal(res.payments, 4);

	/* a forged detail placed before the real one: the first used to win */
	zfile forged[] = {{.name = "a_" GBK_DETAIL, .data = detail, .n = dn, .method = 8},
			  {.name = GBK_DETAIL, .data = detail, .n = dn, .method = 8},
			  {.name = GBK_SUMMARY, .data = summary, .n = sn, .method = 8}};
	expect_layout_error("alipay", forged, 3,
			    "two detail entries, \"a_" UTF8_DETAIL "\" and \"" UTF8_DETAIL
			    "\": which one is the statement is ambiguous");
	/* a copy in a folder, after the real one or alone */
	zfile folder[] = {{.name = GBK_DETAIL, .data = detail, .n = dn, .method = 8},
			  {.name = "x/" GBK_DETAIL, .data = detail, .n = dn, .method = 8}};
	expect_layout_error("alipay", folder, 2,
			    "entry \"x/" UTF8_DETAIL "\" is in a folder: a alipay statement archive holds "
			    "..._业务明细.csv and ..._业务明细(汇总).csv at its top level");
	expect_layout_error("alipay", folder + 1, 1,
			    "entry \"x/" UTF8_DETAIL "\" is in a folder: a alipay statement archive holds "
			    "..._业务明细.csv and ..._业务明细(汇总).csv at its top level");
	zfile dir[] = {{.name = "x/", .data = "", .n = 0, .method = 0}, ok[0], ok[1]};
	expect_layout_error("alipay", dir, 3,
			    "entry \"x/\" is in a folder: a alipay statement archive holds "
			    "..._业务明细.csv and ..._业务明细(汇总).csv at its top level");
	/* two summaries, and entries the channel does not put there */
	zfile two_sum[] = {ok[0], ok[1], {.name = "b_" GBK_SUMMARY, .data = summary, .n = sn, .method = 8}};
	expect_layout_error("alipay", two_sum, 3,
			    "two summary entries, \"20880000000000000156_20260302_业务明细(汇总).csv\" and "
			    "\"b_20880000000000000156_20260302_业务明细(汇总).csv\": which one is the statement is "
			    "ambiguous");
	zfile extra[] = {ok[0], ok[1], {.name = "readme.txt", .data = "hi", .n = 2, .method = 8}};
	expect_layout_error("alipay", extra, 3,
			    "unexpected entry \"readme.txt\": a alipay statement archive holds "
			    "..._业务明细.csv and ..._业务明细(汇总).csv at its top level");
	zfile other_bill[] = {ok[0], {.name = "20880000000000000156_20260302_账务明细.csv", .data = "x", .n = 1}};
	expect_layout_error("alipay", other_bill, 2,
			    "unexpected entry \"20880000000000000156_20260302_账务明细.csv\": a alipay statement "
			    "archive holds ..._业务明细.csv and ..._业务明细(汇总).csv at its top level");
	free(detail);
	free(summary);

	/* UnionPay: the official sample's two entries, then a second ZM and a ZM in a folder */
	rcn_zip *z;
	rcn_err err;
	collected zm, rd;
	collect_init(&zm);
	collect_init(&rd);
	assert_int_equal(rcn_zip_open_file(&z, UP_FIXTURE, NULL, NULL, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &zm, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 1, collect, &rd, &err), RCN_OK);
	rcn_zip_close(z);
	zfile up[] = {{.name = UNIONPAY_ZM, .data = zm.out.data, .n = zm.out.len, .method = 8},
		      {.name = UNIONPAY_RD, .data = rd.out.data, .n = rd.out.len, .method = 8},
		      {.name = "a" UNIONPAY_ZM, .data = zm.out.data, .n = zm.out.len, .method = 8}};
	assert_int_equal(parse_archive_of("unionpay", up, 2, &res), RCN_OK);
	assert_int_equal(res.payments, 8);
	expect_layout_error("unionpay", up, 3,
			    "two detail entries, \"" UNIONPAY_ZM "\" and \"a" UNIONPAY_ZM
			    "\": which one is the statement is ambiguous");
	up[2].name = "x/" UNIONPAY_ZM;
	expect_layout_error("unionpay", up, 3,
			    "entry \"x/" UNIONPAY_ZM "\" is in a folder: a unionpay statement archive holds "
			    "INN...ZM_, ...ZME_ and RD... at its top level");
	up[2].name = "INN15090588ZME_802310048993424";
	zfile two_zme[] = {up[0],
			   up[1],
			   up[2],
			   {.name = "X"
				    "INN15090588ZME_802310048993424",
			    .data = "",
			    .n = 0}};
	expect_layout_error("unionpay", two_zme, 4,
			    "two exception entries, \"INN15090588ZME_802310048993424\" and "
			    "\"XINN15090588ZME_802310048993424\": which one is the statement is ambiguous");
	up[2].name = "notes.txt";
	expect_layout_error("unionpay", up, 3,
			    "unexpected entry \"notes.txt\": a unionpay statement archive holds INN...ZM_, ...ZME_ and "
			    "RD... at its top level");
	rcn_buf_free(&zm.out);
	rcn_buf_free(&rd.out);
}

/* Each record's file names the entry it came from, by a pointer the
 * row store may take for its text while it stays the same (intern's
 * "stable"): so no two entries' records share a pointer. A UnionPay archive
 * whose ZME exception records follow its ZM records used to hand both the
 * same label buffer, rewritten. */
typedef struct {
	const char *ptr[16];
	char text[16][128];
	size_t n;
} files_seen;

static void see_file(void *ctx, const rcn_record *rec)
{
	files_seen *f = ctx;
	if (f->n < 16) {
		f->ptr[f->n] = rec->file;
		snprintf(f->text[f->n], sizeof f->text[f->n], "%s", rec->file);
		f->n++;
	}
}

static void test_entry_labels(void **state)
{
	(void)state;
	rcn_zip *z;
	rcn_err err;
	collected zm, rd;
	collect_init(&zm);
	collect_init(&rd);
	assert_int_equal(
		rcn_zip_open_file(&z, FIXTURES_DIR "/unionpay_cancel/898111148990001_20260302.zip", NULL, NULL, &err),
		RCN_OK);
	assert_int_equal(rcn_zip_read(z, 0, collect, &zm, &err), RCN_OK);
	assert_int_equal(rcn_zip_read(z, 1, collect, &rd, &err), RCN_OK);
	rcn_zip_close(z);
	size_t en;
	char *zme = ph_slurp(FIXTURES_DIR "/unionpay/zme_exceptions", &en);
	char *nl = strchr(zme, '\n'), *merchant = strstr(zme, "802310048993424");
	assert_non_null(nl);
	assert_true(merchant && merchant < nl);
	memcpy(merchant, "898111148990001", 15); /* its first line, on the archive's merchant and day */
	zfile up[] = {
		{.name = "INN26030288ZM_898111148990001", .data = zm.out.data, .n = zm.out.len, .method = 8},
		{.name = "RD202026030201_898111148990001", .data = rd.out.data, .n = rd.out.len, .method = 8},
		{.name = "INN26030288ZME_898111148990001", .data = zme, .n = (size_t)(nl - zme) + 1, .method = 8}};
	size_t n;
	char *bytes = zbuild(up, 3, &n);
	char path[] = "/tmp/recon_test_zip_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	close(fd);
	rcn_stmt_kind kind = {"unionpay", NULL, NULL, rcn_date_from_ymd(2026, 3, 2), false};
	rcn_stmt_result res;
	files_seen seen = {0};
	assert_int_equal(rcn_stmt_parse(path, "up.zip", &kind, see_file, NULL, &seen, &res, NULL), RCN_OK);
	unlink(path);
	assert_false(res.rejected);
	assert_int_equal(seen.n, 4);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(seen.text[i], "up.zip:INN26030288ZM_898111148990001");
	assert_string_equal(seen.text[3], "up.zip:INN26030288ZME_898111148990001");
	for (size_t i = 0; i < seen.n; i++)
		for (size_t j = 0; j < seen.n; j++)
			if (seen.ptr[i] == seen.ptr[j])
				assert_string_equal(seen.text[i], seen.text[j]);
	free(bytes);
	free(zme);
	rcn_buf_free(&zm.out);
	rcn_buf_free(&rd.out);
}

RCN_TEST_MAIN(cmocka_unit_test(test_unionpay_sample), cmocka_unit_test(test_gbk_names), cmocka_unit_test(test_stored),
	      cmocka_unit_test(test_streaming), cmocka_unit_test(test_escaping_names),
	      cmocka_unit_test(test_too_many_entries), cmocka_unit_test(test_bomb), cmocka_unit_test(test_size_limits),
	      cmocka_unit_test(test_crc_mismatch), cmocka_unit_test(test_truncated), cmocka_unit_test(test_not_a_zip),
	      cmocka_unit_test(test_refused_entries), cmocka_unit_test(test_duplicate_names),
	      cmocka_unit_test(test_statement_layout), cmocka_unit_test(test_entry_labels))
