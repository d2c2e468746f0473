/* Classification, second part: duplicate listings in the statements (a file
 * defect, found before matching) and the refund rows against the ledger's
 * refunds. The helpers that make findings are classify.c's (match_int.h). */
#include "match/match_int.h"

#define NO_ROW UINT32_MAX

/* The key a row of `type` is listed under (payment: txn id, refund: refund
 * id), NULL for another type or no key ("" or "0"). */
static const char *listing_key(const srow *r, rcn_rec_type type)
{
	const char *key = type == RCN_REC_PAYMENT ? r->txn : r->refund_id;
	return r->type != type || !*key || strcmp(key, "0") == 0 ? NULL : key;
}

/* For each row of the type, the first earlier row with the same channel
 * transaction id (NO_ROW if none); NULL when no row has one. The keyed rows'
 * (hash, index) pairs (in input order, freed here) are radix-sorted by
 * hash, which keeps indexes in order within a hash, and runs of one hash
 * are checked string by string: two sequential passes instead of a hash
 * map's cache miss per row. */
static uint32_t *earlier_listings(const rcn_match *m, rcn_rec_type type, uint64_t *pairs, size_t n)
{
	if (!pairs)
		return NULL;
	uint32_t *before = rcn_xmalloc((m->n_rows + 1) * sizeof(uint32_t));
	for (size_t k = 0; k < m->n_rows; k++)
		before[k] = NO_ROW;
	/* LSD radix sort on the hash, 16 bits a pass: stable */
	uint64_t *tmp = rcn_xmalloc((n + 1) * sizeof(*tmp));
	size_t *count = rcn_xmalloc(65536 * sizeof(size_t));
	for (int shift = 32; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof(size_t));
		for (size_t k = 0; k < n; k++)
			count[(pairs[k] >> shift) & 0xFFFF]++;
		for (size_t b = 0, at = 0; b < 65536; b++) {
			size_t c = count[b];
			count[b] = at;
			at += c;
		}
		for (size_t k = 0; k < n; k++)
			tmp[count[(pairs[k] >> shift) & 0xFFFF]++] = pairs[k];
		uint64_t *swap = pairs;
		pairs = tmp;
		tmp = swap;
	}
	free(count);
	free(tmp);
	for (size_t a = 0; a < n;) {
		size_t b = a + 1;
		while (b < n && pairs[b] >> 32 == pairs[a] >> 32)
			b++;
		/* one hash, rows in input order: each row's first equal key is its first listing */
		for (size_t k = a + 1; k < b; k++) {
			uint32_t row = (uint32_t)pairs[k];
			const char *key = listing_key(&m->rows[row], type);
			for (size_t j = a; j < k; j++) {
				uint32_t earlier = (uint32_t)pairs[j];
				if (strcmp(listing_key(&m->rows[earlier], type), key) == 0) {
					before[row] = earlier;
					break;
				}
			}
		}
		a = b;
	}
	free(pairs);
	return before;
}

/* Both types' listings from one pass over the rows (ten million of them
 * are 1.4 GB to read). */
void rcn_m_prepare_listings(rcn_match *m)
{
	free(m->listed_before[0]);
	free(m->listed_before[1]);
	uint64_t *pairs[2] = {NULL, NULL};
	size_t n[2] = {0, 0};
	for (size_t i = 0; i < m->n_rows; i++) {
		const srow *r = &m->rows[i];
		if (r->type != RCN_REC_PAYMENT && r->type != RCN_REC_REFUND)
			continue;
		const char *key = listing_key(r, r->type);
		if (!key)
			continue;
		int t = r->type == RCN_REC_PAYMENT ? 0 : 1;
		if (!pairs[t])
			pairs[t] = rcn_xmalloc((m->n_rows - i) * sizeof(*pairs[t]));
		pairs[t][n[t]++] = (uint64_t)rcn_hash(key, strlen(key)) << 32 | (uint32_t)i;
	}
	m->listed_before[0] = earlier_listings(m, RCN_REC_PAYMENT, pairs[0], n[0]);
	m->listed_before[1] = earlier_listings(m, RCN_REC_REFUND, pairs[1], n[1]);
	m->n_listed = m->n_rows;
}

/* Same channel transaction listed twice: keep the first, report the rest. */
void rcn_m_find_duplicates(rcn_match *m, rcn_rec_type type)
{
	if (m->n_listed != m->n_rows)
		rcn_m_prepare_listings(m);
	const uint32_t *before = m->listed_before[type == RCN_REC_PAYMENT ? 0 : 1];
	for (size_t i = 0; before && i < m->n_rows; i++) {
		srow *r = &m->rows[i];
		if (before[i] == NO_ROW)
			continue;
		rcn_finding *f =
			rcn_m_new_finding(m, RCN_K_DUPLICATE_RECORD, "same_transaction_listed_twice", RCN_SIDE_CHANNEL);
		rcn_m_fill_channel(m, f, r);
		char buf[700];
		snprintf(buf, sizeof(buf), "first listed at %s", rcn_m_row_src(m, &m->rows[before[i]]));
		f->detail = dup(m, buf);
		count_row(m, r, RCN_K_DUPLICATE_RECORD, false);
		r->done = true;
	}
}

/* What each order has had refunded so far, for the orders refunds name
 * only (a dense array over every order would be 8 bytes an order, cleared,
 * on a night that may have no refund at all): open addressing on the
 * order's index, sized once for the most orders the refunds can name. */
typedef struct {
	uint32_t *key; /* order index + 1; 0: empty */
	int64_t *sum;
	size_t mask;
} order_sums;

static void sums_init(order_sums *s, size_t most)
{
	size_t cap = 16;
	while (cap < 2 * most)
		cap *= 2;
	s->key = rcn_xcalloc(cap, sizeof(*s->key));
	s->sum = rcn_xcalloc(cap, sizeof(*s->sum));
	s->mask = cap - 1;
}

