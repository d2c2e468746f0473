/* Private to src/ledger: the connection handle and the helpers every file of
 * the module uses to run SQL and turn libpq failures into one-line errors. */
#ifndef RECON_LEDGER_DB_INTERNAL_H
#define RECON_LEDGER_DB_INTERNAL_H

#include <libpq-fe.h>

#include "recon/db.h"

struct rcn_db {
	PGconn *conn;
};

/* Advisory lock keys (two-int form): a namespace that is "recn" in ASCII,
 * then 0 for migrations or the day number for one business date's run. */
#define RCN_LOCK_NS_MIGRATE 0x7265636e
#define RCN_LOCK_NS_DATE    0x7265636f

/* Sets err to RCN_EDB with "<what>: <message>" on one line, the message taken
 * from res when it carries one, else from the connection. */
rcn_rc rcn_pq_fail(rcn_db *db, const PGresult *res, rcn_err *err, const char *what);

/* Runs a statement that takes no parameters and returns no rows we need. */
rcn_rc rcn_pq_command(rcn_db *db, const char *sql, rcn_err *err, const char *what);
/* sql with its n text parameters (never spliced into the text), and the
 * answer checked: status `want` (PGRES_TUPLES_OK or PGRES_COMMAND_OK) and,
 * for rows, `nfields` columns (-1: any). On success *out holds the result for
 * the caller to PQclear (out NULL: cleared here); on failure nothing is left
 * and err says `what` was being done. */
rcn_rc rcn_pq_query(rcn_db *db, const char *sql, int n, const char *const *params, ExecStatusType want, int nfields,
		    const char *what, PGresult **out, rcn_err *err);
/* rcn_pq_query for rows of nfields columns, then row(ctx, res, i, err) for
 * each row in order; stops at the first that fails and returns its code. */
typedef rcn_rc (*rcn_pq_row_fn)(void *ctx, const PGresult *res, int row, rcn_err *err);
rcn_rc rcn_pq_each_row(rcn_db *db, const char *sql, int n, const char *const *params, int nfields, const char *what,
		       rcn_pq_row_fn row, void *ctx, rcn_err *err);
/* A query whose answer is one row of one integer (a count, a RETURNING id). */
rcn_rc rcn_pq_int64(rcn_db *db, const char *sql, int n, const char *const *params, const char *what, int64_t *out,
		    rcn_err *err);

/* RCN_EDB unless the connection is outside any transaction block. */
rcn_rc rcn_pq_require_idle(rcn_db *db, rcn_err *err, const char *what);

/* PQescapeLiteral into b (quotes included). */
rcn_rc rcn_pq_put_literal(rcn_db *db, rcn_buf *b, const char *s, rcn_err *err);

/* Reads the results after a COPY or a failed command until libpq has none,
 * so the connection is usable again; returns the first failed result's error
 * (RCN_EDB) or RCN_OK. */
rcn_rc rcn_pq_drain(rcn_db *db, rcn_err *err, const char *what);

/* results.c's transaction: writes the settlements (settlements.c). */
rcn_rc rcn_db_store_settlements(rcn_db *db, const char *date, const rcn_settlement *s, size_t n, rcn_err *err);

#endif
