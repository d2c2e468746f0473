/* A shard's outcome (recon run --shard I/N) and the merge's reading of it
 * (recon merge): what the night's stages after matching read of a matcher —
 * its findings, notes, tallies, per-source fee sums and carried rows — as
 * bytes (recon/wire.h), and the parts' outcomes added back into a matcher
 * that reconciled no row of its own. Every such quantity is a sum, or a list
 * the reports sort, so the parts in any order give the one night's. */
#include "match/match_int.h"

#define SHARD_MAGIC "recon-shard-outcome-1"

static void put_finding(rcn_buf *b, const rcn_finding *f)
{
	const int64_t ints[] = {f->kind,
				f->side,
				f->rec_type,
				f->has_ledger_amount,
				f->has_channel_amount,
				f->has_expected_fee,
				f->has_channel_fee,
				f->has_difference,
				f->ledger_amount,
				f->channel_amount,
				f->channel_settle,
				f->expected_fee,
				f->channel_fee,
				f->first_seen,
				f->age_days,
				f->difference};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		rcn_wire_i64(b, ints[i]);
	const char *strs[] = {f->reason,
			      f->channel,
			      f->merchant_id,
			      f->order_no,
			      f->refund_no,
			      f->channel_txn_id,
			      f->channel_refund_id,
			      f->ledger_status,
			      f->channel_status,
			      f->trade_time,
			      f->source,
			      f->detail};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		rcn_wire_str(b, strs[i]);
}

/* The smallest a finding can be: 16 numbers and 12 empty strings. */
#define FINDING_MIN_BYTES (16 * 8 + 12)

static bool get_finding(rcn_wire *w, rcn_finding *f)
{
	memset(f, 0, sizeof *f);
	int64_t kind = rcn_wire_get_i64(w), side = rcn_wire_get_i64(w), rec = rcn_wire_get_i64(w);
	f->has_ledger_amount = rcn_wire_get_i64(w) != 0;
	f->has_channel_amount = rcn_wire_get_i64(w) != 0;
	f->has_expected_fee = rcn_wire_get_i64(w) != 0;
	f->has_channel_fee = rcn_wire_get_i64(w) != 0;
	f->has_difference = rcn_wire_get_i64(w) != 0;
	f->ledger_amount = rcn_wire_get_i64(w);
	f->channel_amount = rcn_wire_get_i64(w);
	f->channel_settle = rcn_wire_get_i64(w);
	f->expected_fee = rcn_wire_get_i64(w);
	f->channel_fee = rcn_wire_get_i64(w);
	int64_t first = rcn_wire_get_i64(w), age = rcn_wire_get_i64(w);
	f->difference = rcn_wire_get_i64(w);
	const char **strs[] = {&f->reason,
			       &f->channel,
			       &f->merchant_id,
			       &f->order_no,
			       &f->refund_no,
			       &f->channel_txn_id,
			       &f->channel_refund_id,
			       &f->ledger_status,
			       &f->channel_status,
			       &f->trade_time,
			       &f->source,
			       &f->detail};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		*strs[i] = rcn_wire_get_str(w);
	if (w->bad || kind < 0 || kind >= RCN_K__COUNT || (side != RCN_SIDE_CHANNEL && side != RCN_SIDE_LEDGER) ||
	    (rec != RCN_REC_PAYMENT && rec != RCN_REC_REFUND) || first < INT32_MIN || first > INT32_MAX ||
	    age < INT32_MIN || age > INT32_MAX) {
		w->bad = true;
		return false;
	}
	f->kind = (rcn_kind)kind;
	f->side = (rcn_side)side;
	f->rec_type = (rcn_rec_type)rec;
	f->first_seen = (rcn_date)first;
	f->age_days = (int)age;
	return true;
}

static void put_tally(rcn_buf *b, const rcn_tally *t)
{
	rcn_wire_str(b, t->channel);
	rcn_wire_str(b, t->merchant_id);
	const int64_t ints[] = {t->side,
				t->rows_in,
				t->matched,
				t->discrepancies,
				t->pending,
				t->quarantined,
				t->amount_in,
				t->amount_matched,
				t->amount_discrepancies,
				t->amount_pending,
				t->amount_quarantined,
				t->payments_fen,
				t->refunds_fen,
				t->channel_fee,
				t->expected_fee,
				t->has_expected_fee,
				t->suspicious_debits};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		rcn_wire_i64(b, ints[i]);
	for (int k = 0; k < RCN_K__COUNT; k++)
		rcn_wire_i64(b, t->kinds[k]);
}

#define TALLY_MIN_BYTES (2 + (17 + RCN_K__COUNT) * 8)

