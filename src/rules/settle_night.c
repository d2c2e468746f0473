/* A night's settlements: what each merchant account is owed for the date and
 * when (T+N on the China calendar), and whether earlier dates' money arrived
 * (rcn_rules_settle, recon/rules.h).
 *
 *   tallies ──► today's expected settlements (cycle, due date, UnionPay 清算净额)
 *   + open ones of earlier dates ──► rcn_settle_check against the arrivals
 *   ──► the set (today's, then changed earlier ones) and the sink's findings */
#include "recon/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/money.h"

void rcn_settle_set_free(rcn_settle_set *s)
{
	free(s->v);
	rcn_arena_free(&s->arena);
	memset(s, 0, sizeof(*s));
}

static rcn_settlement *push(rcn_settle_set *s)
{
	rcn_xreserve((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	memset(&s->v[s->n], 0, sizeof(*s->v));
	return &s->v[s->n++];
}

void rcn_settle_set_add(rcn_settle_set *set, const rcn_settlement *src)
{
	rcn_settlement *d = push(set);
	*d = *src;
	d->channel = rcn_arena_strdup(&set->arena, src->channel);
	d->merchant_id = rcn_arena_strdup(&set->arena, src->merchant_id);
	d->cycle = rcn_arena_strdup(&set->arena, src->cycle);
}

static const rcn_settle_account *account(const rcn_settle_input *in, const char *channel, const char *merchant)
{
	for (size_t i = 0; i < in->n_accounts; i++)
		if (strcmp(in->accounts[i].channel, channel) == 0 && strcmp(in->accounts[i].merchant_id, merchant) == 0)
			return &in->accounts[i];
	return NULL;
}

static void add_finding(rcn_findings *sink, rcn_date day, const rcn_settlement *s)
{
	char due[11];
	rcn_finding f;
	memset(&f, 0, sizeof(f));
	f.kind = RCN_K_SETTLEMENT_MISMATCH;
	f.reason = rcn_settle_status_name(s->status);
	f.side = RCN_SIDE_LEDGER;
	f.channel = s->channel;
	f.merchant_id = s->merchant_id;
	f.order_no = f.refund_no = f.channel_txn_id = f.channel_refund_id = f.ledger_status = f.channel_status = "";
	f.has_ledger_amount = true;
	f.ledger_amount = s->amount.net_fen;
	f.has_channel_amount = s->has_settled;
	f.channel_amount = s->settled_fen;
	f.channel_settle = s->settled_fen;
	/* money credited: arrived - expected (missing: -expected); a late
	 * settlement arrived whole, its discrepancy is the date (age_days) */
	f.has_difference = s->status != RCN_SETTLE_LATE;
	f.difference = (s->has_settled ? s->settled_fen : 0) - s->amount.net_fen;
	f.trade_time = s->due_date ? rcn_date_format(due, s->due_date) : "";
	f.first_seen = s->business_date;
	f.age_days = s->due_date ? (int)(day - s->due_date) : 0;
	f.source = "recon_settlements";
	f.detail = s->detail;
	rcn_findings_add(sink, &f);
}

/* Today's expected settlement of one merchant account, from its channel tally. */
static void expect_today(const rcn_settle_input *in, const rcn_tally *t, rcn_settle_set *out)
{
	const rcn_settle_rule *rule = in->rules ? rcn_settle_rules_find(in->rules, t->channel, t->merchant_id) : NULL;
	const rcn_calendar *cal = in->cal;
	rcn_date day = in->day;
	rcn_settlement *s = push(out);
	char cycle[16];
	snprintf(cycle, sizeof(cycle), "%c+%d", rule && !rule->working_days ? 'D' : 'T', rule ? rule->days : 1);
	s->channel = rcn_arena_strdup(&out->arena, t->channel);
	s->merchant_id = rcn_arena_strdup(&out->arena, t->merchant_id);
	s->cycle = rcn_arena_strdup(&out->arena, cycle);
	s->business_date = day;
	s->amount = (rcn_settle_amount){t->payments_fen, t->refunds_fen, t->channel_fee, 0};
	rcn_settle_amount_compute(&s->amount);
	s->status = RCN_SETTLE_DUE;
	rcn_err e;
	if (!cal && !(rule && !rule->working_days)) {
		s->status = RCN_SETTLE_UNVERIFIED;
		snprintf(s->detail, sizeof(s->detail), "no business-day calendar: the due date is unknown");
	} else if (rcn_settle_due(rule, cal, day, &s->due_date, &e) != RCN_OK) {
		s->status = RCN_SETTLE_UNVERIFIED;
		snprintf(s->detail, sizeof(s->detail), "%.150s", e.msg);
		/* a working-day walk fails only where the calendar ends (cycles are
		 * never negative: the rules refuse them) */
		if (cal && !(rule && !rule->working_days) && out->beyond_calendar++ == 0) {
			snprintf(out->beyond_example, sizeof(out->beyond_example), "%.40s %.80s %s", s->channel,
				 s->merchant_id, cycle);
			rcn_date gap = day;
			while (rcn_calendar_covers(cal, gap) && gap - day < 400)
				gap++;
			int mon, mday;
			rcn_date_to_ymd(gap, &out->missing_year, &mon, &mday);
		}
	}
	const rcn_settle_account *acc = account(in, s->channel, s->merchant_id);
	char a[32], b[32];
	if (s->status == RCN_SETTLE_DUE && strcmp(s->channel, "unionpay") == 0 && acc && acc->has_net) {
		/* UnionPay states what it clears for the date: its 清算净额 */
		s->has_settled = true;
		s->settled_fen = acc->net_fen;
		s->settled_on = s->due_date;
		s->status = acc->net_fen == s->amount.net_fen ? RCN_SETTLE_SETTLED : RCN_SETTLE_AMOUNT;
		if (s->status == RCN_SETTLE_AMOUNT)
			snprintf(s->detail, sizeof(s->detail), "清算净额 %s, the rows add up to %s",
				 rcn_money_format(a, sizeof(a), acc->net_fen, 2),
				 rcn_money_format(b, sizeof(b), s->amount.net_fen, 2));
	} else if (s->status == RCN_SETTLE_DUE && !(acc && acc->flow_configured)) {
		s->status = RCN_SETTLE_UNVERIFIED;
		snprintf(s->detail, sizeof(s->detail), "no fund-flow statement of this account is configured");
	}
}

void rcn_rules_settle(const rcn_settle_input *in, rcn_settle_set *out, rcn_findings *sink)
{
	memset(out, 0, sizeof(*out));
	rcn_arena_init(&out->arena);
	out->calendar_end = in->cal ? rcn_calendar_last_day(in->cal) : 0;

	/* today's expected settlements, one per merchant account with money */
	for (size_t i = 0; i < in->n_tallies; i++) {
		const rcn_tally *t = &in->tallies[i];
		if (t->side == RCN_SIDE_CHANNEL && (t->payments_fen || t->refunds_fen || t->channel_fee))
			expect_today(in, t, out);
	}
	size_t today = out->n;

	/* earlier dates' settlements still due, checked with today's against what arrived */
	for (size_t i = 0; i < in->n_open; i++)
		rcn_settle_set_add(out, &in->open[i]);
	rcn_settle_check(out->v, out->n, in->arrivals, in->n_arrivals, in->day, in->carry_days);

	/* keep today's and the earlier ones this check changed; report the failures */
	size_t keep = today;
	for (size_t i = today; i < out->n; i++)
		if (out->v[i].status != RCN_SETTLE_DUE)
			out->v[keep++] = out->v[i];
	out->n = keep;
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].status == RCN_SETTLE_LATE || out->v[i].status == RCN_SETTLE_AMOUNT ||
		    out->v[i].status == RCN_SETTLE_MISSING)
			add_finding(sink, in->day, &out->v[i]);
}
