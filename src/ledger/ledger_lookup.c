/* Ledger rows by key outside the date window: the orders and refunds the
 * statements name that the window did not hold (an order paid days ago, a
 * refund of an old order), asked in batches of keys as text[] parameters and
 * delivered to the sink like the window's rows, each at most once a call. */
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger_int.h"
#include "ledger/pgtext.h"

#define LOOKUP_BATCH 5000

/* The text[] parameter of one batch of keys. */
static rcn_rc key_array(rcn_buf *arr, const char *const *keys, size_t n, rcn_err *err, const char *what)
{
	rcn_buf_reset(arr);
	if (rcn_pgtext_put_array(arr, keys, n) != RCN_OK)
		return rcn_err_set(err, RCN_EDB, "", 0, "%s: keys too long", what);
	return RCN_OK;
}

/* Delivers the rows of one batch's answer (freed). */
static rcn_rc deliver_result(rcn_db *db, PGresult *res, row_ctx *c, rcn_err *err, const char *what)
{
	rcn_rc rc = RCN_OK;
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
	return rc;
}

/* Runs `sql` ($1 = text[] of one batch of keys) for every batch. */
static rcn_rc lookup_keys(rcn_db *db, const char *sql, const char *const *keys, size_t n, row_ctx *c, rcn_err *err,
			  const char *what)
{
	rcn_rc rc = RCN_OK;
	rcn_buf arr;
	rcn_buf_init(&arr, SQL_LIMIT);
	for (size_t at = 0; at < n && rc == RCN_OK; at += LOOKUP_BATCH) {
		size_t m = n - at < LOOKUP_BATCH ? n - at : LOOKUP_BATCH;
		rc = key_array(&arr, keys + at, m, err, what);
		if (rc == RCN_OK) {
			const char *params[1] = {arr.data};
			rc = deliver_result(db, PQexecParams(db->conn, sql, 1, NULL, params, NULL, NULL, 1), c, err,
					    what);
		}
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

/* The order numbers' batches asked while the caller still looks for more:
 * each sent as soon as it is whole, its answer taken (not delivered) before
 * the next is sent, so the server looks them up while the caller scans on.
 * The answers are delivered only once the caller is done, in the order the
 * batches were sent: the caller's scan sees the ledger rows it saw before
 * the lookups, as when they are asked after it. */
typedef struct {
	rcn_db *db;
	const char *sql; /* NULL until the first batch */
	sqlb q;
	rcn_buf arr;
	bool sent; /* a batch awaits its answer */
	size_t held_max;
	PGresult **held;
	size_t n_held, cap_held, held_bytes;
	const char **later; /* batches not sent while held_bytes is over HELD_MAX */
	size_t n_later, cap_later;
} order_stream;

/* Answers held for delivery after the scan, at most (rcn_ledger_keys's
 * default): past this the batches wait for the scan's end (a night with
 * millions of missing keys). */
#define HELD_MAX ((size_t)64 << 20)

static rcn_rc stream_take(order_stream *s, rcn_err *err, const char *what)
{
	if (!s->sent)
		return RCN_OK;
	s->sent = false;
	PGresult *res = PQgetResult(s->db->conn), *extra;
	while ((extra = PQgetResult(s->db->conn)) != NULL)
		PQclear(extra);
	if (!res)
		return rcn_pq_fail(s->db, NULL, err, what);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rcn_rc rc = rcn_pq_fail(s->db, res, err, what);
		PQclear(res);
		return rc;
	}
	rcn_xreserve((void **)&s->held, &s->cap_held, s->n_held + 1, sizeof(*s->held));
	s->held[s->n_held++] = res;
	s->held_bytes += PQresultMemorySize(res);
	return RCN_OK;
}

static rcn_rc stream_send(order_stream *s, const char *const *keys, size_t n, rcn_err *err, const char *what)
{
	rcn_rc rc = stream_take(s, err, what);
	if (rc != RCN_OK)
		return rc;
	if (s->held_bytes > s->held_max) {
		rcn_xreserve((void **)&s->later, &s->cap_later, s->n_later + n, sizeof(*s->later));
		memcpy(s->later + s->n_later, keys, n * sizeof(*keys));
		s->n_later += n;
		return RCN_OK;
	}
	rc = key_array(&s->arr, keys, n, err, what);
	if (rc != RCN_OK)
		return rc;
	const char *params[1] = {s->arr.data};
	if (!PQsendQueryParams(s->db->conn, s->sql, 1, NULL, params, NULL, NULL, 1))
		return rcn_pq_fail(s->db, NULL, err, what);
	s->sent = true;
	return RCN_OK;
}

static void stream_free(order_stream *s, rcn_rc rc)
{
	if (s->sent && rc != RCN_OK) { /* the connection is failed anyway: drain what it still says */
		PGresult *res;
		while ((res = PQgetResult(s->db->conn)) != NULL)
			PQclear(res);
	}
	for (size_t i = 0; i < s->n_held; i++)
		PQclear(s->held[i]);
	free(s->held);
	free(s->later);
	rcn_buf_free(&s->arr);
	if (s->sql)
		rcn_buf_free(&s->q.sql);
}

/* Asks the order numbers the caller hands over batch by batch, then delivers
 * the answers in order. */
static rcn_rc stream_orders(rcn_db *db, const rcn_ledger_window *w, const rcn_ledger_keys *keys, row_ctx *orders,
			    bool *typed, rcn_err *err)
{
	const char *what = "ledger order lookup";
	order_stream s = {.db = db, .held_max = keys->held_max ? keys->held_max : HELD_MAX};
	rcn_buf_init(&s.arr, SQL_LIMIT);
	rcn_rc rc = RCN_OK;
	const char *const *batch;
	size_t n;
	while (rc == RCN_OK && (n = keys->order_batch(keys->ctx, LOOKUP_BATCH, &batch)) > 0) {
		if (!s.sql) {
			rc = rcn_ld_amount_type(db, w, ROW_ORDER, &orders->int_amount, err);
			*typed = true;
			rcn_ld_sql_init(&s.q, db, err);
			if (rc == RCN_OK)
				rc = lookup_query(&s.q, w, ROW_ORDER, orders->int_amount, "o.order_no");
			s.sql = s.q.sql.data;
		}
		if (rc == RCN_OK)
			rc = stream_send(&s, batch, n, err, what);
	}
	if (rc == RCN_OK)
		rc = stream_take(&s, err, what);
	for (size_t i = 0; i < s.n_held; i++) {
		PGresult *res = s.held[i];
		s.held[i] = NULL;
		if (rc == RCN_OK)
			rc = deliver_result(db, res, orders, err, what);
		else
			PQclear(res);
	}
	if (rc == RCN_OK && s.n_later)
		rc = lookup_keys(db, s.sql, s.later, s.n_later, orders, err, what);
	stream_free(&s, rc);
	return rc;
}

rcn_rc rcn_ledger_lookup_keys(rcn_db *db, const rcn_ledger_window *w, const rcn_ledger_keys *keys,
			      const rcn_ledger_sink *sink, rcn_err *err)
{
	rcn_rc rc = rcn_ld_check_window(w, err);
	if (rc == RCN_OK)
		rc = rcn_ld_set_zone(db, w, err);
	if (rc != RCN_OK)
		return rc;
	row_ctx orders, refunds;
	rcn_ld_row_init(&orders, ROW_ORDER, sink, true);
	rcn_ld_row_init(&refunds, ROW_REFUND, sink, true);
	bool typed = false;
	rc = stream_orders(db, w, keys, &orders, &typed, err);
	rcn_ledger_key_lists k = {0};
	if (rc == RCN_OK)
		keys->others(keys->ctx, &k);
	if (rc == RCN_OK && k.n_txn && !typed)
		rc = rcn_ld_amount_type(db, w, ROW_ORDER, &orders.int_amount, err);
	if (rc == RCN_OK && k.n_refunds + k.n_refund_orders)
		rc = rcn_ld_amount_type(db, w, ROW_REFUND, &refunds.int_amount, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &orders, "o.channel_txn_id", k.txn_ids, k.n_txn, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &refunds, "r.refund_no", k.refund_nos, k.n_refunds, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &refunds, "r.order_no", k.refund_orders, k.n_refund_orders, err);
	rcn_ld_row_free(&orders);
	rcn_ld_row_free(&refunds);
	return rc;
}

/* Lists known in advance, as a key source: the order numbers in one go. */
typedef struct {
	const char *const *order_nos;
	size_t n_orders, at;
	rcn_ledger_key_lists rest;
} fixed_keys;

static size_t fixed_batch(void *ctx, size_t want, const char *const **batch)
{
	fixed_keys *f = ctx;
	size_t n = f->n_orders - f->at < want ? f->n_orders - f->at : want;
	*batch = f->order_nos + f->at;
	f->at += n;
	return n;
}

static void fixed_others(void *ctx, rcn_ledger_key_lists *out)
{
	*out = ((fixed_keys *)ctx)->rest;
}

rcn_rc rcn_ledger_lookup(rcn_db *db, const rcn_ledger_window *w, const char *const *order_nos, size_t n_orders,
			 const char *const *txn_ids, size_t n_txn, const char *const *refund_nos, size_t n_refunds,
			 const char *const *refund_orders, size_t n_refund_orders, const rcn_ledger_sink *sink,
			 rcn_err *err)
{
	fixed_keys f = {
		order_nos, n_orders, 0, {txn_ids, n_txn, refund_nos, n_refunds, refund_orders, n_refund_orders}};
	rcn_ledger_keys keys = {fixed_batch, fixed_others, &f, 0};
	return rcn_ledger_lookup_keys(db, w, &keys, sink, err);
}
