/* The matcher's driver: its life (new, prepare, run, free) and the
 * parallel payment groups. The parts and how data moves: match_int.h. */
#include "match/match_int.h"

rcn_match *rcn_match_new(rcn_date day, int carry_days, const rcn_match_source *sources, size_t n_sources)
{
	rcn_match *m = rcn_xcalloc(1, sizeof(*m));
	m->day = day;
	m->carry = carry_days;
	m->sources = sources;
	m->n_sources = n_sources;
	m->rejected = rcn_xcalloc(n_sources + 1, sizeof(bool));
	m->source_fee = rcn_xcalloc(n_sources + 1, sizeof(*m->source_fee));
	rcn_arena_init(&m->arena);
	rcn_strmap_init(&m->order_idx, 1024);
	rcn_strmap_init(&m->txn_idx, 1024);
	rcn_strmap_init(&m->refund_idx, 256);
	rcn_strmap_init(&m->refund_id_idx, 256);
	m->sink = rcn_findings_new();
	m->own_sink = true;
	return m;
}

/* The night's two biggest arrays, handed back on a thread of their own. */
typedef struct {
	void *rows, *orders;
} big_arrays;

static void *free_big(void *p)
{
	big_arrays *b = p;
	rcn_xfree(b->rows);
	rcn_xfree(b->orders);
	return NULL;
}

/* Giving a 10 M night's 4 GiB back to the kernel took half a second on one
 * core, the other idle: the row and order arrays (half of it) go on a second
 * thread meanwhile when there is a core for it. */
static void hand_back(rcn_match *m, rcn_task *task, big_arrays *big)
{
	if (m->threads > 1 && m->n_rows + m->n_orders >= ((size_t)1 << 20))
		rcn_task_start(task, free_big, big); /* or here and now */
	else
		free_big(big);
}

void rcn_match_release(rcn_match *m)
{
	big_arrays *big = rcn_xmalloc(sizeof(*big));
	*big = (big_arrays){m->rows, m->orders};
	hand_back(m, &m->release, big);
	m->rows = NULL;
	m->orders = NULL;
	m->n_rows = m->cap_rows = m->n_orders = m->cap_orders = 0;
	m->rows_populated = m->orders_populated = 0;
	rcn_xfree(m->refunds);
	m->refunds = NULL;
	m->n_refunds = m->cap_refunds = 0;
	rcn_xfree(m->refund_rows);
	m->refund_rows = NULL;
	m->n_refund_rows = m->cap_refund_rows = 0;
	rcn_xfree(m->listed_before[0]);
	rcn_xfree(m->listed_before[1]);
	m->listed_before[0] = m->listed_before[1] = NULL;
	rcn_strmap_free(&m->order_idx);
	rcn_strmap_free(&m->txn_idx);
	rcn_strmap_free(&m->refund_idx);
	rcn_strmap_free(&m->refund_id_idx);
	m->released = big;
}

void rcn_match_free(rcn_match *m)
{
	if (!m)
		return;
	rcn_task_join(&m->release);
	free(m->released);
	big_arrays big = {m->rows, m->orders};
	rcn_task helper = {0};
	hand_back(m, &helper, &big);
	rcn_arena_free(&m->arena);
	rcn_strmap_free(&m->order_idx);
	rcn_strmap_free(&m->txn_idx);
	rcn_strmap_free(&m->refund_idx);
	rcn_strmap_free(&m->refund_id_idx);
	free(m->rejected);
	free(m->source_fee);
	rcn_xfree(m->refunds);
	rcn_xfree(m->carried_ledger);
	if (m->own_sink)
		rcn_findings_free(m->sink);
	free(m->notes);
	free(m->tallies);
	rcn_xfree(m->keybuf);
	rcn_xfree(m->refund_rows);
	rcn_xfree(m->listed_before[0]);
	rcn_xfree(m->listed_before[1]);
	free(m);
	rcn_task_join(&helper);
}

void rcn_match_set_rules(rcn_match *m, const rcn_match_rules *rules)
{
	m->rules = rules;
}

void rcn_match_set_threads(rcn_match *m, int threads)
{
	m->threads = threads;
}

void rcn_match_set_prior_run(rcn_match *m, bool had_prior_run)
{
	m->prior_run = had_prior_run;
}

