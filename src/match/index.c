/* The ledger index: the window's orders and refunds, the carried ledger
 * suspense, auto-debit contracts, and the keys the window lacks (the
 * lookups the pipeline makes before matching). */
#include "match/match_int.h"

/* Indexes the orders added since the last call by order number, keeping
 * the first of any number given twice (the rest are dropped, the array closed
 * up). The window's millions of orders arrive one by one while statements
 * are parsed; indexing them afterwards in one loop lets each lookup's memory
 * be fetched ahead, instead of one cache miss per order as it arrives. */
/* Window orders indexed together while they load (rcn_match_add_order). */
#define INDEX_BATCH 65536

void rcn_m_index_orders(rcn_match *m)
{
	size_t dst = m->order_indexed, n = m->n_orders;
	rcn_strmap_reserve(&m->order_idx, m->order_idx.count + (n - m->order_indexed));
	key_ring ring;
	for (size_t i = m->order_indexed; i < n && i < m->order_indexed + PREFETCH; i++)
		ring_load(&ring, &m->order_idx, i, m->orders[i].order_no);
	for (size_t i = m->order_indexed; i < n; i++) {
		uint32_t h = ring.hash[i % PREFETCH], len = ring.len[i % PREFETCH];
		if (i + PREFETCH < n)
			ring_load(&ring, &m->order_idx, i + PREFETCH, m->orders[i + PREFETCH].order_no);
		const lorder *l = &m->orders[i];
		if (!rcn_strmap_put_hashed(&m->order_idx, l->order_no, len, h, (uint32_t)dst, NULL))
			continue;
		if (dst != i)
			m->orders[dst] = *l;
		dst++;
	}
	m->n_orders = m->order_indexed = dst;
}

void rcn_match_begin_lookup(rcn_match *m)
{
	rcn_m_index_orders(m);
	m->lookup_phase = true;
}

/* Beyond this an estimate is not trusted with memory up front (64 M orders
 * would be 5.6 GiB of array and 2 GiB of index), nor beyond a quarter of
 * the machine's memory (a stale estimate on a small machine must not ask
 * for more than it has): the rest grows as needed. */
#define EXPECT_ORDERS_MAX ((size_t)1 << 26)

void rcn_match_expect_orders(rcn_match *m, size_t n)
{
	size_t fit = rcn_phys_memory() / 4 / (sizeof(lorder) + 2 * sizeof(rcn_strmap_slot));
	if (n > EXPECT_ORDERS_MAX)
		n = EXPECT_ORDERS_MAX;
	if (n > fit)
		n = fit;
	rcn_xreserve((void **)&m->orders, &m->cap_orders, m->n_orders + n, sizeof(lorder));
	rcn_strmap_reserve(&m->order_idx, m->order_idx.count + n);
}

