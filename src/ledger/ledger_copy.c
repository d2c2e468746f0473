/* The ledger's rows on their way in: COPY ... TO STDOUT (FORMAT binary) read
 * from the socket and the binary tuples (or a lookup's libpq values) decoded
 * into rcn_ledger_order / rcn_ledger_refund views for the caller's sink.
 *
 *   socket --copy_message--> message (in a pipe batch, or spill_buf when long)
 *          --pipe (second core, rcn_ring)--> copy_row --rcn_pgbin_split--> fields
 *          --rcn_ld_deliver--> amount and times checked --> sink->order / refund
 *
 * One thread reads the socket; with a second core another splits and
 * delivers, in order (the pipe below). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger_int.h"
#include "ledger/pgtext.h"
#include "util/perf.h"
#include "util/pool.h"

/* Rows arrive in the binary format (COPY's, or libpq's binary results):
 * every column is cast to text on the server but the times and an amount
 * of an integer type, an 8-byte int8 (rcn_ld_amount_type). The times are 8 bytes
 * too: the window's as timestamptz, put in the zone here with the offsets
 * the server gave for the window (zone_offsets, ledger_load.c), the lookups' (any time at
 * all) as timestamps the server put in the session's zone (sql_local, ledger_sql.c). */
static const bool ORDER_TIMES[O__COUNT] = {[O_CREATED_AT] = true, [O_PAID_AT] = true};
static const bool REFUND_TIMES[R__COUNT] = {[R_REQUESTED_AT] = true, [R_REFUNDED_AT] = true};

void rcn_ld_row_init(row_ctx *c, row_kind kind, const rcn_ledger_sink *sink, bool dedupe)
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

void rcn_ld_row_free(row_ctx *c)
{
	if (c->dedupe) {
		rcn_strmap_free(&c->seen);
		rcn_arena_free(&c->arena);
	}
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
rcn_rc rcn_ld_deliver(row_ctx *c, const char **f, const int *lens, rcn_err *err, const char *what)
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
			.currency = nz(f[O_CURRENCY]),
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
			.currency = nz(f[R_CURRENCY]),
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
	return rcn_ld_deliver(c, f, lens, err, what);
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

/* Runs COPY (query) TO STDOUT and hands every row to rcn_ld_deliver(). Rows are
 * read into the batches the worker splits (or, on one thread, into a
 * buffer of their own) and split in place. After a bad row the rest is
 * read and dropped so the connection stays usable. */
rcn_rc rcn_ld_copy_out(rcn_db *db, const char *sql, int nfields, row_ctx *c, bool pipelined, rcn_err *err,
		       const char *what)
{
	PGresult *res = rcn_ld_exec(db, sql);
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
