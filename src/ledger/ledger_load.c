/* The ledger read side: one REPEATABLE READ READ ONLY snapshot, the date
 * window streamed with COPY ... TO STDOUT, key lookups outside the window and
 * the suspense of a date. Rows reach the caller as views during a callback. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/db_internal.h"
#include "ledger/pgbin.h"
#include "ledger/pgtext.h"
#include "util/perf.h"
#include "util/pool.h"

#define SQL_LIMIT    (256u * 1024u * 1024u)
#define LOOKUP_BATCH 5000

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
	R__COUNT
};

typedef enum { ROW_ORDER, ROW_REFUND } row_kind;

/* Rows arrive in the binary format (COPY's, or libpq's binary results):
 * every column is cast to text on the server but the times and an amount
 * of an integer type, an 8-byte int8 (amount_type). The times are 8 bytes
 * too: the window's as timestamptz, put in the zone here with the offsets
 * the server gave for the window (zone_offsets), the lookups' (any time at
 * all) as timestamps the server put in the session's zone (sql_local). */
static const bool ORDER_TIMES[O__COUNT] = {[O_CREATED_AT] = true, [O_PAID_AT] = true};
static const bool REFUND_TIMES[R__COUNT] = {[R_REQUESTED_AT] = true, [R_REFUNDED_AT] = true};

static int row_fields(row_kind kind)
{
	return kind == ROW_ORDER ? O__COUNT : R__COUNT;
}

/* Where the rows of one query go; `seen` drops rows already delivered by this
 * call (a lookup by order_no and by channel_txn_id can find the same order). */
typedef struct {
	row_kind kind;
	const rcn_ledger_sink *sink;
	bool int_amount;	    /* amount_fen as int8, else as text (amount_type) */
	const rcn_pgbin_zone *zone; /* times are timestamptz in this zone, else local timestamps */
	bool dedupe;
	rcn_strmap seen;
	rcn_arena arena;
	long rows;
} row_ctx;

static void row_ctx_init(row_ctx *c, row_kind kind, const rcn_ledger_sink *sink, bool dedupe)
{
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->sink = sink;
	c->dedupe = dedupe;
	if (dedupe) {
		rcn_strmap_init(&c->seen, 1024);
		rcn_arena_init(&c->arena);
	}
}