void rcn_match_add_order(rcn_match *m, const rcn_ledger_order *o)
{
	uint32_t existing;
	if (!o->order_no || !*o->order_no)
		return;
	enum { S_ORDER, S_TXN, S_CONTRACT, S__COUNT };
	const char *in[S__COUNT] = {o->order_no, o->channel_txn_id, o->contract_id}, *str[S__COUNT];
	rcn_arena_strdups(&m->arena, S__COUNT, in, str);
	const char *key = str[S_ORDER];
	if (m->lookup_phase) {
		rcn_m_index_orders(m);
		if (!rcn_strmap_put(&m->order_idx, key, strlen(key), (uint32_t)m->n_orders, &existing))
			return; /* seen already (window and lookup overlap) */
		m->order_indexed = m->n_orders + 1;
	}
	rcn_xreserve((void **)&m->orders, &m->cap_orders, m->n_orders + 1, sizeof(lorder));
	rcn_populate_ahead(m->orders, (m->n_orders + 1) * sizeof(lorder), m->cap_orders * sizeof(lorder),
			   &m->orders_populated);
	lorder *l = &m->orders[m->n_orders];
	const row_names *nm = intern_names(&m->arena, &m->ic, o->channel, false, o->merchant_id, o->status, "");
	*l = (lorder){.order_no = key,
		      .nm = nm,
		      .txn = str[S_TXN],
		      .paid = interned_test(&m->ic.paid_for, &m->ic.paid, nm->status, collected),
		      .paid_at = o->paid_at,
		      .contract_id = str[S_CONTRACT],
		      .contract = -1,
		      .amount = o->amount_fen,
		      .currency = currency_code(o->currency),
		      .bdate = o->business_date,
		      .first_seen = o->business_date,
		      .from_lookup = m->lookup_phase,
		      .source = source_interned(m, nm->channel, nm->merchant_id)};
	/* expected tonight: a collected payment of this business date in the
	 * window, on a configured source (carried ones are marked later) */
	l->expected = !l->from_lookup && l->source != SIZE_MAX && l->bdate == m->day && l->paid;
	m->contract_orders += *l->contract_id != '\0';
	m->n_orders++;
	/* the window's orders are indexed a batch at a time as they come, by the
	 * thread loading them, which mostly waits for the database meanwhile */
	if (!m->lookup_phase && m->n_orders - m->order_indexed >= INDEX_BATCH)
		rcn_m_index_orders(m);
}

void rcn_match_add_refund(rcn_match *m, const rcn_ledger_refund *r)
{
	uint32_t existing;
	const char *key = dup(m, r->refund_no);
	if (!*key || !rcn_strmap_put(&m->refund_idx, key, strlen(key), (uint32_t)m->n_refunds, &existing))
		return;
	rcn_xreserve((void **)&m->refunds, &m->cap_refunds, m->n_refunds + 1, sizeof(lrefund));
	lrefund *l = &m->refunds[m->n_refunds];
	*l = (lrefund){.refund_no = key,
		       .order_no = dup(m, r->order_no),
		       .refund_id = dup(m, r->channel_refund_id),
		       .status = dup(m, r->status),
		       .channel = dup(m, r->channel),
		       .merchant_id = dup(m, r->merchant_id),
		       .refunded_at = r->refunded_at,
		       .amount = r->amount_fen,
		       .currency = currency_code(r->currency),
		       .bdate = r->business_date,
		       .first_seen = r->business_date,
		       .from_lookup = m->lookup_phase,
		       .source = source_for(m, r->channel, r->merchant_id)};
	if (*l->refund_id)
		rcn_strmap_put(&m->refund_id_idx, l->refund_id, strlen(l->refund_id), (uint32_t)m->n_refunds, NULL);
	m->n_refunds++;
}

static void push_key(rcn_match *m, const char *k)
{
	rcn_xreserve((void **)&m->keybuf, &m->cap_keybuf, m->n_keybuf + 1, sizeof(char *));
	m->keybuf[m->n_keybuf++] = k;
}

void rcn_match_contract_ids(rcn_match *m, const char *const **ids, size_t *n)
{
	rcn_m_index_orders(m);
	rcn_strmap seen;
	rcn_strmap_init(&seen, 64);
	m->n_keybuf = 0;
	for (size_t i = 0; m->contract_orders && i < m->n_orders; i++) {
		const char *id = m->orders[i].contract_id;
		if (*id && rcn_strmap_put(&seen, id, strlen(id), 0, NULL))
			push_key(m, id);
	}
	rcn_strmap_free(&seen);
	*ids = m->keybuf;
	*n = m->n_keybuf;
}

/* One kind of missing key: its distinct keys in row order. */
typedef struct {
	rcn_strmap seen;
	const char **keys;
	size_t n, cap;
} key_list;

static void add_key(key_list *l, const char *k)
{
	if (!rcn_strmap_put(&l->seen, k, strlen(k), 0, NULL))
		return;
	rcn_xreserve((void **)&l->keys, &l->cap, l->n + 1, sizeof(char *));
	l->keys[l->n++] = k;
}

