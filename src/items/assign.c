/* Tonight's findings become items, and the items tonight did not find are
 * closed by their evidence or withdrawn; then the open book as of the date. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "items/night_int.h"

/* Kinds where one order can have several findings, told apart by the
 * statement's transaction (or refund) id. */
static bool per_txn(rcn_kind k)
{
	return k == RCN_K_DOUBLE_CHARGE || k == RCN_K_DUPLICATE_RECORD || k == RCN_K_FEE_MISMATCH ||
	       k == RCN_K_DEBIT_AFTER_TERMINATION || k == RCN_K_DEBIT_OVER_LIMIT || k == RCN_K_DEBIT_TOO_FREQUENT;
}

/* What makes two nights' findings the same item: the kind and the merchant's
 * own number of what it is about (the refund, else the order), else the
 * channel's, else the account and the date (a settlement, a file's fee
 * total); the statement's id too where one order may have several. The
 * reason is not part of it: a short payment found missing and later found
 * short by an amount is the same short payment. */
static void item_key(const rcn_finding *f, rcn_buf *b)
{
	char d[11];
	const char *kind = rcn_kind_name(f->kind);
	const char *parts[10];
	size_t n = 0;
	parts[n++] = kind;
	if (*f->refund_no) {
		parts[n++] = "|r:";
		parts[n++] = f->refund_no;
	} else if (*f->order_no) {
		parts[n++] = "|o:";
		parts[n++] = f->order_no;
	} else if (*f->channel_refund_id || *f->channel_txn_id) {
		parts[n++] = *f->channel_refund_id ? "|cr:" : "|t:";
		parts[n++] = f->channel;
		parts[n++] = ":";
		parts[n++] = *f->channel_refund_id ? f->channel_refund_id : f->channel_txn_id;
	} else {
		parts[n++] = "|a:";
		parts[n++] = f->channel;
		parts[n++] = ":";
		parts[n++] = f->merchant_id;
		parts[n++] = ":";
		parts[n++] = rcn_date_format(d, f->first_seen);
	}
	rcn_buf_reset(b);
	for (size_t i = 0; i < n; i++)
		(void)rcn_buf_append(b, parts[i], strlen(parts[i]));
	if (per_txn(f->kind) && (*f->order_no || *f->refund_no)) {
		const char *id = f->rec_type == RCN_REC_REFUND ? f->channel_refund_id : f->channel_txn_id;
		(void)rcn_buf_append(b, "|t:", 3);
		(void)rcn_buf_append(b, id, strlen(id));
	}
}

static bool is_item(const rcn_finding *f)
{
	return f->kind != RCN_K_PENDING && f->kind != RCN_K_MATCHED;
}

/* rcn_findings_label's: the id of the item the finding at position i is. */
static const char *item_id_of(void *ctx, size_t i, char *buf)
{
	const rcn_items_night *n = ctx;
	uint32_t at = n->item_of[i];
	if (at == UINT32_MAX)
		return NULL;
	if (!(at & ITEM_NEW))
		return n->list.v[at].id;
	rcn_items_new_id(n, at & ~ITEM_NEW, buf);
	return buf;
}

/* The items of keys not among those loaded (closed items found again, by a
 * re-run or a later night): looked up by the keys' hash (recon_items.key_hash,
 * the server's hashtextextended), then by the key itself. */
