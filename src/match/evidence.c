/* What tonight says of items found on earlier nights (the open-items
 * register's evidence, recon/items.h): the statement rows that list a
 * payment or a refund, and the ledger's orders and refunds as loaded (the
 * window and the lookups). Asked once a night, before rcn_match_release. */
#include "match/match_int.h"

/* Marks the ledger items (orders or refunds) the numbers name, in a bitmap
 * over their indexes: a row then asks one bit, not a hash of its number.
 * NULL when the ledger as loaded has none of them: then no row can list one
 * (a row names the ledger only by index), and the rows are not read at all —
 * the numbers of old items are mostly outside tonight's window and lookups. */
static uint64_t *wanted(const rcn_strmap *idx, size_t n_items, const char *const *nos, size_t n)
{
	uint64_t *bits = NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		if (!nos[i] || !*nos[i] || !rcn_strmap_get(idx, nos[i], strlen(nos[i]), &v) || v >= n_items)
			continue;
		if (!bits)
			bits = rcn_xcalloc(n_items / 64 + 1, sizeof(*bits));
		bits[v / 64] |= (uint64_t)1 << (v % 64);
	}
	return bits;
}

static bool has(const uint64_t *bits, int32_t v)
{
	return v >= 0 && (bits[(uint32_t)v / 64] >> ((uint32_t)v % 64) & 1);
}

void rcn_match_each_seen(rcn_match *m, const char *const *order_nos, size_t n_orders, const char *const *refund_nos,
			 size_t n_refunds, void (*fn)(void *ctx, const rcn_match_seen *s), void *ctx)
{
	uint64_t *orders = n_orders ? wanted(&m->order_idx, m->n_orders, order_nos, n_orders) : NULL;
	uint64_t *refunds = n_refunds ? wanted(&m->refund_idx, m->n_refunds, refund_nos, n_refunds) : NULL;
	for (size_t i = 0; orders && i < m->n_rows; i++) {
		const srow *r = &m->rows[i];
		if (r->type != RCN_REC_PAYMENT || !r->ok || r->carried || !has(orders, r->ledger))
			continue;
		const lorder *o = &m->orders[r->ledger];
		rcn_match_seen s = {.rec_type = RCN_REC_PAYMENT,
				    .channel = r->nm->channel,
				    .order_no = o->order_no,
				    .refund_no = "",
				    .channel_txn_id = r->txn,
				    .channel_refund_id = "",
				    .amount = r->amount,
				    .src = rcn_m_row_src(m, r)};
		fn(ctx, &s);
	}
	for (size_t j = 0; refunds && j < m->n_refund_rows; j++) {
		const srow *r = &m->rows[m->refund_rows[j]];
		if (!r->ok || r->carried || !has(refunds, r->ledger))
			continue;
		const lrefund *l = &m->refunds[r->ledger];
		rcn_match_seen s = {.rec_type = RCN_REC_REFUND,
				    .channel = r->nm->channel,
				    .order_no = l->order_no,
				    .refund_no = l->refund_no,
				    .channel_txn_id = r->txn,
				    .channel_refund_id = r->refund_id,
				    .amount = r->amount,
				    .src = rcn_m_row_src(m, r)};
		fn(ctx, &s);
	}
	free(orders);
	free(refunds);
}

bool rcn_match_ledger_order(const rcn_match *m, const char *order_no, const char **status, int64_t *amount)
{
	uint32_t v;
	if (!order_no || !*order_no || !rcn_strmap_get(&m->order_idx, order_no, strlen(order_no), &v) ||
	    v >= m->n_orders)
		return false;
	*status = m->orders[v].nm->status;
	*amount = m->orders[v].amount;
	return true;
}

bool rcn_match_ledger_refund(const rcn_match *m, const char *refund_no, const char **status, int64_t *amount)
{
	uint32_t v;
	if (!refund_no || !*refund_no || !rcn_strmap_get(&m->refund_idx, refund_no, strlen(refund_no), &v) ||
	    v >= m->n_refunds)
		return false;
	*status = m->refunds[v].status;
	*amount = m->refunds[v].amount;
	return true;
}
