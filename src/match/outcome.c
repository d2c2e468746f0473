/* The outcome: tallies per channel, account and side, findings from later
 * stages, and what the pipeline reads back after rcn_match_run. */
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

/* Channels, reasons and empty refund numbers are mostly one shared string. */
static int cmp_str(const char *a, const char *b)
{
	return a == b ? 0 : strcmp(a, b);
}

int rcn_m_cmp_findings(const void *a, const void *b)
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

int rcn_m_cmp_tallies(const void *a, const void *b)
{
	const rcn_tally *x = a, *y = b;
	int c;
	if ((c = strcmp(x->channel, y->channel)) || (c = strcmp(x->merchant_id, y->merchant_id)))
		return c;
	return (x->side > y->side) - (x->side < y->side); /* L before S */
}

const rcn_finding *const *rcn_match_findings(const rcn_match *m, size_t *n)
{
	*n = m->n_findings;
	return (const rcn_finding *const *)m->findings;
}

const rcn_tally *rcn_match_tallies(const rcn_match *m, size_t *n)
{
	*n = m->n_tallies;
	return m->tallies;
}

long rcn_match_discrepancy_count(const rcn_match *m)
{
	return m->discrepancies;
}

void rcn_match_add_finding(rcn_match *m, const rcn_finding *f)
{
	rcn_finding *c = rcn_m_new_finding(m, f->kind, dup(m, f->reason), f->side);
	const char *keep_reason = c->reason;
	*c = *f;
	c->reason = keep_reason;
	c->channel = dup(m, f->channel);
	c->merchant_id = dup(m, f->merchant_id);
	c->order_no = dup(m, f->order_no);
	c->refund_no = dup(m, f->refund_no);
	c->channel_txn_id = dup(m, f->channel_txn_id);
	c->channel_refund_id = dup(m, f->channel_refund_id);
	c->ledger_status = dup(m, f->ledger_status);
	c->channel_status = dup(m, f->channel_status);
	c->trade_time = dup(m, f->trade_time);
	c->source = dup(m, f->source);
	c->detail = dup(m, f->detail);
	rcn_m_publish(m, 1);
	qsort(m->findings, m->n_findings, sizeof(*m->findings), rcn_m_cmp_findings);
}

const rcn_movement *rcn_match_movements(const rcn_match *m, size_t *n)
{
	*n = m->n_moves;
	return m->moves;
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
