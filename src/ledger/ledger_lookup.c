/* Ledger rows by key outside the date window: the orders and refunds the
 * statements name that the window did not hold (an order paid days ago, a
 * refund of an old order), asked in batches of keys as text[] parameters and
 * delivered to the sink like the window's rows, each at most once a call. */
#include <string.h>

#include "ledger/ledger_int.h"
#include "ledger/pgtext.h"

#define LOOKUP_BATCH 5000

/* Runs `sql` ($1 = text[] of one batch of keys) for every batch. */
static rcn_rc lookup_keys(rcn_db *db, const char *sql, const char *const *keys, size_t n, row_ctx *c, rcn_err *err,
			  const char *what)
{
	rcn_rc rc = RCN_OK;
	rcn_buf arr;
	rcn_buf_init(&arr, SQL_LIMIT);
	for (size_t at = 0; at < n && rc == RCN_OK; at += LOOKUP_BATCH) {
		size_t m = n - at < LOOKUP_BATCH ? n - at : LOOKUP_BATCH;
		rcn_buf_reset(&arr);
		if (rcn_pgtext_put_array(&arr, keys + at, m) != RCN_OK) {
			rc = rcn_err_set(err, RCN_EDB, "", 0, "%s: keys too long", what);
			break;
		}
		const char *params[1] = {arr.data};
		PGresult *res = PQexecParams(db->conn, sql, 1, NULL, params, NULL, NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = rcn_pq_fail(db, res, err, what);
		} else if (PQnfields(res) != row_fields(c->kind)) {
			rc = rcn_err_set(err, RCN_EDB, "", 0, "%s: unexpected number of columns", what);
		} else {
			int nf = PQnfields(res);
			for (int i = 0; i < PQntuples(res) && rc == RCN_OK; i++) {
				const char *f[O__COUNT]; /* libpq ends every value with a NUL */
				int lens[O__COUNT];
				for (int j = 0; j < nf; j++) {
					bool null = PQgetisnull(res, i, j);
					f[j] = null ? NULL : PQgetvalue(res, i, j);
					lens[j] = null ? -1 : PQgetlength(res, i, j);
				}
				rc = rcn_ld_deliver(c, f, lens, err, what);
			}
		}
		PQclear(res);
	}
	rcn_buf_free(&arr);
	return rc;
}

/* `SELECT ... WHERE <key> = ANY($1::text[]) AND NOT <in window>`: rows in the
 * window were already delivered by rcn_ledger_load_window. */
static rcn_rc lookup_query(sqlb *q, const rcn_ledger_window *w, row_kind kind, bool int_amount, const char *key)
{
	if (kind == ROW_ORDER)
		rcn_ld_sql_orders(q, w, int_amount, true);
	else
		rcn_ld_sql_refunds(q, w, int_amount, true);
	rcn_ld_sql_str(q, "WHERE ");
	rcn_ld_sql_str(q, key);
	rcn_ld_sql_str(q, " = ANY($1::text[]) AND NOT COALESCE(");
	rcn_ld_sql_in_window(q, kind == ROW_ORDER ? ORDER_TS : REFUND_TS, w);
	rcn_ld_sql_str(q, ", false)");
	return q->rc;
}

static rcn_rc lookup_by(rcn_db *db, const rcn_ledger_window *w, row_ctx *c, const char *key, const char *const *keys,
			size_t n, rcn_err *err)
{
	if (n == 0)
		return RCN_OK;
	sqlb q;
	rcn_ld_sql_init(&q, db, err);
	rcn_rc rc = lookup_query(&q, w, c->kind, c->int_amount, key);
	if (rc == RCN_OK)
		rc = lookup_keys(db, q.sql.data, keys, n, c, err,
				 c->kind == ROW_ORDER ? "ledger order lookup" : "ledger refund lookup");
	rcn_buf_free(&q.sql);
	return rc;
}

rcn_rc rcn_ledger_lookup(rcn_db *db, const rcn_ledger_window *w, const char *const *order_nos, size_t n_orders,
			 const char *const *txn_ids, size_t n_txn, const char *const *refund_nos, size_t n_refunds,
			 const char *const *refund_orders, size_t n_refund_orders, const rcn_ledger_sink *sink,
			 rcn_err *err)
{
	rcn_rc rc = rcn_ld_check_window(w, err);
	if (rc == RCN_OK)
		rc = rcn_ld_set_zone(db, w, err);
	if (rc != RCN_OK)
		return rc;
	row_ctx orders, refunds;
	rcn_ld_row_init(&orders, ROW_ORDER, sink, true);
	rcn_ld_row_init(&refunds, ROW_REFUND, sink, true);
	if (n_orders + n_txn)
		rc = rcn_ld_amount_type(db, w, ROW_ORDER, &orders.int_amount, err);
	if (rc == RCN_OK && n_refunds + n_refund_orders)
		rc = rcn_ld_amount_type(db, w, ROW_REFUND, &refunds.int_amount, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &orders, "o.order_no", order_nos, n_orders, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &orders, "o.channel_txn_id", txn_ids, n_txn, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &refunds, "r.refund_no", refund_nos, n_refunds, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &refunds, "r.order_no", refund_orders, n_refund_orders, err);
	rcn_ld_row_free(&orders);
	rcn_ld_row_free(&refunds);
	return rc;
}
