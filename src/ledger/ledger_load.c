/* The ledger read side: one REPEATABLE READ READ ONLY snapshot and the date
 * window in it. The window is read in three steps: the session zone and
 * the zone's offsets over the window (so times are put in the zone here),
 * the planner's estimate of the orders (the sink sizes its index), then
 * orders and refunds each streamed with COPY (ledger_copy.c) into the sink.
 * The keys outside the window are ledger_lookup.c's, the suspense of a
 * date ledger_suspense.c's, the SQL text ledger_sql.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger_int.h"
#include "ledger/pgtext.h"

rcn_rc rcn_ledger_begin(rcn_db *db, rcn_err *err)
{
	rcn_rc rc = rcn_pq_require_idle(db, err, "ledger snapshot");
	if (rc == RCN_OK)
		rc = rcn_pq_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, "ledger snapshot");
	return rc;
}

rcn_rc rcn_ledger_end(rcn_db *db, rcn_err *err)
{
	/* Nothing a site query can send ends the snapshot (rcn_ld_exec); should the
	 * transaction be gone all the same, the reads were not one snapshot. */
	PGTransactionStatusType st = PQtransactionStatus(db->conn);
	if (st != PQTRANS_INTRANS && st != PQTRANS_INERROR)
		return rcn_err_set(err, RCN_EDB, "", 0, "ledger snapshot: the read-only transaction ended early");
	return rcn_pq_command(db, "COMMIT", err, "ledger snapshot");
}

/* A shard's part of the window (recon/part.h): an order's key is its
 * contract's id when it has one, else its number (a refund's: its order's). */
static void sql_part(sqlb *q, const rcn_ledger_window *w, const char *order_no)
{
	if (!w->part || !w->part->parts)
		return;
	char tail[96];
	rcn_ld_sql_str(q, " AND (hashtextextended(COALESCE(NULLIF(o.contract_id::text, ''), ");
	rcn_ld_sql_str(q, order_no);
	snprintf(tail, sizeof tail, "::text), 0) & 9223372036854775807) %% %u = %d", w->part->parts, w->part->part);
	rcn_ld_sql_str(q, tail);
}

/* Every shard's same list of the contracted orders the window holds (its
 * orders', and its refunds' orders'), so that each places a contract's
 * statement rows in the contract's part. */
static void on_contracted(void *ctx, const PGresult *res, int row)
{
	rcn_part_plan_contract(ctx, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1));
}

rcn_rc rcn_ledger_load_part(rcn_db *db, const rcn_ledger_window *w, rcn_err *err)
{
	if (!w->part || !w->part->parts || w->part->part < 0)
		return RCN_OK; /* the whole window, or the merge's: no row */
	sqlb q;
	rcn_ld_sql_init(&q, db, err);
	rcn_ld_sql_str(&q, "SELECT o.order_no::text, o.contract_id::text FROM ");
	rcn_ld_sql_source(&q, w->orders_sql, "ledger_orders");
	rcn_ld_sql_str(&q, " AS o WHERE o.contract_id::text <> '' AND ");
	rcn_ld_sql_in_window(&q, ORDER_TS, w);
	rcn_ld_sql_str(&q, "\nUNION SELECT o.order_no::text, o.contract_id::text FROM ");
	rcn_ld_sql_source(&q, w->refunds_sql, "ledger_refunds");
	rcn_ld_sql_str(&q, " AS r JOIN ");
	rcn_ld_sql_source(&q, w->orders_sql, "ledger_orders");
	rcn_ld_sql_str(&q, " AS o ON o.order_no = r.order_no WHERE o.contract_id::text <> '' AND ");
	rcn_ld_sql_in_window(&q, REFUND_TS, w);
	rcn_ld_sql_str(&q, " ORDER BY 1");
	rcn_rc rc = q.rc;
	if (rc == RCN_OK) {
		PGresult *res = rcn_ld_exec(db, q.sql.data);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			rc = rcn_pq_fail(db, res, err, rcn_ld_query_name(w, ROW_ORDER));
		else
			for (int i = 0; i < PQntuples(res); i++)
				on_contracted(w->part, res, i);
		PQclear(res);
	}
	rcn_buf_free(&q.sql);
	return rc;
}

