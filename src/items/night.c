/* A night's moves on the register: what it reads (the open items, the items
 * the date's last run found), the evidence it gathers, the items tonight's
 * findings are, and the decisions it takes (opened, found again, reopened,
 * auto_closed, withdrawn) — written in the run's own transaction by store.c.
 *
 *   load ─► ledger keys / lookups ─► evidence (matcher) ─► assign (findings)
 *        ─► book (reports) ─► store (the run's transaction)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "items/night_int.h"

/* The items a night reads: the rows open, closed after the date (the book),
 * or found by the date's last run — three disjoint parts, each by its own
 * index: the register keeps every item ever found, the night reads only
 * these — and every unworked item (all open). */
static const char NIGHT_FROM[] =
	"FROM (SELECT * FROM recon_items WHERE status IN ('open', 'acknowledged') UNION ALL SELECT * FROM recon_items "
	"WHERE status NOT IN ('open', 'acknowledged') AND closed_on > $1::date UNION ALL SELECT * FROM recon_items "
	"WHERE status NOT IN ('open', 'acknowledged') AND (closed_on IS NULL OR closed_on <= $1::date) AND id IN "
	"(SELECT unnest(item_ids) FROM recon_item_nights WHERE business_date = $1::date)) r";

static bool is_collected(const char *st)
{
	return strcmp(st, "PAID") == 0 || strcmp(st, "REFUNDED") == 0 || strcmp(st, "PARTIALLY_REFUNDED") == 0;
}

/* What an open item waits for before a night may close it on its own: the
 * side that was missing appearing. Nothing for kinds a person must settle. */
static uint8_t needs_of(const rcn_open_item *it)
{
	bool chan_ok = strcmp(it->channel_status, "SUCCESS") == 0;
	switch (it->kind) {
	case RCN_K_SHORT_PAYMENT: /* a paid order no statement listed */
		return strcmp(it->reason, "missing") == 0 && *it->order_no ? NEED_CHANNEL : 0;
	case RCN_K_OVERPAYMENT: /* money collected for an order the ledger lacked */
		return strcmp(it->reason, "missing") == 0 && *it->order_no ? NEED_LEDGER : 0;
	case RCN_K_STATUS_MISMATCH: /* a lost callback: the ledger records the payment */
		return it->rec_type == RCN_REC_PAYMENT && chan_ok && !is_collected(it->ledger_status) && *it->order_no
			       ? NEED_LEDGER
			       : 0;
	case RCN_K_REFUND_MISMATCH: { /* a refund on one side only: the other side's success */
		if (!*it->refund_no)
			return 0;
		bool led_ok = strcmp(it->ledger_status, "SUCCESS") == 0;
		if (led_ok == chan_ok)
			return 0; /* both or neither: an amount to settle, not a side to wait for */
		return led_ok ? NEED_CHANNEL : NEED_LEDGER;
	}
	default:
		return 0;
	}
}

nstate *rcn_items_night_state(rcn_items_night *n, const rcn_open_item *it, const char *key)
{
	rcn_xreserve((void **)&n->st, &n->cap_st, n->list.n + 1, sizeof(*n->st));
	nstate *s = &n->st[n->list.n];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->loaded = true;
	s->linked_other = false; /* asked later, of the few it matters for (rcn_items_night_assign) */
	s->from = it->status;
	s->needs = rcn_item_status_is_open(it->status) ? needs_of(it) : 0;
	return s;
}

bool rcn_items_night_keep(void *ctx, const rcn_open_item *it, const PGresult *res, int row, int col)
{
	rcn_items_night *n = ctx;
	nstate *s = rcn_items_night_state(n, it, rcn_arena_strdup(&n->list.arena, PQgetvalue(res, row, col)));
	s->linked_today = strcmp(PQgetvalue(res, row, col + 1), "true") == 0;
	return true;
}

/* Indexes the items read since `from` by key, and their evidence keys. */
void rcn_items_night_index(rcn_items_night *n, size_t from)
{
	for (size_t i = from; i < n->list.n; i++) {
		nstate *s = &n->st[i];
		const rcn_open_item *it = &n->list.v[i];
		(void)rcn_strmap_put(&n->by_key, s->key, strlen(s->key), (uint32_t)i, NULL);
		if (!(s->needs & (NEED_CHANNEL | NEED_LEDGER)))
			continue;
		const char *no = it->rec_type == RCN_REC_REFUND ? it->refund_no : it->order_no;
		rcn_strmap *map = it->rec_type == RCN_REC_REFUND ? &n->want_refund : &n->want_order;
		(void)rcn_strmap_put(map, no, strlen(no), (uint32_t)i, NULL);
		if (s->needs & NEED_LEDGER) {
			const char ***keys = it->rec_type == RCN_REC_REFUND ? &n->ledger_refunds : &n->ledger_orders;
			size_t *k = it->rec_type == RCN_REC_REFUND ? &n->n_ledger_refunds : &n->n_ledger_orders;
			size_t *cap = it->rec_type == RCN_REC_REFUND ? &n->cap_lr : &n->cap_lo;
			rcn_xreserve((void **)keys, cap, *k + 1, sizeof(**keys));
			(*keys)[(*k)++] = no;
		}
	}
}

