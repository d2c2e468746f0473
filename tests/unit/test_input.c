/* decode: gzip detection by magic bytes, concatenated members, truncation and
 * corruption errors naming the file, the inflated-size cap, the gzip bomb guard,
 * raw-byte SHA-256, and the same reader over a borrowed buffer. */
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

#include <openssl/evp.h>
#include <zlib.h>

#include "recon/input.h"
#include "parser_harness.h"

#define WECHAT_DIR SAMPLES_DIR "/wechat"
#define CSV	   WECHAT_DIR "/gunsluo_v3_tradebill_ALL.csv"
#define GZ	   WECHAT_DIR "/gunsluo_v3_tradebill_ALL.csv.gz"
#define CSV_SHA256 "d0d81b8ca429b121ca95e6dfeb9e12d43a803375a33bf0a32c94a3754b27c6fb" /* sha256sum */
#define GZ_SHA256  "3acbd916ad4c8f8421ab1c9be423bf4b094f10a00dcc9f08ade348a5047739fd"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/recon_test_input.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Reads everything with reads of `step` bytes; returns the final code, *out the data. */
static rcn_rc read_all(rcn_input *in, size_t step, char **out, size_t *n, rcn_err *err)
{
	size_t cap = 1024, len = 0;
	char *buf = malloc(cap);
	rcn_rc rc;
	assert_non_null(buf);
	for (;;) {
		size_t got;
		if (len + step > cap) {
			cap = 2 * (len + step);
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		rc = rcn_input_read(in, buf + len, step, &got, err);
		if (rc != RCN_OK || got == 0)
			break;
		assert_true(got <= step);
		len += got;
	}
	*out = buf;
	*n = len;
	return rc;
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char d[32];
	unsigned int len = 0;
	assert_int_equal(EVP_Digest(data, n, d, &len, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* What reading an input to its end with reads of `step` bytes must give:
 * the code; the bytes data[0..n) when data is given, their count n alone when
 * sized; its format; the SHA-256 of the raw bytes and their count; for a
 * failure its message and the file it names, the same again on a later read.
 * A field left out (NULL, 0, ANY_FORMAT) is not checked. */
typedef struct {
	size_t step;
	rcn_rc rc;
	const char *data;
	size_t n;
	bool sized;
	enum { ANY_FORMAT, PLAIN, GZIP } format;
	const char *sha;
	size_t raw_bytes;
	const char *file, *msg;
} want_read;

/* Reads in to its end, checks it against w, closes it; the bytes read. */
static size_t check_read(rcn_input *in, const want_read *w)
{
	size_t n;
	char *data, sha[65];
	rcn_err err;
	if (w->format != ANY_FORMAT)
		assert_int_equal(rcn_input_is_gzip(in), w->format == GZIP);
	assert_int_equal(read_all(in, w->step, &data, &n, &err), w->rc);
	if (w->data || w->sized)
		assert_int_equal(n, w->n);
	if (w->data)
		assert_memory_equal(data, w->data, n);
	if (w->sha) {
		rcn_input_sha256_hex(in, sha);
		assert_string_equal(sha, w->sha);
	}
	if (w->raw_bytes)
		assert_int_equal(rcn_input_raw_bytes(in), w->raw_bytes);
	if (w->rc != RCN_OK) {
		assert_int_equal(err.code, w->rc);
		assert_int_equal(err.line, 0);
		if (w->file)
			assert_string_equal(err.file, w->file);
		assert_string_equal(err.msg, w->msg);
		/* The error is sticky. */
		size_t got;
		rcn_err again;
		assert_int_equal(rcn_input_read(in, data, 1, &got, &again), w->rc);
		assert_string_equal(again.msg, w->msg);
	}
	rcn_input_close(in);
	free(data);
	return n;
}

static size_t check_file(const char *path, uint64_t cap, const want_read *w)
{
	rcn_input *in;
	rcn_err err;
	assert_int_equal(rcn_input_open(&in, path, cap, &err), RCN_OK);
	return check_read(in, w);
}

static size_t check_mem(const void *buf, size_t len, const char *label, uint64_t cap, const want_read *w)
{
	rcn_input *in;
	rcn_err err;
	assert_int_equal(rcn_input_open_mem(&in, buf, len, label, cap, &err), RCN_OK);
	return check_read(in, w);
}

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_plain(void **state)
{
	(void)state;
	size_t want_n;
	char *want = ph_slurp(CSV, &want_n);
	check_file(
		CSV, 0,
		&(want_read){
			.step = 100, .data = want, .n = want_n, .format = PLAIN, .sha = CSV_SHA256, .raw_bytes = 1347});
	free(want);
}

static void test_gzip(void **state)
{
	(void)state;
	size_t want_n;
	char *want = ph_slurp(CSV, &want_n);
	/* Tiny reads exercise the output-buffer boundaries of inflate. The
	 * digest is over the stored (compressed) bytes. */
	static const size_t steps[] = {1, 7, 4096};
	for (size_t i = 0; i < 3; i++)
		check_file(GZ, 0,
			   &(want_read){.step = steps[i],
					.data = want,
					.n = want_n,
					.format = GZIP,
					.sha = GZ_SHA256,
					.raw_bytes = 588});
	free(want);
}

static void test_gz_name_plain_content(void **state)
{
	(void)state;
	char path[512];
	size_t want_n;
	char *want = ph_slurp(CSV, &want_n);
	tmp_path(path, sizeof(path), "bill.csv.gz");
	write_file(path, want, want_n);
	check_file(path, 0, &(want_read){.step = 4096, .data = want, .n = want_n, .format = PLAIN, .sha = CSV_SHA256});

	/* And gzip content under a plain name is inflated. */
	size_t gz_n;
	char *gz = ph_slurp(GZ, &gz_n);
	tmp_path(path, sizeof(path), "bill.csv");
	write_file(path, gz, gz_n);
	check_file(path, 0, &(want_read){.step = 4096, .n = want_n, .sized = true, .format = GZIP});
	free(gz);
	free(want);
}

static void test_truncated(void **state)
{
	(void)state;
	char path[512];
	size_t gz_n;
	char *gz = ph_slurp(GZ, &gz_n);
	static const size_t cuts[] = {2, 10, 300, 580};
	for (size_t i = 0; i < 4; i++) {
		tmp_path(path, sizeof(path), "cut.csv.gz");
		write_file(path, gz, cuts[i]);
		check_file(path, 0,
			   &(want_read){.step = 4096,
					.rc = RCN_EFORMAT,
					.format = GZIP,
					.file = path,
					.msg = "truncated gzip stream"});
	}
	free(gz);
}

static void test_corrupt(void **state)
{
	(void)state;
	char path[512];
	size_t gz_n;
	char *gz = ph_slurp(GZ, &gz_n);
	gz[3] = (char)0xE0; /* reserved FLG bits */
	tmp_path(path, sizeof(path), "bad.csv.gz");
	write_file(path, gz, gz_n);
	check_file(path, 0,
		   &(want_read){.step = 4096,
				.rc = RCN_EFORMAT,
				.file = path,
				.msg = "corrupt gzip data: unknown header flags set"});

	/* A damaged trailer: the CRC no longer matches. */
	free(gz);
	gz = ph_slurp(GZ, &gz_n);
	gz[gz_n - 6] ^= 0x55;
	write_file(path, gz, gz_n);
	check_file(path, 0,
		   &(want_read){.step = 4096, .rc = RCN_EFORMAT, .msg = "corrupt gzip data: incorrect data check"});
	free(gz);
}

static void test_concatenated_members(void **state)
{
	(void)state;
	char path[512];
	size_t gz_n, csv_n;
	char *gz = ph_slurp(GZ, &gz_n);
	char *csv = ph_slurp(CSV, &csv_n);
	char *two = malloc(2 * gz_n), *two_csv = malloc(2 * csv_n);
	assert_non_null(two);
	assert_non_null(two_csv);
	memcpy(two, gz, gz_n);
	memcpy(two + gz_n, gz, gz_n);
	memcpy(two_csv, csv, csv_n);
	memcpy(two_csv + csv_n, csv, csv_n);
	tmp_path(path, sizeof(path), "two.gz");
	write_file(path, two, 2 * gz_n);
	check_file(path, 0, &(want_read){.step = 500, .data = two_csv, .n = 2 * csv_n});

	/* A second member cut short is still a truncation. */
	write_file(path, two, 2 * gz_n - 4);
	check_file(path, 0, &(want_read){.step = 500, .rc = RCN_EFORMAT, .msg = "truncated gzip stream"});
	free(two);
	free(two_csv);
	free(csv);
	free(gz);
}

static void test_cap(void **state)
{
	(void)state;
	size_t n = check_file(
		GZ, 1000,
		&(want_read){.step = 4096, .rc = RCN_ELIMIT, .file = GZ, .msg = "inflated size exceeds 1000 bytes"});
	assert_true(n <= 1000);

	/* Exactly at the cap is fine. */
	check_file(GZ, 1347, &(want_read){.step = 1, .n = 1347, .sized = true});

	check_file(CSV, 100, &(want_read){.step = 4096, .rc = RCN_ELIMIT, .msg = "file size exceeds 100 bytes"});
}

static void test_missing_file(void **state)
{
	(void)state;
	rcn_input *in = NULL;
	rcn_err err;
	assert_int_equal(rcn_input_open(&in, "/nonexistent/bill.csv.gz", 0, &err), RCN_EIO);
	assert_null(in);
	assert_int_equal(err.code, RCN_EIO);
	assert_string_equal(err.file, "/nonexistent/bill.csv.gz");
	assert_string_equal(err.msg, "cannot open: No such file or directory");
}

/* size bytes of a CSV-like text of several raw chunks; caller frees. */
static char *big_text(size_t size)
{
	char *src = malloc(size);
	assert_non_null(src);
	for (size_t i = 0; i < size; i++)
		src[i] = (char)("0123456789,`\n"[(i * 7 + i / 13) % 13]);
	return src;
}

static void test_empty_and_large(void **state)
{
	(void)state;
	char path[512], want_sha[65];

	tmp_path(path, sizeof(path), "empty.csv");
	write_file(path, "", 0);
	check_file(path, 0, &(want_read){.step = 10, .sized = true, .format = PLAIN, .sha = EMPTY_SHA256});

	/* Several raw chunks, plain and gzip (written by zlib's gzwrite). */
	size_t big = 300 * 1024;
	char *src = big_text(big);
	tmp_path(path, sizeof(path), "big.csv");
	write_file(path, src, big);
	sha256_hex(src, big, want_sha);
	check_file(path, 0, &(want_read){.step = 10000, .data = src, .n = big, .sha = want_sha});

	tmp_path(path, sizeof(path), "big.gz");
	gzFile gzf = gzopen(path, "wb1");
	assert_non_null(gzf);
	assert_int_equal(gzwrite(gzf, src, (unsigned)big), (int)big);
	assert_int_equal(gzclose(gzf), Z_OK);
	size_t raw_n;
	char *raw = ph_slurp(path, &raw_n);
	sha256_hex(raw, raw_n, want_sha);
	check_file(path, 0,
		   &(want_read){
			   .step = 65536, .data = src, .n = big, .format = GZIP, .sha = want_sha, .raw_bytes = raw_n});
	free(raw);
	free(src);
}

/* gzip (one member, level 9) of data[0..n); caller frees. */
static char *gzip_level(const void *data, size_t n, int level, size_t *out_n)
{
	z_stream s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&s, (uLong)n) + 64;
	char *out = malloc(cap);
	assert_non_null(out);
	s.next_in = (Bytef *)(uintptr_t)data;
	s.avail_in = (uInt)n;
	s.next_out = (Bytef *)out;
	s.avail_out = (uInt)cap;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	*out_n = cap - s.avail_out;
	deflateEnd(&s);
	return out;
}

static char *gzip_mem(const void *data, size_t n, size_t *out_n)
{
	return gzip_level(data, n, 9, out_n);
}

/* A second member whose header straddles the 64 KiB read boundary at every
 * offset: it inflates whole, and its FLG byte is still checked. */
static void test_member_across_chunks(void **state)
{
	(void)state;
	unsigned char noise[70000 + 7];
	uint32_t x = 12345;
	for (size_t i = 0; i < 70000; i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (unsigned char)(x >> 24);
	}
	size_t tail_n;
	char *tail = gzip_level("second\n", 7, 6, &tail_n);
	for (size_t before = 1; before <= 5; before++) {
		/* stored blocks: the first member grows a byte a byte until it ends `before` bytes short of 64 KiB */
		size_t first_n = 0, len = 65000;
		char *first = NULL;
		for (; len < 70000; len++) {
			free(first);
			first = gzip_level(noise, len, 0, &first_n);
			if (first_n >= 65536 - before)
				break;
		}
		assert_int_equal(first_n, 65536 - before);
		char *both = malloc(first_n + tail_n);
		assert_non_null(both);
		memcpy(both, first, first_n);
		memcpy(both + first_n, tail, tail_n);
		unsigned char want[sizeof(noise)]; /* the first member's bytes, then the second's */
		memcpy(want, noise, len);
		memcpy(want + len, "second\n", 7);
		check_mem(both, first_n + tail_n, "two.gz", 0,
			  &(want_read){.step = 65536, .data = (const char *)want, .n = len + 7});

		both[first_n + 3] = (char)0x20; /* a reserved FLG bit in the second member */
		check_mem(both, first_n + tail_n, "two.gz", 0,
			  &(want_read){.step = 65536,
				       .rc = RCN_EFORMAT,
				       .msg = "corrupt gzip data: unknown header flags set"});
		free(both);
		free(first);
	}
	free(tail);
}

static void test_open_mem(void **state)
{
	(void)state;
	size_t gz_n, csv_n;
	char *gz = ph_slurp(GZ, &gz_n);
	char *csv = ph_slurp(CSV, &csv_n);
	check_mem(gz, gz_n, "bill.csv.gz", 0,
		  &(want_read){.step = 7, .data = csv, .n = csv_n, .format = GZIP, .sha = GZ_SHA256, .raw_bytes = 588});
	check_mem(csv, csv_n, "bill.csv", 0,
		  &(want_read){.step = 100, .data = csv, .n = csv_n, .format = PLAIN, .sha = CSV_SHA256});

	/* Errors name the label; the cap and truncation behave as for files. */
	check_mem(gz, 300, "cut.gz", 0,
		  &(want_read){.step = 4096, .rc = RCN_EFORMAT, .file = "cut.gz", .msg = "truncated gzip stream"});
	check_mem(gz, gz_n, NULL, 1000,
		  &(want_read){
			  .step = 4096, .rc = RCN_ELIMIT, .file = "input", .msg = "inflated size exceeds 1000 bytes"});

	/* A buffer of several raw chunks, plain and gzip. */
	size_t big = 200 * 1024 + 3, big_gz_n;
	char *src = big_text(big), want_sha[65];
	sha256_hex(src, big, want_sha);
	check_mem(src, big, "big.csv", 0, &(want_read){.step = 10000, .data = src, .n = big, .sha = want_sha});
	char *big_gz = gzip_mem(src, big, &big_gz_n);
	check_mem(big_gz, big_gz_n, "big.gz", 0,
		  &(want_read){.step = 65536, .data = src, .n = big, .raw_bytes = big_gz_n});
	free(big_gz);
	free(src);

	/* Nothing at all is an empty plain input. */
	check_mem(NULL, 0, "empty", 0, &(want_read){.step = 10, .sized = true, .sha = EMPTY_SHA256});
	free(csv);
	free(gz);
}

static void test_gzip_bomb(void **state)
{
	(void)state;
	static const char *const bomb_msg = "inflated/compressed ratio exceeds 1000 (gzip bomb?)";
	size_t big = (size_t)2 << 20, bomb_n;
	char *zeros = calloc(big, 1);
	assert_non_null(zeros);
	char *bomb = gzip_mem(zeros, big, &bomb_n);
	assert_true(bomb_n < 4096);
	char path[512];
	size_t n = check_mem(bomb, bomb_n, "bomb.csv.gz", 0,
			     &(want_read){.step = 65536, .rc = RCN_ELIMIT, .file = "bomb.csv.gz", .msg = bomb_msg});
	/* Stopped soon after the first MiB, not at the end. */
	assert_true(n >= RCN_INPUT_BOMB_FLOOR && n <= RCN_INPUT_BOMB_FLOOR + 65536);

	/* From a file, read in small steps. */
	tmp_path(path, sizeof(path), "bomb.gz");
	write_file(path, bomb, bomb_n);
	check_file(path, 0, &(want_read){.step = 4096, .rc = RCN_ELIMIT, .file = path, .msg = bomb_msg});

	/* Under 1 MiB nothing is judged, however well it compresses. */
	free(bomb);
	bomb = gzip_mem(zeros, RCN_INPUT_BOMB_FLOOR, &bomb_n);
	check_mem(bomb, bomb_n, "ok.gz", 0, &(want_read){.step = 65536, .n = RCN_INPUT_BOMB_FLOOR, .sized = true});
	free(bomb);
	free(zeros);
}

/* The read-ahead thread gives exactly the bytes rcn_input_read gives, in
 * order, across more chunks than its ring holds; an error comes where the
 * input has it and again on every later call; a stop before the end returns. */
static void test_readahead(void **state)
{
	(void)state;
	size_t big = (size_t)3 << 20, gz_n;
	char *src = malloc(big);
	assert_non_null(src);
	uint32_t x = 7;
	for (size_t i = 0; i < big; i++) {
		x = x * 1103515245u + 12345u;
		src[i] = (char)('a' + (x >> 24) % 16);
	}
	char *gz = gzip_mem(src, big, &gz_n);
	rcn_input *in;
	rcn_err err;
	assert_int_equal(rcn_input_open_mem(&in, gz, gz_n, "big.gz", 0, &err), RCN_OK);
	rcn_readahead *ra = rcn_readahead_start(in, 4096);
	assert_non_null(ra);
	size_t total = 0, got;
	const char *data;
	do {
		assert_int_equal(rcn_readahead_next(ra, &data, &got, &err), RCN_OK);
		assert_true(total + got <= big);
		assert_memory_equal(data, src + total, got);
		total += got;
	} while (got > 0);
	assert_int_equal(total, big);
	assert_int_equal(rcn_readahead_next(ra, &data, &got, &err), RCN_OK); /* the end, again */
	assert_int_equal(got, 0);
	rcn_readahead_stop(ra);
	rcn_input_close(in);

	/* cut short: the bytes before the cut, then the error, twice */
	assert_int_equal(rcn_input_open_mem(&in, gz, gz_n / 2, "cut.gz", 0, &err), RCN_OK);
	ra = rcn_readahead_start(in, 4096);
	rcn_rc rc;
	total = 0;
	while ((rc = rcn_readahead_next(ra, &data, &got, &err)) == RCN_OK && got > 0)
		total += got;
	assert_int_equal(rc, RCN_EFORMAT);
	assert_string_equal(err.msg, "truncated gzip stream");
	assert_true(total > 0 && total < big);
	rcn_err again;
	assert_int_equal(rcn_readahead_next(ra, &data, &got, &again), RCN_EFORMAT);
	assert_string_equal(again.msg, "truncated gzip stream");
	rcn_readahead_stop(ra);
	rcn_input_close(in);

	/* stopped after one chunk, with the ring full behind it */
	assert_int_equal(rcn_input_open_mem(&in, gz, gz_n, "big.gz", 0, &err), RCN_OK);
	ra = rcn_readahead_start(in, 4096);
	assert_int_equal(rcn_readahead_next(ra, &data, &got, &err), RCN_OK);
	assert_memory_equal(data, src, got);
	rcn_readahead_stop(ra);
	rcn_input_close(in);
	free(gz);
	free(src);
}

RCN_TEST_MAIN_FIXTURE(setup, teardown,
		      RCN_UNIT_TESTS(test_plain, test_gzip, test_gz_name_plain_content, test_truncated, test_corrupt,
				     test_concatenated_members, test_cap, test_missing_file, test_empty_and_large,
				     test_open_mem, test_gzip_bomb, test_member_across_chunks, test_readahead))
