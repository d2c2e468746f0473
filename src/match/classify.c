/* Classification: every statement row and ledger item to exactly one
 * outcome — matched, a discrepancy (DESIGN.md §3 kinds), or pending. A
 * matched payment is put to the rules' questions (rcn_match_rules: its fee,
 * its auto-debit contract); their answers can make it a discrepancy. */
#include "match/match_int.h"

/* ---- classification ---- */

rcn_finding *rcn_m_new_finding(rcn_match *m, rcn_kind kind, const char *reason, rcn_side side)
{
	rcn_finding *f = rcn_arena_alloc(&m->arena, sizeof(*f));
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->reason = reason;
	f->side = side;
	f->channel = f->merchant_id = f->order_no = f->refund_no = f->channel_txn_id = f->channel_refund_id = "";
	f->ledger_status = f->channel_status = f->trade_time = f->source = f->detail = f->action_cn = "";
	f->first_seen = m->day;
	rcn_findings_put(m->sink, f);
	return f;
}

/* Findings streamed in batches of this many while rows are matched. */
#define PUBLISH_BATCH 8192

/* Lets the sink hand out the findings made since the last call once there
 * are at least `batch`. Only called where every earlier finding is complete:
 * between phases and at the top of a row loop. */
void rcn_m_publish(rcn_match *m, size_t batch)
{
	rcn_findings_flush(m->sink, batch);
}

/* Where a row came from, "file:line", as reports name it. */
const char *rcn_m_row_src(rcn_match *m, const srow *r)
{
	if (r->carried)
		return r->src;
	char buf[700];
	snprintf(buf, sizeof(buf), "%s:%lu", r->src, (unsigned long)r->line);
	return dup(m, buf);
}

void rcn_m_fill_channel(rcn_match *m, rcn_finding *f, const srow *r)
{
	f->rec_type = (rcn_rec_type)r->type;
	f->channel = r->nm->channel;
	f->merchant_id = r->nm->merchant_id;
	f->order_no = r->order_no;
	f->refund_no = r->refund_no;
	f->channel_txn_id = r->txn;
	f->channel_refund_id = r->refund_id;
	f->channel_status = r->nm->status;
	f->has_channel_amount = true;
	f->channel_amount = r->amount;
	f->channel_settle = r->settle;
	f->has_channel_fee = true;
	f->channel_fee = r->fee;
	f->trade_time = time_text(m, r->trade_at);
	f->first_seen = r->first_seen;
	f->source = rcn_m_row_src(m, r);
}

void rcn_m_fill_order(rcn_finding *f, const lorder *o)
{
	if (!*f->channel)
		f->channel = o->nm->channel, f->merchant_id = o->nm->merchant_id;
	if (!*f->order_no)
		f->order_no = o->order_no;
	if (!*f->channel_txn_id)
		f->channel_txn_id = o->txn;
	f->ledger_status = o->nm->status;
	f->has_ledger_amount = true;
	f->ledger_amount = o->amount;
}

void rcn_m_fill_refund(rcn_finding *f, const lrefund *l)
{
	if (!*f->channel)
		f->channel = l->channel, f->merchant_id = l->merchant_id;
	if (!*f->order_no)
		f->order_no = l->order_no;
	if (!*f->refund_no)
		f->refund_no = l->refund_no;
	if (!*f->channel_refund_id)
		f->channel_refund_id = l->refund_id;
	f->ledger_status = l->status;
	f->has_ledger_amount = true;
	f->ledger_amount = l->amount;
}

/* The order a refund row refunds, for the proportional fee; -1 if unknown. */
static int64_t refunded_order_amount(const rcn_match *m, const srow *r)
{
	uint32_t v;
	if (*r->order_no && rcn_strmap_get(&m->order_idx, r->order_no, strlen(r->order_no), &v))
		return m->orders[v].amount;
	return -1;
}

static rcn_fee_row fee_row(const rcn_match *m, const srow *r)
{
	return (rcn_fee_row){.source = r->source == UINT32_MAX ? SIZE_MAX : r->source,
			     .channel = r->nm->channel,
			     .merchant_id = r->nm->merchant_id,
			     .product = r->nm->product,
			     .trade_at = r->trade_at,
			     .type = (rcn_rec_type)r->type,
			     .ok = r->ok,
			     .settle = r->settle,
			     .order_amount = r->type == RCN_REC_REFUND && r->ok ? refunded_order_amount(m, r) : -1};
}

