/* Reading the register: items selected by a filter, with their age on the
 * business-day calendar, in the open book's order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "items/items_int.h"

int rcn_items_age(const rcn_calendar *cal, rcn_date first_seen, rcn_date as_of)
{
	int age = 0;
	for (rcn_date d = first_seen + 1; d <= as_of; d++) {
		bool work;
		if (cal && rcn_calendar_covers(cal, d))
			work = rcn_calendar_is_workday(cal, d);
		else
			work = ((d % 7) + 7 + 3) % 7 < 5; /* day 0 (1970-01-01) was a Thursday */
		age += work;
	}
	return age;
}

void rcn_age_memo_init(rcn_age_memo *m, const rcn_calendar *cal, rcn_date as_of)
{
	m->cal = cal;
	m->as_of = as_of;
	for (int k = 0; k < RCN_AGE_MEMO; k++)
		m->age[k] = -1;
}

int rcn_age_memo_get(rcn_age_memo *m, rcn_date first_seen)
{
	int64_t k = (int64_t)m->as_of - first_seen;
	if (k < 0 || k >= RCN_AGE_MEMO)
		return rcn_items_age(m->cal, first_seen, m->as_of);
	if (m->age[k] < 0)
		m->age[k] = rcn_items_age(m->cal, first_seen, m->as_of);
	return m->age[k];
}

/* The columns every reader takes, in this order (row_item reads them). */
/* Dates travel as days since 1970-01-01 (rcn_date itself): no formatting
 * on the server, no parsing here. */
#define EPOCH "DATE '1970-01-01'"
#define ITEM_COLUMNS                                                                                                   \
	"id, kind, reason, rec_type, channel, merchant_id, order_no, refund_no, channel_txn_id, "                      \
	"channel_refund_id, ledger_status, channel_status, difference, difference_fen, source, detail, "               \
	"first_seen - " EPOCH ", last_seen - " EPOCH ", due_by - " EPOCH ", urgent::text, status, owner, note, "       \
	"changed_by, CASE WHEN changed_by LIKE 'recon run %' THEN '' ELSE "                                            \
	"date_trunc('second', changed_at::timestamp)::text END, "                                                      \
	"closed_on - " EPOCH ", evidence, approval_by"
enum { N_ITEM_COLUMNS = 28 };

typedef struct {
	rcn_item_list *out;
	rcn_age_memo ages;
	rcn_date as_of;
	rcn_item_keep_fn keep;
	void *ctx;
} load_ctx;

/* A date column's days since 1970-01-01; 0 (none) for NULL. */
static rcn_date cell_date(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : (rcn_date)strtol(PQgetvalue(res, row, col), NULL, 10);
}

rcn_kind rcn_items_kind_of(const char *name)
{
	for (int k = 0; k < RCN_K__COUNT; k++)
		if (strcmp(rcn_kind_name((rcn_kind)k), name) == 0)
			return (rcn_kind)k;
	return RCN_K__COUNT;
}

