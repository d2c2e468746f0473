/* Writes a night's decisions on the register inside the run's transaction.
 * Items nobody has worked — tonight's new ones, the date's own found again
 * or left as they were — are the date's parts (recon_item_unworked, json):
 * a fresh night writes its items as a few hundred rows, not a row, index
 * entries and an event each. An unworked item tonight changes (closed,
 * withdrawn, found by another date) becomes a row first, with its "opened"
 * event (recon_items_take). The rest — items found again, status changes —
 * go to a temporary table in one COPY, and a few statements apply them: the
 * found ones' fields, the status changes (each with its event, and only
 * where nobody changed the item since the night read it). The audit trail
 * is only ever appended to. */
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
typedef bool (*row_want)(const rcn_items_night *n, const nstate *s);
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
		if (!want(n, &n->st[i]))
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

/* Whether the item is one of the date's unworked items after tonight. */
static bool stays_unworked(const rcn_items_night *n, const nstate *s)
{
	if (s->op == OP_NEW)
		return true;
	return s->unworked && s->unworked_on == n->day && (s->op == OP_SAME || s->op == OP_FOUND || s->op == OP_NONE);
}

/* An unworked item tonight changes: a row first. */
static bool to_take(const rcn_items_night *n, const nstate *s)
{
	return s->unworked && s->op != OP_NONE && !stays_unworked(n, s);
}

/* The date's items after tonight: those it found, and those of accounts it
 * could not see that its last run had found. */
static bool in_date(const rcn_items_night *n, const nstate *s)
{
	(void)n;
	return s->f || (s->linked_today && !s->drop_link);
}

/* Anything but a new item to write: fields, a status (for an item that stays
 * unworked only when someone took the date's items meanwhile: a row now). */
static bool is_other(const rcn_items_night *n, const nstate *s)
{
	if (s->op == OP_NEW || s->op == OP_NONE || s->op == OP_SAME)
		return false;
	return !stays_unworked(n, s) || n->parts_changed;
}

/* s as a JSON string. */
static void json_str(rcn_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	(void)rcn_buf_append(b, "\"", 1);
	const char *run = s ? s : "";
	for (const char *p = run;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		(void)rcn_buf_append(b, run, (size_t)(p - run));
		if (!c)
			break;
		char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
		size_t len = 2;
		if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		(void)rcn_buf_append(b, esc, len);
		run = p + 1;
	}
	(void)rcn_buf_append(b, "\"", 1);
}

/* ,"key": */
static void json_key(rcn_buf *b, const char *key)
{
	char head[16];
	size_t n = strlen(key);
	head[0] = ',';
	head[1] = '"';
	memcpy(head + 2, key, n);
	head[n + 2] = '"';
	head[n + 3] = ':';
	(void)rcn_buf_append(b, head, n + 4);
}

static void json_int(rcn_buf *b, const char *key, bool has, int64_t v)
{
	json_key(b, key);
	if (!has) {
		(void)rcn_buf_append(b, "null", 4);
		return;
	}
	char digits[24], *p = digits + sizeof digits;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	(void)rcn_buf_append(b, p, (size_t)(digits + sizeof digits - p));
}

static void json_field(rcn_buf *b, const char *key, const char *v)
{
	json_key(b, key);
	json_str(b, v);
}

/* A text field, unless empty (the view reads a missing one as ''). */
static void json_text(rcn_buf *b, const char *key, const char *v)
{
	if (v && *v)
		json_field(b, key, v);
}

/* An unworked item as its part's json holds it (recon_unworked_entry): what
 * the view and parts.c take as given left out (empty texts, NULL numbers,
 * payment, not urgent, difference_fen equal to difference, the part's
 * opening time). key: the item's; the amounts as tonight found them, or
 * as the night that opened it did; opened_at: when an earlier run of the
 * date opened it, or NULL. */
static void put_unworked(rcn_buf *b, const rcn_open_item *it, const char *key, bool has_la, int64_t la, bool has_ca,
			 int64_t ca, const char *opened_at)
{
	(void)rcn_buf_append(b, "{\"i\":", 5);
	json_str(b, it->id);
	if (!rcn_items_key_is_plain(key, rcn_kind_name(it->kind), it->refund_no, it->order_no))
		json_field(b, "k", key);
	json_field(b, "kd", rcn_kind_name(it->kind));
	json_field(b, "kc", rcn_kind_name_cn(it->kind));
	const char *const text[][2] = {
		{"r", it->reason},	   {"rt", it->rec_type == RCN_REC_REFUND ? "refund" : ""},
		{"ch", it->channel},	   {"m", it->merchant_id},
		{"o", it->order_no},	   {"rf", it->refund_no},
		{"t", it->channel_txn_id}, {"cr", it->channel_refund_id},
		{"ls", it->ledger_status}, {"cs", it->channel_status},
		{"s", it->source},	   {"dt", it->detail}};
	for (size_t k = 0; k < sizeof text / sizeof text[0]; k++)
		json_text(b, text[k][0], text[k][1]);
	if (has_la)
		json_int(b, "la", true, la);
	if (has_ca)
		json_int(b, "ca", true, ca);
	if (it->has_difference) {
		json_int(b, "d", true, it->difference);
		if (it->difference_fen != it->difference)
			json_int(b, "df", true, it->difference_fen);
	}
	char due[11];
	if (it->due_by)
		json_field(b, "due", rcn_date_format(due, it->due_by));
	if (it->urgent)
		(void)rcn_buf_append(b, ",\"u\":true", 9);
	if (opened_at && *opened_at) /* an item of an earlier run of the date: its own time */
		json_field(b, "at", opened_at);
	(void)rcn_buf_append(b, "}", 1);
}