void rcn_match_prepare(rcn_match *m)
{
	rcn_m_prepare_listings(m);
	/* payments' fees need no ledger row (a refund's may: it waits for rcn_match_run) */
	for (size_t i = m->fees_added; i < m->n_rows; i++)
		if (m->rows[i].type == RCN_REC_PAYMENT)
			rcn_m_add_fees(m, &m->rows[i]);
	m->fees_added = m->n_rows;
}

/* A second matcher over the same rows and ledger with findings, notes,
 * tallies and strings of its own: a share of the groups is matched there on
 * another thread (groups touch only their own rows and order), then merged
 * behind this matcher's own, in the order one thread would have made them. */
void rcn_m_shadow_init(rcn_match *s, const rcn_match *m)
{
	*s = *m;
	rcn_arena_init(&s->arena);
	s->sink = rcn_findings_new();
	s->own_sink = true;
	s->notes = NULL;
	s->n_notes = s->cap_notes = 0;
	s->tallies = NULL;
	s->n_tallies = s->cap_tallies = 0;
	/* its own, for the fees it reports (read back only once merged) */
	s->source_fee = rcn_xcalloc(m->n_sources + 1, sizeof(*s->source_fee));
}

void rcn_m_shadow_merge(rcn_match *m, rcn_match *s)
{
	rcn_findings_append(m->sink, s->sink);
	rcn_findings_free(s->sink);
	rcn_xreserve((void **)&m->notes, &m->cap_notes, m->n_notes + s->n_notes, sizeof(*m->notes));
	if (s->n_notes)
		memcpy(m->notes + m->n_notes, s->notes, s->n_notes * sizeof(*m->notes));
	m->n_notes += s->n_notes;
	for (size_t i = 0; i < s->n_tallies; i++) {
		const rcn_tally *t = &s->tallies[i];
		rcn_tally_add(tally(m, t->channel, t->merchant_id, t->side), t);
	}
	for (size_t i = 0; i < m->n_sources; i++) {
		m->source_fee[i].reported_channel += s->source_fee[i].reported_channel;
		m->source_fee[i].reported_expected += s->source_fee[i].reported_expected;
		m->source_fee[i].reported_rows += s->source_fee[i].reported_rows;
	}
	free(s->source_fee);
	rcn_arena_adopt(&m->arena, &s->arena);
	free(s->notes);
	free(s->tallies);
}

void *rcn_m_groups_thread(void *p)
{
	groups_job *j = p;
	rcn_m_match_groups(j->m, j->idx, j->from, j->to);
	return NULL;
}

void rcn_match_run(rcn_match *m)
{
	rcn_m_index_orders(m);
	for (size_t i = 0; m->rules && m->rules->contract && m->contract_orders && i < m->n_orders; i++)
		if (*m->orders[i].contract_id) {
			m->orders[i].contract = m->rules->contract(m->rules->ctx, m->orders[i].contract_id);
			m->n_contracted += m->orders[i].contract >= 0;
		}
	rcn_m_mark_expected(m);
	/* the refunds' fees (they may need a ledger order), and the payments'
	 * that rcn_match_prepare did not count (it may not have run) */
	for (size_t i = m->fees_added; i < m->n_rows; i++)
		if (m->rows[i].type == RCN_REC_PAYMENT)
			rcn_m_add_fees(m, &m->rows[i]);
	for (size_t j = 0; j < m->n_refund_rows; j++)
		rcn_m_add_fees(m, &m->rows[m->refund_rows[j]]);
	rcn_m_find_duplicates(m, RCN_REC_PAYMENT);
	rcn_m_find_duplicates(m, RCN_REC_REFUND);
	rcn_m_publish(m, 1);
	rcn_m_match_payments(m);
	rcn_m_publish(m, 1);
	rcn_m_match_refunds(m);
	rcn_m_publish(m, 1);
	rcn_m_unclaimed_ledger(m);
	rcn_m_publish(m, 1);
	if (m->n_tallies)
		qsort(m->tallies, m->n_tallies, sizeof(*m->tallies), rcn_m_cmp_tallies);
	if (m->n_notes)
		qsort(m->notes, m->n_notes, sizeof(*m->notes), rcn_findings_cmp);
}