static rcn_rc row_item(void *p, const PGresult *res, int row, rcn_err *err)
{
	load_ctx *c = p;
	rcn_item_list *l = c->out;
	const char *cell[N_ITEM_COLUMNS];
	size_t len[N_ITEM_COLUMNS], total = 0;
	for (int i = 0; i < N_ITEM_COLUMNS; i++)
		total += (len[i] = (size_t)PQgetlength(res, row, i)) + 1;
	char *text = rcn_arena_alloc(&l->arena, total); /* the row's cells in one piece */
	for (int i = 0; i < N_ITEM_COLUMNS; i++) {
		memcpy(text, PQgetvalue(res, row, i), len[i] + 1);
		cell[i] = text;
		text += len[i] + 1;
	}
	rcn_open_item it = {0};
	snprintf(it.id, sizeof it.id, "%s", cell[0]);
	it.kind = rcn_items_kind_of(cell[1]);
	if (it.kind == RCN_K__COUNT || !rcn_item_status_parse(cell[20], &it.status))
		return rcn_err_set(err, RCN_EDB, "", 0, "open item %s: unknown kind %s or status %s", cell[0], cell[1],
				   cell[20]);
	it.reason = cell[2];
	it.rec_type = strcmp(cell[3], "refund") == 0 ? RCN_REC_REFUND : RCN_REC_PAYMENT;
	it.channel = cell[4];
	it.merchant_id = cell[5];
	it.order_no = cell[6];
	it.refund_no = cell[7];
	it.channel_txn_id = cell[8];
	it.channel_refund_id = cell[9];
	it.ledger_status = cell[10];
	it.channel_status = cell[11];
	it.has_difference = !PQgetisnull(res, row, 12);
	it.difference = it.has_difference ? strtoll(cell[12], NULL, 10) : 0;
	it.difference_fen = PQgetisnull(res, row, 13) ? 0 : strtoll(cell[13], NULL, 10);
	it.source = cell[14];
	it.detail = cell[15];
	it.first_seen = cell_date(res, row, 16);
	it.last_seen = cell_date(res, row, 17);
	it.due_by = cell_date(res, row, 18);
	it.urgent = strcmp(cell[19], "true") == 0;
	it.owner = cell[21];
	it.note = cell[22];
	it.changed_by = cell[23];
	/* a night's change is dated by its business date (changed_by "recon run D": D), not the
	 * clock: a night's reports are the same bytes whenever it runs, and the list says the same
	 * (the server formats no clock time for it) */
	it.last_change = strncmp(it.changed_by, "recon run ", 10) == 0 ? it.changed_by + 10 : cell[24];
	it.closed_on = cell_date(res, row, 25);
	it.evidence = cell[26];
	it.approval_by = cell[27];
	it.age_days = rcn_age_memo_get(&c->ages, it.first_seen);
	it.overdue = rcn_item_status_is_open(it.status) && it.due_by && it.due_by < c->as_of;
	if (c->keep && !c->keep(c->ctx, &it, res, row, N_ITEM_COLUMNS))
		return RCN_OK;
	rcn_xreserve((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = it;
	return RCN_OK;
}

rcn_rc rcn_items_select(rcn_db *db, const char *extra_columns, int n_extra, const char *from, int n_params,
			const char *const *params, const rcn_calendar *cal, rcn_date as_of, rcn_item_keep_fn keep,
			void *ctx, rcn_item_list *out, rcn_err *err)
{
	rcn_buf q;
	rcn_buf_init(&q, (size_t)1 << 20);
	const char *parts[] = {"SELECT " ITEM_COLUMNS, extra_columns ? ", " : "", extra_columns ? extra_columns : "",
			       " ", from};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		(void)rcn_buf_append(&q, parts[i], strlen(parts[i]));
	load_ctx *c = rcn_xmalloc(sizeof(*c)); /* the memo: 4 KiB, not for a thread's stack */
	*c = (load_ctx){.out = out, .as_of = as_of, .keep = keep, .ctx = ctx};
	rcn_age_memo_init(&c->ages, cal, as_of);
	rcn_rc rc = rcn_pq_each_row(db, q.data, n_params, params, N_ITEM_COLUMNS + n_extra, "reading the open items",
				    row_item, c, err);
	free(c);
	rcn_buf_free(&q);
	return rc;
}

static bool keep_filtered(void *ctx, const rcn_open_item *it, const PGresult *res, int row, int col)
{
	const rcn_items_filter *f = ctx;
	(void)res, (void)row, (void)col;
	if (f->overdue_only && !it->overdue)
		return false;
	if (f->older_than >= 0 && it->age_days <= f->older_than)
		return false;
	if (f->has_at_most && it->age_days > f->at_most)
		return false;
	return !f->kinds || (f->kinds & (1u << it->kind));
}

static bool given(const char *s)
{
	return s && s[0];
}

bool rcn_items_filter_keeps_unworked(const rcn_items_filter *f, const rcn_strmap *ids, const rcn_open_item *it)
{
	uint32_t v;
	if (f->ids && !rcn_strmap_get(ids, it->id, strlen(it->id), &v))
		return false;
	if ((!f->ids || f->statuses) && !((f->statuses ? f->statuses : 1u << RCN_IS_OPEN) & (1u << RCN_IS_OPEN)))
		return false;
	if ((given(f->channel) && strcmp(f->channel, it->channel) != 0) ||
	    (given(f->merchant_id) && strcmp(f->merchant_id, it->merchant_id) != 0) ||
	    (f->owner && f->owner[0])) /* (nobody owns an unworked item) */
		return false;
	if (given(f->number) && strcmp(f->number, it->order_no) != 0 && strcmp(f->number, it->refund_no) != 0 &&
	    strcmp(f->number, it->channel_txn_id) != 0 && strcmp(f->number, it->channel_refund_id) != 0)
		return false;
	return keep_filtered((void *)f, it, NULL, 0, 0);
}

rcn_rc rcn_items_snapshot_begin(rcn_db *db, bool *own, rcn_err *err)
{
	*own = PQtransactionStatus(rcn_db_conn(db)) == PQTRANS_IDLE;
	return *own ? rcn_pq_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, "reading the items")
		    : RCN_OK;
}

rcn_rc rcn_items_snapshot_end(rcn_db *db, bool own, rcn_rc rc, rcn_err *err)
{
	if (!own || PQtransactionStatus(rcn_db_conn(db)) == PQTRANS_IDLE)
		return rc;
	rcn_rc end = rcn_pq_command(db, rc == RCN_OK ? "COMMIT" : "ROLLBACK", rc == RCN_OK ? err : NULL,
				    "reading the items");
	return rc == RCN_OK ? end : rc;
}

void rcn_items_text_array(rcn_buf *b, const char *const *v, size_t n)
{
	rcn_buf_append(b, "{", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			rcn_buf_append(b, ",", 1);
		rcn_buf_append(b, v[i], strlen(v[i]));
	}
	rcn_buf_append(b, "}", 1);
}

/* The unworked items the filter keeps (all are open). */
typedef struct {
	const rcn_items_filter *f;
	rcn_strmap ids; /* f->ids, when given */
	rcn_item_list *out;
} unworked_ctx;

static void keep_unworked(void *p, const rcn_unworked *u)
{
	unworked_ctx *c = p;
	if (!rcn_items_filter_keeps_unworked(c->f, &c->ids, &u->it))
		return;
	rcn_xreserve((void **)&c->out->v, &c->out->cap, c->out->n + 1, sizeof(*c->out->v));
	c->out->v[c->out->n++] = u->it;
}

void rcn_items_filter_ids(const rcn_items_filter *f, rcn_strmap *ids)
{
	rcn_strmap_init(ids, f->ids ? f->n_ids + 1 : 1);
	for (size_t i = 0; f->ids && i < f->n_ids; i++)
		(void)rcn_strmap_put(ids, f->ids[i], strlen(f->ids[i]), (uint32_t)i, NULL);
}

bool rcn_items_filter_wants_unworked(const rcn_items_filter *f)
{
	unsigned want = f->statuses ? f->statuses : (1u << RCN_IS_OPEN) | (1u << RCN_IS_ACKNOWLEDGED);
	return f->ids || (want & (1u << RCN_IS_OPEN));
}

/* The worked items' selection (the filter's statuses, channel, ids,
 * merchant, owner, number; kinds and overdue when asked for) as parameters
 * $1..$10 of WORKED_WHERE. */
typedef struct {
	rcn_buf st, ids, kinds;
	char as_of[16];
	const char *p[10];
} worked_params;

#define WORKED_WHERE                                                                                                   \
	"FROM recon_items WHERE (($3::text[] IS NOT NULL AND NOT $7::bool) OR status = ANY($1::text[])) AND "          \
	"($2::text IS NULL OR channel = $2) AND ($3::text[] IS NULL OR id = ANY($3::text[])) AND "                     \
	"($4::text IS NULL OR merchant_id = $4) AND ($5::text IS NULL OR owner = $5) AND "                             \
	"($6::text IS NULL OR order_no = $6 OR refund_no = $6 OR channel_txn_id = $6 OR channel_refund_id = $6) AND "  \
	"($8::text[] IS NULL OR kind = ANY($8::text[])) AND (NOT $9::bool OR " OVERDUE ")"
/* open past its deadline as of $10 (days since 1970-01-01) */
#define OVERDUE "(status IN ('open', 'acknowledged') AND due_by IS NOT NULL AND due_by < DATE '1970-01-01' + $10::int)"

static void worked_params_init(worked_params *w, const rcn_items_filter *f)
{
	const char *statuses[RCN_IS__COUNT], *kinds[RCN_K__COUNT];
	size_t n_st = 0, n_k = 0;
	unsigned want = f->statuses ? f->statuses : (1u << RCN_IS_OPEN) | (1u << RCN_IS_ACKNOWLEDGED);
	for (int s = 0; s < RCN_IS__COUNT; s++)
		if (want & (1u << s))
			statuses[n_st++] = rcn_item_status_name((rcn_item_status)s);
	for (int k = 0; k < RCN_K__COUNT; k++)
		if (f->kinds & (1u << k))
			kinds[n_k++] = rcn_kind_name((rcn_kind)k);
	rcn_buf_init(&w->st, (size_t)64 << 20);
	rcn_buf_init(&w->ids, (size_t)64 << 20);
	rcn_buf_init(&w->kinds, (size_t)64 << 20);
	rcn_items_text_array(&w->st, statuses, n_st);
	rcn_items_text_array(&w->ids, f->ids, f->ids ? f->n_ids : 0);
	rcn_items_text_array(&w->kinds, kinds, n_k);
	snprintf(w->as_of, sizeof w->as_of, "%ld", (long)f->as_of);
	/* ids: of any status, unless statuses are asked for too; a number is looked up by the
	 * indexes of sql/recon_009_workbench.sql */
	const char *p[10] = {w->st.data,
			     given(f->channel) ? f->channel : NULL,
			     f->ids ? w->ids.data : NULL,
			     given(f->merchant_id) ? f->merchant_id : NULL,
			     f->owner,
			     given(f->number) ? f->number : NULL,
			     f->statuses ? "t" : "f",
			     f->kinds ? w->kinds.data : NULL,
			     f->overdue_only ? "t" : "f",
			     w->as_of};
	memcpy(w->p, p, sizeof p);
}

static void worked_params_free(worked_params *w)
{
	rcn_buf_free(&w->st);
	rcn_buf_free(&w->ids);
	rcn_buf_free(&w->kinds);
}

rcn_rc rcn_items_load_worked(rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal, rcn_item_list *out,
			     rcn_err *err)
{
	worked_params w;
	worked_params_init(&w, f);
	rcn_rc rc =
		rcn_items_select(db, NULL, 0, WORKED_WHERE, 10, w.p, cal, f->as_of, keep_filtered, (void *)f, out, err);
	worked_params_free(&w);
	return rc;
}

rcn_rc rcn_items_load(rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal, rcn_item_list *out, rcn_err *err)
{
	size_t before = out->n;
	/* rows and parts as of one moment: an item taken meanwhile is in one or the other */
	bool own;
	rcn_rc rc = rcn_items_snapshot_begin(db, &own, err);
	if (rc == RCN_OK)
		rc = rcn_items_load_worked(db, f, cal, out, err);
	/* the unworked ones, read by the night's parser (the server's json reader is slower) */
	unworked_ctx uc = {.f = f, .out = out};
	rcn_items_filter_ids(f, &uc.ids);
	if (rc == RCN_OK && rcn_items_filter_wants_unworked(f))
		rc = rcn_items_unworked_read(db, &out->arena, cal, f->as_of, keep_unworked, &uc, err);
	rcn_strmap_free(&uc.ids);
	rc = rcn_items_snapshot_end(db, own, rc, err);
	if (rc == RCN_OK)
		rcn_items_sort(out->v + before, out->n - before);
	return rc;
}

void rcn_item_list_free(rcn_item_list *l)
{
	free(l->v);
	rcn_arena_free(&l->arena);
	memset(l, 0, sizeof(*l));
}

/* The book's order as one number (overdue first, then due_by, none last,
 * then first_seen), ties broken by the id: the items themselves are moved
 * once, not at every step of the sort (they are 200 bytes each). */
typedef struct {
	uint64_t key, id; /* id: its first 8 bytes, big-endian: compares as strcmp does */
	const rcn_open_item *it;
} book_key;

static int book_order(const void *pa, const void *pb)
{
	const book_key *a = pa, *b = pb;
	int c = rcn_items_book_cmp(a->key, a->id, b->key, b->id);
	return c ? c : strcmp(a->it->id, b->it->id);
}

uint64_t rcn_items_book_key(bool overdue, rcn_date due_by, rcn_date first_seen)
{
	uint64_t due = due_by ? (uint32_t)due_by & 0x7FFFFFFFu : 0x7FFFFFFFu;
	uint64_t first = (uint32_t)((int64_t)first_seen + INT32_MAX + 1);
	return (uint64_t)!overdue << 63 | due << 32 | first;
}

uint64_t rcn_items_book_id8(const char *id)
{
	uint64_t v = 0;
	for (size_t c = 0, end = 0; c < 8; c++) {
		end = end || !id[c];
		v = v << 8 | (end ? 0 : (unsigned char)id[c]);
	}
	return v;
}

void rcn_items_sort(rcn_open_item *v, size_t n)
{
	if (n < 2)
		return;
	book_key *k = rcn_xmalloc(n * sizeof(*k));
	for (size_t i = 0; i < n; i++)
		k[i] = (book_key){rcn_items_book_key(v[i].overdue, v[i].due_by, v[i].first_seen),
				  rcn_items_book_id8(v[i].id), &v[i]};
	qsort(k, n, sizeof(*k), book_order);
	rcn_open_item *sorted = rcn_xmalloc(n * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = *k[i].it;
	memcpy(v, sorted, n * sizeof(*v));
	free(sorted);
	free(k);
}

void rcn_items_count(const rcn_open_item *v, size_t n, rcn_open_book *book)
{
	book->open = book->overdue = 0;
	book->open_fen = book->overdue_fen = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rcn_item_status_is_open(v[i].status))
			continue;
		int64_t fen = v[i].difference_fen < 0 ? -v[i].difference_fen : v[i].difference_fen;
		book->open++;
		book->open_fen += fen;
		if (v[i].overdue) {
			book->overdue++;
			book->overdue_fen += fen;
		}
	}
}