static void row_ctx_free(row_ctx *c)
{
	if (c->dedupe) {
		rcn_strmap_free(&c->seen);
		rcn_arena_free(&c->arena);
	}
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static rcn_rc parse_amount(const row_ctx *c, int64_t *out, const char *s, int len, const char *table, const char *key,
			   rcn_err *err)
{
	if (c->int_amount && s) {
		if (len != 8)
			return rcn_err_set(err, RCN_EDB, "", 0, "%s %s: amount_fen is not an int8", table, key);
		*out = rcn_pgbin_int8(s);
		return RCN_OK;
	}
	if (c->int_amount || !rcn_pgtext_int64(s, out))
		return rcn_err_set(err, RCN_EDB, "", 0, "%s %s: amount_fen \"%s\" is not a whole number of fen", table,
				   key, s ? s : "NULL");
	return RCN_OK;
}

/* A time column's value (NULL or a wire timestamp, or timestamptz in
 * zone) as a local time, NULL as RCN_NO_TIME. False for infinity, years
 * past 9999 or BC, and a timestamptz outside the zone's span. */
static bool local_time(rcn_time *out, const char *value, const rcn_pgbin_zone *zone)
{
	*out = RCN_NO_TIME;
	return !value || (zone ? rcn_pgbin_timestamptz(out, value, zone) : rcn_pgbin_timestamp(out, value));
}

/* The row's times and its business date: the date of the first time
 * given (paid_at / refunded_at), else of the second. */
static rcn_rc row_times(const row_ctx *c, rcn_time *first, rcn_time *second, rcn_date *bdate, const char *f_first,
			const char *f_second, const char *table, const char *key, const char *times, rcn_err *err)
{
	if (!local_time(first, f_first, c->zone) || !local_time(second, f_second, c->zone))
		return rcn_err_set(err, RCN_EDB, "", 0, "%s %s: %s out of range", table, key, times);
	rcn_time t = *first != RCN_NO_TIME ? *first : *second;
	if (t == RCN_NO_TIME)
		return rcn_err_set(err, RCN_EDB, "", 0, "%s %s: both %s are NULL", table, key, times);
	*bdate = rcn_time_date(t);
	if (*bdate < 0) { /* business dates start in 1970 (rcn_date_parse) */
		char text[20];
		return rcn_err_set(err, RCN_EDB, "", 0, "%s %s: business date \"%.10s\" is out of range", table, key,
				   rcn_time_format(text, t));
	}
	return RCN_OK;
}

/* Delivers one row (fields in the column order above, NULL for SQL NULL;
 * lens their lengths): text values NUL-terminated, times 8 bytes. */
static rcn_rc deliver(row_ctx *c, const char **f, const int *lens, rcn_err *err, const char *what)
{
	const bool *times = c->kind == ROW_ORDER ? ORDER_TIMES : REFUND_TIMES;
	for (int i = 0; i < row_fields(c->kind); i++)
		if (times[i] && f[i] && lens[i] != 8)
			return rcn_err_set(err, RCN_EDB, "", 0, "%s: column %d is not a timestamp", what, i + 1);
	const char *table = c->kind == ROW_ORDER ? "ledger order" : "ledger refund";
	const char *key = f[0];
	if (!key || !key[0])
		return rcn_err_set(err, RCN_EDB, "", 0, "%s without %s", table,
				   c->kind == ROW_ORDER ? "order_no" : "refund_no");
	if (c->dedupe) {
		size_t len = strlen(key);
		uint32_t existing;
		if (rcn_strmap_get(&c->seen, key, len, &existing))
			return RCN_OK;
		rcn_strmap_put(&c->seen, rcn_arena_strndup(&c->arena, key, len), len, 0, &existing);
	}
	c->rows++;
	rcn_rc rc;
	if (c->kind == ROW_ORDER) {
		rcn_ledger_order o = {
			.order_no = key,
			.merchant_id = nz(f[O_MERCHANT_ID]),
			.channel = nz(f[O_CHANNEL]),
			.channel_txn_id = nz(f[O_TXN_ID]),
			.status = nz(f[O_STATUS]),
			.contract_id = nz(f[O_CONTRACT_ID]),
		};
		rc = parse_amount(c, &o.amount_fen, f[O_AMOUNT], lens[O_AMOUNT], table, key, err);
		if (rc == RCN_OK)
			rc = row_times(c, &o.paid_at, &o.created_at, &o.business_date, f[O_PAID_AT], f[O_CREATED_AT],
				       table, key, "paid_at and created_at", err);
		if (rc == RCN_OK && c->sink->order)
			c->sink->order(c->sink->ctx, &o);
	} else {
		rcn_ledger_refund r = {
			.refund_no = key,
			.order_no = nz(f[R_ORDER_NO]),
			.channel_refund_id = nz(f[R_CHANNEL_REFUND_ID]),
			.status = nz(f[R_STATUS]),
			.channel = nz(f[R_CHANNEL]),
			.merchant_id = nz(f[R_MERCHANT_ID]),
		};
		rc = parse_amount(c, &r.amount_fen, f[R_AMOUNT], lens[R_AMOUNT], table, key, err);
		if (rc == RCN_OK)
			rc = row_times(c, &r.refunded_at, &r.requested_at, &r.business_date, f[R_REFUNDED_AT],
				       f[R_REQUESTED_AT], table, key, "refunded_at and requested_at", err);
		if (rc == RCN_OK && c->sink->refund)
			c->sink->refund(c->sink->ctx, &r);
	}
	return rc;
}

/* Everything below builds SQL text in a capped buffer; the only values put
 * into it are the zone (PQescapeLiteral), a formatted date and integers. */
typedef struct {
	rcn_db *db;
	rcn_buf sql;
	rcn_err *err;
	rcn_rc rc;
} sqlb;

static void sql_str(sqlb *q, const char *s)
{
	if (q->rc == RCN_OK && rcn_buf_append(&q->sql, s, strlen(s)) != RCN_OK)
		q->rc = rcn_err_set(q->err, RCN_EDB, "", 0, "query text too long");
}

static void sql_literal(sqlb *q, const char *s)
{
	if (q->rc == RCN_OK)
		q->rc = rcn_pq_put_literal(q->db, &q->sql, s, q->err);
}

/* A site SELECT as a subquery; a trailing ";" would end the statement early. */
static void sql_source(sqlb *q, const char *site_sql, const char *table)
{
	if (!site_sql || !site_sql[0]) {
		sql_str(q, table);
		return;
	}
	size_t n = strlen(site_sql);
	while (n > 0 && (strchr(" \t\r\n;", site_sql[n - 1])))
		n--;
	sql_str(q, "(");
	if (q->rc == RCN_OK && rcn_buf_append(&q->sql, site_sql, n) != RCN_OK)
		q->rc = rcn_err_set(q->err, RCN_EDB, "", 0, "query text too long");
	sql_str(q, "\n)");
}

/* A time in the zone: the session is set to the zone (set_zone below) and
 * the server converts the timestamptz to a local timestamp, sent as 8
 * binary bytes. Formatting it as ISO text cost the server more than the
 * conversion; reading the text back cost recon more than the bytes. */
static void sql_local(sqlb *q, const char *expr)
{
	sql_str(q, "((");
	sql_str(q, expr);
	sql_str(q, ")::timestamptz)::timestamp");
}

/* A time as it is stored (timestamptz), for the window: recon puts it in
 * the zone (rcn_pgbin_timestamptz). */
static void sql_utc(sqlb *q, const char *expr)
{
	sql_str(q, "(");
	sql_str(q, expr);
	sql_str(q, ")::timestamptz");
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
	sql_str(q, "CASE WHEN (");
	sql_str(q, first);
	sql_str(q, ") IS NULL THEN ");
	sql_time(q, expr, local);
	sql_str(q, " END");
}

/* The window's start (end false: day - carry_days) or end (day + 1), at
 * 00:00 in the zone, as a timestamptz. */
static void sql_window_edge(sqlb *q, const rcn_ledger_window *w, bool end)
{
	char day[11], num[64];
	rcn_date_format(day, w->day);
	snprintf(num, sizeof num, "(DATE '%s' %c %d)::timestamp AT TIME ZONE ", day, end ? '+' : '-',
		 end ? 1 : w->carry_days);
	sql_str(q, num);
	sql_literal(q, w->timezone);
}

/* ts in [day - carry_days, day + 1) at 00:00 in the zone, as a boolean. */
static void sql_in_window(sqlb *q, const char *ts, const rcn_ledger_window *w)
{
	sql_str(q, "(");
	sql_str(q, ts);
	sql_str(q, " >= ");
	sql_window_edge(q, w, false);
	sql_str(q, " AND ");
	sql_str(q, ts);
	sql_str(q, " < ");
	sql_window_edge(q, w, true);
	sql_str(q, ")");
}

#define ORDER_TS  "COALESCE(o.paid_at, o.created_at)"
#define REFUND_TS "COALESCE(r.refunded_at, r.requested_at)"

/* local: times in the zone (lookups), else as stored (the window's). */
static void sql_orders_select(sqlb *q, const rcn_ledger_window *w, bool int_amount, bool local)
{
	sql_str(q, "SELECT o.order_no::text, o.merchant_id::text, o.channel::text, o.channel_txn_id::text, "
		   "o.status::text, o.contract_id::text, ");
	sql_str(q, int_amount ? "o.amount_fen::int8, " : "o.amount_fen::text, ");
	sql_time_fallback(q, "o.created_at", "o.paid_at", local);
	sql_str(q, ", ");
	sql_time(q, "o.paid_at", local);
	sql_str(q, "\nFROM ");
	sql_source(q, w->orders_sql, "ledger_orders");
	sql_str(q, " AS o\n");
}

static void sql_refunds_select(sqlb *q, const rcn_ledger_window *w, bool int_amount, bool local)
{
	sql_str(q, "SELECT r.refund_no::text, r.order_no::text, r.channel_refund_id::text, r.status::text, ");
	sql_str(q, int_amount ? "r.amount_fen::int8, " : "r.amount_fen::text, ");
	sql_time_fallback(q, "r.requested_at", "r.refunded_at", local);
	sql_str(q, ", ");
	sql_time(q, "r.refunded_at", local);
	sql_str(q, ", o.channel::text, o.merchant_id::text\nFROM ");
	sql_source(q, w->refunds_sql, "ledger_refunds");
	sql_str(q, " AS r\nLEFT JOIN ");
	sql_source(q, w->orders_sql, "ledger_orders");
	sql_str(q, " AS o ON o.order_no = r.order_no\n");
}

static void sqlb_init(sqlb *q, rcn_db *db, rcn_err *err)
{
	q->db = db;
	q->err = err;
	q->rc = RCN_OK;
	rcn_buf_init(&q->sql, SQL_LIMIT);
}

/* Every statement that carries a site query goes through the extended
 * protocol: the server parses exactly one statement, so a site text with
 * ";" in it (a COMMIT, then a write outside the snapshot) is refused
 * instead of run (PQexec would run each statement in turn). */
static PGresult *exec_one(rcn_db *db, const char *sql)
{
	return PQexecParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
}

/* What a failure of a kind's query is called: the site's key when a site
 * query is part of it, so the operator knows which text to fix. */
static const char *query_name(const rcn_ledger_window *w, row_kind kind)
{
	if (kind == ROW_ORDER)
		return w->orders_sql && w->orders_sql[0] ? "[ledger] orders_query" : "ledger orders";
	if (w->refunds_sql && w->refunds_sql[0])
		return "[ledger] refunds_query";
	return w->orders_sql && w->orders_sql[0] ? "ledger refunds with [ledger] orders_query" : "ledger refunds";
}

static rcn_rc check_window(const rcn_ledger_window *w, rcn_err *err)
{
	if (!w->timezone || !w->timezone[0])
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "ledger window: no time zone");
	if (w->carry_days < 0 || w->carry_days > 366)
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "ledger window: carry-over of %d days is out of range",
				   w->carry_days);
	return RCN_OK;
}