static bool get_tally(rcn_wire *w, rcn_tally *t)
{
	memset(t, 0, sizeof *t);
	t->channel = rcn_wire_get_str(w);
	t->merchant_id = rcn_wire_get_str(w);
	int64_t side = rcn_wire_get_i64(w);
	long *counts[] = {&t->rows_in, &t->matched, &t->discrepancies, &t->pending, &t->quarantined};
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		*counts[i] = (long)rcn_wire_get_i64(w);
	int64_t *sums[] = {&t->amount_in,      &t->amount_matched,     &t->amount_discrepancies,
			   &t->amount_pending, &t->amount_quarantined, &t->payments_fen,
			   &t->refunds_fen,    &t->channel_fee,	       &t->expected_fee};
	for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
		*sums[i] = rcn_wire_get_i64(w);
	t->has_expected_fee = rcn_wire_get_i64(w) != 0;
	t->suspicious_debits = (long)rcn_wire_get_i64(w);
	for (int k = 0; k < RCN_K__COUNT; k++)
		t->kinds[k] = (long)rcn_wire_get_i64(w);
	if (w->bad || (side != RCN_SIDE_CHANNEL && side != RCN_SIDE_LEDGER)) {
		w->bad = true;
		return false;
	}
	t->side = (rcn_side)side;
	return true;
}

void rcn_match_export(const rcn_match *m, rcn_findings *sink, rcn_buf *b)
{
	rcn_wire_str(b, SHARD_MAGIC);
	size_t n;
	const rcn_finding *const *f = rcn_findings_sorted(sink, &n);
	rcn_wire_i64(b, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		put_finding(b, f[i]);
	rcn_wire_i64(b, (int64_t)m->n_notes);
	for (size_t i = 0; i < m->n_notes; i++)
		put_finding(b, m->notes[i]);
	rcn_wire_i64(b, (int64_t)m->n_tallies);
	for (size_t i = 0; i < m->n_tallies; i++)
		put_tally(b, &m->tallies[i]);
	rcn_wire_i64(b, (int64_t)m->n_sources);
	for (size_t i = 0; i < m->n_sources; i++) {
		rcn_wire_str(b, m->sources[i].name);
		const int64_t v[] = {m->source_fee[i].channel,
				     m->source_fee[i].expected,
				     m->source_fee[i].rows,
				     m->source_fee[i].reported_channel,
				     m->source_fee[i].reported_expected,
				     m->source_fee[i].reported_rows};
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
			rcn_wire_i64(b, v[k]);
	}
	rcn_wire_i64(b, m->n_carried_rows);
}

bool rcn_match_import(rcn_match *m, rcn_findings *sink, rcn_wire *w)
{
	if (strcmp(rcn_wire_get_str(w), SHARD_MAGIC) != 0)
		return !(w->bad = true);
	size_t n = rcn_wire_get_count(w, FINDING_MIN_BYTES);
	for (size_t i = 0; i < n && !w->bad; i++) {
		rcn_finding *f = rcn_arena_alloc(&m->arena, sizeof *f);
		if (get_finding(w, f))
			rcn_findings_put(sink, f);
	}
	n = rcn_wire_get_count(w, FINDING_MIN_BYTES);
	rcn_xreserve((void **)&m->notes, &m->cap_notes, m->n_notes + n, sizeof(*m->notes));
	for (size_t i = 0; i < n && !w->bad; i++) {
		rcn_finding *f = rcn_arena_alloc(&m->arena, sizeof *f);
		if (get_finding(w, f))
			m->notes[m->n_notes++] = f;
	}
	n = rcn_wire_get_count(w, TALLY_MIN_BYTES);
	for (size_t i = 0; i < n && !w->bad; i++) {
		rcn_tally t;
		if (get_tally(w, &t))
			rcn_tally_add(tally(m, dup(m, t.channel), dup(m, t.merchant_id), t.side), &t);
	}
	n = rcn_wire_get_count(w, 1 + 6 * 8);
	if (n != m->n_sources)
		w->bad = true;
	for (size_t i = 0; i < n && !w->bad; i++) {
		if (strcmp(rcn_wire_get_str(w), m->sources[i].name) != 0)
			w->bad = true;
		m->source_fee[i].channel += rcn_wire_get_i64(w);
		m->source_fee[i].expected += rcn_wire_get_i64(w);
		m->source_fee[i].rows += (long)rcn_wire_get_i64(w);
		m->source_fee[i].reported_channel += rcn_wire_get_i64(w);
		m->source_fee[i].reported_expected += rcn_wire_get_i64(w);
		m->source_fee[i].reported_rows += (long)rcn_wire_get_i64(w);
	}
	m->n_carried_rows += (long)rcn_wire_get_i64(w);
	rcn_findings_flush(sink, 1);
	return !w->bad;
}

void rcn_match_imported(rcn_match *m)
{
	if (m->n_tallies)
		qsort(m->tallies, m->n_tallies, sizeof(*m->tallies), rcn_m_cmp_tallies);
	if (m->n_notes)
		qsort(m->notes, m->n_notes, sizeof(*m->notes), rcn_findings_cmp);
}
