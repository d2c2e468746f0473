/* The register kept warm (recon/items.h, rcn_items_cache): the unworked
 * items by part, each part read once per generation; and the open book
 * itself (every open and acknowledged item, in the book's order), kept
 * while nothing changed: the same parts, the same recon_items_changes
 * (sql/recon_011_items_changes.sql) and the same date. A part or a book is
 * shared by the cache and the views that borrow it; the last to let go
 * frees it. Other reads (by ids, by number, of closed items) read the
 * worked items at every load: they are indexed, and what people change. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "items/items_int.h"

/* recon_items_changes beyond this many rows: those older than a day go */
enum { CHANGES_KEPT = 1000 };
/* nights' closed items in brief kept with a book, at most (~180 KiB a night of 2,700 items) */
#define CLOSED_KEPT ((size_t)256 << 20)

typedef struct {
	int64_t gen;
	rcn_open_item *v; /* open, aged as of the load that read it */
	size_t n, cap;
	rcn_arena arena;
	unsigned refs; /* the cache's (while current) and each view's; under the cache's lock */
} cached_part;

/* The open book as of a date, and what it was read from. */
typedef struct {
	rcn_open_item *v; /* in the book's order */
	size_t n;
	rcn_item_list worked; /* the worked items' text */
	cached_part **held;   /* the parts the unworked items' text lives in */
	size_t n_held;
	int64_t *gens; /* the parts' generations, ascending */
	size_t n_gens;
	int64_t changes_n, changes_max; /* recon_items_changes: count(*), max(n) */
	rcn_date as_of;
	rcn_strmap by_id; /* id -> its index in v */
	bool *unworked;	  /* [i]: v[i] is of a part (else of recon_items) */
	/* nights' closed items in brief, read while this book is the register's (the same
	 * change check holds for them); added under the cache's lock, freed with the book */
	rcn_closed_set **closed;
	size_t n_closed, closed_cap, closed_bytes;
	unsigned refs;
} book;

struct rcn_items_cache {
	pthread_mutex_t lock;
	cached_part **parts; /* the current ones, by gen */
	size_t n, cap;
	book *book; /* NULL until the first read of the open book */
};

struct rcn_items_view {
	rcn_items_cache *c;
	rcn_item_list list;
	cached_part **held;
	size_t n_held;
	book *b;		     /* the open book it borrows, or NULL */
	rcn_closed_set *closed;	     /* its own, when the book had no room for it */
	const rcn_open_item **items; /* what the filter kept, in order */
	size_t n_items;
};