rcn_rc rcn_ledger_begin(rcn_db *db, rcn_err *err)
{
	rcn_rc rc = rcn_pq_require_idle(db, err, "ledger snapshot");
	if (rc == RCN_OK)
		rc = rcn_pq_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, "ledger snapshot");
	return rc;
}

rcn_rc rcn_ledger_end(rcn_db *db, rcn_err *err)
{
	/* Nothing a site query can send ends the snapshot (exec_one); should the
	 * transaction be gone all the same, the reads were not one snapshot. */
	PGTransactionStatusType st = PQtransactionStatus(db->conn);
	if (st != PQTRANS_INTRANS && st != PQTRANS_INERROR)
		return rcn_err_set(err, RCN_EDB, "", 0, "ledger snapshot: the read-only transaction ended early");
	return rcn_pq_command(db, "COMMIT", err, "ledger snapshot");
}

/* One tuple of binary COPY: split in place and delivered. */
static rcn_rc copy_row(row_ctx *c, char *row, size_t len, int nfields, rcn_err *err, const char *what)
{
	const char *f[O__COUNT];
	int lens[O__COUNT];
	int n = rcn_pgbin_split(row, len, f, lens, nfields);
	if (n == 0)
		return RCN_OK; /* the trailer */
	if (n != nfields)
		return rcn_err_set(err, RCN_EDB, "", 0, "%s: a row that is not %d columns in COPY's binary format",
				   what, nfields);
	return deliver(c, f, lens, err, what);
}