static int64_t *sum_of(order_sums *s, uint32_t order)
{
	size_t i = (order * 0x9E3779B1u) & s->mask;
	while (s->key[i] && s->key[i] != order + 1)
		i = (i + 1) & s->mask;
	s->key[i] = order + 1;
	return &s->sum[i];
}

static void sums_free(order_sums *s)
{
	free(s->key);
	free(s->sum);
}

void rcn_m_match_refunds(rcn_match *m)
{
	uint32_t v;
	/* Refunds already made on an order (ledger SUCCESS refunds that tonight's
	 * statement does not list) count towards "refunded more than was paid". */
	order_sums refunded;
	sums_init(&refunded, m->n_refunds + m->n_refund_rows);
	bool *listed = rcn_xcalloc(m->n_refunds + 1, sizeof(bool));
	size_t *idx = rcn_xmalloc((m->n_refund_rows + 1) * sizeof(size_t));
	size_t n = 0;

	for (size_t j = 0; j < m->n_refund_rows; j++) {
		size_t i = m->refund_rows[j];
		srow *r = &m->rows[i];
		if (r->done)
			continue;
		if (*r->refund_no && rcn_strmap_get(&m->refund_idx, r->refund_no, strlen(r->refund_no), &v))
			r->ledger = (int32_t)v;
		else if (*r->refund_id && rcn_strmap_get(&m->refund_id_idx, r->refund_id, strlen(r->refund_id), &v))
			r->ledger = (int32_t)v;
		if (r->ledger >= 0)
			listed[r->ledger] = true;
		idx[n++] = i;
	}
	for (size_t i = 0; i < m->n_refunds; i++) {
		const lrefund *l = &m->refunds[i];
		if (!listed[i] && success(l->status) &&
		    rcn_strmap_get(&m->order_idx, l->order_no, strlen(l->order_no), &v))
			*sum_of(&refunded, v) += l->amount;
	}
	/* walk tonight's refunds in time order so the one that crosses the paid amount is reported */
	if (n)
		qsort_r(idx, n, sizeof(size_t), rcn_m_cmp_rows_by_time, m->rows);

	for (size_t k = 0; k < n; k++) {
		srow *r = &m->rows[idx[k]];
		lrefund *l = r->ledger >= 0 ? &m->refunds[r->ledger] : NULL;
		bool ch_ok = r->ok;
		rcn_kind kind = RCN_K__COUNT;
		const char *reason = "";
		rcn_finding *f = NULL;
		char detail[200] = "";
		int64_t excess = 0; /* refunded beyond the paid amount (exceeds_paid) */

		if (l && ch_ok && success(l->status) && l->bdate > m->day) {
			rcn_m_ledger_later(m, r, l->bdate, RCN_K_REFUND_MISMATCH);
			continue;
		}
		if (l && currency_differs(r->currency, l->currency)) {
			/* a refund in another currency than its order's: no amount compared */
			kind = RCN_K_CURRENCY_MISMATCH, reason = "currency";
			snprintf(detail, sizeof(detail), "%s", rcn_m_currency_detail(m, l->currency, l->amount, r));
		} else if (ch_ok && *r->order_no &&
			   rcn_strmap_get(&m->order_idx, r->order_no, strlen(r->order_no), &v) &&
			   !currency_differs(r->currency, m->orders[v].currency)) {
			const lorder *o = &m->orders[v];
			int64_t *done = sum_of(&refunded, v);
			*done += r->amount;
			if (*done > o->amount) {
				char a[32], b[32];
				kind = RCN_K_REFUND_MISMATCH, reason = "exceeds_paid";
				excess = *done - o->amount;
				snprintf(detail, sizeof(detail), "refunds total %s of an order of %s",
					 rcn_money_format(a, sizeof(a), *done, 2),
					 rcn_money_format(b, sizeof(b), o->amount, 2));
			}
		}
		if (kind == RCN_K__COUNT && !l) {
			if (ch_ok) {
				rcn_m_unmatched_row(m, r, RCN_K_REFUND_MISMATCH, "missing_in_ledger");
			} else {
				count_row(m, r, RCN_K__COUNT, true);
				r->done = true;
			}
			continue;
		}
		if (kind == RCN_K__COUNT) {
			bool l_ok = success(l->status);
			if (ch_ok && l_ok && r->amount != l->amount)
				kind = RCN_K_REFUND_MISMATCH, reason = "amount";
			else if (ch_ok && !l_ok)
				kind = RCN_K_REFUND_MISMATCH, reason = rcn_m_status_reason(m, "ledger_", l->status);
			else if (!ch_ok && l_ok)
				kind = RCN_K_REFUND_MISMATCH,
				reason = rcn_m_status_reason(m, "channel_", r->nm->status);
		}
		if (kind != RCN_K__COUNT) {
			f = rcn_m_new_finding(m, kind, reason, RCN_SIDE_CHANNEL);
			rcn_m_fill_channel(m, f, r);
			f->detail = dup(m, detail);
			f->has_difference = excess != 0;
			f->difference = excess;
		} else if (rcn_m_check_fee(m, r, &f)) {
			kind = RCN_K_FEE_MISMATCH;
		}
		if (f && l)
			rcn_m_fill_refund(f, l);
		bool matched = kind == RCN_K__COUNT;
		count_row(m, r, kind, matched);
		if (l && l->expected && !l->consumed)
			count(m, l->channel, l->merchant_id, RCN_SIDE_LEDGER, kind, matched, l->amount);
		if (l)
			l->consumed = true;
		r->done = true;
	}
	free(idx);
	free(listed);
	sums_free(&refunded);
}
