/* Writes a night's decisions on the register inside the run's transaction.
 * New items, their "opened" events and the date's new links go straight in
 * by COPY (a fresh night is mostly new items: one pass each). The rest —
 * items found again, status changes, links dropped — go to a temporary
 * table in one COPY, and a few statements apply them: the found ones'
 * fields, the status changes (each with its event, and only where nobody
 * changed the item since the night read it), the links dropped. The audit
 * trail is only ever appended to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "items/night_int.h"

static const char *const OPS[] = {"", "same", "new", "found", "reopen", "close", "withdraw"};

static const char CREATE_TONIGHT[] =
	"CREATE TEMP TABLE recon_items_tonight (op text, id text, item_key text, kind text, kind_cn text, "
	"reason text, rec_type text, channel text, merchant_id text, order_no text, refund_no text, "
	"channel_txn_id text, channel_refund_id text, ledger_status text, channel_status text, "
	"ledger_amount_fen bigint, channel_amount_fen bigint, difference bigint, difference_fen bigint, "
	"source text, detail text, first_seen date, last_seen date, due_by date, urgent boolean, "
	"from_status text, to_status text, closed_on date, evidence text, action text, note text) ON COMMIT DROP";

/* The statements that apply the table, in order ($1 the date, $2 the actor). */
static const char *const APPLY[] = {
	/* the finding's fields and dates as the night left them (recon's amounts
	 * only from a run of the latest date that found it) */
	"UPDATE recon_items i SET (reason, channel, merchant_id, order_no, refund_no, channel_txn_id, "
	"channel_refund_id, ledger_status, channel_status, difference, difference_fen, source, detail, urgent, "
	"first_seen, last_seen, due_by) = (t.reason, t.channel, t.merchant_id, t.order_no, t.refund_no, "
	"t.channel_txn_id, t.channel_refund_id, t.ledger_status, t.channel_status, t.difference, t.difference_fen, "
	"t.source, t.detail, t.urgent, t.first_seen, t.last_seen, t.due_by), ledger_amount_fen = CASE WHEN "
	"$1::date >= i.last_seen THEN t.ledger_amount_fen ELSE i.ledger_amount_fen END, channel_amount_fen = CASE "
	"WHEN $1::date >= i.last_seen THEN t.channel_amount_fen ELSE i.channel_amount_fen END FROM "
	"recon_items_tonight t WHERE t.id = i.id AND t.op IN ('found', 'reopen') AND $2::text IS NOT NULL",
	/* status changes and their events, where the item still stands as the night read it */
	"WITH moved AS (UPDATE recon_items i SET status = t.to_status, closed_on = t.closed_on, evidence = "
	"t.evidence, changed_by = $2, changed_at = now() FROM recon_items_tonight t WHERE t.id = i.id AND t.op IN "
	"('reopen', 'close', 'withdraw') AND i.status = t.from_status RETURNING i.id) INSERT INTO recon_item_events "
	"(item_id, actor, action, from_status, to_status, note, business_date, evidence) SELECT t.id, $2, t.action, "
	"t.from_status, t.to_status, t.note, $1::date, nullif(t.evidence, '') FROM recon_items_tonight t JOIN moved "
	"m ON m.id = t.id ORDER BY t.id",
};

/* One COPY text cell: backslash, tab and line ends escaped; NULL as \N. */
static void cell(rcn_buf *b, const char *s, bool last)
{
	if (!s) {
		(void)rcn_buf_append(b, "\\N", 2);
	} else {
		for (const char *p = s; *p; p++) {
			const char *esc = *p == '\\'   ? "\\\\"
					  : *p == '\t' ? "\\t"
					  : *p == '\n' ? "\\n"
					  : *p == '\r' ? "\\r"
						       : NULL;
			(void)rcn_buf_append(b, esc ? esc : p, esc ? 2 : 1);
		}
	}
	(void)rcn_buf_append(b, last ? "\n" : "\t", 1);
}

static void cell_int(rcn_buf *b, bool has, int64_t v)
{
	char num[24];
	snprintf(num, sizeof num, "%lld", (long long)v);
	cell(b, has ? num : NULL, false);
}

static void cell_date(rcn_buf *b, rcn_date d)
{
	char text[11];
	cell(b, d ? rcn_date_format(text, d) : NULL, false);
}

static const char *action_of(item_op op)
{
	return op == OP_REOPEN ? "reopened" : op == OP_CLOSE ? "auto_closed" : op == OP_WITHDRAW ? "withdrawn" : "";
}

/* Why a night moved it, in the event's note. */
static const char *note_of(const rcn_items_night *n, item_op op, char *buf, size_t cap)
{
	if (op == OP_REOPEN)
		snprintf(buf, cap, "found again by the run of %s", n->date_text);
	else if (op == OP_CLOSE)
		snprintf(buf, cap, "settled by the evidence of %s", n->date_text);
	else if (op == OP_WITHDRAW)
		snprintf(buf, cap, "no longer found by the re-run of %s", n->date_text);
	else
		return NULL;
	return buf;
}