static rcn_rc load_by_key(rcn_items_night *n, rcn_db *db, const char *const *keys, size_t k, rcn_err *err)
{
	if (!k)
		return RCN_OK;
	rcn_buf arr; /* a text[] literal: every key quoted, \ and " escaped */
	rcn_buf_init(&arr, (size_t)1 << 30);
	(void)rcn_buf_append(&arr, "{", 1);
	for (size_t i = 0; i < k; i++) {
		(void)rcn_buf_append(&arr, i ? ",\"" : "\"", i ? 2 : 1);
		const char *run = keys[i];
		for (const char *p = keys[i];; p++) {
			if (*p && *p != '"' && *p != '\\')
				continue;
			(void)rcn_buf_append(&arr, run, (size_t)(p - run));
			if (!*p)
				break;
			(void)rcn_buf_append(&arr, "\\", 1);
			run = p;
		}
		(void)rcn_buf_append(&arr, "\"", 1);
	}
	(void)rcn_buf_append(&arr, "}", 1);
	const char *params[2] = {n->date_text, arr.data};
	size_t before = n->list.n;
	/* not the night's first read again: closed, not after the date, not the date's */
	rcn_rc rc = rcn_items_select(
		db, "item_key, 'false', 'false'", N_NIGHT_EXTRA,
		"FROM recon_items WHERE key_hash IN (SELECT hashtextextended(x, 0) FROM unnest($2::text[]) x) AND "
		"item_key = ANY($2::text[]) AND status NOT IN ('open', 'acknowledged') AND "
		"(closed_on IS NULL OR closed_on <= $1::date) AND id <> ALL(coalesce((SELECT item_ids "
		"FROM recon_item_nights WHERE business_date = $1::date), '{}'))",
		2, params, n->cal, n->day, rcn_items_night_keep, n, &n->list, err);
	rcn_buf_free(&arr);
	if (rc == RCN_OK)
		rcn_items_night_index(n, before);
	return rc;
}

/* k new ids: a block of the register's numbers, taken in one statement
 * outside the run's transaction (a failed night leaves a gap in the numbers,
 * never a reused id); *first the first of them (0: none, k = 0). */
static rcn_rc new_ids(rcn_db *db, size_t k, int64_t *first, rcn_err *err)
{
	*first = 0;
	if (!k)
		return RCN_OK;
	char count[24];
	snprintf(count, sizeof count, "%zu", k);
	const char *params[1] = {count};
	return rcn_pq_int64(db, "UPDATE recon_item_numbers SET next = next + $1::int8 RETURNING next - $1::int8", 1,
			    params, "numbering the new open items", first, err);
}

static bool same_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Whether the finding says of its item what the item already holds. */
static bool holds(const rcn_open_item *it, const rcn_finding *f)
{
	int64_t diff = 0, fen = 0;
	int scale;
	bool has = rcn_finding_delta(f, &diff, &scale);
	if (!rcn_finding_difference(f, &fen))
		fen = 0;
	const char *const pairs[][2] = {{it->reason, f->reason},
					{it->channel, f->channel},
					{it->merchant_id, f->merchant_id},
					{it->order_no, f->order_no},
					{it->refund_no, f->refund_no},
					{it->channel_txn_id, f->channel_txn_id},
					{it->channel_refund_id, f->channel_refund_id},
					{it->ledger_status, f->ledger_status},
					{it->channel_status, f->channel_status},
					{it->source, f->source},
					{it->detail, f->detail}};
	for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
		if (!same_text(pairs[k][0], pairs[k][1]))
			return false;
	return has == it->has_difference && (!has || diff == it->difference) && fen == it->difference_fen &&
	       f->urgent == it->urgent;
}

/* The finding's fields on its item (tonight's are the latest unless this is
 * a re-run of an earlier date): false when nothing changed. */
static bool take_finding(rcn_items_night *n, size_t i, const rcn_finding *f)
{
	rcn_open_item *it = &n->list.v[i];
	nstate *s = &n->st[i];
	s->f = f;
	bool changed = s->op == OP_NEW;
	if (s->op == OP_NEW || it->last_seen < n->day || (it->last_seen == n->day && !holds(it, f))) {
		changed = true;
		it->reason = f->reason;
		it->channel = f->channel;
		it->merchant_id = f->merchant_id;
		it->order_no = f->order_no;
		it->refund_no = f->refund_no;
		it->channel_txn_id = f->channel_txn_id;
		it->channel_refund_id = f->channel_refund_id;
		it->ledger_status = f->ledger_status;
		it->channel_status = f->channel_status;
		int scale;
		it->has_difference = rcn_finding_delta(f, &it->difference, &scale);
		if (!it->has_difference)
			it->difference = 0;
		if (!rcn_finding_difference(f, &it->difference_fen))
			it->difference_fen = 0;
		it->source = f->source;
		it->detail = f->detail;
		it->urgent = f->urgent;
		it->last_seen = n->day;
	}
	if (s->op == OP_NEW || n->day < it->first_seen) {
		changed = true;
		it->first_seen = n->day;
		it->due_by = f->due_by;
	}
	return changed;
}

