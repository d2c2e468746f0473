/* The findings sink (include/recon/findings.h): a list of borrowed or copied
 * findings, the mark of what its subscribers have seen, and the report order.
 *
 *   put ──► v[0..n) ──flush──► subscribers get v[published..n)
 *   add ──► copy in arena ──► put + flush
 *   sorted ──► flush, stable sort of v (only when something was added) */
#include "recon/findings.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_SUBSCRIBERS = 4 };

struct rcn_findings {
	rcn_finding **v;
	size_t n, cap;
	size_t published; /* v[0..published) went to the subscribers */
	size_t sorted;	  /* v is in report order up to here (n when nothing was added) */
	long discrepancies;
	struct {
		rcn_findings_fn fn;
		void *ctx;
	} sub[MAX_SUBSCRIBERS];
	size_t n_sub;
	rcn_arena arena; /* rcn_findings_add's copies */
};

rcn_findings *rcn_findings_new(void)
{
	rcn_findings *s = rcn_xcalloc(1, sizeof(*s));
	rcn_arena_init(&s->arena);
	return s;
}

void rcn_findings_free(rcn_findings *s)
{
	if (!s)
		return;
	free(s->v);
	rcn_arena_free(&s->arena);
	free(s);
}

void rcn_findings_subscribe(rcn_findings *s, rcn_findings_fn fn, void *ctx)
{
	if (s->n_sub == MAX_SUBSCRIBERS)
		abort(); /* a programming error: the pipeline has one or two */
	s->sub[s->n_sub].fn = fn;
	s->sub[s->n_sub].ctx = ctx;
	s->n_sub++;
}

void rcn_findings_unsubscribe(rcn_findings *s, rcn_findings_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->n_sub; i++)
		if (s->sub[i].fn == fn && s->sub[i].ctx == ctx) {
			memmove(&s->sub[i], &s->sub[i + 1], (s->n_sub - i - 1) * sizeof(s->sub[0]));
			s->n_sub--;
			return;
		}
}

void rcn_findings_put(rcn_findings *s, rcn_finding *f)
{
	rcn_xreserve((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = f;
	if (f->kind != RCN_K_PENDING)
		s->discrepancies++;
}

void rcn_findings_flush(rcn_findings *s, size_t batch)
{
	size_t n = s->n - s->published;
	if (n == 0 || n < batch)
		return;
	for (size_t i = 0; i < s->n_sub; i++)
		s->sub[i].fn(s->sub[i].ctx, (const rcn_finding *const *)s->v + s->published, n);
	s->published = s->n;
}

static const char *copy(rcn_findings *s, const char *text)
{
	return rcn_arena_strdup(&s->arena, text ? text : "");
}

const rcn_finding *rcn_findings_add(rcn_findings *s, const rcn_finding *f)
{
	rcn_finding *c = rcn_arena_alloc(&s->arena, sizeof(*c));
	*c = *f;
	c->reason = copy(s, f->reason);
	c->channel = copy(s, f->channel);
	c->merchant_id = copy(s, f->merchant_id);
	c->order_no = copy(s, f->order_no);
	c->refund_no = copy(s, f->refund_no);
	c->channel_txn_id = copy(s, f->channel_txn_id);
	c->channel_refund_id = copy(s, f->channel_refund_id);
	c->ledger_status = copy(s, f->ledger_status);
	c->channel_status = copy(s, f->channel_status);
	c->trade_time = copy(s, f->trade_time);
	c->source = copy(s, f->source);
	c->detail = copy(s, f->detail);
	c->action_cn = copy(s, f->action_cn);
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
	return s->n;
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
