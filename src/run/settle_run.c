/* The settlement stage: what each merchant account is owed for the date and
 * when (T+N on the China calendar), and whether earlier dates' money arrived. */
#include "run/settle_run.h"

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

static void on_open(void *ctx, const rcn_settlement *src)
{
	rcn_settle_set *s = ctx;
	rcn_settlement *d = push(s);
	*d = *src;
	d->channel = rcn_arena_strdup(&s->arena, src->channel);
	d->merchant_id = rcn_arena_strdup(&s->arena, src->merchant_id);
	d->cycle = rcn_arena_strdup(&s->arena, src->cycle);
}

static bool is_flow(const rcn_source_job *j)
{
	return j->conf->bill && (strcmp(j->conf->bill, "fundflow") == 0 || strcmp(j->conf->bill, "account") == 0);
}

/* The accepted fund-flow statement of an account, if tonight has one. */
static const rcn_source_job *flow_of(const rcn_source_job *jobs, size_t n, const char *channel, const char *merchant)
{
	for (size_t i = 0; i < n; i++)
		if (is_flow(&jobs[i]) && !jobs[i].res.rejected && strcmp(jobs[i].conf->channel, channel) == 0 &&
		    strcmp(jobs[i].conf->merchant_id, merchant) == 0)
			return &jobs[i];
	return NULL;
}

static bool has_flow_source(const rcn_config *cfg, const char *channel, const char *merchant)
{
	for (size_t i = 0; i < cfg->n_sources; i++) {
		const rcn_source_conf *s = &cfg->sources[i];
		if (s->bill && (strcmp(s->bill, "fundflow") == 0 || strcmp(s->bill, "account") == 0) &&
		    strcmp(s->channel, channel) == 0 && strcmp(s->merchant_id, merchant) == 0)
			return true;
	}
	return false;
}

/* Σ清算净额 of tonight's accepted UnionPay statements of an account; false if none. */
static bool unionpay_net(const rcn_source_job *jobs, size_t n, const char *merchant, int64_t *net)
{
	bool found = false;
	*net = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(jobs[i].conf->channel, "unionpay") == 0 &&
		    strcmp(jobs[i].conf->merchant_id, merchant) == 0 && !jobs[i].res.rejected) {
			*net += jobs[i].res.net_fen;
			found = true;
		}
	return found;
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
	f.trade_time = s->due_date ? rcn_date_format(due, s->due_date) : "";
	f.first_seen = s->business_date;
	f.age_days = s->due_date ? (int)(day - s->due_date) : 0;
	f.source = "recon_settlements";
	f.detail = s->detail;
	rcn_findings_add(sink, &f);
}

rcn_rc rcn_run_settle(rcn_db *db, const rcn_config *cfg, rcn_date day, rcn_match *m, rcn_findings *sink,
		      const rcn_source_job *jobs, size_t n_jobs, const rcn_settle_rules *rules, const rcn_calendar *cal,
		      rcn_settle_set *out, rcn_err *err)
{
	size_t n_tallies;
	const rcn_tally *t = rcn_match_tallies(m, &n_tallies);
	memset(out, 0, sizeof(*out));
	rcn_arena_init(&out->arena);
	out->calendar_end = cal ? rcn_calendar_last_day(cal) : 0;

	/* today's expected settlements, one per merchant account with money */
	for (size_t i = 0; i < n_tallies; i++) {
		if (t[i].side != RCN_SIDE_CHANNEL || (!t[i].payments_fen && !t[i].refunds_fen && !t[i].channel_fee))
			continue;
		const rcn_settle_rule *rule =
			rules ? rcn_settle_rules_find(rules, t[i].channel, t[i].merchant_id) : NULL;
		rcn_settlement *s = push(out);
		char cycle[16];
		snprintf(cycle, sizeof(cycle), "%c+%d", rule && !rule->working_days ? 'D' : 'T', rule ? rule->days : 1);
		s->channel = rcn_arena_strdup(&out->arena, t[i].channel);
		s->merchant_id = rcn_arena_strdup(&out->arena, t[i].merchant_id);
		s->cycle = rcn_arena_strdup(&out->arena, cycle);
		s->business_date = day;
		s->amount = (rcn_settle_amount){t[i].payments_fen, t[i].refunds_fen, t[i].channel_fee, 0};
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
		int64_t net;
		char a[32], b[32];
		if (s->status == RCN_SETTLE_DUE && strcmp(s->channel, "unionpay") == 0 &&
		    unionpay_net(jobs, n_jobs, s->merchant_id, &net)) {
			/* UnionPay states what it clears for the date: its 清算净额 */
			s->has_settled = true;
			s->settled_fen = net;
			s->settled_on = s->due_date;
			s->status = net == s->amount.net_fen ? RCN_SETTLE_SETTLED : RCN_SETTLE_AMOUNT;
			if (s->status == RCN_SETTLE_AMOUNT)
				snprintf(s->detail, sizeof(s->detail), "清算净额 %s, the rows add up to %s",
					 rcn_money_format(a, sizeof(a), net, 2),
					 rcn_money_format(b, sizeof(b), s->amount.net_fen, 2));
		} else if (s->status == RCN_SETTLE_DUE && !has_flow_source(cfg, s->channel, s->merchant_id)) {
			s->status = RCN_SETTLE_UNVERIFIED;
			snprintf(s->detail, sizeof(s->detail), "no fund-flow statement of this account is configured");
		}
	}
	size_t today = out->n;

	/* earlier dates' settlements still due */
	rcn_rc rc = rcn_db_load_open_settlements(db, day, on_open, out, err);
	if (rc)
		return rc;

	/* what the fund-flow statements show arriving today, per account */
	size_t n_moves;
	const rcn_movement *mv = rcn_match_movements(m, &n_moves);
	rcn_settle_arrival *arr = rcn_xcalloc(n_jobs + 1, sizeof(*arr));
	size_t n_arr = 0;
	for (size_t i = 0; i < n_jobs; i++) {
		const rcn_source_job *j = &jobs[i];
		if (!is_flow(j) || j->res.rejected || flow_of(jobs, i, j->conf->channel, j->conf->merchant_id))
			continue; /* one arrival per account: the first accepted flow statement */
		rcn_settle_arrival *a = &arr[n_arr++];
		a->channel = j->conf->channel;
		a->merchant_id = j->conf->merchant_id;
		for (size_t k = 0; k < n_moves; k++)
			if (strcmp(mv[k].source_name, j->conf->name) == 0 && !strstr(mv[k].movement_type, "提现"))
				a->credited_fen += mv[k].amount_fen;
	}
	rcn_settle_check(out->v, out->n, arr, n_arr, day, cfg->carry_over_days);
	free(arr);

	/* keep today's and the earlier ones this check changed; report the failures */
	size_t keep = today;
	for (size_t i = today; i < out->n; i++)
		if (out->v[i].status != RCN_SETTLE_DUE)
			out->v[keep++] = out->v[i];
	out->n = keep;
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].status == RCN_SETTLE_LATE || out->v[i].status == RCN_SETTLE_AMOUNT ||
		    out->v[i].status == RCN_SETTLE_MISSING)
			add_finding(sink, day, &out->v[i]);
	return RCN_OK;
}