/* The item's columns from kind to urgent, as both copies write them. */
static void put_fields(rcn_buf *b, const rcn_items_night *n, size_t i)
{
	const nstate *s = &n->st[i];
	const rcn_open_item *it = &n->list.v[i];
	const rcn_finding *f = s->f;
	cell(b, rcn_kind_name(it->kind), false);
	cell(b, rcn_kind_name_cn(it->kind), false);
	const char *text[] = {it->reason,	  it->rec_type == RCN_REC_REFUND ? "refund" : "payment",
			      it->channel,	  it->merchant_id,
			      it->order_no,	  it->refund_no,
			      it->channel_txn_id, it->channel_refund_id,
			      it->ledger_status,  it->channel_status};
	for (size_t k = 0; k < sizeof text / sizeof text[0]; k++)
		cell(b, text[k] ? text[k] : "", false);
	cell_int(b, f && f->has_ledger_amount, f ? f->ledger_amount : 0);
	cell_int(b, f && f->has_channel_amount, f ? f->channel_amount : 0);
	cell_int(b, it->has_difference, it->difference);
	cell_int(b, it->has_difference, it->difference_fen);
	cell(b, it->source ? it->source : "", false);
	cell(b, it->detail ? it->detail : "", false);
	cell_date(b, it->first_seen);
	cell_date(b, it->last_seen);
	cell_date(b, it->due_by);
	cell(b, it->urgent ? "t" : "f", false);
}

static void put_row(rcn_buf *b, const rcn_items_night *n, size_t i)
{
	const nstate *s = &n->st[i];
	const rcn_open_item *it = &n->list.v[i];
	char note[96];
	cell(b, OPS[s->op], false);
	cell(b, it->id, false);
	cell(b, s->key, false);
	put_fields(b, n, i);
	cell(b, rcn_item_status_name(s->from), false);
	cell(b, rcn_item_status_name(it->status), false);
	cell_date(b, it->closed_on);
	cell(b, it->evidence ? it->evidence : "", false);
	cell(b, action_of(s->op), false);
	cell(b, note_of(n, s->op, note, sizeof note), true);
}

/* One COPY ... FROM STDIN of the rows `put` writes for the items `want` keeps. */
typedef bool (*row_want)(const nstate *s);
typedef void (*row_put)(rcn_buf *b, const rcn_items_night *n, size_t i);

static rcn_rc copy_in(const rcn_items_night *n, rcn_db *db, const char *sql, row_want want, row_put put, rcn_err *err)
{
	bool binary = strstr(sql, "(FORMAT binary)") != NULL;
	PGconn *c = rcn_db_conn(db);
	PGresult *res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rcn_rc rc = rcn_pq_fail(db, res, err, "writing the open items");
		PQclear(res);
		return rc;
	}
	PQclear(res);
	rcn_buf b;
	rcn_buf_init(&b, (size_t)1 << 30);
	bool ok = !binary || rcn_pq_bin_header(&b) == RCN_OK;
	for (size_t i = 0; i < n->list.n && ok; i++) {
		if (!want(&n->st[i]))
			continue;
		put(&b, n, i);
		if (b.len >= (1u << 20)) {
			ok = PQputCopyData(c, b.data, (int)b.len) == 1;
			rcn_buf_reset(&b);
		}
	}
	if (ok && binary)
		ok = rcn_pq_bin_trailer(&b) == RCN_OK;
	if (ok && b.len)
		ok = PQputCopyData(c, b.data, (int)b.len) == 1;
	rcn_buf_free(&b);
	if (PQputCopyEnd(c, ok ? NULL : "recon: writing the open items failed") != 1)
		ok = false;
	rcn_rc rc = rcn_pq_drain(db, err, "writing the open items");
	return rc == RCN_OK && !ok ? rcn_pq_fail(db, NULL, err, "writing the open items") : rc;
}

static bool is_new(const nstate *s)
{
	return s->op == OP_NEW;
}

/* The date's items after tonight: those it found, and those of accounts it
 * could not see that its last run had found. */
static bool in_date(const nstate *s)
{
	return s->f || (s->linked_today && !s->drop_link);
}

/* Anything but a new item to write: fields, a status. */
static bool is_other(const nstate *s)
{
	return s->op != OP_NEW && s->op != OP_NONE && s->op != OP_SAME;
}

static const char NEW_ITEM_COPY[] =
	"COPY recon_items (id, item_key, key_hash, kind, kind_cn, reason, rec_type, channel, merchant_id, order_no, "
	"refund_no, channel_txn_id, channel_refund_id, ledger_status, channel_status, ledger_amount_fen, "
	"channel_amount_fen, difference, difference_fen, source, detail, first_seen, last_seen, due_by, urgent, "
	"changed_by) FROM STDIN (FORMAT binary)";

