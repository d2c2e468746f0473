/* The SQL text of the ledger reads: the orders and refunds SELECTs (the
 * ledger tables or the site's [ledger] queries as subqueries), the window's
 * edges in the zone, and the small statements both the window and the
 * lookups run first (the session zone, the amount's type). Text is built in
 * a capped buffer (sqlb); the first failure sticks in it. */
#include <stdio.h>
#include <string.h>

#include "ledger/ledger_int.h"

void rcn_ld_sql_init(sqlb *q, rcn_db *db, rcn_err *err)
{
	q->db = db;
	q->err = err;
	q->rc = RCN_OK;
	rcn_buf_init(&q->sql, SQL_LIMIT);
}

void rcn_ld_sql_str(sqlb *q, const char *s)
{
	if (q->rc == RCN_OK && rcn_buf_append(&q->sql, s, strlen(s)) != RCN_OK)
		q->rc = rcn_err_set(q->err, RCN_EDB, "", 0, "query text too long");
}

void rcn_ld_sql_literal(sqlb *q, const char *s)
{
	if (q->rc == RCN_OK)
		q->rc = rcn_pq_put_literal(q->db, &q->sql, s, q->err);
}

/* A site SELECT as a subquery; a trailing ";" would end the statement early. */
void rcn_ld_sql_source(sqlb *q, const char *site_sql, const char *table)
{
	if (!site_sql || !site_sql[0]) {
		rcn_ld_sql_str(q, table);
		return;
	}
	size_t n = strlen(site_sql);
	while (n > 0 && (strchr(" \t\r\n;", site_sql[n - 1])))
		n--;
	rcn_ld_sql_str(q, "(");
	if (q->rc == RCN_OK && rcn_buf_append(&q->sql, site_sql, n) != RCN_OK)
		q->rc = rcn_err_set(q->err, RCN_EDB, "", 0, "query text too long");
	rcn_ld_sql_str(q, "\n)");
}

/* A time in the zone: the session is set to the zone (rcn_ld_set_zone below) and
 * the server converts the timestamptz to a local timestamp, sent as 8
 * binary bytes. Formatting it as ISO text cost the server more than the
 * conversion; reading the text back cost recon more than the bytes. */
static void sql_local(sqlb *q, const char *expr)
{
	rcn_ld_sql_str(q, "((");
	rcn_ld_sql_str(q, expr);
	rcn_ld_sql_str(q, ")::timestamptz)::timestamp");
}

/* A time as it is stored (timestamptz), for the window: recon puts it in
 * the zone (rcn_pgbin_timestamptz). */
static void sql_utc(sqlb *q, const char *expr)
{
	rcn_ld_sql_str(q, "(");
	rcn_ld_sql_str(q, expr);
	rcn_ld_sql_str(q, ")::timestamptz");
}

/* A time column: local (sql_local) or as stored (sql_utc). */
static void sql_time(sqlb *q, const char *expr, bool local)
{
	if (local)
		sql_local(q, expr);
	else
		sql_utc(q, expr);
}

/* The fallback time (created_at, requested_at) only where the first one is
 * NULL: nothing downstream reads it otherwise, and formatting ten million
 * timestamps nobody reads is a tenth of the window's server time. */
static void sql_time_fallback(sqlb *q, const char *expr, const char *first, bool local)
{
	rcn_ld_sql_str(q, "CASE WHEN (");
	rcn_ld_sql_str(q, first);
	rcn_ld_sql_str(q, ") IS NULL THEN ");
	sql_time(q, expr, local);
	rcn_ld_sql_str(q, " END");
}

/* The window's start (end false: day - carry_days) or end (day + 1), at
 * 00:00 in the zone, as a timestamptz. */
void rcn_ld_sql_window_edge(sqlb *q, const rcn_ledger_window *w, bool end)
{
	char day[11], num[64];
	rcn_date_format(day, w->day);
	snprintf(num, sizeof num, "(DATE '%s' %c %d)::timestamp AT TIME ZONE ", day, end ? '+' : '-',
		 end ? 1 : w->carry_days);
	rcn_ld_sql_str(q, num);
	rcn_ld_sql_literal(q, w->timezone);
}

/* ts in [day - carry_days, day + 1) at 00:00 in the zone, as a boolean. */
void rcn_ld_sql_in_window(sqlb *q, const char *ts, const rcn_ledger_window *w)
{
	rcn_ld_sql_str(q, "(");
	rcn_ld_sql_str(q, ts);
	rcn_ld_sql_str(q, " >= ");
	rcn_ld_sql_window_edge(q, w, false);
	rcn_ld_sql_str(q, " AND ");
	rcn_ld_sql_str(q, ts);
	rcn_ld_sql_str(q, " < ");
	rcn_ld_sql_window_edge(q, w, true);
	rcn_ld_sql_str(q, ")");
}

/* The columns both kinds end their row with: the amount (already cast),
 * the fallback time where the first is NULL, then the first time. */
static void sql_amount_and_times(sqlb *q, const char *amount, const char *fallback, const char *first, bool local)
{
	rcn_ld_sql_str(q, amount);
	sql_time_fallback(q, fallback, first, local);
	rcn_ld_sql_str(q, ", ");
	sql_time(q, first, local);
}

/* An order's currency, NULL when CNY: nearly every order's is, and a NULL is
 * 4 bytes on the wire against 7. The matcher folds case (currency_code). */
#define CURRENCY_NOT_CNY(t) "NULLIF(" t ".currency::text, 'CNY')"