/* With a second core the rows are received on the calling thread and split
 * and delivered on another, so reading the socket keeps pace with the server
 * (the night's floor) instead of waiting for each row's parsing. Rows travel
 * in batches, in order, through a small ring; the receiver waits when all
 * batches are full. */
#define BATCH_BYTES (1u << 20)
#define BATCHES	    4

typedef struct {
	char *data; /* rows back to back */
	size_t len;
	size_t ends[BATCH_BYTES / 64]; /* where each row ends, after its NUL (more rows end a batch early) */
	size_t n;
} row_batch;

typedef struct {
	row_ctx *c;
	int nfields;
	const char *what;
	row_batch b[BATCHES];
	rcn_ring ring;
	size_t filling; /* the receiver's batch */
	rcn_task worker;
	rcn_rc rc; /* the first failure; later rows are dropped */
	rcn_err err;
} row_pipe;

static void *pipe_worker(void *p)
{
	row_pipe *q = p;
	size_t at;
	while ((at = rcn_ring_full_slot(&q->ring)) != SIZE_MAX) {
		const row_batch *b = &q->b[at];
		for (size_t i = 0, from = 0; i < b->n && q->rc == RCN_OK; from = b->ends[i++])
			q->rc = copy_row(q->c, b->data + from, b->ends[i] - from - 1, q->nfields, &q->err, q->what);
		rcn_ring_done(&q->ring);
	}
	return NULL;
}

/* Starts the worker; false (nothing left to free) when no thread starts. */
static bool pipe_start(row_pipe *q, row_ctx *c, int nfields, const char *what)
{
	memset(q, 0, sizeof(*q));
	q->c = c;
	q->nfields = nfields;
	q->what = what;
	for (size_t i = 0; i < BATCHES; i++)
		q->b[i].data = rcn_xmalloc(BATCH_BYTES);
	rcn_ring_init(&q->ring, BATCHES);
	q->filling = rcn_ring_free_slot(&q->ring);
	if (rcn_task_spawn(&q->worker, pipe_worker, q))
		return true;
	rcn_ring_destroy(&q->ring);
	for (size_t i = 0; i < BATCHES; i++)
		free(q->b[i].data);
	return false;
}

/* Hands the batch being filled to the worker and takes the next free one. */
static void pipe_push(row_pipe *q)
{
	rcn_ring_put(&q->ring);
	q->filling = rcn_ring_free_slot(&q->ring);
	q->b[q->filling].len = q->b[q->filling].n = 0;
}

/* One row from the socket: into the batch, or, bigger than a batch, delivered
 * here once the worker has caught up (it is idle then). */
static void pipe_row(row_pipe *q, char *row, size_t len)
{
	row_batch *b = &q->b[q->filling];
	if (b->len + len + 1 > BATCH_BYTES || b->n == sizeof(b->ends) / sizeof(b->ends[0])) {
		pipe_push(q);
		b = &q->b[q->filling];
	}
	if (len + 1 > BATCH_BYTES) {
		rcn_ring_wait_empty(&q->ring);
		if (q->rc == RCN_OK)
			q->rc = copy_row(q->c, row, len, q->nfields, &q->err, q->what);
		return;
	}
	memcpy(b->data + b->len, row, len);
	b->len += len;
	b->data[b->len++] = '\0';
	b->ends[b->n++] = b->len;
}

/* The last batch to the worker, the worker joined: its result. */
static rcn_rc pipe_finish(row_pipe *q, rcn_err *err)
{
	if (q->b[q->filling].n)
		rcn_ring_put(&q->ring);
	rcn_ring_close(&q->ring);
	rcn_task_join(&q->worker);
	rcn_ring_destroy(&q->ring);
	for (size_t i = 0; i < BATCHES; i++)
		free(q->b[i].data);
	if (q->rc != RCN_OK)
		*err = q->err;
	return q->rc;
}