/* List item i as its part's json holds it. */
static void put_listed(rcn_buf *b, const rcn_items_night *n, size_t i)
{
	const nstate *s = &n->st[i];
	const rcn_finding *f = s->f;
	put_unworked(b, &n->list.v[i], s->key, f ? f->has_ledger_amount : s->has_ledger_amount,
		     f ? f->ledger_amount : s->ledger_amount, f ? f->has_channel_amount : s->has_channel_amount,
		     f ? f->channel_amount : s->channel_amount, s->opened_at);
}

/* Ids in numeric order: by length, then as text (Crockford base32 sorts). */
static int id_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

enum { PART_ITEMS = 1024 };

/* One part's row of the COPY. */
static void put_part(rcn_buf *b, const rcn_items_night *n, int32_t part, const char *lo, const char *hi, int32_t k,
		     const rcn_buf *json)
{
	(void)rcn_pq_bin_fields(b, 6);
	(void)rcn_pq_bin_date(b, true, n->day);
	(void)rcn_pq_bin_int4(b, part);
	(void)rcn_pq_bin_text(b, lo, false);
	(void)rcn_pq_bin_text(b, hi, false);
	(void)rcn_pq_bin_int4(b, k);
	(void)rcn_pq_bin_bytes(b, json->data, json->len);
}

/* The parts' rows being written: PART_ITEMS items a part. */
typedef struct {
	const rcn_items_night *n;
	PGconn *c;
	rcn_buf b, json;
	int32_t part, k;
	char lo[RCN_ITEM_ID_MAX], hi[RCN_ITEM_ID_MAX];
	bool ok;
} parts_out;

/* The part being filled, ended (with the COPY's data sent when it is large). */
static void end_part(parts_out *o)
{
	if (!o->k)
		return;
	(void)rcn_buf_append(&o->json, "]", 1);
	put_part(&o->b, o->n, o->part++, o->lo, o->hi, o->k, &o->json);
	rcn_buf_reset(&o->json);
	o->k = 0;
	if (o->ok && o->b.len >= (1u << 20)) {
		o->ok = PQputCopyData(o->c, o->b.data, (int)o->b.len) == 1;
		rcn_buf_reset(&o->b);
	}
}

/* The next item of a part: its id; its json written by the caller after. */
static void next_in_part(parts_out *o, const char *id)
{
	if (o->k == PART_ITEMS)
		end_part(o);
	(void)rcn_buf_append(&o->json, o->k ? "," : "[", 1);
	if (!o->k || id_cmp(id, o->lo) < 0)
		snprintf(o->lo, sizeof o->lo, "%s", id);
	if (!o->k || id_cmp(id, o->hi) > 0)
		snprintf(o->hi, sizeof o->hi, "%s", id);
	o->k++;
}

/* The date's unworked items after tonight, as its parts (the old ones gone):
 * the register's, then tonight's new ones in the order of their ids. */
static rcn_rc write_parts(const rcn_items_night *n, rcn_db *db, rcn_err *err)
{
	const char *params[1] = {n->date_text};
	rcn_rc rc = rcn_pq_query(db, "DELETE FROM recon_item_unworked WHERE business_date = $1::date", 1, params,
				 PGRES_COMMAND_OK, -1, "writing the open items", NULL, err);
	if (rc != RCN_OK)
		return rc;
	PGconn *c = rcn_db_conn(db);
	PGresult *res = PQexec(c, "COPY recon_item_unworked (business_date, part, lo, hi, n, data) FROM STDIN "
				  "(FORMAT binary)");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = rcn_pq_fail(db, res, err, "writing the open items");
		PQclear(res);
		return rc;
	}
	PQclear(res);
	parts_out o = {.n = n, .c = c};
	rcn_buf_init(&o.b, (size_t)1 << 30);
	rcn_buf_init(&o.json, (size_t)1 << 30);
	o.ok = rcn_pq_bin_header(&o.b) == RCN_OK;
	for (size_t i = 0; i < n->list.n && o.ok; i++) {
		if (!stays_unworked(n, &n->st[i]))
			continue;
		next_in_part(&o, n->list.v[i].id);
		put_listed(&o.json, n, i);
	}
	rcn_pack_in in;
	bool read = n->n_new == 0 || rcn_items_new_open(n, &in);
	for (size_t j = 0; j < n->n_new && o.ok && read; j++) {
		rcn_new_item x;
		if (!rcn_items_new_read(n, &in, j, &x)) {
			read = false;
			break;
		}
		next_in_part(&o, x.it.id);
		put_unworked(&o.json, &x.it, x.key, x.has_ledger_amount, x.ledger_amount, x.has_channel_amount,
			     x.channel_amount, NULL);
	}
	if (n->n_new)
		rcn_pack_in_close(&in);
	end_part(&o);
	bool ok = o.ok && read;
	if (ok)
		ok = rcn_pq_bin_trailer(&o.b) == RCN_OK && PQputCopyData(c, o.b.data, (int)o.b.len) == 1;
	rcn_buf_free(&o.b);
	rcn_buf_free(&o.json);
	if (PQputCopyEnd(c, ok ? NULL : "recon: writing the open items failed") != 1)
		ok = false;
	rc = rcn_pq_drain(db, read ? err : NULL, "writing the open items");
	if (!read)
		return rcn_err_set(err, RCN_EIO, n->new_path ? n->new_path : "", 0,
				   "tonight's new items are unreadable (changed while the night ran?)");
	return rc == RCN_OK && !ok ? rcn_pq_fail(db, NULL, err, "writing the open items") : rc;
}