/* A scan for the keys the ledger rows lack: 0: order numbers, 1: txn ids
 * (rows without an order number), 2: refund numbers, 3: the orders of
 * refunds; all four in one pass over the rows, which can stop whenever
 * enough order numbers are missing (rcn_match_scan_orders). */
struct rcn_match_scan {
	rcn_match *m;
	key_list lists[4];
	key_ring ring;
	size_t at;     /* the next row */
	size_t handed; /* lists[0]'s keys handed out */
};

rcn_match_scan *rcn_match_scan_new(rcn_match *m)
{
	rcn_m_index_orders(m);
	rcn_match_scan *s = rcn_xcalloc(1, sizeof(*s));
	s->m = m;
	for (int i = 0; i < 4; i++)
		rcn_strmap_init(&s->lists[i].seen, 16);
	for (size_t i = 0; i < m->n_rows && i < PREFETCH; i++)
		ring_load(&s->ring, &m->order_idx, i, m->rows[i].order_no);
	return s;
}

/* Scans on until `want` order numbers not handed out yet are missing, or to
 * the last row. */
static void scan_until(rcn_match_scan *s, size_t want)
{
	rcn_match *m = s->m;
	key_list *lists = s->lists;
	uint32_t v;
	for (; s->at < m->n_rows && lists[0].n - s->handed < want; s->at++) {
		size_t i = s->at;
		srow *r = &m->rows[i];
		uint32_t h = s->ring.hash[i % PREFETCH], len = s->ring.len[i % PREFETCH];
		if (i + PREFETCH < m->n_rows)
			ring_load(&s->ring, &m->order_idx, i + PREFETCH, m->rows[i + PREFETCH].order_no);
		if (len) {
			if (!rcn_strmap_get_hashed(&m->order_idx, r->order_no, len, h, &v))
				add_key(&lists[0], r->order_no);
			else if (r->type == RCN_REC_PAYMENT)
				r->ledger = (int32_t)v; /* found now: rcn_m_match_payments need not look again */
		}
		if (r->type == RCN_REC_PAYMENT && !*r->order_no && *r->txn && !txn_get(m, r->txn, &v))
			add_key(&lists[1], r->txn);
		if (r->type == RCN_REC_REFUND && *r->refund_no &&
		    !rcn_strmap_get(&m->refund_idx, r->refund_no, strlen(r->refund_no), &v))
			add_key(&lists[2], r->refund_no);
		if (r->type == RCN_REC_REFUND && *r->order_no)
			add_key(&lists[3], r->order_no);
	}
}

size_t rcn_match_scan_orders(rcn_match_scan *s, size_t want, const char *const **keys)
{
	scan_until(s, want);
	size_t n = s->lists[0].n - s->handed;
	if (n > want)
		n = want;
	*keys = s->lists[0].keys + s->handed;
	s->handed += n;
	return n;
}

void rcn_match_scan_end(rcn_match_scan *s, rcn_match_keys *out)
{
	rcn_match *m = s->m;
	scan_until(s, SIZE_MAX);
	size_t start[4];
	m->n_keybuf = 0;
	for (int i = 0; i < 4; i++) {
		start[i] = m->n_keybuf;
		for (size_t k = 0; k < s->lists[i].n; k++)
			push_key(m, s->lists[i].keys[k]);
		rcn_strmap_free(&s->lists[i].seen);
		free(s->lists[i].keys);
	}
	out->order_nos = m->keybuf + start[0];
	out->n_order_nos = start[1] - start[0];
	out->txn_ids = m->keybuf + start[1];
	out->n_txn_ids = start[2] - start[1];
	out->refund_nos = m->keybuf + start[2];
	out->n_refund_nos = start[3] - start[2];
	out->refund_orders = m->keybuf + start[3];
	out->n_refund_orders = m->n_keybuf - start[3];
	free(s);
}

void rcn_match_missing_keys(rcn_match *m, rcn_match_keys *out)
{
	rcn_match_scan_end(rcn_match_scan_new(m), out);
}