/* Waits for more of a COPY in progress. When nothing whole is buffered, a
 * short nap lets the server send several rows before the socket is read:
 * waking on every 8 KiB message the server writes was 125,000 sleeps and
 * wake-ups of a 10 M window, each a context switch on both sides. The nap
 * is far shorter than the server takes to fill the socket's buffer
 * (~200 KiB), so it never waits for recon. libpq reads at most its buffer
 * (16 KiB) a call: read again while the socket has more, nap only once it
 * is empty. False when the connection failed. */
#define COPY_NAP_NS 250000L
static bool copy_wait(PGconn *conn)
{
	struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
	int ready = poll(&p, 1, 0);
	if (ready == 0) {
		struct timespec nap = {0, COPY_NAP_NS};
		nanosleep(&nap, NULL);
		ready = poll(&p, 1, -1);
	}
	if (ready < 0 && errno != EINTR)
		return false;
	return PQconsumeInput(conn) == 1;
}

/* Up to n bytes of the next CopyData message into dst, straight from
 * libpq's buffer (PQgetlineAsync: no allocation, no copy of our own): the
 * bytes read, -1 at the end of the COPY (or a message that ends it, such
 * as an error: PQgetResult tells), -2 when the connection failed. A
 * message longer than n comes in pieces, one call each. */
static int copy_piece(PGconn *conn, char *dst, size_t n)
{
	int cap = n > INT_MAX ? INT_MAX : (int)n, got;
	while ((got = PQgetlineAsync(conn, dst, cap)) == 0)
		if (!copy_wait(conn))
			return -2;
	return got;
}

/* A growable buffer for a message longer than the room it was read into. */
typedef struct {
	char *data;
	size_t len, cap;
} spill_buf;

/* The next CopyData message, whole: read into dst[0..room) (room > 1; a
 * byte after it is left for a NUL), or, when it is longer, on into spill
 * (its first bytes copied there). *msg and *len say where it is; returns
 * 1, -1 at the end of the COPY, -2 on a failure. Whether a message that
 * filled its room is whole is known from the tuple's own lengths
 * (rcn_pgbin_missing), so the rest is asked for exactly and no byte of
 * the next message is ever taken. */
static int copy_message(PGconn *conn, char *dst, size_t room, bool first, spill_buf *spill, char **msg, size_t *len)
{
	int got = copy_piece(conn, dst, room - 1);
	if (got < 0)
		return got;
	size_t n = (size_t)got, need = n < room - 1 ? 0 : rcn_pgbin_missing(dst, n, first);
	*msg = dst;
	*len = n;
	if (!need)
		return 1;
	spill->len = 0;
	rcn_xreserve((void **)&spill->data, &spill->cap, n + need + 1, 1);
	memcpy(spill->data, dst, n);
	spill->len = n;
	while (need) {
		rcn_xreserve((void **)&spill->data, &spill->cap, spill->len + need + 1, 1);
		got = copy_piece(conn, spill->data + spill->len, need);
		if (got < 0)
			return got; /* cut short: PQgetResult tells why */
		spill->len += (size_t)got;
		need = (size_t)got < need ? 0 : rcn_pgbin_missing(spill->data, spill->len, first);
	}
	*msg = spill->data;
	*len = spill->len;
	return 1;
}

/* Room a batch must have left to take the next message in place; a longer
 * one goes through spill_buf (rare: rows are a few hundred bytes). */
#define MESSAGE_ROOM ((size_t)64 * 1024)

/* Runs COPY (query) TO STDOUT and hands every row to deliver(). Rows are
 * read into the batches the worker splits (or, on one thread, into a
 * buffer of their own) and split in place. After a bad row the rest is
 * read and dropped so the connection stays usable. */
static rcn_rc copy_out(rcn_db *db, const char *sql, int nfields, row_ctx *c, bool pipelined, rcn_err *err,
		       const char *what)
{
	PGresult *res = exec_one(db, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		rcn_rc rc = rcn_pq_fail(db, res, err, what);
		PQclear(res);
		(void)rcn_pq_drain(db, NULL, what);
		return rc;
	}
	PQclear(res);
	row_pipe q;
	pipelined = pipelined && pipe_start(&q, c, nfields, what);
	rcn_rc rc = RCN_OK;
	spill_buf spill = {0};
	char *own = pipelined ? NULL : rcn_xmalloc(MESSAGE_ROOM);
	bool first = true;
	int got;
	for (;;) {
		row_batch *b = NULL;
		char *dst = own, *msg;
		size_t room = MESSAGE_ROOM, n;
		if (pipelined) {
			b = &q.b[q.filling];
			if (BATCH_BYTES - b->len < MESSAGE_ROOM || b->n == sizeof(b->ends) / sizeof(b->ends[0])) {
				pipe_push(&q);
				b = &q.b[q.filling];
			}
			dst = b->data + b->len;
			room = BATCH_BYTES - b->len;
		}
		if ((got = copy_message(db->conn, dst, room, first, &spill, &msg, &n)) < 0)
			break;
		char *tuple = msg;
		if (first) { /* the file header comes before the first tuple */
			size_t h = rcn_pgbin_header(msg, n);
			if (!h && rc == RCN_OK)
				rc = rcn_err_set(err, RCN_EDB, "", 0, "%s: COPY's binary header is missing", what);
			tuple += h, n -= h, first = false;
		}
		if (n == 0 || rc != RCN_OK)
			continue; /* nothing after the header; after a failure the rest is read and dropped */
		if (!pipelined) {
			rc = copy_row(c, tuple, n, nfields, err, what);
		} else if (msg == dst) { /* in the batch already: the header (once) moved out of the way */
			if (tuple != dst)
				memmove(dst, tuple, n);
			b->len += n;
			b->data[b->len++] = '\0';
			b->ends[b->n++] = b->len;
		} else {
			pipe_row(&q, tuple, n); /* a long row, from spill */
		}
	}
	free(own);
	free(spill.data);
	if (pipelined) {
		rcn_err later; /* the worker's, when the header had failed already */
		rcn_rc prc = pipe_finish(&q, rc == RCN_OK ? err : &later);
		rc = rc != RCN_OK ? rc : prc;
	}
	if (got == -2 && rc == RCN_OK)
		rc = rcn_pq_fail(db, NULL, err, what);
	rcn_rc drc = rcn_pq_drain(db, rc == RCN_OK ? err : NULL, what);
	return rc != RCN_OK ? rc : drc;
}

