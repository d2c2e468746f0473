/* Packed records (recon/pack.h): a repeating field is written against the
 * record before's value (ids that follow each other cost a few bytes, not
 * their length), the mask as its difference from the record before's; a
 * record that stands alone is read from its offset and in order alike; the
 * same records in memory and in a file read back the same. */
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

#include "recon/pack.h"

enum { N = 2000, MARK_EVERY = 100 };

/* Record i: a transaction id and an order number as a channel and a merchant
 * number them (a date in front, a counter; a part of the night takes every
 * 67th), a status that changes now and then, a field that is empty in
 * every third record, and an integer. */
static void fields_of(int i, char *txn, char *order, const char **status, const char **note)
{
	snprintf(txn, 40, "42000012026030200000%08d", i * 67);
	snprintf(order, 40, "BN20260302%010d%06x", i * 67, ((unsigned)i * 2654435761u) & 0xFFFFFF);
	*status = i % 50 == 7 ? "REFUND" : "SUCCESS";
	*note = i % 3 ? "x" : "";
}

static void put_all(rcn_pack_out *out, uint64_t *at)
{
	for (int i = 0; i < N; i++) {
		char txn[40], order[40];
		const char *status, *note;
		fields_of(i, txn, order, &status, &note);
		if (i % MARK_EVERY == 0) {
			rcn_pack_mark(out);
			at[i / MARK_EVERY] = out->bytes;
		}
		rcn_pack_rec r;
		rcn_pack_rec_init(&r);
		rcn_pack_int(&r, i);
		rcn_pack_str(&r, txn, true);
		rcn_pack_str(&r, order, true);
		rcn_pack_str(&r, status, true);
		rcn_pack_str(&r, note, true);
		rcn_pack_str(&r, order, false); /* in place */
		rcn_pack_put(out, &r);
	}
}

/* Reads record i at the reader's place: true when every field is i's. */
static bool read_is(rcn_pack_in *in, int i)
{
	char txn[40], order[40];
	const char *status, *note;
	fields_of(i, txn, order, &status, &note);
	if (!rcn_pack_next(in) || rcn_pack_get_int(in) != i)
		return false;
	bool same = strcmp(rcn_pack_get_str(in, true), txn) == 0;
	same = strcmp(rcn_pack_get_str(in, true), order) == 0 && same;
	same = strcmp(rcn_pack_get_str(in, true), status) == 0 && same;
	same = strcmp(rcn_pack_get_str(in, true), note) == 0 && same;
	same = strcmp(rcn_pack_get_str(in, false), order) == 0 && same;
	return rcn_pack_done(in) && same;
}

static void check_reads(rcn_pack_in *in, const uint64_t *at)
{
	for (int i = 0; i < N; i++) /* in order, across the records that stand alone */
		assert_true(read_is(in, i));
	assert_false(rcn_pack_next(in));
	assert_false(in->bad);
	for (int k = N / MARK_EVERY - 1; k >= 0; k -= 3) { /* from a record that stands alone, backwards */
		assert_true(rcn_pack_in_seek(in, at[k]));
		for (int i = k * MARK_EVERY; i < k * MARK_EVERY + 5; i++)
			assert_true(read_is(in, i));
		assert_true(rcn_pack_in_offset(in) > at[k]);
	}
}

static void test_front_coded(void **state)
{
	(void)state;
	char path[] = "/tmp/test_pack.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	uint64_t at[N / MARK_EVERY];
	rcn_pack_out out;
	rcn_pack_out_init(&out, path);
	put_all(&out, at);
	uint64_t bytes = out.bytes;
	assert_true(rcn_pack_close(&out));
	/* the order number in place costs its 32 bytes and two more; the rest
	 * (an integer, the ids written against the last record's, a status
	 * that seldom changes) under 20 bytes a record */
	assert_true(bytes < (uint64_t)N * (34 + 20));
	assert_true(bytes > (uint64_t)N * 34);

	rcn_pack_in in;
	assert_true(rcn_pack_in_open_buf(&in, path, 100)); /* records cross the blocks read */
	check_reads(&in, at);
	rcn_pack_in_close(&in);

	rcn_pack_out mem;
	rcn_pack_out_init(&mem, NULL);
	uint64_t at_mem[N / MARK_EVERY];
	put_all(&mem, at_mem);
	assert_true(rcn_pack_close(&mem));
	assert_true(mem.bytes == bytes);
	assert_memory_equal(at, at_mem, sizeof at);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *disk = malloc(bytes);
	assert_int_equal(fread(disk, 1, bytes, f), bytes);
	fclose(f);
	assert_memory_equal(disk, mem.buf, bytes); /* the same bytes in memory as on disk */
	free(disk);
	rcn_pack_in_open_mem(&in, mem.buf, mem.len);
	check_reads(&in, at_mem);
	rcn_pack_in_close(&in);
	rcn_pack_out_free(&mem);
	rcn_pack_out_free(&out);
	assert_int_equal(unlink(path), 0);
}

/* A reader that seeks to a record that does not stand alone, or reads a
 * field as repeating that was not written so, finds the file damaged. */
static void test_misread(void **state)
{
	(void)state;
	rcn_pack_out mem;
	rcn_pack_out_init(&mem, NULL);
	uint64_t second = 0;
	for (int i = 0; i < 2; i++) {
		if (i)
			second = mem.bytes;
		rcn_pack_rec r;
		rcn_pack_rec_init(&r);
		rcn_pack_str(&r, "4200000001", true);
		rcn_pack_put(&mem, &r);
	}
	rcn_pack_in in;
	rcn_pack_in_open_mem(&in, mem.buf, mem.len);
	assert_true(rcn_pack_in_seek(&in, second)); /* "the same as before", with nothing before */
	assert_true(rcn_pack_next(&in));
	(void)rcn_pack_get_str(&in, true);
	assert_false(rcn_pack_done(&in));
	rcn_pack_in_close(&in);
	rcn_pack_in_open_mem(&in, mem.buf, mem.len);
	assert_true(rcn_pack_next(&in));
	(void)rcn_pack_get_str(&in, false); /* written front-coded: no NUL where one is looked for */
	assert_false(rcn_pack_done(&in));
	rcn_pack_in_close(&in);
	rcn_pack_out_free(&mem);
}

RCN_TEST_MAIN(cmocka_unit_test(test_front_coded), cmocka_unit_test(test_misread))