rcn_items_night *rcn_items_night_new(rcn_date day, const rcn_calendar *cal)
{
	rcn_items_night *n = rcn_xcalloc(1, sizeof(*n));
	n->day = day;
	n->cal = cal;
	char d[11];
	snprintf(n->actor, sizeof n->actor, "recon run %s", rcn_date_format(d, day));
	rcn_date_format(n->date_text, day);
	rcn_arena_init(&n->list.arena);
	rcn_strmap_init(&n->by_key, 1024);
	rcn_strmap_init(&n->want_order, 64);
	rcn_strmap_init(&n->want_refund, 64);
	rcn_strmap_init(&n->covered, 16);
	return n;
}

rcn_rc rcn_items_night_load(rcn_items_night **out, rcn_db *db, rcn_date day, const rcn_calendar *cal, rcn_err *err)
{
	rcn_items_night *n = rcn_items_night_new(day, cal);
	*out = n;
	const char *params[1] = {n->date_text};
	/* rows and parts as of one moment: an item a person takes meanwhile is in one or the other */
	bool own;
	rcn_rc rc = rcn_items_snapshot_begin(db, &own, err);
	if (rc == RCN_OK)
		rc = rcn_items_select(db, NIGHT_ROWS, N_NIGHT_EXTRA, NIGHT_FROM, 1, params, cal, day,
				      rcn_items_night_keep, n, &n->list, err);
	if (rc == RCN_OK)
		rc = rcn_items_parts_read(n, db, err);
	PGresult *res = NULL;
	if (rc == RCN_OK)
		rc = rcn_pq_query(db, PARTS_READ_SQL, 1, params, PGRES_TUPLES_OK, 2, "reading the unworked items", &res,
				  err);
	if (rc == RCN_OK) {
		n->parts_read = rcn_xstrdup(PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
		n->any_closed = !PQntuples(res) || strcmp(PQgetvalue(res, 0, 1), "false") != 0;
		PQclear(res);
		rcn_items_night_index(n, 0);
	}
	return rcn_items_snapshot_end(db, own, rc, err);
}

void rcn_items_night_ledger_keys(const rcn_items_night *n, const char *const **orders, size_t *n_orders,
				 const char *const **refunds, size_t *n_refunds)
{
	*orders = n->ledger_orders;
	*n_orders = n->n_ledger_orders;
	*refunds = n->ledger_refunds;
	*n_refunds = n->n_ledger_refunds;
}

/* The ledger's item settles an item waiting on it: a collected order, a
 * successful refund. */
static void ledger_says(rcn_items_night *n, rcn_strmap *map, const char *no, const char *status, bool refund)
{
	uint32_t i;
	if (!no || !*no || !rcn_strmap_get(map, no, strlen(no), &i))
		return;
	nstate *s = &n->st[i];
	if (!(s->needs & NEED_LEDGER) || (s->have & NEED_LEDGER))
		return;
	if (refund ? strcmp(status, "SUCCESS") != 0 : !is_collected(status))
		return;
	char text[300];
	snprintf(text, sizeof text, "%s %s: %s", refund ? "ledger_refunds" : "ledger_orders", no, status);
	s->have |= NEED_LEDGER;
	s->ledger_evidence = rcn_arena_strdup(&n->list.arena, text);
}

void rcn_items_night_ledger_order(rcn_items_night *n, const rcn_ledger_order *o)
{
	ledger_says(n, &n->want_order, o->order_no, o->status ? o->status : "", false);
}

void rcn_items_night_ledger_refund(rcn_items_night *n, const rcn_ledger_refund *r)
{
	ledger_says(n, &n->want_refund, r->refund_no, r->status ? r->status : "", true);
}

static void on_row(void *ctx, const rcn_match_seen *s)
{
	rcn_items_night *n = ctx;
	const char *no = s->rec_type == RCN_REC_REFUND ? s->refund_no : s->order_no;
	rcn_strmap *map = s->rec_type == RCN_REC_REFUND ? &n->want_refund : &n->want_order;
	uint32_t i;
	if (!no || !rcn_strmap_get(map, no, strlen(no), &i) || !(n->st[i].needs & NEED_CHANNEL) ||
	    (n->st[i].have & NEED_CHANNEL))
		return;
	n->st[i].have |= NEED_CHANNEL;
	n->st[i].channel_evidence = rcn_arena_strdup(&n->list.arena, s->src ? s->src : "");
}

void rcn_items_night_evidence(rcn_items_night *n, rcn_match *m)
{
	if (!n->want_order.count && !n->want_refund.count)
		return;
	/* the numbers whose statement rows would close an item */
	const char **nos = rcn_xcalloc(n->list.n + 1, sizeof(*nos));
	size_t n_orders = 0, n_refunds = 0;
	for (size_t i = 0; i < n->list.n; i++)
		if ((n->st[i].needs & NEED_CHANNEL) && n->list.v[i].rec_type == RCN_REC_PAYMENT)
			nos[n_orders++] = n->list.v[i].order_no;
	for (size_t i = 0; i < n->list.n; i++)
		if ((n->st[i].needs & NEED_CHANNEL) && n->list.v[i].rec_type == RCN_REC_REFUND)
			nos[n_orders + n_refunds++] = n->list.v[i].refund_no;
	rcn_match_each_seen(m, nos, n_orders, nos + n_orders, n_refunds, on_row, n);
	free(nos);
	/* the ledger's side as the window and the lookups loaded it */
	for (size_t i = 0; i < n->list.n; i++) {
		nstate *s = &n->st[i];
		const rcn_open_item *it = &n->list.v[i];
		if (!(s->needs & NEED_LEDGER) || (s->have & NEED_LEDGER))
			continue;
		const char *status;
		int64_t amount;
		bool refund = it->rec_type == RCN_REC_REFUND;
		if (refund ? rcn_match_ledger_refund(m, it->refund_no, &status, &amount)
			   : rcn_match_ledger_order(m, it->order_no, &status, &amount))
			ledger_says(n, refund ? &n->want_refund : &n->want_order, refund ? it->refund_no : it->order_no,
				    status, refund);
	}
}

static const char *account_key(rcn_arena *a, const char *channel, const char *merchant_id)
{
	char key[512];
	snprintf(key, sizeof key, "%s\x1f%s", channel ? channel : "", merchant_id ? merchant_id : "");
	return rcn_arena_strdup(a, key);
}

void rcn_items_night_cover(rcn_items_night *n, const char *channel, const char *merchant_id)
{
	const char *key = account_key(&n->list.arena, channel, merchant_id);
	(void)rcn_strmap_put(&n->covered, key, strlen(key), 1, NULL);
}

void rcn_items_night_cover_all(rcn_items_night *n)
{
	n->cover_all = true;
}

void rcn_items_night_dry_run(rcn_items_night *n)
{
	n->dry_run = true;
}

bool rcn_items_night_covers(rcn_items_night *n, const rcn_open_item *it)
{
	if (n->cover_all)
		return true;
	const char *key = account_key(&n->list.arena, it->channel, it->merchant_id);
	uint32_t v;
	return rcn_strmap_get(&n->covered, key, strlen(key), &v);
}

void rcn_items_night_free(rcn_items_night *n)
{
	if (!n)
		return;
	rcn_item_list_free(&n->list);
	free(n->st);
	free(n->ledger_orders);
	free(n->ledger_refunds);
	free(n->book);
	free(n->item_of);
	rcn_items_new_free(n);
	free(n->parts_read);
	rcn_strmap_free(&n->by_key);
	rcn_strmap_free(&n->want_order);
	rcn_strmap_free(&n->want_refund);
	rcn_strmap_free(&n->covered);
	free(n);
}

#define EVIDENCE_MAGIC "recon-shard-evidence-1"

void rcn_items_night_export_evidence(const rcn_items_night *n, rcn_buf *b)
{
	size_t k = 0;
	for (size_t i = 0; i < n->list.n; i++)
		k += n->st[i].have != 0;
	rcn_wire_str(b, EVIDENCE_MAGIC);
	rcn_wire_i64(b, (int64_t)k);
	for (size_t i = 0; i < n->list.n; i++) {
		const nstate *s = &n->st[i];
		if (!s->have)
			continue;
		rcn_wire_str(b, s->key);
		rcn_wire_i64(b, s->have);
		rcn_wire_str(b, s->channel_evidence);
		rcn_wire_str(b, s->ledger_evidence);
	}
}

bool rcn_items_night_import_evidence(rcn_items_night *n, rcn_wire *w)
{
	if (strcmp(rcn_wire_get_str(w), EVIDENCE_MAGIC) != 0)
		return !(w->bad = true);
	size_t k = rcn_wire_get_count(w, 3 + 8);
	for (size_t j = 0; j < k && !w->bad; j++) {
		const char *key = rcn_wire_get_str(w);
		int64_t have = rcn_wire_get_i64(w);
		const char *chan = rcn_wire_get_str(w), *led = rcn_wire_get_str(w);
		uint32_t i;
		if (w->bad || !rcn_strmap_get(&n->by_key, key, strlen(key), &i))
			continue; /* an item a person closed between the shard's read and the merge's */
		nstate *s = &n->st[i];
		if ((have & NEED_CHANNEL) && (s->needs & NEED_CHANNEL) && !(s->have & NEED_CHANNEL)) {
			s->have |= NEED_CHANNEL;
			s->channel_evidence = chan;
		}
		if ((have & NEED_LEDGER) && (s->needs & NEED_LEDGER) && !(s->have & NEED_LEDGER)) {
			s->have |= NEED_LEDGER;
			s->ledger_evidence = led;
		}
	}
	return !w->bad;
}