/* Expected fee of a row under the rules, 1e-5 yuan; false if no rule applies. */
static bool expected_fee(const rcn_match *m, const srow *r, int64_t *out)
{
	if (!m->rules || !m->rules->expected_fee || r->source >= m->n_sources)
		return false;
	rcn_fee_row q = fee_row(m, r);
	return m->rules->expected_fee(m->rules->ctx, &q, out);
}

void rcn_m_add_fees(rcn_match *m, const srow *r)
{
	rcn_tally *t = tally(m, r->nm->channel, r->nm->merchant_id, RCN_SIDE_CHANNEL);
	int64_t e;
	if (r->carried)
		return;
	t->channel_fee += r->fee;
	if (expected_fee(m, r, &e)) {
		t->expected_fee += e;
		t->has_expected_fee = true;
		if (r->source < m->n_sources) {
			m->source_fee[r->source].channel += r->fee;
			m->source_fee[r->source].expected += e;
			m->source_fee[r->source].rows++;
		}
	}
	if (r->ok) {
		if (r->type == RCN_REC_PAYMENT)
			t->payments_fen += r->settle;
		else
			t->refunds_fen += r->settle;
	}
}

/* A matched row still owes the right fee. Returns true if it was reported. */
bool rcn_m_check_fee(rcn_match *m, const srow *r, rcn_finding **out)
{
	int64_t e;
	if (!expected_fee(m, r, &e) || e == r->fee)
		return false;
	rcn_finding *f = rcn_m_new_finding(m, RCN_K_FEE_MISMATCH, "rate", RCN_SIDE_CHANNEL);
	rcn_m_fill_channel(m, f, r);
	/* explained here, not again by the file's total (rcn_rules_check_fee_totals);
	 * a carried row's fee was in the previous night's total, not tonight's */
	if (!r->carried) {
		m->source_fee[r->source].reported_channel += r->fee;
		m->source_fee[r->source].reported_expected += e;
		m->source_fee[r->source].reported_rows++;
	}
	f->has_expected_fee = true;
	f->expected_fee = e;
	f->has_difference = true; /* channel fee - expected fee, 1e-5 yuan */
	f->difference = r->fee - e;
	char buf[160] = "";
	rcn_fee_row q = fee_row(m, r);
	if (m->rules->fee_basis)
		m->rules->fee_basis(m->rules->ctx, &q, buf, sizeof(buf));
	f->detail = dup(m, buf);
	*out = f;
	return true;
}

