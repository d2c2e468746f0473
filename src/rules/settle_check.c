/* Settlement checks: expected T+N money against what the fund-flow statements
 * show arriving. Pure functions over caller-owned arrays. */
#include <stdio.h>
#include <string.h>

#include "recon/money.h"
#include "recon/settle.h"

static bool same_account(const rcn_settlement *s, const rcn_settle_arrival *a)
{
	return strcmp(s->channel, a->channel) == 0 && strcmp(s->merchant_id, a->merchant_id) == 0;
}

static void mark(rcn_settlement *s, rcn_settle_status st, int64_t fen, rcn_date day)
{
	s->status = st;
	s->has_settled = true;
	s->settled_fen = fen;
	s->settled_on = day;
}

void rcn_settle_check(rcn_settlement *open, size_t n, const rcn_settle_arrival *arrivals, size_t n_arrivals,
		      rcn_date day, int carry_days)
{
	char d[11], a[32], b[32];
	for (size_t k = 0; k < n_arrivals; k++) {
		const rcn_settle_arrival *arr = &arrivals[k];
		int64_t today = 0, overdue = 0;
		for (size_t i = 0; i < n; i++) {
			rcn_settlement *s = &open[i];
			if (s->status != RCN_SETTLE_DUE || !same_account(s, arr) || s->due_date > day)
				continue;
			if (s->due_date == day)
				today += s->amount.net_fen;
			else
				overdue += s->amount.net_fen;
		}
		int64_t got = arr->credited_fen;
		bool settle_today = got == today || got == today + overdue;
		bool settle_overdue = overdue != 0 && (got == today + overdue || (got == overdue && got != today));
		if (settle_today && got == overdue && got != today)
			settle_today = false;
		for (size_t i = 0; i < n; i++) {
			rcn_settlement *s = &open[i];
			if (s->status != RCN_SETTLE_DUE || !same_account(s, arr) || s->due_date > day)
				continue;
			if (s->due_date == day && settle_today) {
				mark(s, RCN_SETTLE_SETTLED, s->amount.net_fen, day);
			} else if (s->due_date < day && settle_overdue) {
				mark(s, RCN_SETTLE_LATE, s->amount.net_fen, day);
				snprintf(s->detail, sizeof(s->detail), "due %s, arrived %d day(s) late",
					 rcn_date_format(d, s->due_date), (int)(day - s->due_date));
			} else if (s->due_date == day && got != 0 && !settle_overdue) {
				mark(s, RCN_SETTLE_AMOUNT, got, day);
				snprintf(s->detail, sizeof(s->detail), "%s credited on %s, %s expected",
					 rcn_money_format(a, sizeof(a), got, 2), rcn_date_format(d, day),
					 rcn_money_format(b, sizeof(b), today, 2));
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		rcn_settlement *s = &open[i];
		if (s->status == RCN_SETTLE_DUE && s->due_date <= day && day - s->due_date >= carry_days) {
			bool has_flow = false;
			for (size_t k = 0; k < n_arrivals; k++)
				has_flow |= same_account(s, &arrivals[k]);
			if (!has_flow)
				continue;
			s->status = RCN_SETTLE_MISSING;
			snprintf(s->detail, sizeof(s->detail), "due %s, nothing arrived by %s",
				 rcn_date_format(d, s->due_date), rcn_date_format((char[11]){0}, day));
		}
	}
}
