/* People moving items (recon items resolve, approve, import): each command's
 * changes are checked against the locked items first and written after, in
 * one transaction, every change with an appended event; and an item's
 * history. The audit trail is only ever INSERTed into.
 *
 *   changes ──canonical ids──► BEGIN; SELECT ... FOR UPDATE ──decide()──► plans
 *           ──write() per changed item: UPDATE recon_items + INSERT event──► COMMIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "items/items_int.h"
#include "recon/items.h"
#include "recon/money.h"
#include "recon/pq.h"
#include "recon/text.h"

#define OWNER_MAX 200  /* bytes: a name */
#define NOTE_MAX  4000 /* bytes: a few sentences, what a CSV cell holds comfortably */

rcn_rc rcn_items_set_zone(rcn_db *db, const char *tz, rcn_err *err)
{
	const char *p[1] = {tz};
	return rcn_pq_query(db, "SELECT set_config('TimeZone', $1, false), set_config('DateStyle', 'ISO, YMD', false)",
			    1, p, PGRES_TUPLES_OK, 2, "setting the time zone", NULL, err);
}

rcn_rc rcn_items_last_date(rcn_db *db, rcn_date *out, rcn_err *err)
{
	PGresult *res;
	rcn_rc rc = rcn_pq_query(db, "SELECT coalesce(to_char(max(business_date), 'YYYY-MM-DD'), '') FROM recon_runs",
				 0, NULL, PGRES_TUPLES_OK, 1, "reading the latest run's date", &res, err);
	if (rc != RCN_OK)
		return rc;
	const char *s = PQntuples(res) ? PQgetvalue(res, 0, 0) : "";
	*out = -1;
	if (*s && rcn_date_parse(out, s, strlen(s), err) != RCN_OK)
		rc = rcn_err_set(err, RCN_EDB, "", 0, "recon_runs: unreadable business date '%s'", s);
	PQclear(res);
	return rc;
}

/* The locked row of an item (columns of LOCK_SQL). */
enum { L_ID, L_STATUS, L_OWNER, L_NOTE, L_APPROVAL_BY, L_DIFF_FEN, L_CHANGED_BY, L_CHANGED_AT, N_LOCK_COLUMNS };
#define LOCK_SQL                                                                                                       \
	"SELECT id, status, owner, note, approval_by, coalesce(difference_fen, 0)::text, changed_by, "                 \
	"to_char(changed_at, 'YYYY-MM-DD HH24:MI:SS') FROM recon_items WHERE id = ANY($1::text[]) ORDER BY id "        \
	"FOR UPDATE"

/* An item nobody has worked yet is kept in its night's parts: a person's
 * change makes it a row first, with its "opened" event (the register's
 * recon_items_take; undone with the change when the change is refused). */
#define TAKE_SQL "SELECT recon_items_take($1::text[])"

/* What one change will do to its item. */
typedef struct {
	rcn_item_outcome outcome;
	rcn_item_status from, to;
	const char *owner, *note; /* the item's after the change */
	const char *event_note;	  /* the event's note when not the item's (an approval's) */
	const char *action;	  /* the event's */
	const char *event_to;	  /* the event's to_status */
	bool close;		  /* closed_on = the as-of date */
	const char *approval_by, *approval_note;
	int row; /* in the locked result */
} plan;