/* The planner's row estimate for the window's orders ("rows=N" of the plan's
 * top node) in *n, 0 when the plan names none. The statement is the COPY's
 * own query: an error here (a site SELECT that does not run) is the error
 * the COPY would report, and is reported the same way. */
static rcn_rc estimate_orders(rcn_db *db, const rcn_ledger_window *w, size_t *n, rcn_err *err)
{
	sqlb q;
	sqlb_init(&q, db, err);
	sql_str(&q, "EXPLAIN ");
	sql_orders_select(&q, w, false, false);
	sql_str(&q, "WHERE ");
	sql_in_window(&q, ORDER_TS, w);
	*n = 0;
	rcn_rc rc = q.rc;
	if (rc == RCN_OK) {
		PGresult *res = exec_one(db, q.sql.data);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = rcn_pq_fail(db, res, err, query_name(w, ROW_ORDER));
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

/* Whether a kind's amount_fen has an integer type where it comes from
 * (ledger_orders / ledger_refunds, or the site's query), asked with a
 * LIMIT 0 query: then it travels as 8 bytes (::int8 is exact) and the
 * server formats no number; otherwise as text, which recon checks is a
 * whole number of fen (a numeric 0.5 must fail, not be rounded). */
static rcn_rc amount_type(rcn_db *db, const rcn_ledger_window *w, row_kind kind, bool *int_amount, rcn_err *err)
{
	enum { INT2OID = 21, INT4OID = 23, INT8OID = 20 }; /* pg_type.h */
	sqlb q;
	sqlb_init(&q, db, err);
	sql_str(&q, "SELECT s.amount_fen FROM ");
	if (kind == ROW_ORDER)
		sql_source(&q, w->orders_sql, "ledger_orders");
	else
		sql_source(&q, w->refunds_sql, "ledger_refunds");
	sql_str(&q, " AS s LIMIT 0");
	*int_amount = false;
	rcn_rc rc = q.rc;
	if (rc == RCN_OK) {
		PGresult *res = exec_one(db, q.sql.data);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = rcn_pq_fail(db, res, err, query_name(w, kind));
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			if (state && strcmp(state, "42601") == 0 && strstr(err->msg, "multiple commands")) {
				char why[sizeof err->msg];
				snprintf(why, sizeof why, "%s", err->msg + strlen(query_name(w, kind)) + 2);
				rcn_err_set(err, RCN_EDB, "", 0,
					    "%s is not one statement (a site query is one SELECT): %s",
					    query_name(w, kind), why);
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

static rcn_rc copy_window(rcn_db *db, const rcn_ledger_window *w, row_kind kind, const rcn_ledger_sink *sink,
			  const rcn_pgbin_zone *zone, rcn_err *err)
{
	bool int_amount;
	rcn_rc trc = amount_type(db, w, kind, &int_amount, err);
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
	sqlb_init(&q, db, err);
	sql_str(&q, "COPY (");
	if (kind == ROW_ORDER) {
		sql_orders_select(&q, w, int_amount, !zone);
		sql_str(&q, "WHERE ");
		sql_in_window(&q, ORDER_TS, w);
	} else {
		sql_refunds_select(&q, w, int_amount, !zone);
		sql_str(&q, "WHERE ");
		sql_in_window(&q, REFUND_TS, w);
	}
	sql_str(&q, ") TO STDOUT (FORMAT binary)");
	rcn_rc rc = q.rc;
	if (rc == RCN_OK) {
		row_ctx c;
		row_ctx_init(&c, kind, sink, false);
		c.int_amount = int_amount;
		c.zone = zone;
		rc = copy_out(db, q.sql.data, row_fields(kind), &c, w->pipelined, err, query_name(w, kind));
		row_ctx_free(&c);
	}
	rcn_buf_free(&q.sql);
	return rc;
}

/* The session zone for the snapshot's timestamptz output (sql_local). A
 * session setting, not SET LOCAL, so it also holds for a caller reading
 * outside a transaction; recon's own statements never depend on it. */
static rcn_rc set_zone(rcn_db *db, const rcn_ledger_window *w, rcn_err *err)
{
	sqlb q;
	sqlb_init(&q, db, err);
	sql_str(&q, "SET DateStyle = 'ISO, YMD'; SET TimeZone = ");
	sql_literal(&q, w->timezone);
	rcn_rc rc = q.rc;
	if (rc == RCN_OK)
		rc = rcn_pq_command(db, q.sql.data, err, "[run] timezone");
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
	*res = exec_one(db, sql);
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
 * itself (sql_local), as for the lookups. A window in a zone without
 * daylight saving is one offset. */
static rcn_rc zone_offsets(rcn_db *db, const rcn_ledger_window *w, zone_table *z, bool *exact, rcn_err *err)
{
	memset(z, 0, sizeof *z);
	*exact = true;
	sqlb q;
	sqlb_init(&q, db, err);
	sql_str(&q, "SELECT extract(epoch FROM t)::int8, extract(timezone FROM t)::int4, extract(epoch FROM ");
	sql_window_edge(&q, w, true);
	sql_str(&q, ")::int8, (extract(timezone FROM t - interval '1 second') = extract(timezone FROM t))::int4"
		    " FROM (SELECT t, lag(extract(timezone FROM t)) OVER (ORDER BY t) AS prev FROM (SELECT "
		    "generate_series(");
	sql_window_edge(&q, w, false);
	sql_str(&q, ", ");
	sql_window_edge(&q, w, true);
	sql_str(&q, ", interval '1 minute') UNION ALL SELECT ");
	sql_window_edge(&q, w, true);
	sql_str(&q, ") AS g(t)) AS s WHERE prev IS DISTINCT FROM extract(timezone FROM t) ORDER BY t");
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
	rcn_rc rc = check_window(w, err);
	if (rc == RCN_OK)
		rc = set_zone(db, w, err);
	if (rc == RCN_OK)
		rc = zone_offsets(db, w, &z, &exact, err);
	const rcn_pgbin_zone *zone = exact ? &z.zone : NULL;
	if (rc == RCN_OK)
		rc = copy_window(db, w, ROW_ORDER, sink, zone, err);
	if (rc == RCN_OK)
		rc = copy_window(db, w, ROW_REFUND, sink, zone, err);
	free(z.seg);
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
				rc = deliver(c, f, lens, err, what);
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
		sql_orders_select(q, w, int_amount, true);
	else
		sql_refunds_select(q, w, int_amount, true);
	sql_str(q, "WHERE ");
	sql_str(q, key);
	sql_str(q, " = ANY($1::text[]) AND NOT COALESCE(");
	sql_in_window(q, kind == ROW_ORDER ? ORDER_TS : REFUND_TS, w);
	sql_str(q, ", false)");
	return q->rc;
}

static rcn_rc lookup_by(rcn_db *db, const rcn_ledger_window *w, row_ctx *c, const char *key, const char *const *keys,
			size_t n, rcn_err *err)
{
	if (n == 0)
		return RCN_OK;
	sqlb q;
	sqlb_init(&q, db, err);
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
	rcn_rc rc = check_window(w, err);
	if (rc == RCN_OK)
		rc = set_zone(db, w, err);
	if (rc != RCN_OK)
		return rc;
	row_ctx orders, refunds;
	row_ctx_init(&orders, ROW_ORDER, sink, true);
	row_ctx_init(&refunds, ROW_REFUND, sink, true);
	if (n_orders + n_txn)
		rc = amount_type(db, w, ROW_ORDER, &orders.int_amount, err);
	if (rc == RCN_OK && n_refunds + n_refund_orders)
		rc = amount_type(db, w, ROW_REFUND, &refunds.int_amount, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &orders, "o.order_no", order_nos, n_orders, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &orders, "o.channel_txn_id", txn_ids, n_txn, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &refunds, "r.refund_no", refund_nos, n_refunds, err);
	if (rc == RCN_OK)
		rc = lookup_by(db, w, &refunds, "r.order_no", refund_orders, n_refund_orders, err);
	row_ctx_free(&orders);
	row_ctx_free(&refunds);
	return rc;
}

/* Column order of the suspense query below. */
enum {
	S_REASON,
	S_SIDE,
	S_REC_TYPE,
	S_CHANNEL,
	S_MERCHANT_ID,
	S_ORDER_NO,
	S_REFUND_NO,
	S_TXN_ID,
	S_CHANNEL_REFUND_ID,
	S_LEDGER_STATUS,
	S_CHANNEL_STATUS,
	S_LEDGER_AMOUNT,
	S_CHANNEL_AMOUNT,
	S_CHANNEL_SETTLE,
	S_EXPECTED_FEE,
	S_CHANNEL_FEE,
	S_TRADE_TIME,
	S_FIRST_SEEN,
	S_AGE_DAYS,
	S_SOURCE,
	S_DETAIL,
	S__COUNT
};

static const char SUSPENSE_SQL[] =
	"SELECT reason, side, rec_type, channel, merchant_id, order_no, refund_no, channel_txn_id, "
	"channel_refund_id, ledger_status, channel_status, ledger_amount_fen, channel_amount_fen, "
	"channel_settle_fen, expected_fee, channel_fee, trade_time, to_char(first_seen, 'YYYY-MM-DD'), "
	"age_days, source, detail FROM recon_suspense WHERE business_date = $1::date "
	"ORDER BY channel, order_no, refund_no, channel_txn_id, side, source";

static const char HAD_RUN_SQL[] =
	"SELECT EXISTS (SELECT 1 FROM recon_runs WHERE business_date = $1::date AND exit_status IN (0, 1, 3))";

static const char *cell(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* An optional bigint cell: NULL clears *has. */
static bool opt_int64(const PGresult *res, int row, int col, bool *has, int64_t *v)
{
	const char *s = cell(res, row, col);
	*v = 0;
	if (has)
		*has = s != NULL;
	return !s || rcn_pgtext_int64(s, v);
}

static rcn_rc suspense_row(const PGresult *res, int i, rcn_finding *f, rcn_err *err)
{
	memset(f, 0, sizeof *f);
	f->kind = RCN_K_PENDING;
	f->reason = nz(cell(res, i, S_REASON));
	f->side = strcmp(nz(cell(res, i, S_SIDE)), "L") == 0 ? RCN_SIDE_LEDGER : RCN_SIDE_CHANNEL;
	f->rec_type = strcmp(nz(cell(res, i, S_REC_TYPE)), "refund") == 0 ? RCN_REC_REFUND : RCN_REC_PAYMENT;
	f->channel = nz(cell(res, i, S_CHANNEL));
	f->merchant_id = nz(cell(res, i, S_MERCHANT_ID));
	f->order_no = nz(cell(res, i, S_ORDER_NO));
	f->refund_no = nz(cell(res, i, S_REFUND_NO));
	f->channel_txn_id = nz(cell(res, i, S_TXN_ID));
	f->channel_refund_id = nz(cell(res, i, S_CHANNEL_REFUND_ID));
	f->ledger_status = nz(cell(res, i, S_LEDGER_STATUS));
	f->channel_status = nz(cell(res, i, S_CHANNEL_STATUS));
	f->trade_time = nz(cell(res, i, S_TRADE_TIME));
	f->source = nz(cell(res, i, S_SOURCE));
	f->detail = nz(cell(res, i, S_DETAIL));
	int64_t age = 0;
	bool ok = opt_int64(res, i, S_LEDGER_AMOUNT, &f->has_ledger_amount, &f->ledger_amount) &&
		  opt_int64(res, i, S_CHANNEL_AMOUNT, &f->has_channel_amount, &f->channel_amount) &&
		  opt_int64(res, i, S_CHANNEL_SETTLE, NULL, &f->channel_settle) &&
		  opt_int64(res, i, S_EXPECTED_FEE, &f->has_expected_fee, &f->expected_fee) &&
		  opt_int64(res, i, S_CHANNEL_FEE, &f->has_channel_fee, &f->channel_fee) &&
		  opt_int64(res, i, S_AGE_DAYS, NULL, &age);
	f->age_days = (int)age; /* an int column */
	const char *first = cell(res, i, S_FIRST_SEEN);
	rcn_err derr;
	if (ok && first)
		ok = rcn_date_parse(&f->first_seen, first, strlen(first), &derr) == RCN_OK;
	if (!ok)
		return rcn_err_set(err, RCN_EDB, "", 0, "recon_suspense: unreadable row for order %s", f->order_no);
	return RCN_OK;
}

rcn_rc rcn_ledger_load_suspense(rcn_db *db, rcn_date day, bool *had_run, const rcn_ledger_sink *sink, rcn_err *err)
{
	char date[11];
	const char *params[1] = {rcn_date_format(date, day)};
	rcn_rc rc = RCN_OK;
	PGresult *res = PQexecParams(db->conn, HAD_RUN_SQL, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		rc = rcn_pq_fail(db, res, err, "suspense");
	else if (had_run)
		*had_run = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (rc != RCN_OK)
		return rc;
	res = PQexecParams(db->conn, SUSPENSE_SQL, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != S__COUNT) {
		rc = rcn_pq_fail(db, res, err, "suspense");
	} else {
		for (int i = 0; i < PQntuples(res) && rc == RCN_OK; i++) {
			rcn_finding f;
			rc = suspense_row(res, i, &f, err);
			if (rc == RCN_OK && sink->suspense)
				sink->suspense(sink->ctx, &f);
		}
	}
	PQclear(res);
	return rc;
}