const char *rcn_m_status_reason(rcn_match *m, const char *prefix, const char *status)
{
	char buf[96];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s%s", prefix, *status ? status : "missing");
	for (size_t i = 0; i < n && i < sizeof(buf); i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	return dup(m, buf);
}

/* "ledger USD 20.00, channel CNY 20.00": both currencies, both amounts. */
const char *rcn_m_currency_detail(rcn_match *m, uint16_t ledger, int64_t ledger_amount, const srow *r)
{
	char buf[128], lc[8], cc[8], la[32], ca[32];
	snprintf(buf, sizeof(buf), "ledger %s %s, channel %s %s", currency_text(lc, ledger),
		 rcn_money_format(la, sizeof(la), ledger_amount, 2), currency_text(cc, r->currency),
		 rcn_money_format(ca, sizeof(ca), r->amount, 2));
	return dup(m, buf);
}

static int cmp_rows_by_ledger(const void *a, const void *b, void *ctx)
{
	const srow *rows = ctx;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const srow *x = &rows[i], *y = &rows[j];
	if (x->ledger != y->ledger)
		return x->ledger < y->ledger ? -1 : 1;
	if (x->trade_at != y->trade_at)
		return x->trade_at < y->trade_at ? -1 : 1;
	return (i > j) - (i < j); /* input order */
}

int rcn_m_cmp_rows_by_time(const void *a, const void *b, void *ctx)
{
	const srow *rows = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (rows[i].trade_at != rows[j].trade_at)
		return rows[i].trade_at < rows[j].trade_at ? -1 : 1;
	return (i > j) - (i < j); /* input order */
}

/* A row that found no ledger item: pending until the carry-over runs out. */
/* For a pending item: what it becomes, and when, if nothing claims it. */
const char *rcn_m_pending_detail(rcn_match *m, rcn_kind becomes, rcn_date first_seen)
{
	char buf[128], d[11];
	snprintf(buf, sizeof(buf), "reported as %s if still unmatched on %s", rcn_kind_name(becomes),
		 rcn_date_format(d, first_seen + m->carry));
	return dup(m, buf);
}

static void pending_row(rcn_match *m, srow *r, rcn_kind expired_kind, const char *expired_reason,
			const char *pending_reason, const char *detail)
{
	int age = (int)(m->day - r->first_seen);
	rcn_finding *f;
	if (age >= m->carry) {
		f = rcn_m_new_finding(m, expired_kind, expired_reason, RCN_SIDE_CHANNEL);
		count_row(m, r, expired_kind, false);
	} else {
		f = rcn_m_new_finding(m, RCN_K_PENDING, pending_reason, RCN_SIDE_CHANNEL);
		count_row(m, r, RCN_K_PENDING, false);
	}
	rcn_m_fill_channel(m, f, r);
	f->age_days = age;
	if (f->kind == RCN_K_PENDING)
		f->detail = detail ? detail : rcn_m_pending_detail(m, expired_kind, r->first_seen);
	if (r->currency != CUR_CNY) {
		/* the clerk's to see, and how the row keeps its currency when it is
		 * carried (recon_suspense has no column for it: rcn_match_add_suspense) */
		char buf[600], cur[8];
		snprintf(buf, sizeof(buf), "%s%scurrency %s", f->detail, *f->detail ? "; " : "",
			 currency_text(cur, r->currency));
		f->detail = dup(m, buf);
	}
	r->done = true;
}

void rcn_m_unmatched_row(rcn_match *m, srow *r, rcn_kind expired_kind, const char *expired_reason)
{
	pending_row(m, r, expired_kind, expired_reason,
		    r->type == RCN_REC_PAYMENT ? "not_in_ledger" : "refund_not_in_ledger", NULL);
}

/* The channel lists it tonight but the ledger counts it on a later business
 * date (a callback after midnight): it waits for that date, like the 23:59:59
 * payment the channel lists a day late, and is matched then, never reported. */
void rcn_m_ledger_later(rcn_match *m, srow *r, rcn_date ledger_date, rcn_kind expired_kind)
{
	char buf[96], d[11];
	snprintf(buf, sizeof(buf), "the ledger counts it on %s", rcn_date_format(d, ledger_date));
	pending_row(m, r, expired_kind, "missing", "ledger_later_date", dup(m, buf));
}

/* The auto-debit (委托代扣) rules a collected debit must keep (the rules'
 * check_debit): the kind of the gravest one it breaks, or

 * RCN_K__COUNT when it keeps them all. Every debit above twice its contract's
 * average is counted in the summary, also when a graver rule reports it. */
static rcn_kind check_debit(rcn_match *m, const srow *r, const lorder *o, const char **reason, char *detail, size_t n)
{
	rcn_debit_verdict v;
	const rcn_debit d = {
		.order_no = o->order_no, .at = r->trade_at, .amount = r->amount, .day_flags = r->debit_flags};
	m->rules->check_debit(m->rules->ctx, m->day, o->contract, &d, &v);
	if (v.above_average)
		tally(m, r->nm->channel, r->nm->merchant_id, RCN_SIDE_CHANNEL)->suspicious_debits++;
	if (v.kind != RCN_K__COUNT) {
		*reason = v.reason;
		snprintf(detail, n, "%s", v.detail);
	}
	return v.kind;
}

static int cmp_debits(const void *a, const void *b, void *ctx)
{
	const rcn_match *m = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const srow *x = &m->rows[i], *y = &m->rows[j];
	int32_t cx = m->orders[x->ledger].contract, cy = m->orders[y->ledger].contract;
	if (cx != cy)
		return cx < cy ? -1 : 1;
	if (x->trade_at != y->trade_at)
		return x->trade_at < y->trade_at ? -1 : 1;
	return (i > j) - (i < j);
}

/* Rules that need every debit of a contract on the day, in time order: its
 * debits a day and a billing period (rcn_debit_day_flags). */
static void mark_debits(rcn_match *m, const uint32_t *idx, size_t n)
{
	if (!m->n_contracted)
		return; /* no order has a contract: nothing to look at in ten million rows */
	size_t *d = rcn_xmalloc((n + 1) * sizeof(size_t));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const srow *r = &m->rows[idx[i]];
		/* a debit whose order the ledger pays before the day (a row carried
		 * from an earlier night) is in the contract's history already */
		if (r->ok && m->orders[r->ledger].contract >= 0 && m->orders[r->ledger].bdate >= m->day)
			d[k++] = idx[i];
	}
	if (k)
		qsort_r(d, k, sizeof(size_t), cmp_debits, m);
	for (size_t i = 0, seq = 0; i < k; i++) {
		srow *r = &m->rows[d[i]];
		int32_t c = m->orders[r->ledger].contract;
		seq = i > 0 && m->orders[m->rows[d[i - 1]].ledger].contract == c ? seq + 1 : 1;
		r->debit_flags = m->rules->debit_day_flags(m->rules->ctx, c, (long)seq);
	}
	free(d);
}

