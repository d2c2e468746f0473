/* The numbers summary.csv and the workbook's summary sheet both derive from
 * the tallies, findings and the open book: per-kind amounts, open items per
 * account, the expected net settlement, the refund rate. */
#include <stdlib.h>
#include <string.h>

#include "recon/money.h"
#include "report/report_int.h"

typedef struct {
	const char *channel, *merchant_id;
	size_t tally;
} account;

static int cmp_accounts(const void *a, const void *b)
{
	const account *x = a, *y = b;
	int c = strcmp(x->channel, y->channel);
	return c ? c : strcmp(x->merchant_id, y->merchant_id);
}

/* The channel-side tallies by account, sorted: a lookup per finding or
 * item, however many accounts a night has. *n: how many; caller frees. */
static account *accounts_of(const rcn_report_data *d, size_t *n)
{
	account *acc = rcn_xmalloc((d->n_tallies + 1) * sizeof(*acc));
	*n = 0;
	for (size_t i = 0; i < d->n_tallies; i++)
		if (d->tallies[i].side == RCN_SIDE_CHANNEL)
			acc[(*n)++] = (account){d->tallies[i].channel, d->tallies[i].merchant_id, i};
	qsort(acc, *n, sizeof(*acc), cmp_accounts);
	return acc;
}

/* The account of channel and merchant, reusing *last when it is the same
 * (rows come grouped); NULL when it has no channel-side line. */
static const account *account_find(const account *acc, size_t n, const account *last, const char *channel,
				   const char *merchant_id)
{
	const account key = {channel, merchant_id, 0};
	if (last && cmp_accounts(last, &key) == 0)
		return last;
	return n ? bsearch(&key, acc, n, sizeof(*acc), cmp_accounts) : NULL;
}

void rcn_report_walk_open(rcn_report_walk *w, const rcn_report_data *d)
{
	rcn_report_walk_kinds(w, d, 0, RCN_K__COUNT - 1);
}

void rcn_report_walk_kinds(rcn_report_walk *w, const rcn_report_data *d, rcn_kind first, rcn_kind last)
{
	*w = (rcn_report_walk){.d = d,
			       .first = first,
			       .last = last,
			       .p = d->all ? rcn_findings_pass_open_kinds(d->all, first, last) : NULL};
}

void rcn_report_walk_any(rcn_report_walk *w, const rcn_report_data *d)
{
	*w = (rcn_report_walk){
		.d = d, .last = RCN_K__COUNT - 1, .p = d->all ? rcn_findings_pass_open_any(d->all) : NULL};
}

const rcn_finding *rcn_report_walk_next(rcn_report_walk *w)
{
	if (w->p)
		return rcn_findings_pass_next(w->p);
	while (w->d->findings && w->i < w->d->n_findings) {
		const rcn_finding *f = w->d->findings[w->i++];
		if (f->kind >= w->first && f->kind <= w->last)
			return f;
	}
	return NULL;
}

void rcn_report_walk_close(rcn_report_walk *w)
{
	rcn_findings_pass_close(w->p);
	w->p = NULL;
}

void rcn_report_kinds(const rcn_report_data *d, long count[RCN_K__COUNT])
{
	if (d->all) {
		rcn_findings_kinds(d->all, count);
		return;
	}
	memset(count, 0, RCN_K__COUNT * sizeof(*count));
	for (size_t i = 0; i < d->n_findings; i++)
		count[d->findings[i]->kind]++;
}

void rcn_report_kind_amounts(rcn_kind_amounts *out, const rcn_report_data *d)
{
	memset(out, 0, sizeof(*out));
	out->by_tally = rcn_xcalloc(d->n_tallies + 1, sizeof(*out->by_tally));
	size_t n;
	account *acc = accounts_of(d, &n);
	const account *last = NULL;
	rcn_report_walk w;
	rcn_report_walk_any(&w, d); /* sums: in any order */
	for (const rcn_finding *f; (f = rcn_report_walk_next(&w)) != NULL;) {
		int64_t diff;
		if ((unsigned)f->kind >= RCN_K_PENDING || !rcn_finding_difference(f, &diff))
			continue;
		out->total[f->kind] += diff;
		last = account_find(acc, n, last, f->channel,
				    f->merchant_id); /* findings come grouped by kind, then channel */
		if (last)
			out->by_tally[last->tally][f->kind] += diff;
	}
	rcn_report_walk_close(&w);
	free(acc);
}

void rcn_report_open_sums(rcn_open_sums *out, const rcn_report_data *d)
{
	memset(out, 0, sizeof(*out));
	out->by_tally = rcn_xcalloc(d->n_tallies + 1, sizeof(*out->by_tally));
	if (!d->book)
		return;
	size_t n;
	account *acc = accounts_of(d, &n);
	const account *last = NULL;
	rcn_book_cursor cur;
	rcn_book_cursor_open(&cur, d->book);
	for (const rcn_open_item *it; (it = rcn_book_cursor_next(&cur)) != NULL;) {
		rcn_open_sum_add(&out->total, it);
		last = account_find(acc, n, last, it->channel, it->merchant_id);
		if (last)
			rcn_open_sum_add(&out->by_tally[last->tally], it);
	}
	rcn_book_cursor_close(&cur);
	free(acc);
}

void rcn_report_open_sums_free(rcn_open_sums *s)
{
	free(s->by_tally);
	s->by_tally = NULL;
}

void rcn_report_kind_amounts_free(rcn_kind_amounts *a)
{
	free(a->by_tally);
	a->by_tally = NULL;
}

int64_t rcn_report_net(const rcn_tally *t)
{
	return (t->payments_fen - t->refunds_fen) * RCN_FEE_UNITS_PER_FEN - t->channel_fee;
}

bool rcn_report_refund_rate(const rcn_tally *t, int64_t *bp, bool *over_5pct)
{
	if (t->payments_fen <= 0)
		return false;
	*bp = (t->refunds_fen * 10000 + t->payments_fen / 2) / t->payments_fen;
	*over_5pct = t->refunds_fen * 100 > t->payments_fen * 5;
	return true;
}
