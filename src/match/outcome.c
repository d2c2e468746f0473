/* The outcome: tallies per channel, account and side, the notes, and what the
 * pipeline reads back after rcn_match_run (the findings are the sink's). */
#include "match/match_int.h"

void rcn_tally_add(rcn_tally *sum, const rcn_tally *t)
{
	sum->rows_in += t->rows_in;
	sum->matched += t->matched;
	sum->discrepancies += t->discrepancies;
	sum->pending += t->pending;
	sum->quarantined += t->quarantined;
	sum->amount_in += t->amount_in;
	sum->amount_matched += t->amount_matched;
	sum->amount_discrepancies += t->amount_discrepancies;
	sum->amount_pending += t->amount_pending;
	sum->amount_quarantined += t->amount_quarantined;
	for (int k = 0; k < RCN_K__COUNT; k++)
		sum->kinds[k] += t->kinds[k];
	sum->payments_fen += t->payments_fen;
	sum->refunds_fen += t->refunds_fen;
	sum->channel_fee += t->channel_fee;
	sum->expected_fee += t->expected_fee;
	sum->has_expected_fee |= t->has_expected_fee;
	sum->suspicious_debits += t->suspicious_debits;
}

int rcn_m_cmp_tallies(const void *a, const void *b)
{
	const rcn_tally *x = a, *y = b;
	int c;
	if ((c = strcmp(x->channel, y->channel)) || (c = strcmp(x->merchant_id, y->merchant_id)))
		return c;
	return (x->side > y->side) - (x->side < y->side); /* L before S */
}

void rcn_match_set_sink(rcn_match *m, rcn_findings *sink)
{
	if (m->own_sink)
		rcn_findings_free(m->sink);
	m->sink = sink;
	m->own_sink = false;
}

const rcn_finding *const *rcn_match_findings(const rcn_match *m, size_t *n)
{
	return rcn_findings_sorted(m->sink, n);
}

const rcn_tally *rcn_match_tallies(const rcn_match *m, size_t *n)
{
	*n = m->n_tallies;
	return m->tallies;
}

long rcn_match_discrepancy_count(const rcn_match *m)
{
	return rcn_findings_discrepancies(m->sink);
}

const rcn_finding *const *rcn_match_notes(const rcn_match *m, size_t *n)
{
	*n = m->n_notes;
	return (const rcn_finding *const *)m->notes;
}

long rcn_match_carried_rows(const rcn_match *m)
{
	return m->n_carried_rows;
}

rcn_match_fee_total rcn_match_source_fees(const rcn_match *m, size_t source)
{
	if (source >= m->n_sources)
		return (rcn_match_fee_total){0};
	return (rcn_match_fee_total){.channel = m->source_fee[source].channel,
				     .expected = m->source_fee[source].expected,
				     .rows = m->source_fee[source].rows,
				     .reported_channel = m->source_fee[source].reported_channel,
				     .reported_expected = m->source_fee[source].reported_expected,
				     .reported_rows = m->source_fee[source].reported_rows,
				     .rejected = m->rejected[source]};
}
