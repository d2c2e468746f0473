/* The partition key's hash (recon/part.h) against the server's own
 * hashtextextended on the throwaway cluster of tests/db/pg.sh: texts of every
 * length from 0 to 64 bytes (every tail of lookup3's 12-byte blocks), Chinese
 * and other UTF-8, order numbers like the channels', with seed 0 and
 * another; and the part SQL computes equals rcn_part_of. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/part.h"
#include "db_test_util.h"

#define TEXTS                                                                                                          \
	"(SELECT left(repeat(md5(g::text) || '订单号-№' || g, 4), g % 65) AS s FROM generate_series(0, 2000) g "  \
	"UNION ALL VALUES (''), ('DEMO-P001'), ('BN202603020000000731b99f196e3fcb'), "                                 \
	"('4200001234202603021000000004'), "                                                                           \
	"('商户订单号'), ('a'), ('ab'), ('abc'), ('abcd'), ('abcde'), ('abcdefghijk'), ('abcdefghijkl'), ('😀🎉')) t"

static void test_hash_equals_the_servers(void **state)
{
	(void)state;
	PGresult *res = PQexec(raw, "SELECT s, hashtextextended(s, 0)::text, hashtextextended(s, 4242424242)::text, "
				    "((hashtextextended(s, 0) & x'7fffffffffffffff'::bigint) % 7)::text FROM " TEXTS);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	int rows = PQntuples(res);
	assert_true(rows > 2000);
	for (int r = 0; r < rows; r++) {
		const char *s = PQgetvalue(res, r, 0);
		size_t n = (size_t)PQgetlength(res, r, 0);
		int64_t want0 = strtoll(PQgetvalue(res, r, 1), NULL, 10),
			want1 = strtoll(PQgetvalue(res, r, 2), NULL, 10);
		uint32_t part = (uint32_t)strtoul(PQgetvalue(res, r, 3), NULL, 10);
		if (rcn_part_hash(s, n, 0) != want0 || rcn_part_hash(s, n, 4242424242u) != want1 ||
		    rcn_part_of(s, n, 7) != part)
			fail_msg("'%s' (%zu bytes): ours %" PRId64 " / %" PRId64 " part %u, the server's %" PRId64
				 " / %" PRId64 " part %u",
				 s, n, rcn_part_hash(s, n, 0), rcn_part_hash(s, n, 4242424242u), rcn_part_of(s, n, 7),
				 want0, want1, part);
	}
	PQclear(res);
}

static void test_parts_are_balanced(void **state)
{
	(void)state;
	unsigned count[4] = {0};
	char key[40];
	for (int i = 0; i < 40000; i++) {
		int n = snprintf(key, sizeof key, "BN20260302%022d", i);
		count[rcn_part_of(key, (size_t)n, 4)]++;
	}
	for (int p = 0; p < 4; p++)
		assert_in_range(count[p], 9500, 10500); /* 10,000 each, give or take 5% */
	assert_int_equal(rcn_part_of("x", 1, 1), 0);
	assert_int_equal(rcn_part_of("x", 1, 0), 0);
}

static int group_setup(void **state)
{
	(void)state;
	return db_test_open(NULL);
}

RCN_TEST_MAIN_FIXTURE(group_setup, db_test_close, cmocka_unit_test(test_hash_equals_the_servers),
		      cmocka_unit_test(test_parts_are_balanced))