static void classify_payment(rcn_match *m, srow *r, lorder *o)
{
	rcn_finding *f = NULL;
	bool ch_ok = r->ok, l_ok = o->paid;
	rcn_kind kind = RCN_K__COUNT;
	const char *reason = "";

	if (currency_differs(r->currency, o->currency)) {
		/* amounts of two currencies are never compared, nor matched */
		rcn_finding *c = rcn_m_new_finding(m, RCN_K_CURRENCY_MISMATCH, "currency", RCN_SIDE_CHANNEL);
		rcn_m_fill_channel(m, c, r);
		rcn_m_fill_order(c, o);
		c->detail = rcn_m_currency_detail(m, o->currency, o->amount, r);
		count_row(m, r, RCN_K_CURRENCY_MISMATCH, false);
		if (o->expected && !o->consumed)
			count(m, o->nm->channel, o->nm->merchant_id, RCN_SIDE_LEDGER, RCN_K_CURRENCY_MISMATCH, false,
			      o->amount);
		o->consumed = true;
		r->done = true;
		return;
	}
	if (ch_ok && l_ok) {
		if (r->amount < o->amount)
			kind = RCN_K_SHORT_PAYMENT, reason = "amount";
		else if (r->amount > o->amount)
			kind = RCN_K_OVERPAYMENT, reason = "amount";
	} else if (ch_ok) {
		kind = RCN_K_STATUS_MISMATCH;
		reason = strcmp(o->nm->status, "CREATED") == 0 ? "lost_callback"
							       : rcn_m_status_reason(m, "ledger_", o->nm->status);
	} else if (l_ok) {
		kind = RCN_K_STATUS_MISMATCH;
		reason = rcn_m_status_reason(m, "channel_", r->nm->status);
	}
	char detail[RCN_DEBIT_DETAIL] = "";
	if (kind == RCN_K__COUNT && ch_ok && o->contract >= 0)
		kind = check_debit(m, r, o, &reason, detail, sizeof(detail));
	if (kind != RCN_K__COUNT) {
		f = rcn_m_new_finding(m, kind, reason, RCN_SIDE_CHANNEL);
		rcn_m_fill_channel(m, f, r);
		if (detail[0])
			f->detail = dup(m, detail);
	} else if (rcn_m_check_fee(m, r, &f)) {
		kind = RCN_K_FEE_MISMATCH;
	}
	if (f)
		rcn_m_fill_order(f, o);
	bool matched = kind == RCN_K__COUNT;
	if (matched && *o->nm->channel && strcmp(r->nm->channel, o->nm->channel) != 0) {
		/* matched all the same: the money arrived, just not where the ledger says */
		char buf[200];
		rcn_finding *n = rcn_arena_alloc(&m->arena, sizeof(*n));
		*n = (rcn_finding){.kind = RCN_K_MATCHED, .reason = "other_channel", .side = RCN_SIDE_CHANNEL};
		n->refund_no = n->channel_refund_id = "";
		rcn_m_fill_channel(m, n, r);
		rcn_m_fill_order(n, o);
		snprintf(buf, sizeof(buf), "the ledger names channel %s; paid on %s", o->nm->channel, r->nm->channel);
		n->detail = dup(m, buf);
		rcn_xreserve((void **)&m->notes, &m->cap_notes, m->n_notes + 1, sizeof(*m->notes));
		m->notes[m->n_notes++] = n;
	}
	count_row(m, r, kind, matched);
	if (o->expected && !o->consumed)
		count(m, o->nm->channel, o->nm->merchant_id, RCN_SIDE_LEDGER, kind, matched, o->amount);
	o->consumed = true;
	r->done = true;
}