/* A new item's row of NEW_ITEM_COPY (binary: the big night's bulk). */
static void put_new_item(rcn_buf *b, const rcn_items_night *n, size_t i)
{
	const nstate *s = &n->st[i];
	const rcn_open_item *it = &n->list.v[i];
	const rcn_finding *f = s->f;
	(void)rcn_pq_bin_fields(b, 26);
	const char *head[] = {it->id,
			      s->key,
			      NULL,
			      rcn_kind_name(it->kind),
			      rcn_kind_name_cn(it->kind),
			      it->reason,
			      it->rec_type == RCN_REC_REFUND ? "refund" : "payment",
			      it->channel,
			      it->merchant_id,
			      it->order_no,
			      it->refund_no,
			      it->channel_txn_id,
			      it->channel_refund_id,
			      it->ledger_status,
			      it->channel_status};
	for (size_t k = 0; k < sizeof head / sizeof head[0]; k++) {
		if (k == 2)
			(void)rcn_pq_bin_int8(b, true, s->key_hash);
		else
			(void)rcn_pq_bin_text(b, head[k] ? head[k] : "", false);
	}
	(void)rcn_pq_bin_int8(b, f->has_ledger_amount, f->ledger_amount);
	(void)rcn_pq_bin_int8(b, f->has_channel_amount, f->channel_amount);
	(void)rcn_pq_bin_int8(b, it->has_difference, it->difference);
	(void)rcn_pq_bin_int8(b, it->has_difference, it->difference_fen);
	(void)rcn_pq_bin_text(b, it->source ? it->source : "", false);
	(void)rcn_pq_bin_text(b, it->detail ? it->detail : "", false);
	(void)rcn_pq_bin_date(b, true, it->first_seen);
	(void)rcn_pq_bin_date(b, true, it->last_seen);
	(void)rcn_pq_bin_date(b, it->due_by != 0, it->due_by);
	(void)rcn_pq_bin_bool(b, it->urgent);
	(void)rcn_pq_bin_text(b, n->actor, false);
}

/* Its "opened" event. */
static void put_opened(rcn_buf *b, const rcn_items_night *n, size_t i)
{
	const rcn_open_item *it = &n->list.v[i];
	(void)rcn_pq_bin_fields(b, 6);
	(void)rcn_pq_bin_text(b, it->id, false);
	(void)rcn_pq_bin_text(b, n->actor, false);
	(void)rcn_pq_bin_text(b, "opened", false);
	(void)rcn_pq_bin_text(b, "open", false);
	(void)rcn_pq_bin_date(b, true, n->day);
	(void)rcn_pq_bin_text(b, it->source, true);
}

/* The date's row of recon_item_nights: its items' ids as one text[]. */
static rcn_rc store_date_items(const rcn_items_night *n, rcn_db *db, rcn_err *err)
{
	rcn_buf arr;
	rcn_buf_init(&arr, (size_t)1 << 30);
	(void)rcn_buf_append(&arr, "{", 1);
	for (size_t i = 0, k = 0; i < n->list.n; i++) {
		if (!in_date(&n->st[i]))
			continue;
		if (k++)
			(void)rcn_buf_append(&arr, ",", 1);
		(void)rcn_buf_append(&arr, n->list.v[i].id, strlen(n->list.v[i].id)); /* base32: nothing to quote */
	}
	(void)rcn_buf_append(&arr, "}", 1);
	const char *params[2] = {n->date_text, arr.data};
	rcn_rc rc =
		rcn_pq_query(db,
			     "INSERT INTO recon_item_nights (business_date, item_ids) VALUES ($1::date, $2::text[]) "
			     "ON CONFLICT (business_date) DO UPDATE SET item_ids = EXCLUDED.item_ids",
			     2, params, PGRES_COMMAND_OK, -1, "writing the open items", NULL, err);
	rcn_buf_free(&arr);
	return rc;
}

static bool any(const rcn_items_night *n, row_want want)
{
	for (size_t i = 0; i < n->list.n; i++)
		if (want(&n->st[i]))
			return true;
	return false;
}

rcn_rc rcn_items_night_store(void *ctx, rcn_db *db, rcn_err *err)
{
	const rcn_items_night *n = ctx;
	rcn_rc rc = RCN_OK;
	if (any(n, is_new)) {
		rc = copy_in(n, db, NEW_ITEM_COPY, is_new, put_new_item, err);
		if (rc == RCN_OK)
			rc = copy_in(
				n, db,
				"COPY recon_item_events (item_id, actor, action, to_status, business_date, evidence) "
				"FROM STDIN (FORMAT binary)",
				is_new, put_opened, err);
	}
	if (rc == RCN_OK)
		rc = store_date_items(n, db, err);
	if (rc != RCN_OK || !any(n, is_other))
		return rc;
	const char *params[2] = {n->date_text, n->actor};
	rc = rcn_pq_command(db, CREATE_TONIGHT, err, "writing the open items");
	if (rc == RCN_OK)
		rc = copy_in(n, db, "COPY recon_items_tonight FROM STDIN", is_other, put_row, err);
	for (size_t i = 0; i < sizeof APPLY / sizeof APPLY[0] && rc == RCN_OK; i++)
		rc = rcn_pq_query(db, APPLY[i], 2, params, PGRES_COMMAND_OK, -1, "writing the open items", NULL, err);
	return rc;
}