rcn_items_cache *rcn_items_cache_new(void)
{
	rcn_items_cache *c = rcn_xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void part_free(cached_part *p)
{
	free(p->v);
	rcn_arena_free(&p->arena);
	free(p);
}

/* Under the lock. */
static void unref(cached_part *p)
{
	if (--p->refs == 0)
		part_free(p);
}

/* Under the lock. */
static void book_unref(book *b)
{
	if (!b || --b->refs)
		return;
	for (size_t i = 0; i < b->n_held; i++)
		unref(b->held[i]);
	free(b->held);
	free(b->gens);
	free(b->v);
	free(b->unworked);
	for (size_t i = 0; i < b->n_closed; i++)
		rcn_closed_set_free(b->closed[i]);
	free(b->closed);
	rcn_strmap_free(&b->by_id);
	rcn_item_list_free(&b->worked);
	free(b);
}

void rcn_items_cache_free(rcn_items_cache *c)
{
	if (!c)
		return;
	book_unref(c->book);
	for (size_t i = 0; i < c->n; i++)
		unref(c->parts[i]);
	free(c->parts);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void keep_part_item(void *ctx, const rcn_unworked *u)
{
	cached_part *p = ctx;
	rcn_xreserve((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = u->it;
}

static int by_gen(const void *a, const void *b)
{
	int64_t x = (*(cached_part *const *)a)->gen, y = (*(cached_part *const *)b)->gen;
	return x < y ? -1 : x > y;
}

/* The cached part of generation gen, referenced for the caller, or NULL. */
static cached_part *find(rcn_items_cache *c, int64_t gen)
{
	cached_part key = {.gen = gen}, *k = &key;
	cached_part **hit = c->n ? bsearch(&k, c->parts, c->n, sizeof(*c->parts), by_gen) : NULL;
	if (!hit)
		return NULL;
	(*hit)->refs++;
	return *hit;
}

/* The parts of generations gens (ascending: the register's now): those the
 * cache has are taken from it, the others read; each referenced for the
 * caller in held (n of them); the cache then holds exactly these. */
static rcn_rc take_parts(rcn_items_cache *c, rcn_db *db, const rcn_calendar *cal, rcn_date as_of, const int64_t *gens,
			 size_t n, cached_part ***held, rcn_err *err)
{
	rcn_rc rc = RCN_OK;
	cached_part **h = *held = rcn_xcalloc(n + 1, sizeof(*h));
	size_t k = 0;
	for (; k < n && rc == RCN_OK; k++) {
		pthread_mutex_lock(&c->lock);
		cached_part *p = find(c, gens[k]);
		pthread_mutex_unlock(&c->lock);
		if (!p) {
			bool found;
			p = rcn_xcalloc(1, sizeof(*p));
			p->gen = gens[k];
			p->refs = 1;
			rc = rcn_items_unworked_read_gen(db, gens[k], &p->arena, cal, as_of, keep_part_item, p, &found,
							 err);
			if (rc != RCN_OK) {
				part_free(p);
				break;
			}
		}
		h[k] = p;
	}
	pthread_mutex_lock(&c->lock);
	if (rc != RCN_OK) {
		for (size_t i = 0; i < k; i++)
			unref(h[i]);
		free(h);
		*held = NULL;
	} else { /* the cache: these parts (another load may have put some of them in meanwhile) */
		for (size_t i = 0; i < c->n; i++)
			unref(c->parts[i]);
		c->n = 0;
		rcn_xreserve((void **)&c->parts, &c->cap, n + 1, sizeof(*c->parts));
		for (size_t i = 0; i < n; i++) {
			h[i]->refs++;
			c->parts[c->n++] = h[i];
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* The register's parts now: their generations, ascending. */
static rcn_rc read_gens(rcn_db *db, int64_t **gens, size_t *n, rcn_err *err)
{
	PGresult *res = NULL;
	rcn_rc rc = rcn_pq_query(db, "SELECT gen FROM recon_item_unworked ORDER BY gen", 0, NULL, PGRES_TUPLES_OK, 1,
				 "reading the unworked items' parts", &res, err);
	if (rc != RCN_OK)
		return rc;
	*n = (size_t)PQntuples(res);
	*gens = rcn_xcalloc(*n + 1, sizeof(**gens));
	for (size_t i = 0; i < *n; i++)
		(*gens)[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
	PQclear(res);
	return RCN_OK;
}

static bool only_open(const rcn_items_filter *f)
{
	unsigned open = (1u << RCN_IS_OPEN) | (1u << RCN_IS_ACKNOWLEDGED);
	return !f->ids && !(f->number && f->number[0]) && !(f->statuses & ~open);
}

static bool given(const char *s)
{
	return s && s[0];
}

/* Whether the open book's item it passes the filter (statuses, kinds,
 * channel, merchant, owner, overdue, age). */
static bool book_keeps(const rcn_items_filter *f, const rcn_open_item *it)
{
	unsigned want = f->statuses ? f->statuses : (1u << RCN_IS_OPEN) | (1u << RCN_IS_ACKNOWLEDGED);
	return (want & (1u << it->status)) && (!f->kinds || (f->kinds & (1u << it->kind))) &&
	       (!given(f->channel) || strcmp(f->channel, it->channel) == 0) &&
	       (!given(f->merchant_id) || strcmp(f->merchant_id, it->merchant_id) == 0) &&
	       (!f->owner || strcmp(f->owner, it->owner) == 0) && (!f->overdue_only || it->overdue) &&
	       (f->older_than < 0 || it->age_days > f->older_than) && (!f->has_at_most || it->age_days <= f->at_most);
}

static bool same_gens(const book *b, const int64_t *gens, size_t n)
{
	return b->n_gens == n && (n == 0 || memcmp(b->gens, gens, n * sizeof(*gens)) == 0);
}

/* A new open book from the snapshot: the worked open items and every
 * unworked one, in the book's order. Takes gens. */
static rcn_rc build_book(rcn_items_cache *c, rcn_db *db, const rcn_calendar *cal, rcn_date as_of, int64_t *gens,
			 size_t n_gens, const int64_t changes[2], book **out, rcn_err *err)
{
	book *b = rcn_xcalloc(1, sizeof(*b));
	b->gens = gens;
	b->n_gens = n_gens;
	b->changes_n = changes[0];
	b->changes_max = changes[1];
	b->as_of = as_of;
	b->refs = 1;
	rcn_strmap_init(&b->by_id, 16);
	rcn_items_filter all = {.older_than = -1, .as_of = as_of};
	rcn_rc rc = rcn_items_load_worked(db, &all, cal, &b->worked, err);
	if (rc == RCN_OK)
		rc = take_parts(c, db, cal, as_of, gens, n_gens, &b->held, err);
	if (rc != RCN_OK) {
		pthread_mutex_lock(&c->lock);
		book_unref(b);
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	b->n_held = n_gens;
	size_t n = b->worked.n;
	for (size_t i = 0; i < b->n_held; i++)
		n += b->held[i]->n;
	b->v = rcn_xcalloc(n + 1, sizeof(*b->v));
	if (b->worked.n)
		memcpy(b->v, b->worked.v, b->worked.n * sizeof(*b->v));
	b->n = b->worked.n;
	rcn_age_memo *ages = rcn_xmalloc(sizeof(*ages));
	rcn_age_memo_init(ages, cal, as_of);
	for (size_t i = 0; i < b->n_held; i++)
		for (size_t k = 0; k < b->held[i]->n; k++) {
			rcn_open_item it = b->held[i]->v[k];
			it.age_days = rcn_age_memo_get(ages, it.first_seen);
			it.overdue = it.due_by && it.due_by < as_of;
			b->v[b->n++] = it;
		}
	free(ages);
	rcn_items_sort(b->v, b->n);
	rcn_strmap_free(&b->by_id);
	rcn_strmap_init(&b->by_id, b->n + 1);
	for (size_t i = 0; i < b->n; i++)
		(void)rcn_strmap_put(&b->by_id, b->v[i].id, strlen(b->v[i].id), (uint32_t)i, NULL);
	/* which came of a part: all but the worked ones (an id is in one or the other) */
	b->unworked = rcn_xcalloc(b->n + 1, sizeof(*b->unworked));
	for (size_t i = 0; i < b->n; i++)
		b->unworked[i] = true;
	for (size_t i = 0; i < b->worked.n; i++) {
		uint32_t k;
		if (rcn_strmap_get(&b->by_id, b->worked.v[i].id, strlen(b->worked.v[i].id), &k))
			b->unworked[k] = false;
	}
	*out = b;
	return RCN_OK;
}

/* The unworked items among f's ids that f keeps, from the book, appended
 * to l. */
static void book_by_ids(const book *b, const rcn_items_filter *f, rcn_item_list *l)
{
	rcn_strmap ids, taken;
	rcn_items_filter_ids(f, &ids);
	rcn_strmap_init(&taken, f->n_ids + 1);
	for (size_t i = 0; i < f->n_ids; i++) {
		uint32_t k;
		size_t len = strlen(f->ids[i]);
		if (!rcn_strmap_get(&b->by_id, f->ids[i], len, &k) || !b->unworked[k] ||
		    !rcn_items_filter_keeps_unworked(f, &ids, &b->v[k]) ||
		    !rcn_strmap_put(&taken, f->ids[i], len, 0, NULL)) /* (an id given twice: once) */
			continue;
		rcn_xreserve((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = b->v[k];
	}
	rcn_strmap_free(&taken);
	rcn_strmap_free(&ids);
}

/* The open book as the snapshot has it: the cache's when nothing changed. */
static rcn_rc open_book(rcn_items_cache *c, rcn_db *db, const rcn_calendar *cal, rcn_date as_of, book **out,
			rcn_err *err)
{
	int64_t *gens = NULL, changes[2] = {0, 0};
	size_t n_gens = 0;
	PGresult *res = NULL;
	rcn_rc rc = rcn_pq_query(db, "SELECT count(*), coalesce(max(n), 0) FROM recon_items_changes", 0, NULL,
				 PGRES_TUPLES_OK, 2, "reading recon_items_changes", &res, err);
	if (rc != RCN_OK)
		return rc;
	changes[0] = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	changes[1] = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if ((rc = read_gens(db, &gens, &n_gens, err)) != RCN_OK)
		return rc;
	pthread_mutex_lock(&c->lock);
	book *b = c->book;
	if (b && b->as_of == as_of && b->changes_n == changes[0] && b->changes_max == changes[1] &&
	    same_gens(b, gens, n_gens))
		b->refs++;
	else
		b = NULL;
	pthread_mutex_unlock(&c->lock);
	if (b) {
		free(gens);
		*out = b;
		return RCN_OK;
	}
	if ((rc = build_book(c, db, cal, as_of, gens, n_gens, changes, &b, err)) != RCN_OK)
		return rc;
	pthread_mutex_lock(&c->lock);
	book_unref(c->book);
	c->book = b;
	b->refs++; /* the cache's and the caller's */
	pthread_mutex_unlock(&c->lock);
	*out = b;
	return RCN_OK;
}

rcn_rc rcn_items_cache_load(rcn_items_cache *c, rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal,
			    rcn_items_view **view, rcn_err *err)
{
	rcn_items_view *v = *view = rcn_xcalloc(1, sizeof(*v));
	v->c = c;
	bool own;
	rcn_rc rc = rcn_items_snapshot_begin(db, &own, err);
	if (rc == RCN_OK && only_open(f)) {
		rc = open_book(c, db, cal, f->as_of, &v->b, err);
		rc = rcn_items_snapshot_end(db, own, rc, err);
		if (rc != RCN_OK)
			return rc;
		if (own && v->b->changes_n > CHANGES_KEPT) /* (the next read builds the book again, once) */
			rc = rcn_pq_command(db,
					    "DELETE FROM recon_items_changes WHERE at < now() - interval '1 day' AND "
					    "n < (SELECT max(n) FROM recon_items_changes)",
					    err, "pruning recon_items_changes");
		if (rc != RCN_OK)
			return rc;
		v->items = rcn_xcalloc(v->b->n + 1, sizeof(*v->items));
		for (size_t i = 0; i < v->b->n; i++)
			if (book_keeps(f, &v->b->v[i]))
				v->items[v->n_items++] = &v->b->v[i];
		return RCN_OK;
	}
	if (rc == RCN_OK && f->ids && !given(f->number)) {
		/* these items: the worked ones read, the others (open, never worked) from the open book */
		rc = rcn_items_load_worked(db, f, cal, &v->list, err);
		if (rc == RCN_OK)
			rc = open_book(c, db, cal, f->as_of, &v->b, err);
		rc = rcn_items_snapshot_end(db, own, rc, err);
		if (rc != RCN_OK)
			return rc;
		book_by_ids(v->b, f, &v->list);
		rcn_items_sort(v->list.v, v->list.n);
		v->items = rcn_xcalloc(v->list.n + 1, sizeof(*v->items));
		for (size_t i = 0; i < v->list.n; i++)
			v->items[v->n_items++] = &v->list.v[i];
		return RCN_OK;
	}
	if (rc == RCN_OK)
		rc = rcn_items_load_worked(db, f, cal, &v->list, err);
	int64_t *gens = NULL;
	size_t n_gens = 0;
	if (rc == RCN_OK && rcn_items_filter_wants_unworked(f)) {
		rc = read_gens(db, &gens, &n_gens, err);
		if (rc == RCN_OK)
			rc = take_parts(c, db, cal, f->as_of, gens, n_gens, &v->held, err);
		if (rc == RCN_OK)
			v->n_held = n_gens;
	}
	free(gens);
	rc = rcn_items_snapshot_end(db, own, rc, err);
	if (rc != RCN_OK)
		return rc;
	/* the unworked items the filter keeps, aged as of its date */
	rcn_strmap ids;
	rcn_items_filter_ids(f, &ids);
	rcn_age_memo *ages = rcn_xmalloc(sizeof(*ages));
	rcn_age_memo_init(ages, cal, f->as_of);
	rcn_item_list *l = &v->list;
	for (size_t i = 0; i < v->n_held; i++) {
		const cached_part *p = v->held[i];
		for (size_t k = 0; k < p->n; k++) {
			rcn_open_item it = p->v[k];
			it.age_days = rcn_age_memo_get(ages, it.first_seen);
			it.overdue = it.due_by && it.due_by < f->as_of;
			if (!rcn_items_filter_keeps_unworked(f, &ids, &it))
				continue;
			rcn_xreserve((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
			l->v[l->n++] = it;
		}
	}
	free(ages);
	rcn_strmap_free(&ids);
	rcn_items_sort(l->v, l->n);
	v->items = rcn_xcalloc(l->n + 1, sizeof(*v->items));
	for (size_t i = 0; i < l->n; i++)
		v->items[v->n_items++] = &l->v[i];
	return RCN_OK;
}

/* Under the lock: b's closed set read for these ids, or NULL. */
static rcn_closed_set *find_closed(const book *b, const uint64_t key[3])
{
	for (size_t i = 0; i < b->n_closed; i++)
		if (memcmp(b->closed[i]->ids_key, key, sizeof b->closed[i]->ids_key) == 0)
			return b->closed[i];
	return NULL;
}

static bool in_book(void *ctx, const char *id)
{
	const book *b = ctx;
	uint32_t at;
	return rcn_strmap_get(&b->by_id, id, strlen(id), &at);
}

/* The closed ones among f's ids in brief, as of the snapshot b is the
 * register's in: kept with b (read once while it is), or, when b has no
 * room left, the view's own. */
static rcn_rc closed_of(rcn_items_cache *c, rcn_db *db, book *b, const rcn_items_filter *f, rcn_items_view *v,
			const rcn_closed_set **out, rcn_err *err)
{
	uint64_t key[3];
	rcn_closed_ids_key(f->ids, f->n_ids, key);
	pthread_mutex_lock(&c->lock);
	*out = find_closed(b, key);
	pthread_mutex_unlock(&c->lock);
	if (*out)
		return RCN_OK;
	rcn_closed_set *s;
	rcn_rc rc = rcn_closed_set_read(db, f->ids, f->n_ids, in_book, b, &s, err);
	if (rc != RCN_OK)
		return rc;
	pthread_mutex_lock(&c->lock);
	const rcn_closed_set *had = find_closed(b, key); /* (another request read it meanwhile) */
	if (had) {
		*out = had;
		rcn_closed_set_free(s);
	} else if (b->closed_bytes + s->bytes <= CLOSED_KEPT) {
		rcn_xreserve((void **)&b->closed, &b->closed_cap, b->n_closed + 1, sizeof(*b->closed));
		b->closed[b->n_closed++] = s;
		b->closed_bytes += s->bytes;
		*out = s;
	} else {
		*out = v->closed = s;
	}
	pthread_mutex_unlock(&c->lock);
	return RCN_OK;
}

/* An item of a night's page: open (of the book) or closed (in brief). */
typedef struct {
	uint64_t key, id8;
	const char *id;
	const rcn_open_item *open;
	const rcn_closed_brief *closed;
} page_item;

static int page_order(const void *pa, const void *pb)
{
	const page_item *a = pa, *b = pb;
	int c = rcn_items_book_cmp(a->key, a->id8, b->key, b->id8);
	return c ? c : strcmp(a->id, b->id);
}

static void count_in(rcn_items_totals *tot, int64_t fen, bool overdue)
{
	tot->count++;
	if (__builtin_add_overflow(tot->fen, fen, &tot->fen)) /* (a sum no money reaches) */
		tot->fen = INT64_MAX;
	tot->overdue += overdue;
}

/* What f keeps of its ids, in the book's order, counted into tot: the open
 * ones from the book, the closed ones from their brief (NULL: none asked). */
static page_item *page_items(const book *b, const rcn_closed_set *cs, const rcn_items_filter *f, size_t *n,
			     rcn_items_totals *tot)
{
	page_item *v = rcn_xcalloc(f->n_ids + (cs ? cs->n : 0) + 1, sizeof(*v));
	size_t k = 0;
	rcn_strmap taken;
	rcn_strmap_init(&taken, f->n_ids + 1);
	for (size_t i = 0; i < f->n_ids; i++) {
		uint32_t at;
		size_t len = strlen(f->ids[i]);
		if (!rcn_strmap_get(&b->by_id, f->ids[i], len, &at) || !book_keeps(f, &b->v[at]) ||
		    !rcn_strmap_put(&taken, f->ids[i], len, 0, NULL)) /* (an id given twice: once) */
			continue;
		const rcn_open_item *it = &b->v[at];
		int64_t d = it->difference_fen;
		count_in(tot, d == INT64_MIN ? INT64_MAX : d < 0 ? -d : d, it->overdue);
		v[k++] = (page_item){rcn_items_book_key(it->overdue, it->due_by, it->first_seen),
				     rcn_items_book_id8(it->id), it->id, it, NULL};
	}
	rcn_strmap_free(&taken);
	for (size_t i = 0; cs && i < cs->n; i++) {
		const rcn_closed_brief *cb = &cs->v[i];
		if (!rcn_closed_keeps(cs, cb, f))
			continue;
		count_in(tot, cb->fen, false);
		v[k++] = (page_item){cb->key, cb->id8, cs->text + cb->id, NULL, cb};
	}
	qsort(v, k, sizeof(*v), page_order);
	*n = k;
	return v;
}

rcn_rc rcn_items_cache_page(rcn_items_cache *c, rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal,
			    size_t offset, size_t limit, rcn_items_view **view, rcn_items_totals *tot, rcn_err *err)
{
	rcn_items_view *v = *view = rcn_xcalloc(1, sizeof(*v));
	v->c = c;
	*tot = (rcn_items_totals){0, 0, 0};
	if (!f->ids || given(f->number) || f->older_than >= 0 || f->has_at_most)
		return rcn_err_set(err, RCN_EUSAGE, "", 0,
				   "a page of items is read by ids, without a number or an age");
	bool own;
	const rcn_closed_set *cs = NULL;
	page_item *all = NULL;
	size_t n_all = 0, end = 0;
	rcn_item_list closed = {0};
	/* open and acknowledged items only: every one is in the open book, worked or not */
	bool open_only = only_open(&(rcn_items_filter){.statuses = f->statuses});
	rcn_rc rc = rcn_items_snapshot_begin(db, &own, err);
	if (rc == RCN_OK)
		rc = open_book(c, db, cal, f->as_of, &v->b, err);
	if (rc == RCN_OK && !open_only)
		rc = closed_of(c, db, v->b, f, v, &cs, err);
	if (rc == RCN_OK) {
		all = page_items(v->b, cs, f, &n_all, tot);
		end = offset < n_all ? (n_all - offset < limit ? n_all : offset + limit) : offset;
		/* the page's closed rows, by id, in the same snapshot */
		const char **ids = rcn_xcalloc(limit + 1, sizeof(*ids));
		size_t n_ids = 0;
		for (size_t i = offset; i < end; i++)
			if (all[i].closed)
				ids[n_ids++] = all[i].id;
		if (n_ids) {
			rcn_items_filter by_id = {.ids = ids, .n_ids = n_ids, .older_than = -1, .as_of = f->as_of};
			rc = rcn_items_load_worked(db, &by_id, cal, &closed, err);
		}
		free(ids);
	}
	rc = rcn_items_snapshot_end(db, own, rc, err);
	if (rc == RCN_OK) {
		rcn_strmap at;
		rcn_strmap_init(&at, closed.n + 1);
		for (size_t i = 0; i < closed.n; i++)
			(void)rcn_strmap_put(&at, closed.v[i].id, strlen(closed.v[i].id), (uint32_t)i, NULL);
		rcn_item_list *l = &v->list;
		for (size_t i = offset; i < end; i++) {
			uint32_t k;
			const rcn_open_item *it = all[i].open;
			if (!it && rcn_strmap_get(&at, all[i].id, strlen(all[i].id), &k))
				it = &closed.v[k];
			if (!it) /* (not in the snapshot the brief was read in: cannot be) */
				continue;
			rcn_xreserve((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
			l->v[l->n++] = *it;
		}
		rcn_strmap_free(&at);
		v->items = rcn_xcalloc(l->n + 1, sizeof(*v->items));
		for (size_t j = 0; j < l->n; j++)
			v->items[v->n_items++] = &l->v[j];
		/* the text: the closed rows' arena moves to the view's list, the book's stays the book's */
		rcn_arena_free(&l->arena);
		l->arena = closed.arena;
		closed.arena = (rcn_arena){0};
	}
	free(all);
	rcn_item_list_free(&closed);
	return rc;
}

const rcn_open_item *const *rcn_items_view_items(const rcn_items_view *v, size_t *n)
{
	*n = v->n_items;
	return v->items;
}

void rcn_items_view_free(rcn_items_view *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->c->lock);
	for (size_t i = 0; i < v->n_held; i++)
		unref(v->held[i]);
	book_unref(v->b);
	pthread_mutex_unlock(&v->c->lock);
	rcn_closed_set_free(v->closed);
	free(v->held);
	free(v->items);
	rcn_item_list_free(&v->list);
	free(v);
}
