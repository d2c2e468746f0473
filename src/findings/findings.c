/* The findings sink (include/recon/findings.h): a list of borrowed or copied
 * findings, the mark of what its subscribers have seen, and the report order.
 *
 *   put ──► v[0..n) ──flush──► subscribers get v[published..n)
 *   add ──► copy in arena ──► put + flush
 *   sorted ──► flush, stable sort of v (only when something was added) */
#include "recon/findings.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon/findings_run.h"

enum { MAX_SUBSCRIBERS = 4 };

/* A subscriber: fn is an rcn_findings_fn or an rcn_findings_run_fn. */
typedef struct {
	void (*fn)(void);
	void *ctx;
} subscriber;

static void subscribe(subscriber *v, size_t *n, void (*fn)(void), void *ctx)
{
	if (*n == MAX_SUBSCRIBERS)
		abort(); /* a programming error: the pipeline has one or two */
	v[(*n)++] = (subscriber){fn, ctx};
}

static void unsubscribe(subscriber *v, size_t *n, void (*fn)(void), void *ctx)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].fn == fn && v[i].ctx == ctx) {
			memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(*v));
			--*n;
			return;
		}
}

struct rcn_findings {
	rcn_finding **v;
	size_t n, cap;
	size_t published; /* v[0..published) went to the subscribers */
	size_t sorted;	  /* v is in report order up to here (n when nothing was added) */
	long discrepancies;
	subscriber sub[MAX_SUBSCRIBERS];     /* given the findings */
	subscriber run_sub[MAX_SUBSCRIBERS]; /* given the runs' paths */
	size_t n_sub, n_run_sub;
	rcn_arena arena;	       /* rcn_findings_add's copies */
	char **runs;		       /* the findings written out (rcn_findings_add_run), in order */
	rcn_findings_run_index *index; /* where each kind starts in each */
	size_t n_runs, cap_runs, cap_index;
	size_t in_runs;			/* how many findings they hold */
	long kinds[RCN_K__COUNT];	/* of the findings handed out and in runs */
	uint64_t amounts[RCN_K__COUNT]; /* and their differences' magnitudes, in fen (wrapping: never, for money) */
	const char *(*id_of)(void *ctx, size_t ordinal, char *buf);
	void *id_ctx;
	pthread_mutex_t lock; /* the first failed pass */
	bool failed;
	rcn_err fail;
	bool damaged; /* RECON_TEST_DAMAGE_FINDINGS done */
};