/* Tonight's keys: a repeated key counted #2, #3 in the findings' order. */
typedef struct {
	rcn_buf b;
	rcn_strmap seen; /* base key -> its slot in counts */
	uint32_t *counts;
	uint32_t n_counts;
} key_maker;

static void key_maker_init(key_maker *k, size_t n_findings)
{
	rcn_buf_init(&k->b, (size_t)1 << 20);
	rcn_strmap_init(&k->seen, n_findings + 1);
	k->counts = rcn_xcalloc(n_findings + 1, sizeof(*k->counts));
	k->n_counts = 0;
}

static void key_maker_free(key_maker *k)
{
	rcn_buf_free(&k->b);
	rcn_strmap_free(&k->seen);
	free(k->counts);
}

/* f's key, in the register's arena. */
static const char *next_key(rcn_items_night *n, key_maker *k, const rcn_finding *f)
{
	item_key(f, &k->b);
	uint32_t count = 1, slot;
	size_t base = k->b.len;
	const char *base_key = rcn_arena_strndup(&n->list.arena, k->b.data, base);
	if (rcn_strmap_put(&k->seen, base_key, base, k->n_counts, &slot)) {
		k->counts[k->n_counts++] = 1;
		return base_key;
	}
	count = ++k->counts[slot];
	char suffix[24];
	snprintf(suffix, sizeof suffix, "#%u", count);
	(void)rcn_buf_append(&k->b, suffix, strlen(suffix));
	return rcn_arena_strndup(&n->list.arena, k->b.data, k->b.len);
}

/* Tonight's findings to items: keys, the items read by key, new ids for
 * the rest, numbered in the findings' order. In passes over the findings
 * (recon/findings.h): one, or, when the register holds closed items that a
 * finding may be found again as, first one for the keys, to read those
 * items in one go. Each finding an item keeps is copied (its text too when
 * the findings are read back from disk), and its item is noted by its
 * position for the passes after (rcn_findings_label). */
static rcn_rc match_findings(rcn_items_night *n, rcn_db *db, rcn_findings *sink, rcn_err *err)
{
	size_t n_findings = rcn_findings_count(sink);
	bool copy_text = rcn_findings_runs(sink) > 0, two_passes = n->any_closed;
	const char **keys = two_passes ? rcn_xcalloc(n_findings + 1, sizeof(*keys)) : NULL;
	key_maker km;
	key_maker_init(&km, n_findings);
	rcn_rc rc = RCN_OK;
	/* (items are of the discrepancy kinds, which come first) */
	rcn_findings_pass *p;
	if (two_passes) {
		const char **missing = rcn_xcalloc(n_findings + 1, sizeof(*missing));
		size_t n_missing = 0;
		p = rcn_findings_pass_open_kinds(sink, 0, RCN_K_PENDING - 1);
		for (const rcn_finding *f; (f = rcn_findings_pass_next(p)) != NULL;) {
			size_t i = rcn_findings_pass_ordinal(p);
			if (!is_item(f))
				continue;
			keys[i] = next_key(n, &km, f);
			uint32_t at;
			if (!rcn_strmap_get(&n->by_key, keys[i], strlen(keys[i]), &at))
				missing[n_missing++] = keys[i];
		}
		rcn_findings_pass_close(p);
		rc = rcn_findings_ok(sink, err) ? RCN_OK : RCN_EIO;
		if (rc == RCN_OK)
			rc = load_by_key(n, db, missing, n_missing, err);
		free(missing);
	}
	n->item_of = rcn_xmalloc((n_findings + 1) * sizeof(*n->item_of));
	for (size_t i = 0; i <= n_findings; i++)
		n->item_of[i] = UINT32_MAX;
	rcn_items_new_start(n);
	p = rc == RCN_OK ? rcn_findings_pass_open_kinds(sink, 0, RCN_K_PENDING - 1) : NULL;
	for (const rcn_finding *f; p && (f = rcn_findings_pass_next(p)) != NULL;) {
		size_t i = rcn_findings_pass_ordinal(p);
		const char *key = two_passes ? keys[i] : is_item(f) ? next_key(n, &km, f) : NULL;
		if (!key)
			continue;
		uint32_t at;
		if (!rcn_strmap_get(&n->by_key, key, strlen(key), &at)) { /* a new item: a record, not an item */
			rcn_items_new_add(n, f, key);
			n->item_of[i] = ITEM_NEW | (uint32_t)(n->n_new - 1);
			continue;
		}
		if (n->st[at].op == OP_NONE)
			n->st[at].op = n->list.v[at].status == RCN_IS_WITHDRAWN ? OP_REOPEN : OP_FOUND;
		const rcn_finding *kept = rcn_finding_dup(&n->list.arena, f, copy_text);
		if (!take_finding(n, at, kept) && n->st[at].op == OP_FOUND && n->st[at].linked_today)
			n->st[at].op = OP_SAME;
		n->item_of[i] = at;
	}
	rcn_findings_pass_close(p);
	key_maker_free(&km);
	free(keys);
	if (rc == RCN_OK && !rcn_findings_ok(sink, err))
		rc = RCN_EIO;
	/* the new items' ids, in the findings' order (a dry run numbers nothing: they have none yet) */
	int64_t first = 0;
	if (rc == RCN_OK && !n->dry_run)
		rc = new_ids(db, n->n_new, &first, err);
	if (rc == RCN_OK && !rcn_items_new_finish(n, first, err))
		rc = RCN_EIO;
	/* the item ids on what the passes after this one hand out (the reports) */
	if (rc == RCN_OK)
		rcn_findings_label(sink, item_id_of, n);
	return rc;
}

