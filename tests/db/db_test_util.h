/* Shared scaffolding of the database tests (tests/db/test_*.c), run under
 * tests/db/pg.sh exec: the two connections of a test binary, running fixture
 * SQL, reading schema files, and the cmocka group set-up and tear-down.
 * Include after cmocka.h. */
#ifndef RECON_TESTS_DB_TEST_UTIL_H
#define RECON_TESTS_DB_TEST_UTIL_H

#include <libpq-fe.h>

#include "recon/db.h"

/* Asserts RCN_OK and shows the error message otherwise (needs `err` in scope). */
#define assert_ok(expr)                                                                                                \
	do {                                                                                                           \
		rcn_rc rc_ = (expr);                                                                                   \
		if (rc_ != RCN_OK)                                                                                     \
			fail_msg("%s: %d %s", #expr, (int)rc_, err.msg);                                               \
	} while (0)

extern PGconn *raw; /* fixtures and checks, written with libpq directly */
extern rcn_db *db;  /* the code under test */

/* Runs q on raw; a failure fails the test with the server's message. */
void sql(const char *q);
/* The whole file (at most 1 MiB), NUL-terminated, owned by the caller. */
char *read_file(const char *path);

/* Connects raw and db, with client_min_messages = warning on raw. With a
 * dbname, that database is first made afresh (dropped, created) and both
 * connect to it; without, both use the environment's. 0, or -1 with the
 * reason on stderr. */
int db_test_open(const char *dbname);
/* A cmocka group tear-down: closes both connections. */
int db_test_close(void **state);

#endif