rcn_findings *rcn_findings_new(void)
{
	rcn_findings *s = rcn_xcalloc(1, sizeof(*s));
	rcn_arena_init(&s->arena);
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void rcn_findings_free(rcn_findings *s)
{
	if (!s)
		return;
	free(s->v);
	rcn_arena_free(&s->arena);
	for (size_t i = 0; i < s->n_runs; i++)
		free(s->runs[i]);
	free(s->runs);
	free(s->index);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void rcn_findings_subscribe(rcn_findings *s, rcn_findings_fn fn, void *ctx)
{
	subscribe(s->sub, &s->n_sub, (void (*)(void))fn, ctx);
}

void rcn_findings_unsubscribe(rcn_findings *s, rcn_findings_fn fn, void *ctx)
{
	unsubscribe(s->sub, &s->n_sub, (void (*)(void))fn, ctx);
}

void rcn_findings_put(rcn_findings *s, rcn_finding *f)
{
	rcn_xreserve((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = f;
	if (f->kind != RCN_K_PENDING)
		s->discrepancies++;
}

/* A finding handed out or put in a run: its kind's count and amount. */
static void count(rcn_findings *s, const rcn_finding *f)
{
	int64_t d;
	s->kinds[f->kind]++;
	if (rcn_finding_difference(f, &d))
		s->amounts[f->kind] += d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
}

void rcn_findings_flush(rcn_findings *s, size_t batch)
{
	size_t n = s->n - s->published;
	if (n == 0 || n < batch)
		return;
	for (size_t i = s->published; i < s->n; i++)
		count(s, s->v[i]);
	for (size_t i = 0; i < s->n_sub; i++)
		((rcn_findings_fn)s->sub[i].fn)(s->sub[i].ctx, (const rcn_finding *const *)s->v + s->published, n);
	s->published = s->n;
}

static const char *copy(rcn_arena *a, const char *text)
{
	return rcn_arena_strdup(a, text ? text : "");
}

rcn_finding *rcn_finding_dup(rcn_arena *a, const rcn_finding *f, bool strings)
{
	rcn_finding *c = rcn_arena_alloc(a, sizeof(*c));
	*c = *f;
	if (!strings)
		return c;
	c->reason = copy(a, f->reason);
	c->channel = copy(a, f->channel);
	c->merchant_id = copy(a, f->merchant_id);
	c->order_no = copy(a, f->order_no);
	c->refund_no = copy(a, f->refund_no);
	c->channel_txn_id = copy(a, f->channel_txn_id);
	c->channel_refund_id = copy(a, f->channel_refund_id);
	c->ledger_status = copy(a, f->ledger_status);
	c->channel_status = copy(a, f->channel_status);
	c->trade_time = copy(a, f->trade_time);
	c->source = copy(a, f->source);
	c->detail = copy(a, f->detail);
	c->action_cn = f->action_cn ? copy(a, f->action_cn) : NULL;
	c->item_id = f->item_id ? copy(a, f->item_id) : NULL;
	return c;
}

const rcn_finding *rcn_findings_add(rcn_findings *s, const rcn_finding *f)
{
	rcn_finding *c = rcn_finding_dup(&s->arena, f, true);
	c->action_cn = copy(&s->arena, f->action_cn);
	c->item_id = f->item_id;
	rcn_findings_put(s, c);
	rcn_findings_flush(s, 1);
	return c;
}

void rcn_findings_append(rcn_findings *dst, rcn_findings *src)
{
	rcn_xreserve((void **)&dst->v, &dst->cap, dst->n + src->n, sizeof(*dst->v));
	if (src->n)
		memcpy(dst->v + dst->n, src->v, src->n * sizeof(*dst->v));
	dst->n += src->n;
	dst->discrepancies += src->discrepancies;
	rcn_arena_adopt(&dst->arena, &src->arena);
	src->n = src->published = src->sorted = 0;
	src->discrepancies = 0;
}

void rcn_findings_each(rcn_findings *s, void (*fn)(void *ctx, rcn_finding *f), void *ctx)
{
	for (size_t i = 0; i < s->n; i++)
		fn(ctx, s->v[i]);
}

size_t rcn_findings_count(const rcn_findings *s)
{
	return s->n + s->in_runs;
}

void rcn_findings_kinds(const rcn_findings *s, long out[RCN_K__COUNT])
{
	memcpy(out, s->kinds, sizeof s->kinds);
}

void rcn_findings_amounts(const rcn_findings *s, int64_t out[RCN_K__COUNT])
{
	for (int k = 0; k < RCN_K__COUNT; k++)
		out[k] = s->amounts[k] > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)s->amounts[k];
}

void rcn_findings_subscribe_runs(rcn_findings *s, rcn_findings_run_fn fn, void *ctx)
{
	subscribe(s->run_sub, &s->n_run_sub, (void (*)(void))fn, ctx);
}

void rcn_findings_unsubscribe_runs(rcn_findings *s, rcn_findings_run_fn fn, void *ctx)
{
	unsubscribe(s->run_sub, &s->n_run_sub, (void (*)(void))fn, ctx);
}

bool rcn_findings_add_run(rcn_findings *s, const char *path, const rcn_finding *const *f, size_t n, rcn_err *err)
{
	rcn_xreserve((void **)&s->index, &s->cap_index, s->n_runs + 1, sizeof(*s->index));
	if (!rcn_findings_run_write(path, f, n, &s->index[s->n_runs], err))
		return false;
	const char *damage = getenv("RECON_TEST_DAMAGE_FINDINGS"); /* tests: a run cut short */
	if (damage && n && !s->damaged && (long)s->n_runs >= strtol(damage, NULL, 10)) {
		(void)truncate(path, 5);
		s->damaged = true;
	}
	rcn_xreserve((void **)&s->runs, &s->cap_runs, s->n_runs + 1, sizeof(*s->runs));
	s->runs[s->n_runs++] = rcn_xstrdup(path);
	s->in_runs += n;
	for (size_t i = 0; i < n; i++) {
		count(s, f[i]);
		s->discrepancies += f[i]->kind != RCN_K_PENDING;
	}
	for (size_t i = 0; i < s->n_run_sub; i++)
		((rcn_findings_run_fn)s->run_sub[i].fn)(s->run_sub[i].ctx, path);
	return true;
}

size_t rcn_findings_runs(const rcn_findings *s)
{
	return s->n_runs;
}

const char *rcn_findings_run_path(const rcn_findings *s, size_t i)
{
	return s->runs[i];
}

void rcn_findings_label(rcn_findings *s, const char *(*id_of)(void *ctx, size_t ordinal, char *buf), void *ctx)
{
	s->id_of = id_of;
	s->id_ctx = ctx;
}

struct rcn_findings_pass {
	rcn_findings *s;
	rcn_findings_merge *m; /* NULL: the findings in memory alone, v[mem_at] */
	size_t at;	       /* the report position of the next finding */
	size_t mem_at;
	rcn_kind last;
	bool labeled;  /* in report order: item ids set */
	rcn_finding f; /* the copy handed out */
	char id[RCN_FINDINGS_ID_MAX];
	bool failed;
};

static void pass_failed(rcn_findings *s, const rcn_err *e)
{
	pthread_mutex_lock(&s->lock);
	if (!s->failed) {
		s->failed = true;
		s->fail = *e;
	}
	pthread_mutex_unlock(&s->lock);
}

static rcn_findings_pass *pass_open(rcn_findings *s, rcn_kind first, rcn_kind last, bool any_order)
{
	rcn_findings_pass *p = rcn_xcalloc(1, sizeof *p);
	p->s = s;
	p->last = last;
	p->labeled = !any_order;
	for (int k = 0; k < (int)first; k++) /* the findings of earlier kinds come before */
		p->at += (size_t)s->kinds[k];
	if (s->n_runs) {
		rcn_err e;
		rcn_findings_merge_spec spec = {.paths = (const char *const *)s->runs,
						.index = s->index,
						.n = s->n_runs,
						.mem = (const rcn_finding *const *)s->v,
						.n_mem = s->n,
						.first = first,
						.last = last,
						.any_order = any_order};
		p->m = rcn_findings_merge_open_spec(&spec, &e);
		if (!p->m) {
			p->failed = true;
			pass_failed(s, &e);
		}
	} else {
		p->mem_at = p->at;
	}
	return p;
}

rcn_findings_pass *rcn_findings_pass_open(rcn_findings *s)
{
	return pass_open(s, 0, RCN_K__COUNT - 1, false);
}

rcn_findings_pass *rcn_findings_pass_open_kinds(rcn_findings *s, rcn_kind first, rcn_kind last)
{
	return pass_open(s, first, last, false);
}

rcn_findings_pass *rcn_findings_pass_open_any(rcn_findings *s)
{
	return pass_open(s, 0, RCN_K__COUNT - 1, true);
}

const rcn_finding *rcn_findings_pass_next(rcn_findings_pass *p)
{
	const rcn_finding *f;
	if (p->failed)
		return NULL;
	if (p->m) {
		f = rcn_findings_merge_next(p->m);
		rcn_err e;
		if (!f && !rcn_findings_merge_ok(p->m, &e)) {
			p->failed = true;
			pass_failed(p->s, &e);
		}
	} else {
		f = p->mem_at < p->s->n && p->s->v[p->mem_at]->kind <= p->last ? p->s->v[p->mem_at++] : NULL;
	}
	if (!f)
		return NULL;
	p->f = *f;
	if (p->s->id_of && p->labeled)
		p->f.item_id = p->s->id_of(p->s->id_ctx, p->at, p->id);
	p->at++;
	return &p->f;
}

size_t rcn_findings_pass_ordinal(const rcn_findings_pass *p)
{
	return p->at - 1;
}

void rcn_findings_pass_close(rcn_findings_pass *p)
{
	if (!p)
		return;
	rcn_findings_merge_close(p->m);
	free(p);
}

bool rcn_findings_ok(rcn_findings *s, rcn_err *err)
{
	pthread_mutex_lock(&s->lock);
	bool ok = !s->failed;
	if (!ok && err)
		*err = s->fail;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

long rcn_findings_discrepancies(const rcn_findings *s)
{
	return s->discrepancies;
}

/* Channels, reasons and empty refund numbers are mostly one shared string. */
static int cmp_str(const char *a, const char *b)
{
	return a == b ? 0 : strcmp(a, b);
}

int rcn_findings_cmp(const void *a, const void *b)
{
	const rcn_finding *x = *(const rcn_finding *const *)a, *y = *(const rcn_finding *const *)b;
	int c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = cmp_str(x->channel, y->channel)) || (c = strcmp(x->order_no, y->order_no)) ||
	    (c = cmp_str(x->refund_no, y->refund_no)) || (c = strcmp(x->channel_txn_id, y->channel_txn_id)) ||
	    (c = strcmp(x->source, y->source)) || (c = cmp_str(x->reason, y->reason)))
		return c;
	return (x->side > y->side) - (x->side < y->side);
}

const rcn_finding *const *rcn_findings_sorted(rcn_findings *s, size_t *n)
{
	rcn_findings_flush(s, 1);
	if (s->sorted != s->n && s->n) /* qsort's pointer must not be NULL, even for zero items */
		qsort(s->v, s->n, sizeof(*s->v), rcn_findings_cmp);
	s->sorted = s->n;
	*n = s->n;
	return (const rcn_finding *const *)s->v;
}