/* Whether another date's run found them too, asked of the items tonight
 * would withdraw: open, found by the date's last run, not tonight, and of
 * an account tonight saw whole. An item only ever found on this date
 * (first_seen = last_seen = the date) cannot have been; for the others the
 * dates between their first and last are searched. */
static rcn_rc ask_linked_other(rcn_items_night *n, rcn_db *db, rcn_err *err)
{
	rcn_buf ids;
	rcn_buf_init(&ids, (size_t)1 << 30);
	rcn_strmap asked; /* id -> index */
	rcn_strmap_init(&asked, 64);
	rcn_date lo = 0, hi = 0;
	(void)rcn_buf_append(&ids, "{", 1);
	for (size_t i = 0; i < n->list.n; i++) {
		nstate *s = &n->st[i];
		const rcn_open_item *it = &n->list.v[i];
		if (s->op != OP_NONE || !s->linked_today || !rcn_item_status_is_open(it->status) ||
		    (it->first_seen == n->day && it->last_seen == n->day) || !rcn_items_night_covers(n, it))
			continue;
		if (ids.len > 1)
			(void)rcn_buf_append(&ids, ",", 1);
		(void)rcn_buf_append(&ids, it->id, strlen(it->id));
		(void)rcn_strmap_put(&asked, it->id, strlen(it->id), (uint32_t)i, NULL);
		lo = lo && lo < it->first_seen ? lo : it->first_seen;
		hi = hi > it->last_seen ? hi : it->last_seen;
	}
	(void)rcn_buf_append(&ids, "}", 1);
	rcn_rc rc = RCN_OK;
	if (ids.len > 2) {
		char from[11], to[11];
		const char *params[4] = {n->date_text, rcn_date_format(from, lo), rcn_date_format(to, hi), ids.data};
		PGresult *res;
		rc = rcn_pq_query(
			db,
			"SELECT DISTINCT x FROM recon_item_nights n, unnest(n.item_ids) x WHERE n.business_date "
			"<> $1::date AND n.business_date BETWEEN $2::date AND $3::date AND x = ANY($4::text[])",
			4, params, PGRES_TUPLES_OK, 1, "reading the open items' nights", &res, err);
		for (int r = 0; rc == RCN_OK && r < PQntuples(res); r++) {
			const char *id = PQgetvalue(res, r, 0);
			uint32_t i;
			if (rcn_strmap_get(&asked, id, strlen(id), &i))
				n->st[i].linked_other = true;
		}
		if (rc == RCN_OK)
			PQclear(res);
	}
	rcn_buf_free(&ids);
	rcn_strmap_free(&asked);
	return rc;
}