/* The planner's row estimate for the window's orders ("rows=N" of the plan's
 * top node) in *n, 0 when the plan names none. The statement is the COPY's
 * own query: an error here (a site SELECT that does not run) is the error
 * the COPY would report, and is reported the same way. */
static rcn_rc estimate_orders(rcn_db *db, const rcn_ledger_window *w, size_t *n, rcn_err *err)
{
	sqlb q;
	rcn_ld_sql_init(&q, db, err);
	rcn_ld_sql_str(&q, "EXPLAIN ");
	rcn_ld_sql_orders(&q, w, false, false);
	rcn_ld_sql_str(&q, "WHERE ");
	rcn_ld_sql_in_window(&q, ORDER_TS, w);
	sql_part(&q, w, "o.order_no");
	*n = 0;
	rcn_rc rc = q.rc;
	if (rc == RCN_OK) {
		PGresult *res = rcn_ld_exec(db, q.sql.data);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = rcn_pq_fail(db, res, err, rcn_ld_query_name(w, ROW_ORDER));
		} else if (PQntuples(res) > 0) {
			const char *rows = strstr(PQgetvalue(res, 0, 0), "rows=");
			char *end;
			unsigned long long v = rows ? strtoull(rows + 5, &end, 10) : 0;
			*n = rows && end > rows + 5 && v <= SIZE_MAX ? (size_t)v : 0;
		}
		PQclear(res);
	}
	rcn_buf_free(&q.sql);
	return rc;
}

static rcn_rc copy_window(rcn_db *db, const rcn_ledger_window *w, row_kind kind, const rcn_ledger_sink *sink,
			  const rcn_pgbin_zone *zone, rcn_err *err)
{
	bool int_amount;
	rcn_rc trc = rcn_ld_amount_type(db, w, kind, &int_amount, err);
	if (trc != RCN_OK)
		return trc;
	if (kind == ROW_ORDER && sink->expect_orders) {
		size_t n;
		rcn_rc rc = estimate_orders(db, w, &n, err);
		if (rc != RCN_OK)
			return rc;
		if (n)
			sink->expect_orders(sink->ctx, n);
	}
	sqlb q;
	rcn_ld_sql_init(&q, db, err);
	rcn_ld_sql_str(&q, "COPY (");
	if (kind == ROW_ORDER) {
		rcn_ld_sql_orders(&q, w, int_amount, !zone);
		rcn_ld_sql_str(&q, "WHERE ");
		rcn_ld_sql_in_window(&q, ORDER_TS, w);
		sql_part(&q, w, "o.order_no");
	} else {
		rcn_ld_sql_refunds(&q, w, int_amount, !zone);
		rcn_ld_sql_str(&q, "WHERE ");
		rcn_ld_sql_in_window(&q, REFUND_TS, w);
		sql_part(&q, w, "r.order_no");
	}
	rcn_ld_sql_str(&q, ") TO STDOUT (FORMAT binary)");
	rcn_rc rc = q.rc;
	if (rc == RCN_OK) {
		row_ctx c;
		rcn_ld_row_init(&c, kind, sink, false);
		c.int_amount = int_amount;
		c.zone = zone;
		rc = rcn_ld_copy_out(db, q.sql.data, row_fields(kind), &c, w->pipelined, err,
				     rcn_ld_query_name(w, kind));
		rcn_ld_row_free(&c);
	}
	rcn_buf_free(&q.sql);
	return rc;
}

/* The zone's offsets from UTC over the window, for rcn_pgbin_timestamptz. */
typedef struct {
	rcn_pgbin_offset *seg; /* owned; zone.seg points here */
	rcn_pgbin_zone zone;
} zone_table;

#define EPOCH_2000 946684800LL /* 2000-01-01 00:00:00 UTC in Unix seconds */

/* Runs a query of whole numbers (text results): res on success. */
static rcn_rc query_numbers(rcn_db *db, const char *sql, int cols, PGresult **res, rcn_err *err)
{
	*res = rcn_ld_exec(db, sql);
	if (PQresultStatus(*res) != PGRES_TUPLES_OK) {
		rcn_rc rc = rcn_pq_fail(db, *res, err, "[run] timezone");
		PQclear(*res);
		return rc;
	}
	for (int i = 0; i < PQntuples(*res); i++)
		for (int j = 0; j < cols; j++) {
			int64_t v;
			if (PQnfields(*res) != cols || !rcn_pgtext_int64(PQgetvalue(*res, i, j), &v)) {
				PQclear(*res);
				return rcn_err_set(err, RCN_EDB, "", 0, "[run] timezone: unexpected offsets");
			}
		}
	return RCN_OK;
}

