/* SQL for the modules above the ledger that keep tables of their own (the
 * open-items register): the ledger module's helpers that run a statement
 * and turn a libpq failure into a one-line error. Owned by src/ledger. */
#ifndef RECON_PQ_H
#define RECON_PQ_H

#include <libpq-fe.h>

#include "recon/date.h"
#include "recon/db.h"

/* The connection, for COPY and the result readers of libpq. */
PGconn *rcn_db_conn(rcn_db *db);

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

/* COPY ... FROM STDIN (FORMAT binary): the server then parses no dates and
 * integers from text. The file header once, per row the field count then
 * each field, the trailer at the end; each appends to b and returns
 * rcn_buf_append's first failure. Text: NULL for NULL, and for "" when
 * empty_is_null. A date: days since 1970-01-01 (NULL when !has). */
rcn_rc rcn_pq_bin_header(rcn_buf *b);
rcn_rc rcn_pq_bin_fields(rcn_buf *b, int n);
rcn_rc rcn_pq_bin_trailer(rcn_buf *b);
rcn_rc rcn_pq_bin_null(rcn_buf *b);
rcn_rc rcn_pq_bin_text(rcn_buf *b, const char *s, bool empty_is_null);
/* n bytes as they are (bytea, or a json/text value without a NUL). */
rcn_rc rcn_pq_bin_bytes(rcn_buf *b, const void *data, size_t n);
rcn_rc rcn_pq_bin_int8(rcn_buf *b, bool has, int64_t v);
rcn_rc rcn_pq_bin_int4(rcn_buf *b, int32_t v);
rcn_rc rcn_pq_bin_date(rcn_buf *b, bool has, rcn_date d);
rcn_rc rcn_pq_bin_bool(rcn_buf *b, bool v);

#endif
