/* What tonight says of items found on earlier nights (the open-items
 * register's evidence, recon/items.h): the statement rows that list a
 * payment or a refund, and the ledger's orders and refunds as loaded (the
 * window and the lookups). Asked once a night, before rcn_match_release. */
#include "match/match_int.h"

void rcn_match_each_seen(rcn_match *m, bool (*want)(void *ctx, const rcn_match_seen *s),
			 void (*fn)(void *ctx, const rcn_match_seen *s), void *ctx)
{
	for (size_t i = 0; i < m->n_rows; i++) {
		const srow *r = &m->rows[i];
		if (!r->ok || r->carried)
			continue;
		rcn_match_seen s = {.rec_type = (rcn_rec_type)r->type,
				    .channel = r->channel,
				    .order_no = r->order_no,
				    .refund_no = r->refund_no,
				    .channel_txn_id = r->txn,
				    .channel_refund_id = r->refund_id,
				    .amount = r->amount};
		if (!want(ctx, &s))
			continue;
		s.src = rcn_m_row_src(m, r);
		fn(ctx, &s);
	}
}

bool rcn_match_ledger_order(const rcn_match *m, const char *order_no, const char **status, int64_t *amount)
{
	uint32_t v;
	if (!order_no || !*order_no || !rcn_strmap_get(&m->order_idx, order_no, strlen(order_no), &v) ||
	    v >= m->n_orders)
		return false;
	*status = m->orders[v].status;
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
