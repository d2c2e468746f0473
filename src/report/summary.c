/* The numbers summary.csv and the workbook's summary sheet both derive from
 * the tallies and findings: per-kind amounts, the expected net settlement,
 * the refund rate. */
#include <stdlib.h>
#include <string.h>

#include "recon/money.h"
#include "report/report_int.h"

/* The channel-side tally of the finding's account, or -1; the last hit is
 * tried first (findings come grouped by kind, then channel). */
static long channel_tally(const rcn_report_data *d, const rcn_finding *f, long last)
{
	const rcn_tally *t = d->tallies;
	if (last >= 0 && strcmp(t[last].channel, f->channel) == 0 && strcmp(t[last].merchant_id, f->merchant_id) == 0)
		return last;
	for (size_t i = 0; i < d->n_tallies; i++)
		if (t[i].side == RCN_SIDE_CHANNEL && strcmp(t[i].channel, f->channel) == 0 &&
		    strcmp(t[i].merchant_id, f->merchant_id) == 0)
			return (long)i;
	return -1;
}

void rcn_report_kind_amounts(rcn_kind_amounts *out, const rcn_report_data *d)
{
	memset(out, 0, sizeof(*out));
	out->by_tally = rcn_xcalloc(d->n_tallies + 1, sizeof(*out->by_tally));
	long last = -1;
	for (size_t i = 0; i < d->n_findings; i++) {
		const rcn_finding *f = d->findings[i];
		int64_t diff;
		if ((unsigned)f->kind >= RCN_K_PENDING || !rcn_finding_difference(f, &diff))
			continue;
		out->total[f->kind] += diff;
		long t = channel_tally(d, f, last);
		if (t >= 0)
			out->by_tally[t][f->kind] += diff, last = t;
	}
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