static int64_t number_at(const PGresult *res, int row, int col)
{
	int64_t v = 0;
	(void)rcn_pgtext_int64(PQgetvalue(res, row, col), &v);
	return v;
}

/* The offsets the server's own zone data gives over the window, so recon
 * puts the window's times in the zone exactly as the server would: one
 * query lists where the offset changes on a grid of minutes from the
 * window's start to its end. Since 1970 every zone changes its offset at a
 * whole minute from a window's start (offsets are whole minutes; the last
 * zone whose was not, Monrovia's -0:44:30, changed at its own midnight), so
 * the grid finds each change at its second; should one fall between two
 * minutes, *exact is false and the server puts the times in the zone
 * itself (sql_local, ledger_sql.c), as for the lookups. A window in a zone without
 * daylight saving is one offset. */
static rcn_rc zone_offsets(rcn_db *db, const rcn_ledger_window *w, zone_table *z, bool *exact, rcn_err *err)
{
	memset(z, 0, sizeof *z);
	*exact = true;
	sqlb q;
	rcn_ld_sql_init(&q, db, err);
	rcn_ld_sql_str(&q, "SELECT extract(epoch FROM t)::int8, extract(timezone FROM t)::int4, extract(epoch FROM ");
	rcn_ld_sql_window_edge(&q, w, true);
	rcn_ld_sql_str(&q, ")::int8, (extract(timezone FROM t - interval '1 second') = extract(timezone FROM t))::int4"
			   " FROM (SELECT t, lag(extract(timezone FROM t)) OVER (ORDER BY t) AS prev FROM (SELECT "
			   "generate_series(");
	rcn_ld_sql_window_edge(&q, w, false);
	rcn_ld_sql_str(&q, ", ");
	rcn_ld_sql_window_edge(&q, w, true);
	rcn_ld_sql_str(&q, ", interval '1 minute') UNION ALL SELECT ");
	rcn_ld_sql_window_edge(&q, w, true);
	rcn_ld_sql_str(&q, ") AS g(t)) AS s WHERE prev IS DISTINCT FROM extract(timezone FROM t) ORDER BY t");
	rcn_rc rc = q.rc;
	PGresult *res = NULL;
	if (rc == RCN_OK)
		rc = query_numbers(db, q.sql.data, 4, &res, err);
	rcn_buf_free(&q.sql);
	if (rc != RCN_OK)
		return rc;
	int n = PQntuples(res);
	z->seg = rcn_xcalloc(n ? (size_t)n : 1, sizeof *z->seg);
	for (int i = 0; i < n; i++) {
		/* a change found at a minute that the second before it already had */
		if (i > 0 && number_at(res, i, 3) == 1)
			*exact = false;
		z->seg[z->zone.n++] = (rcn_pgbin_offset){(number_at(res, i, 0) - EPOCH_2000) * 1000000,
							 (int32_t)number_at(res, i, 1)};
	}
	z->zone.end = n ? (number_at(res, 0, 2) - EPOCH_2000) * 1000000 : 0;
	PQclear(res);
	z->zone.seg = z->seg;
	*exact = *exact && n > 0;
	return rc;
}

rcn_rc rcn_ledger_load_window(rcn_db *db, const rcn_ledger_window *w, const rcn_ledger_sink *sink, rcn_err *err)
{
	zone_table z = {0};
	bool exact = false;
	rcn_rc rc = rcn_ld_check_window(w, err);
	if (rc == RCN_OK)
		rc = rcn_ld_set_zone(db, w, err);
	if (rc == RCN_OK)
		rc = zone_offsets(db, w, &z, &exact, err);
	const rcn_pgbin_zone *zone = exact ? &z.zone : NULL;
	if (w->part && w->part->parts && w->part->part < 0) { /* the merge: no row of its own */
		free(z.seg);
		return rc;
	}
	if (rc == RCN_OK)
		rc = copy_window(db, w, ROW_ORDER, sink, zone, err);
	if (rc == RCN_OK)
		rc = copy_window(db, w, ROW_REFUND, sink, zone, err);
	free(z.seg);
	return rc;
}