/* The items tonight did not find: withdrawn when only this date's last run
 * had found them (a person's work on them stays), else closed when the
 * evidence they wait for came in. */
static void decide_rest(rcn_items_night *n)
{
	for (size_t i = 0; i < n->list.n; i++) {
		nstate *s = &n->st[i];
		rcn_open_item *it = &n->list.v[i];
		if (s->op != OP_NONE)
			continue;
		/* a run that could not see the item's account keeps the date's link */
		s->drop_link = s->linked_today && rcn_items_night_covers(n, it);
		if (!rcn_item_status_is_open(it->status))
			continue;
		if (s->drop_link && !s->linked_other) {
			s->op = OP_WITHDRAW;
		} else if (s->needs && (s->have & s->needs) == s->needs) {
			s->op = OP_CLOSE;
			it->evidence = (s->needs & NEED_CHANNEL) ? s->channel_evidence : s->ledger_evidence;
		}
	}
}

/* The item as it stands after tonight: status, dates, age. */
static void apply(rcn_items_night *n, size_t i)
{
	nstate *s = &n->st[i];
	rcn_open_item *it = &n->list.v[i];
	switch (s->op) {
	case OP_REOPEN:
		it->status = RCN_IS_OPEN;
		it->closed_on = 0;
		it->evidence = "";
		break;
	case OP_CLOSE:
		it->status = RCN_IS_AUTO_CLOSED;
		it->closed_on = n->day;
		break;
	case OP_WITHDRAW:
		it->status = RCN_IS_WITHDRAWN;
		it->closed_on = n->day;
		break;
	default:
		return;
	}
	it->changed_by = n->actor;
	it->last_change = n->date_text; /* a night's change: dated by its business date */
}

rcn_rc rcn_items_night_assign(rcn_items_night *n, rcn_db *db, rcn_findings *findings, rcn_err *err)
{
	rcn_rc rc = match_findings(n, db, findings, err);
	if (rc == RCN_OK)
		rc = ask_linked_other(n, db, err);
	if (rc != RCN_OK)
		return rc;
	decide_rest(n);
	rcn_open_book *b = &n->summary;
	memset(b, 0, sizeof(*b));
	b->day = n->day;
	b->opened = (long)n->n_new;
	n->book = rcn_xcalloc(n->list.n + 1, sizeof(*n->book));
	rcn_age_memo *ages = rcn_xmalloc(sizeof(*ages));
	rcn_age_memo_init(ages, n->cal, n->day);
	for (size_t i = 0; i < n->list.n; i++) {
		nstate *s = &n->st[i];
		apply(n, i);
		b->opened += s->op == OP_NEW;
		b->found_again += s->op == OP_FOUND || s->op == OP_SAME;
		b->reopened += s->op == OP_REOPEN;
		b->auto_closed += s->op == OP_CLOSE;
		b->withdrawn += s->op == OP_WITHDRAW;
		rcn_open_item *it = &n->list.v[i];
		it->age_days = rcn_age_memo_get(ages, it->first_seen);
		it->overdue = rcn_item_status_is_open(it->status) && it->due_by && it->due_by < n->day;
		/* open as of the date: found by then, and open now or closed after it */
		if (it->first_seen <= n->day && (rcn_item_status_is_open(it->status) || it->closed_on > n->day)) {
			n->book[b->n++] = *it; /* (a night's change is dated by its business date: items_load.c) */
		}
	}
	free(ages);
	rcn_items_sort(n->book, b->n);
	rcn_items_count(n->book, b->n, b);
	/* and tonight's new items, open, walked with them */
	b->n += n->n_new;
	b->open += (long)n->n_new;
	b->open_fen += n->new_open_fen;
	b->overdue += n->new_overdue;
	b->overdue_fen += n->new_overdue_fen;
	rcn_items_new_book(n);
	return RCN_OK;
}

const rcn_open_book *rcn_items_night_book(const rcn_items_night *n)
{
	return n && n->book ? &n->summary : NULL;
}
