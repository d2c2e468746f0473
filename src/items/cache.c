/* The register kept warm (recon/items.h, rcn_items_cache): the unworked
 * items by part, each part read once per generation. A part is shared by
 * the cache and the views that borrow its text; the last to let go frees
 * it. The worked items are read at every load: they are few, indexed, and
 * what people change. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "items/items_int.h"

typedef struct {
	int64_t gen;
	rcn_open_item *v; /* open, aged as of the load that read it */
	size_t n, cap;
	rcn_arena arena;
	unsigned refs; /* the cache's (while current) and each view's; under the cache's lock */
} cached_part;

struct rcn_items_cache {
	pthread_mutex_t lock;
	cached_part **parts; /* the current ones, by gen */
	size_t n, cap;
};

struct rcn_items_view {
	rcn_items_cache *c;
	rcn_item_list list;
	cached_part **held;
	size_t n_held;
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

void rcn_items_cache_free(rcn_items_cache *c)
{
	if (!c)
		return;
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
	cached_part **hit = bsearch(&k, c->parts, c->n, sizeof(*c->parts), by_gen);
	if (!hit)
		return NULL;
	(*hit)->refs++;
	return *hit;
}

/* The parts now in the register (gens, ascending): those the cache has are
 * taken from it, the others read; the cache then holds exactly these. */
static rcn_rc refresh(rcn_items_cache *c, rcn_db *db, const rcn_calendar *cal, rcn_date as_of, rcn_items_view *v,
		      rcn_err *err)
{
	PGresult *res = NULL;
	rcn_rc rc = rcn_pq_query(db, "SELECT gen FROM recon_item_unworked ORDER BY gen", 0, NULL, PGRES_TUPLES_OK, 1,
				 "reading the unworked items' parts", &res, err);
	if (rc != RCN_OK)
		return rc;
	size_t n = (size_t)PQntuples(res);
	v->held = rcn_xcalloc(n + 1, sizeof(*v->held));
	for (size_t i = 0; i < n && rc == RCN_OK; i++) {
		int64_t gen = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
		pthread_mutex_lock(&c->lock);
		cached_part *p = find(c, gen);
		pthread_mutex_unlock(&c->lock);
		if (!p) {
			bool found;
			p = rcn_xcalloc(1, sizeof(*p));
			p->gen = gen;
			p->refs = 1;
			rc = rcn_items_unworked_read_gen(db, gen, &p->arena, cal, as_of, keep_part_item, p, &found,
							 err);
			if (rc != RCN_OK) {
				part_free(p);
				break;
			}
		}
		v->held[v->n_held++] = p;
	}
	PQclear(res);
	if (rc != RCN_OK)
		return rc;
	/* the cache: these parts (another load may have put some of them in meanwhile) */
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n; i++)
		unref(c->parts[i]);
	c->n = 0;
	rcn_xreserve((void **)&c->parts, &c->cap, v->n_held + 1, sizeof(*c->parts));
	for (size_t i = 0; i < v->n_held; i++) {
		v->held[i]->refs++;
		c->parts[c->n++] = v->held[i];
	}
	pthread_mutex_unlock(&c->lock);
	return RCN_OK;
}

rcn_rc rcn_items_cache_load(rcn_items_cache *c, rcn_db *db, const rcn_items_filter *f, const rcn_calendar *cal,
			    rcn_items_view **view, rcn_err *err)
{
	rcn_items_view *v = *view = rcn_xcalloc(1, sizeof(*v));
	v->c = c;
	bool own;
	rcn_rc rc = rcn_items_snapshot_begin(db, &own, err);
	if (rc == RCN_OK)
		rc = rcn_items_load_worked(db, f, cal, &v->list, err);
	if (rc == RCN_OK && rcn_items_filter_wants_unworked(f))
		rc = refresh(c, db, cal, f->as_of, v, err);
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
	return RCN_OK;
}

const rcn_item_list *rcn_items_view_list(const rcn_items_view *v)
{
	return &v->list;
}

void rcn_items_view_free(rcn_items_view *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->c->lock);
	for (size_t i = 0; i < v->n_held; i++)
		unref(v->held[i]);
	pthread_mutex_unlock(&v->c->lock);
	free(v->held);
	rcn_item_list_free(&v->list);
	free(v);
}