/* idx (rows in input order) grouped by ledger order, each group in time
 * order: a counting sort on the dense order index, then the few groups of
 * more than one row sorted on their own. The same order as sorting the whole
 * by cmp_rows_by_ledger, without a million-element comparison sort. */
static void sort_by_ledger(rcn_match *m, uint32_t *idx, const int32_t *led, size_t n)
{
	if (n < 2)
		return;
	/* the ledger indexes were gathered with the rows (led[k] is
	 * rows[idx[k]].ledger): the counting passes read 4 bytes a row, not a
	 * 144-byte row each time, and never the rows array */
	uint32_t *start = rcn_xcalloc(m->n_orders + 1, sizeof(uint32_t));
	uint32_t *sorted = rcn_xmalloc(n * sizeof(uint32_t));
	/* rows in input order, their orders' counters anywhere: fetched ahead */
	const size_t ahead = 16;
	for (size_t k = 0; k < n; k++) {
		if (k + ahead < n)
			__builtin_prefetch(&start[led[k + ahead] + 1], 1);
		start[led[k] + 1]++;
	}
	for (size_t o = 0; o < m->n_orders; o++)
		start[o + 1] += start[o];
	for (size_t k = 0; k < n; k++) { /* stable: input order within an order */
		if (k + ahead < n)
			__builtin_prefetch(&start[led[k + ahead]], 1);
		sorted[start[led[k]]++] = idx[k];
	}
	memcpy(idx, sorted, n * sizeof(uint32_t));
	free(sorted);
	/* start[o] is now where order o's group ends: the groups without reading a row */
	for (size_t o = 0, g = 0; o < m->n_orders; o++) {
		if (start[o] - g > 1)
			qsort_r(idx + g, start[o] - g, sizeof(uint32_t), cmp_rows_by_ledger, m->rows);
		g = start[o];
	}
	free(start);
}

/* The groups of idx[from, to) (idx in ledger order, a group being every row
 * of one order): the primary charge classified, the others reported. */
void rcn_m_match_groups(rcn_match *m, const uint32_t *idx, size_t from, size_t to)
{
	for (size_t g = from; g < to;) {
		rcn_m_publish(m, PUBLISH_BATCH);
		/* the rows come in ledger order, from anywhere in the statement: fetched ahead */
		if (g + 12 < to) {
			const char *ahead = (const char *)&m->rows[idx[g + 12]];
			__builtin_prefetch(ahead);
			__builtin_prefetch(ahead + sizeof(srow) - 1);
		}
		size_t end = g;
		lorder *o = &m->orders[m->rows[idx[g]].ledger];
		while (end < to && m->rows[idx[end]].ledger == m->rows[idx[g]].ledger)
			end++;
		/* primary: the successful charge the ledger recorded, else one in the
		 * order's currency, else one on the ledger's channel, else the first
		 * successful one (rows are in time
		 * order); an order's only row is its primary */
		srow *primary = NULL;
		int best = -1;
		for (size_t k = g; k < end && end - g > 1; k++) {
			srow *r = &m->rows[idx[k]];
			int score = (*o->txn && strcmp(r->txn, o->txn) == 0) * 4 + (r->currency == o->currency) * 2 +
				    (strcmp(r->nm->channel, o->nm->channel) == 0);
			if (r->ok && score > best)
				primary = r, best = score;
		}
		if (!primary)
			primary = &m->rows[idx[g]];
		bool reconciled_before = m->prior_run && !o->from_lookup && !o->carried && o->bdate < m->day;
		for (size_t k = g; k < end; k++) {
			srow *r = &m->rows[idx[k]];
			if (r == primary && !reconciled_before)
				continue;
			if (!r->ok) {
				count_row(m, r, RCN_K__COUNT, true); /* an attempt that moved no money */
				r->done = true;
				continue;
			}
			bool same_txn = *o->txn && strcmp(r->txn, o->txn) == 0;
			rcn_kind kind = reconciled_before && same_txn ? RCN_K_DUPLICATE_RECORD : RCN_K_DOUBLE_CHARGE;
			bool cross = !reconciled_before && strcmp(r->nm->channel, primary->nm->channel) != 0;
			rcn_finding *f = rcn_m_new_finding(m, kind,
							   reconciled_before ? "already_reconciled"
							   : cross	     ? "cross_channel"
									     : "same_channel",
							   RCN_SIDE_CHANNEL);
			rcn_m_fill_channel(m, f, r);
			rcn_m_fill_order(f, o);
			char buf[1400];
			if (reconciled_before) {
				char d[11];
				snprintf(buf, sizeof(buf), "order paid on %s was reconciled on an earlier date",
					 rcn_date_format(d, o->bdate));
			} else if (cross) {
				/* one finding for the order, naming both channels (DESIGN.md §3) */
				f->channel = "*";
				snprintf(buf, sizeof(buf), "paid on %s (%s, %s) and on %s (%s, %s)",
					 primary->nm->channel, primary->txn, rcn_m_row_src(m, primary), r->nm->channel,
					 r->txn, rcn_m_row_src(m, r));
			} else {
				snprintf(buf, sizeof(buf), "order also paid by %s (%s)", primary->txn,
					 rcn_m_row_src(m, primary));
			}
			f->detail = dup(m, buf);
			count_row(m, r, kind, false);
			r->done = true;
		}
		if (!reconciled_before)
			classify_payment(m, primary, o);
		g = end;
	}
}