/* Locks the date's parts; whether someone wrote them since the night read
 * them (took one of the date's items: a row now). */
static rcn_rc lock_parts(rcn_items_night *n, rcn_db *db, rcn_err *err)
{
	const char *params[1] = {n->date_text};
	PGresult *res;
	rcn_rc rc =
		rcn_pq_query(db, PARTS_LOCK_SQL, 1, params, PGRES_TUPLES_OK, 1, "writing the open items", &res, err);
	if (rc != RCN_OK)
		return rc;
	n->parts_changed = strcmp(PQntuples(res) ? PQgetvalue(res, 0, 0) : "", n->parts_read ? n->parts_read : "");
	PQclear(res);
	return RCN_OK;
}

/* "{A,B}" of the ids of the items `want` keeps, and (with_new) of tonight's
 * new ones (canonical ids: base32, nothing to quote). */
static void id_array(const rcn_items_night *n, row_want want, bool with_new, rcn_buf *arr)
{
	rcn_buf_init(arr, (size_t)1 << 30);
	(void)rcn_buf_append(arr, "{", 1);
	size_t k = 0;
	for (size_t i = 0; i < n->list.n; i++) {
		if (!want(n, &n->st[i]))
			continue;
		if (k++)
			(void)rcn_buf_append(arr, ",", 1);
		(void)rcn_buf_append(arr, n->list.v[i].id, strlen(n->list.v[i].id));
	}
	for (size_t j = 0; with_new && j < n->n_new; j++) {
		char id[RCN_ITEM_ID_MAX];
		rcn_items_new_id(n, j, id);
		if (k++)
			(void)rcn_buf_append(arr, ",", 1);
		(void)rcn_buf_append(arr, id, strlen(id));
	}
	(void)rcn_buf_append(arr, "}", 1);
}

/* The unworked items tonight changes, made rows (recon_items_take). */
static rcn_rc take_changed(const rcn_items_night *n, rcn_db *db, rcn_err *err)
{
	rcn_buf arr;
	id_array(n, to_take, false, &arr);
	const char *params[1] = {arr.data};
	rcn_rc rc = rcn_pq_query(db, "SELECT recon_items_take($1::text[])", 1, params, PGRES_TUPLES_OK, 1,
				 "writing the open items", NULL, err);
	rcn_buf_free(&arr);
	return rc;
}

/* The date's row of recon_item_nights: its items' ids as one text[]. */
static rcn_rc store_date_items(const rcn_items_night *n, rcn_db *db, rcn_err *err)
{
	rcn_buf arr;
	id_array(n, in_date, true, &arr); /* (tonight found every new item) */
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
		if (want(n, &n->st[i]))
			return true;
	return false;
}

rcn_rc rcn_items_night_store(void *ctx, rcn_db *db, rcn_err *err)
{
	rcn_items_night *n = ctx;
	const char *params[2] = {n->date_text, n->actor};
	rcn_rc rc = lock_parts(n, db, err);
	if (rc == RCN_OK && any(n, to_take))
		rc = take_changed(n, db, err);
	if (rc == RCN_OK)
		rc = write_parts(n, db, err);
	if (rc == RCN_OK && n->parts_changed)
		rc = rcn_pq_query(db, "SELECT recon_items_unworked_prune($1::date)", 1, params, PGRES_TUPLES_OK, 1,
				  "writing the open items", NULL, err);
	if (rc == RCN_OK)
		rc = store_date_items(n, db, err);
	if (rc != RCN_OK || !any(n, is_other))
		return rc;
	rc = rcn_pq_command(db, CREATE_TONIGHT, err, "writing the open items");
	if (rc == RCN_OK)
		rc = copy_in(n, db, "COPY recon_items_tonight FROM STDIN", is_other, put_row, err);
	for (size_t i = 0; i < sizeof APPLY / sizeof APPLY[0] && rc == RCN_OK; i++)
		rc = rcn_pq_query(db, APPLY[i], 2, params, PGRES_COMMAND_OK, -1, "writing the open items", NULL, err);
	return rc;
}