/* "FILE:LINE: " or "" before a message about a change. */
static rcn_rc change_error(rcn_err *err, const rcn_item_change *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static rcn_rc change_error(rcn_err *err, const rcn_item_change *c, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rcn_utf8_trim_tail(msg);
	return rcn_err_set(err, RCN_EUSAGE, c->file ? c->file : "", c->file ? c->line : 0, "%s", msg);
}

/* s without the blanks around it, in the arena. */
static const char *trimmed(rcn_arena *a, const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return rcn_arena_strndup(a, s, n);
}

/* An owner is one line of text, a note may have several. */
static rcn_rc check_text(const rcn_item_change *c, const char *id, const char *what, const char *s, size_t max,
			 bool lines, rcn_err *err)
{
	rcn_text_fault fault;
	size_t n = strlen(s), at = rcn_text_check(s, n, &fault);
	if (at < n)
		return change_error(err, c, "item %s: the %s has %s", id, what, rcn_text_fault_name(fault));
	if (!lines && strpbrk(s, "\t\r\n"))
		return change_error(err, c, "item %s: the %s must be one line", id, what);
	if (n > max)
		return change_error(err, c, "item %s: the %s is longer than %zu bytes", id, what, max);
	return RCN_OK;
}

static bool status_word(const char *s, rcn_item_status *out)
{
	if (rcn_item_status_parse(s, out))
		return true;
	for (int i = 0; i < RCN_IS__COUNT; i++)
		if (strcmp(s, rcn_item_status_cn((rcn_item_status)i)) == 0) {
			*out = (rcn_item_status)i;
			return true;
		}
	return false;
}

/* The status a change asks for (*to = cur when it names none). */
static rcn_rc wanted_status(const rcn_item_change *c, const char *id, rcn_item_status cur, rcn_item_status *to,
			    rcn_err *err)
{
	*to = cur;
	if (!c->status || !c->status[0])
		return RCN_OK;
	if (!status_word(c->status, to))
		return change_error(err, c,
				    "item %s: bad status '%s' (use open, acknowledged, resolved or written_off)", id,
				    RCN_QUOTE(c->status, strlen(c->status)));
	if (*to == RCN_IS_AUTO_CLOSED || *to == RCN_IS_WITHDRAWN)
		return change_error(err, c,
				    "item %s: status %s is set by recon's nights, not by a person (use open, "
				    "acknowledged, resolved or written_off)",
				    id, rcn_item_status_name(*to));
	return RCN_OK;
}

/* Checks one change against its locked row and decides what it does. */
static rcn_rc decide(const rcn_item_change *c, const PGresult *res, int row, const rcn_items_actor *a, rcn_arena *arena,
		     plan *p, rcn_err *err)
{
	const char *id = PQgetvalue(res, row, L_ID), *old_owner = PQgetvalue(res, row, L_OWNER),
		   *old_note = PQgetvalue(res, row, L_NOTE), *asked = PQgetvalue(res, row, L_APPROVAL_BY);
	memset(p, 0, sizeof *p);
	p->row = row;
	if (!rcn_item_status_parse(PQgetvalue(res, row, L_STATUS), &p->from))
		return rcn_err_set(err, RCN_EDB, "", 0, "item %s: unknown status in the register", id);
	rcn_item_status to;
	rcn_rc rc = wanted_status(c, id, p->from, &to, err);
	if (rc != RCN_OK)
		return rc;
	if (a->import && to == RCN_IS_OPEN && p->from == RCN_IS_ACKNOWLEDGED)
		to = p->from; /* the file predates the acknowledgement: an import never hands an item back */
	p->owner = c->owner ? trimmed(arena, c->owner) : old_owner;
	p->note = c->note ? trimmed(arena, c->note) : old_note;
	if ((rc = check_text(c, id, "owner", p->owner, OWNER_MAX, false, err)) != RCN_OK ||
	    (rc = check_text(c, id, "note", p->note, NOTE_MAX, true, err)) != RCN_OK)
		return rc;
	bool moves = to != p->from, owner_changed = strcmp(p->owner, old_owner) != 0,
	     note_changed = strcmp(p->note, old_note) != 0;
	if (!rcn_item_status_is_open(p->from)) {
		/* an import row of an item a night (or someone) closed after the file was written */
		if (a->import && !owner_changed && !note_changed && (!moves || rcn_item_status_is_open(to))) {
			p->outcome = RCN_ITEM_PASSED_OVER;
			p->to = p->from;
			return RCN_OK;
		}
		return change_error(err, c, "item %s is %s (by %s, %s): only open or acknowledged items can be changed",
				    id, rcn_item_status_name(p->from), PQgetvalue(res, row, L_CHANGED_BY),
				    PQgetvalue(res, row, L_CHANGED_AT));
	}
	const char *by = PQgetvalue(res, row, L_CHANGED_BY), *at = PQgetvalue(res, row, L_CHANGED_AT);
	if (a->import && c->last_change && c->last_change[0] && strcmp(c->last_change, at) != 0 &&
	    strncmp(by, "recon run", 9) != 0) {
		if (moves || owner_changed || note_changed) /* the row may be what the item was before */
			return change_error(err, c,
					    "item %s was changed by %s at %s, after the file was written: export the "
					    "list again (recon items --format csv) and redo this row",
					    id, by, at);
		p->outcome = RCN_ITEM_UNCHANGED;
		p->to = p->from;
		return RCN_OK;
	}
	p->to = to;
	p->approval_by = asked;
	p->approval_note = "";
	if (moves && to == RCN_IS_WRITTEN_OFF && asked[0]) {
		if (a->import && strcmp(a->by, asked) == 0 && !owner_changed && !note_changed) {
			p->outcome = RCN_ITEM_UNCHANGED;
			p->to = p->from;
			return RCN_OK;
		}
		return change_error(err, c,
				    "item %s: its write-off awaits approval (asked by %s): a second person approves "
				    "it with recon items approve %s --by NAME",
				    id, asked, id);
	}
	if (moves && (to == RCN_IS_RESOLVED || to == RCN_IS_WRITTEN_OFF) && !(c->note && p->note[0]))
		return change_error(err, c, "item %s: a note is required to %s it (%s)", id,
				    to == RCN_IS_RESOLVED ? "resolve" : "write off",
				    c->file ? "fill in its note" : "--note TEXT");
	if (moves && to == RCN_IS_ACKNOWLEDGED && !p->owner[0])
		p->owner = a->by; /* acknowledged: someone has it, by default whoever says so */
	int64_t fen = strtoll(PQgetvalue(res, row, L_DIFF_FEN), NULL, 10);
	if (moves && to == RCN_IS_WRITTEN_OFF && (fen < 0 ? -fen : fen) > a->writeoff_approval_fen) {
		p->outcome = RCN_ITEM_AWAITS_APPROVAL;
		p->to = p->from;
		p->action = "approval_requested";
		p->event_to = rcn_item_status_name(RCN_IS_WRITTEN_OFF);
		p->approval_by = a->by;
		p->approval_note = p->note;
		return RCN_OK;
	}
	p->outcome = moves || owner_changed || note_changed ? RCN_ITEM_CHANGED : RCN_ITEM_UNCHANGED;
	p->action = moves ? "status" : note_changed ? "note" : "owner";
	p->event_to = rcn_item_status_name(to);
	p->close = to == RCN_IS_RESOLVED || to == RCN_IS_WRITTEN_OFF;
	if (moves)
		p->approval_by = ""; /* a new status supersedes a write-off that waited */
	return RCN_OK;
}

/* The item's new state and its event, in one statement. */
static rcn_rc write_plan(rcn_db *db, const PGresult *res, const plan *p, const rcn_items_actor *a, rcn_err *err)
{
	char day[11];
	rcn_date_format(day, a->as_of);
	const char *params[13] = {PQgetvalue(res, p->row, L_ID),
				  rcn_item_status_name(p->to),
				  p->owner,
				  p->note,
				  a->by,
				  p->close ? "t" : "f",
				  day,
				  p->approval_by,
				  p->approval_note,
				  p->action,
				  rcn_item_status_name(p->from),
				  p->event_to,
				  p->event_note ? p->event_note : p->note};
	return rcn_pq_query(
		db,
		"WITH u AS (UPDATE recon_items SET status = $2, owner = $3, note = $4, changed_by = $5, "
		"changed_at = now(), closed_on = CASE WHEN $6::boolean THEN $7::date ELSE closed_on END, "
		"approval_by = $8, approval_note = $9 WHERE id = $1 RETURNING id) "
		"INSERT INTO recon_item_events (item_id, actor, action, from_status, to_status, owner, note) "
		"SELECT id, $5, $10, $11, $12, $3, $13 FROM u",
		13, params, PGRES_COMMAND_OK, 0, "changing an item", NULL, err);
}

/* "{A,B}" of the canonical ids. */
static void id_array(rcn_buf *b, char (*ids)[RCN_ITEM_ID_MAX], size_t n)
{
	const char **v = rcn_xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = ids[i];
	rcn_items_text_array(b, v, n);
	free(v);
}

/* The changes' ids made canonical; a mistyped one, or one named twice, is an error. */
static rcn_rc canonical_ids(const rcn_item_change *v, size_t n, char (*ids)[RCN_ITEM_ID_MAX], rcn_err *err)
{
	rcn_strmap seen;
	rcn_strmap_init(&seen, n);
	rcn_rc rc = RCN_OK;
	for (size_t i = 0; i < n && rc == RCN_OK; i++) {
		uint32_t first;
		const char *typed = v[i].id ? v[i].id : "";
		if (!rcn_item_id_parse(typed, ids[i]))
			rc = change_error(err, &v[i],
					  "'%s' is not an item id (check symbol): check it against the list",
					  RCN_QUOTE(typed, strlen(typed)));
		else if (!rcn_strmap_put(&seen, ids[i], strlen(ids[i]), (uint32_t)i, &first))
			rc = v[i].file
				     ? change_error(err, &v[i], "item %s appears twice in the file (first on line %ld)",
						    ids[i], v[first].line)
				     : change_error(err, &v[i], "item %s is named twice", ids[i]);
	}
	rcn_strmap_free(&seen);
	return rc;
}

/* Decides every change against the locked rows (res), then writes them. */
static rcn_rc decide_and_write(rcn_db *db, const rcn_item_change *v, size_t n, char (*ids)[RCN_ITEM_ID_MAX],
			       const PGresult *res, const rcn_items_actor *a, rcn_item_done *done, rcn_err *err)
{
	rcn_strmap rows;
	rcn_arena arena;
	rcn_strmap_init(&rows, (size_t)PQntuples(res));
	rcn_arena_init(&arena);
	plan *plans = rcn_xcalloc(n ? n : 1, sizeof *plans);
	rcn_rc rc = RCN_OK;
	for (int r = 0; r < PQntuples(res); r++)
		rcn_strmap_put(&rows, PQgetvalue(res, r, L_ID), strlen(PQgetvalue(res, r, L_ID)), (uint32_t)r, NULL);
	for (size_t i = 0; i < n && rc == RCN_OK; i++) {
		uint32_t row;
		if (!rcn_strmap_get(&rows, ids[i], strlen(ids[i]), &row))
			rc = change_error(err, &v[i], "no item %s in the register", ids[i]);
		else
			rc = decide(&v[i], res, (int)row, a, &arena, &plans[i], err);
	}
	for (size_t i = 0; i < n && rc == RCN_OK; i++) {
		const plan *p = &plans[i];
		if (p->outcome == RCN_ITEM_CHANGED || p->outcome == RCN_ITEM_AWAITS_APPROVAL)
			rc = write_plan(db, res, p, a, err);
		rcn_item_done *d = &done[i];
		snprintf(d->id, sizeof d->id, "%s", ids[i]);
		d->outcome = p->outcome;
		d->from = p->from;
		d->to = p->to;
		d->owner_changed = p->owner && strcmp(p->owner, PQgetvalue(res, p->row, L_OWNER)) != 0;
		d->note_changed = p->note && strcmp(p->note, PQgetvalue(res, p->row, L_NOTE)) != 0;
		d->difference_fen = strtoll(PQgetvalue(res, p->row, L_DIFF_FEN), NULL, 10);
	}
	free(plans);
	rcn_arena_free(&arena);
	rcn_strmap_free(&rows);
	return rc;
}

rcn_rc rcn_items_apply(rcn_db *db, const rcn_item_change *v, size_t n, const rcn_items_actor *a, rcn_item_done *done,
		       rcn_err *err)
{
	char(*ids)[RCN_ITEM_ID_MAX] = rcn_xcalloc(n ? n : 1, sizeof *ids);
	PGresult *res = NULL;
	rcn_buf arr;
	rcn_buf_init(&arr, SIZE_MAX);
	bool begun = false;
	rcn_rc rc = rcn_pq_require_idle(db, err, "changing items");
	if (rc == RCN_OK)
		rc = canonical_ids(v, n, ids, err);
	if (rc == RCN_OK && (rc = rcn_pq_command(db, "BEGIN", err, "starting the change")) == RCN_OK)
		begun = true;
	if (rc == RCN_OK) {
		id_array(&arr, ids, n);
		const char *p[1] = {arr.data};
		rc = rcn_pq_query(db, TAKE_SQL, 1, p, PGRES_TUPLES_OK, 1, "locking the items", NULL, err);
		if (rc == RCN_OK)
			rc = rcn_pq_query(db, LOCK_SQL, 1, p, PGRES_TUPLES_OK, N_LOCK_COLUMNS, "locking the items",
					  &res, err);
	}
	if (rc == RCN_OK)
		rc = decide_and_write(db, v, n, ids, res, a, done, err);
	if (rc == RCN_OK)
		rc = rcn_pq_command(db, "COMMIT", err, "committing the change");
	else if (begun)
		(void)rcn_pq_command(db, "ROLLBACK", NULL, "rolling back");
	PQclear(res);
	rcn_buf_free(&arr);
	free(ids);
	return rc;
}

/* Checks the approval against the locked row and writes it. */
static rcn_rc approve_row(rcn_db *db, const PGresult *res, const char *note, const rcn_items_actor *a,
			  rcn_item_done *done, rcn_err *err)
{
	const char *id = PQgetvalue(res, 0, L_ID), *asked = PQgetvalue(res, 0, L_APPROVAL_BY);
	plan p = {.row = 0, .to = RCN_IS_WRITTEN_OFF, .approval_by = "", .approval_note = ""};
	if (!rcn_item_status_parse(PQgetvalue(res, 0, L_STATUS), &p.from))
		return rcn_err_set(err, RCN_EDB, "", 0, "item %s: unknown status in the register", id);
	if (!rcn_item_status_is_open(p.from) || !asked[0])
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "item %s (%s) has no write-off waiting for approval", id,
				   rcn_item_status_name(p.from));
	if (strcmp(asked, a->by) == 0)
		return rcn_err_set(err, RCN_EUSAGE, "", 0,
				   "item %s: %s asked for the write-off: a second, different person must approve it",
				   id, asked);
	rcn_item_change c = {.id = id, .note = note};
	rcn_arena arena;
	rcn_arena_init(&arena);
	p.owner = PQgetvalue(res, 0, L_OWNER);
	p.note = PQgetvalue(res, 0, L_NOTE); /* the item keeps the reason given; the approval's note is the event's */
	p.event_note = note ? trimmed(&arena, note) : p.note;
	rcn_rc rc = check_text(&c, id, "note", p.event_note, NOTE_MAX, true, err);
	p.outcome = RCN_ITEM_APPROVED;
	p.action = "approved";
	p.event_to = rcn_item_status_name(RCN_IS_WRITTEN_OFF);
	p.close = true;
	if (rc == RCN_OK)
		rc = write_plan(db, res, &p, a, err);
	if (rc == RCN_OK) {
		snprintf(done->id, sizeof done->id, "%s", id);
		done->outcome = RCN_ITEM_APPROVED;
		done->from = p.from;
		done->to = RCN_IS_WRITTEN_OFF;
		done->note_changed = false;
		done->owner_changed = false;
		done->difference_fen = strtoll(PQgetvalue(res, 0, L_DIFF_FEN), NULL, 10);
	}
	rcn_arena_free(&arena);
	return rc;
}