void rcn_m_match_payments(rcn_match *m)
{
	/* row indexes in 32 bits: half the memory of the sort's three arrays (a
	 * night of four billion rows would not fit in memory anyway) */
	assert(m->n_rows < UINT32_MAX);
	uint32_t *idx = rcn_xmalloc((m->n_rows + 1) * sizeof(uint32_t));
	int32_t *led = rcn_xmalloc((m->n_rows + 1) * sizeof(int32_t));
	size_t n = 0;
	uint32_t v;

	for (size_t i = 0; i < m->n_rows; i++) {
		srow *r = &m->rows[i];
		rcn_m_publish(m, PUBLISH_BATCH);
		if (r->type != RCN_REC_PAYMENT || r->done)
			continue;
		if (r->ledger >= 0)
			; /* found by rcn_match_missing_keys */
		else if (*r->order_no && rcn_strmap_get(&m->order_idx, r->order_no, strlen(r->order_no), &v))
			r->ledger = (int32_t)v;
		else if (!*r->order_no && *r->txn && txn_get(m, r->txn, &v))
			r->ledger = (int32_t)v;
		if (r->ledger >= 0 && m->orders[r->ledger].bdate > m->day && m->orders[r->ledger].paid && r->ok) {
			rcn_m_ledger_later(m, r, m->orders[r->ledger].bdate, RCN_K_OVERPAYMENT);
			continue;
		}
		if (r->ledger < 0) {
			if (r->ok)
				rcn_m_unmatched_row(m, r, RCN_K_OVERPAYMENT, "missing");
			else {
				count_row(m, r, RCN_K__COUNT, true); /* no order, no money: nothing owed */
				r->done = true;
			}
			continue;
		}
		led[n] = r->ledger;
		idx[n++] = (uint32_t)i;
	}
	sort_by_ledger(m, idx, led, n);
	free(led);
	mark_debits(m, idx, n);

	/* the second half of the groups on a shadow matcher: on another thread
	 * when there is a core for it, else here afterwards; the same findings
	 * in the same order either way */
	size_t mid = n / 2;
	while (mid > 0 && mid < n && m->rows[idx[mid]].ledger == m->rows[idx[mid - 1]].ledger)
		mid++;
	rcn_match shadow;
	rcn_m_shadow_init(&shadow, m);
	groups_job job = {&shadow, idx, mid, n};
	rcn_task task = {0}; /* joining a task never started does nothing */
	bool threaded = m->threads > 1 && n >= SHARED_GROUPS_MIN;
	if (threaded)
		rcn_task_start(&task, rcn_m_groups_thread, &job);
	rcn_m_match_groups(m, idx, 0, mid);
	rcn_task_join(&task);
	if (!threaded)
		rcn_m_groups_thread(&job);
	rcn_m_shadow_merge(m, &shadow);
	rcn_m_publish(m, PUBLISH_BATCH);
	free(idx);
}

/* What an unclaimed ledger item becomes: a discrepancy once its days are up
 * (carry_over_days), pending until then or while its statement is rejected. */
typedef struct {
	rcn_rec_type type;
	rcn_kind due_kind;
	const char *due_reason, *waiting_reason, *source;
} unclaimed_rule;

