/* The numbers summary.csv and the workbook's summary sheet both derive from
 * the tallies and findings: per-kind amounts, the expected net settlement,
 * the refund rate. */
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

void rcn_report_kind_amounts(rcn_kind_amounts *out, const rcn_report_data *d)
{
	memset(out, 0, sizeof(*out));
	out->by_tally = rcn_xcalloc(d->n_tallies + 1, sizeof(*out->by_tally));
	/* the channel-side tallies by account: a lookup per finding, however many accounts a night has */
	account *acc = rcn_xmalloc((d->n_tallies + 1) * sizeof(*acc));
	size_t n = 0;
	for (size_t i = 0; i < d->n_tallies; i++)
		if (d->tallies[i].side == RCN_SIDE_CHANNEL)
			acc[n++] = (account){d->tallies[i].channel, d->tallies[i].merchant_id, i};
	qsort(acc, n, sizeof(*acc), cmp_accounts);
	const account *last = NULL;
	for (size_t i = 0; i < d->n_findings; i++) {
		const rcn_finding *f = d->findings[i];
		int64_t diff;
		if ((unsigned)f->kind >= RCN_K_PENDING || !rcn_finding_difference(f, &diff))
			continue;
		out->total[f->kind] += diff;
		const account key = {f->channel, f->merchant_id, 0};
		if (!last || cmp_accounts(last, &key) != 0) /* findings come grouped by kind, then channel */
			last = n ? bsearch(&key, acc, n, sizeof(*acc), cmp_accounts) : NULL;
		if (last)
			out->by_tally[last->tally][f->kind] += diff;
	}
	free(acc);
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