/* local: times in the zone (lookups), else as stored (the window's). */
void rcn_ld_sql_orders(sqlb *q, const rcn_ledger_window *w, bool int_amount, bool local)
{
	rcn_ld_sql_str(q, "SELECT o.order_no::text, o.merchant_id::text, o.channel::text, o.channel_txn_id::text, "
			  "o.status::text, o.contract_id::text, ");
	sql_amount_and_times(q, int_amount ? "o.amount_fen::int8, " : "o.amount_fen::text, ", "o.created_at",
			     "o.paid_at", local);
	rcn_ld_sql_str(q, ", " CURRENCY_NOT_CNY("o") "\nFROM ");
	rcn_ld_sql_source(q, w->orders_sql, "ledger_orders");
	rcn_ld_sql_str(q, " AS o\n");
}

void rcn_ld_sql_refunds(sqlb *q, const rcn_ledger_window *w, bool int_amount, bool local)
{
	rcn_ld_sql_str(q, "SELECT r.refund_no::text, r.order_no::text, r.channel_refund_id::text, r.status::text, ");
	sql_amount_and_times(q, int_amount ? "r.amount_fen::int8, " : "r.amount_fen::text, ", "r.requested_at",
			     "r.refunded_at", local);
	rcn_ld_sql_str(q, ", o.channel::text, o.merchant_id::text, " CURRENCY_NOT_CNY("o") "\nFROM ");
	rcn_ld_sql_source(q, w->refunds_sql, "ledger_refunds");
	rcn_ld_sql_str(q, " AS r\nLEFT JOIN ");
	rcn_ld_sql_source(q, w->orders_sql, "ledger_orders");
	rcn_ld_sql_str(q, " AS o ON o.order_no = r.order_no\n");
}

/* Every statement that carries a site query goes through the extended
 * protocol: the server parses exactly one statement, so a site text with
 * ";" in it (a COMMIT, then a write outside the snapshot) is refused
 * instead of run (PQexec would run each statement in turn). */
PGresult *rcn_ld_exec(rcn_db *db, const char *sql)
{
	return PQexecParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
}

/* What a failure of a kind's query is called: the site's key when a site
 * query is part of it, so the operator knows which text to fix. */
const char *rcn_ld_query_name(const rcn_ledger_window *w, row_kind kind)
{
	if (kind == ROW_ORDER)
		return w->orders_sql && w->orders_sql[0] ? "[ledger] orders_query" : "ledger orders";
	if (w->refunds_sql && w->refunds_sql[0])
		return "[ledger] refunds_query";
	return w->orders_sql && w->orders_sql[0] ? "ledger refunds with [ledger] orders_query" : "ledger refunds";
}

rcn_rc rcn_ld_check_window(const rcn_ledger_window *w, rcn_err *err)
{
	if (!w->timezone || !w->timezone[0])
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "ledger window: no time zone");
	if (w->carry_days < 0 || w->carry_days > 366)
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "ledger window: carry-over of %d days is out of range",
				   w->carry_days);
	return RCN_OK;
}

/* Whether a kind's amount_fen has an integer type where it comes from
 * (ledger_orders / ledger_refunds, or the site's query), asked with a
 * LIMIT 0 query: then it travels as 8 bytes (::int8 is exact) and the
 * server formats no number; otherwise as text, which recon checks is a
 * whole number of fen (a numeric 0.5 must fail, not be rounded). */
rcn_rc rcn_ld_amount_type(rcn_db *db, const rcn_ledger_window *w, row_kind kind, bool *int_amount, rcn_err *err)
{
	enum { INT2OID = 21, INT4OID = 23, INT8OID = 20 }; /* pg_type.h */
	sqlb q;
	rcn_ld_sql_init(&q, db, err);
	rcn_ld_sql_str(&q, "SELECT s.amount_fen FROM ");
	if (kind == ROW_ORDER)
		rcn_ld_sql_source(&q, w->orders_sql, "ledger_orders");
	else
		rcn_ld_sql_source(&q, w->refunds_sql, "ledger_refunds");
	rcn_ld_sql_str(&q, " AS s LIMIT 0");
	*int_amount = false;
	rcn_rc rc = q.rc;
	if (rc == RCN_OK) {
		PGresult *res = rcn_ld_exec(db, q.sql.data);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = rcn_pq_fail(db, res, err, rcn_ld_query_name(w, kind));
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			if (state && strcmp(state, "42601") == 0 && strstr(err->msg, "multiple commands")) {
				char why[sizeof err->msg];
				snprintf(why, sizeof why, "%s", err->msg + strlen(rcn_ld_query_name(w, kind)) + 2);
				rcn_err_set(err, RCN_EDB, "", 0,
					    "%s is not one statement (a site query is one SELECT): %s",
					    rcn_ld_query_name(w, kind), why);
			}
		} else {
			Oid t = PQftype(res, 0);
			*int_amount = t == INT8OID || t == INT4OID || t == INT2OID;
		}
		PQclear(res);
	}
	rcn_buf_free(&q.sql);
	return rc;
}

/* The session zone for the snapshot's timestamptz output (sql_local). A
 * session setting, not SET LOCAL, so it also holds for a caller reading
 * outside a transaction; recon's own statements never depend on it. */
rcn_rc rcn_ld_set_zone(rcn_db *db, const rcn_ledger_window *w, rcn_err *err)
{
	sqlb q;
	rcn_ld_sql_init(&q, db, err);
	rcn_ld_sql_str(&q, "SET DateStyle = 'ISO, YMD'; SET TimeZone = ");
	rcn_ld_sql_literal(&q, w->timezone);
	rcn_rc rc = q.rc;
	if (rc == RCN_OK)
		rc = rcn_pq_command(db, q.sql.data, err, "[run] timezone");
	rcn_buf_free(&q.sql);
	return rc;
}