rcn_rc rcn_items_approve(rcn_db *db, const char *id, const char *note, const rcn_items_actor *a, rcn_item_done *done,
			 rcn_err *err)
{
	char canon[1][RCN_ITEM_ID_MAX];
	rcn_item_change c = {.id = id};
	PGresult *res = NULL;
	bool begun = false;
	rcn_rc rc = rcn_pq_require_idle(db, err, "approving a write-off");
	if (rc == RCN_OK)
		rc = canonical_ids(&c, 1, canon, err);
	if (rc == RCN_OK && (rc = rcn_pq_command(db, "BEGIN", err, "starting the approval")) == RCN_OK)
		begun = true;
	if (rc == RCN_OK) {
		char arr[RCN_ITEM_ID_MAX + 2];
		snprintf(arr, sizeof arr, "{%s}", canon[0]);
		const char *p[1] = {arr};
		rc = rcn_pq_query(db, TAKE_SQL, 1, p, PGRES_TUPLES_OK, 1, "locking the item", NULL, err);
		if (rc == RCN_OK)
			rc = rcn_pq_query(db, LOCK_SQL, 1, p, PGRES_TUPLES_OK, N_LOCK_COLUMNS, "locking the item", &res,
					  err);
	}
	if (rc == RCN_OK && PQntuples(res) != 1)
		rc = rcn_err_set(err, RCN_EUSAGE, "", 0, "no item %s in the register", canon[0]);
	if (rc == RCN_OK)
		rc = approve_row(db, res, note, a, done, err);
	if (rc == RCN_OK)
		rc = rcn_pq_command(db, "COMMIT", err, "committing the approval");
	else if (begun)
		(void)rcn_pq_command(db, "ROLLBACK", NULL, "rolling back");
	PQclear(res);
	return rc;
}