static const unclaimed_rule UNCLAIMED_ORDER = {RCN_REC_PAYMENT, RCN_K_SHORT_PAYMENT, "missing", "not_in_statement",
					       "ledger_orders"};
static const unclaimed_rule UNCLAIMED_REFUND = {RCN_REC_REFUND, RCN_K_REFUND_MISMATCH, "missing_in_channel",
						"refund_not_in_statement", "ledger_refunds"};

/* The finding of an unclaimed ledger item (its ledger fields are the caller's
 * to fill), counted on the ledger side. */
static rcn_finding *unclaimed(rcn_match *m, const unclaimed_rule *u, rcn_date first_seen, size_t source, rcn_time at,
			      const char *channel, const char *merchant, int64_t amount)
{
	int age = (int)(m->day - first_seen);
	bool rejected = source < m->n_sources && m->rejected[source];
	rcn_kind kind = age >= m->carry && !rejected ? u->due_kind : RCN_K_PENDING;
	const char *reason = kind != RCN_K_PENDING ? u->due_reason
			     : rejected		   ? "statement_rejected"
						   : u->waiting_reason;
	rcn_finding *f = rcn_m_new_finding(m, kind, reason, RCN_SIDE_LEDGER);
	f->rec_type = u->type;
	f->trade_time = time_text(m, at);
	f->first_seen = first_seen;
	f->age_days = age;
	f->source = u->source;
	if (kind == RCN_K_PENDING)
		f->detail = rejected ? "the statement of this date was rejected: fix it and re-run"
				     : rcn_m_pending_detail(m, u->due_kind, first_seen);
	count(m, channel, merchant, RCN_SIDE_LEDGER, kind, false, amount);
	return f;
}

/* Ledger items expected tonight that no statement row claimed. */
void rcn_m_unclaimed_ledger(rcn_match *m)
{
	for (size_t i = 0; i < m->n_orders; i++) {
		lorder *o = &m->orders[i];
		if (!o->expected || o->consumed)
			continue;
		if (!o->paid) /* carried, and the ledger has since withdrawn the payment */
			count(m, o->nm->channel, o->nm->merchant_id, RCN_SIDE_LEDGER, RCN_K__COUNT, true, o->amount);
		else
			rcn_m_fill_order(unclaimed(m, &UNCLAIMED_ORDER, o->first_seen, o->source, o->paid_at,
						   o->nm->channel, o->nm->merchant_id, o->amount),
					 o);
	}
	for (size_t i = 0; i < m->n_refunds; i++) {
		lrefund *l = &m->refunds[i];
		if (!l->expected || l->consumed)
			continue;
		if (!success(l->status))
			count(m, l->channel, l->merchant_id, RCN_SIDE_LEDGER, RCN_K__COUNT, true, l->amount);
		else
			rcn_m_fill_refund(unclaimed(m, &UNCLAIMED_REFUND, l->first_seen, l->source, l->refunded_at,
						    l->channel, l->merchant_id, l->amount),
					  l);
	}
}

/* Which ledger items tonight must account for: collected payments and
 * successful refunds of this business date on a configured source, plus
 * whatever was still pending after the previous date. */
void rcn_m_mark_expected(rcn_match *m)
{
	uint32_t v;
	/* an order's own expectation was set as it was added (rcn_match_add_order) */
	for (size_t i = 0; i < m->n_refunds; i++) {
		lrefund *l = &m->refunds[i];
		l->expected = !l->from_lookup && l->source != SIZE_MAX && l->bdate == m->day && success(l->status);
	}
	for (size_t i = 0; i < m->n_carried; i++) {
		const rcn_finding *c = &m->carried_ledger[i];
		if (c->rec_type == RCN_REC_PAYMENT &&
		    rcn_strmap_get(&m->order_idx, c->order_no, strlen(c->order_no), &v)) {
			m->orders[v].expected = m->orders[v].carried = true;
			m->orders[v].first_seen = c->first_seen;
		} else if (c->rec_type == RCN_REC_REFUND &&
			   rcn_strmap_get(&m->refund_idx, c->refund_no, strlen(c->refund_no), &v)) {
			m->refunds[v].expected = m->refunds[v].carried = true;
			m->refunds[v].first_seen = c->first_seen;
		} else {
			/* gone from the ledger since: nothing is owed any more */
			count(m, c->channel, c->merchant_id, RCN_SIDE_LEDGER, RCN_K__COUNT, true, c->ledger_amount);
		}
	}
}
