/* Private to the ledger read side (ledger_load.c, ledger_copy.c, ledger_sql.c,
 * ledger_lookup.c, ledger_suspense.c): the column order of the orders and
 * refunds queries, where one query's rows go (row_ctx) and the SQL text
 * buffer (sqlb).
 *
 *   ledger_sql.c  --SQL text-->  ledger_load.c (the window, COPY)
 *                                ledger_lookup.c (keys outside the window)
 *   rows --> ledger_copy.c (COPY receive, rcn_ld_deliver) --> rcn_ledger_sink
 *   recon_suspense --> ledger_suspense.c --> rcn_ledger_sink */
#ifndef RECON_LEDGER_INT_H
#define RECON_LEDGER_INT_H

#include "ledger/db_internal.h"
#include "ledger/pgbin.h"

#define SQL_LIMIT (256u * 1024u * 1024u)

/* Column order of every orders / refunds query, and of their field arrays. */
enum {
	O_ORDER_NO,
	O_MERCHANT_ID,
	O_CHANNEL,
	O_TXN_ID,
	O_STATUS,
	O_CONTRACT_ID,
	O_AMOUNT,
	O_CREATED_AT,
	O_PAID_AT,
	O_CURRENCY, /* NULL for CNY (NULLIF: the common one is not sent) */
	O__COUNT
};
enum {
	R_REFUND_NO,
	R_ORDER_NO,
	R_CHANNEL_REFUND_ID,
	R_STATUS,
	R_AMOUNT,
	R_REQUESTED_AT,
	R_REFUNDED_AT,
	R_CHANNEL,
	R_MERCHANT_ID,
	R_CURRENCY, /* the order's, NULL for CNY */
	R__COUNT
};

/* One field array serves both kinds. */
_Static_assert((int)O__COUNT >= (int)R__COUNT, "a refund's fields outnumber an order's");

typedef enum { ROW_ORDER, ROW_REFUND } row_kind;

static inline int row_fields(row_kind kind)
{
	return kind == ROW_ORDER ? O__COUNT : R__COUNT;
}

static inline const char *nz(const char *s)
{
	return s ? s : "";
}

/* Where the rows of one query go; `seen` drops rows already delivered by this
 * call (a lookup by order_no and by channel_txn_id can find the same order). */
typedef struct {
	row_kind kind;
	const rcn_ledger_sink *sink;
	bool int_amount;	    /* amount_fen as int8, else as text (rcn_ld_amount_type) */
	const rcn_pgbin_zone *zone; /* times are timestamptz in this zone, else local timestamps */
	bool dedupe;
	rcn_strmap seen;
	rcn_arena arena;
	long rows;
} row_ctx;

void rcn_ld_row_init(row_ctx *c, row_kind kind, const rcn_ledger_sink *sink, bool dedupe);
void rcn_ld_row_free(row_ctx *c);

/* Delivers one row (fields in the column order above, NULL for SQL NULL;
 * lens their lengths): text values NUL-terminated, times 8 bytes. */
rcn_rc rcn_ld_deliver(row_ctx *c, const char **f, const int *lens, rcn_err *err, const char *what);

/* Runs COPY (query) TO STDOUT (FORMAT binary) and delivers every row to c;
 * pipelined: split and deliver on a second thread (ledger_copy.c). */
rcn_rc rcn_ld_copy_out(rcn_db *db, const char *sql, int nfields, row_ctx *c, bool pipelined, rcn_err *err,
		       const char *what);

/* SQL text in a capped buffer; the only values put into it are the zone
 * (PQescapeLiteral), a formatted date and integers. The first failure is
 * kept in rc (and err) and later appends do nothing. */
typedef struct {
	rcn_db *db;
	rcn_buf sql;
	rcn_err *err;
	rcn_rc rc;
} sqlb;

#define ORDER_TS  "COALESCE(o.paid_at, o.created_at)"
#define REFUND_TS "COALESCE(r.refunded_at, r.requested_at)"

void rcn_ld_sql_init(sqlb *q, rcn_db *db, rcn_err *err);
void rcn_ld_sql_str(sqlb *q, const char *s);
void rcn_ld_sql_literal(sqlb *q, const char *s);
/* A site SELECT (or, when none, the table) as the FROM source. */
void rcn_ld_sql_source(sqlb *q, const char *site_sql, const char *table);
/* The window's start (end false) or end, at 00:00 in the zone, as a timestamptz. */
void rcn_ld_sql_window_edge(sqlb *q, const rcn_ledger_window *w, bool end);
/* ts in the window, as a boolean. */
void rcn_ld_sql_in_window(sqlb *q, const char *ts, const rcn_ledger_window *w);
/* SELECT ... FROM of a kind, up to its WHERE; local: times in the session's
 * zone (lookups), else as stored (the window's). */
void rcn_ld_sql_orders(sqlb *q, const rcn_ledger_window *w, bool int_amount, bool local);
void rcn_ld_sql_refunds(sqlb *q, const rcn_ledger_window *w, bool int_amount, bool local);

/* One statement through the extended protocol (a site text with ";" is refused). */
PGresult *rcn_ld_exec(rcn_db *db, const char *sql);
/* What a failure of a kind's query is called in a message. */
const char *rcn_ld_query_name(const rcn_ledger_window *w, row_kind kind);
rcn_rc rcn_ld_check_window(const rcn_ledger_window *w, rcn_err *err);
/* The session's zone (and DateStyle) for the snapshot's reads. */
rcn_rc rcn_ld_set_zone(rcn_db *db, const rcn_ledger_window *w, rcn_err *err);
/* Whether a kind's amount_fen has an integer type where it comes from. */
rcn_rc rcn_ld_amount_type(rcn_db *db, const rcn_ledger_window *w, row_kind kind, bool *int_amount, rcn_err *err);

#endif