typedef struct {
	void (*fn)(void *ctx, const rcn_item_event *e);
	void *ctx;
} history_ctx;

static rcn_rc history_row(void *p, const PGresult *res, int row, rcn_err *err)
{
	(void)err;
	history_ctx *h = p;
	rcn_item_event e = {PQgetvalue(res, row, 0), PQgetvalue(res, row, 1), PQgetvalue(res, row, 2),
			    PQgetvalue(res, row, 3), PQgetvalue(res, row, 4), PQgetvalue(res, row, 5),
			    PQgetvalue(res, row, 6), PQgetvalue(res, row, 7), PQgetvalue(res, row, 8)};
	h->fn(h->ctx, &e);
	return RCN_OK;
}

rcn_rc rcn_items_history(rcn_db *db, const char *id, void (*fn)(void *ctx, const rcn_item_event *e), void *ctx,
			 rcn_err *err)
{
	const char *p[1] = {id};
	int64_t n = 0;
	rcn_rc rc = rcn_pq_int64(db,
				 "SELECT (SELECT count(*) FROM recon_items WHERE id = $1) + (SELECT count(*) FROM "
				 "recon_item_unworked u, "
				 "json_populate_recordset(NULL::recon_unworked_entry, u.data::json) e WHERE "
				 "recon_item_in_part($1, u.lo, u.hi) AND e.i = $1)",
				 1, p, "finding the item", &n, err);
	if (rc == RCN_OK && n == 0)
		rc = rcn_err_set(err, RCN_EUSAGE, "", 0, "no item %s in the register", id);
	history_ctx h = {fn, ctx};
	if (rc == RCN_OK)
		rc = rcn_pq_each_row(db,
				     "SELECT to_char(at, 'YYYY-MM-DD HH24:MI:SS'), actor, action, "
				     "coalesce(from_status, ''), coalesce(to_status, ''), coalesce(owner, ''), "
				     "coalesce(note, ''), coalesce(to_char(business_date, 'YYYY-MM-DD'), ''), "
				     "coalesce(evidence, '') FROM (SELECT * FROM recon_item_events WHERE item_id = $1 "
				     "UNION ALL SELECT NULL, "
				     "e.i, coalesce(e.at, u.opened_at), 'recon run ' || to_char(u.business_date, "
				     "'YYYY-MM-DD'), 'opened', "
				     "NULL, 'open', NULL, "
				     "NULL, u.business_date, nullif(e.s, '') FROM recon_item_unworked u, "
				     "json_populate_recordset(NULL::recon_unworked_entry, u.data::json) e WHERE "
				     "recon_item_in_part($1, u.lo, u.hi) AND e.i = $1) t ORDER BY event_id NULLS FIRST",
				     1, p, 9, "reading the item's history", history_row, &h, err);
	return rc;
}
