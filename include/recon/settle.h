/* settle: T+N settlement of a merchant account's business date — the rules
 * in rules/settlement.csv (T+N working days on the China calendar, or D+N
 * natural days) and the expected amount: gross payments - refunds - fees. */
#ifndef RECON_SETTLE_H
#define RECON_SETTLE_H

#include "recon/calendar.h"
#include "recon/common.h"
#include "recon/date.h"
#include "recon/settlement.h"

typedef struct {
	char channel[64];  /* never "*" */
	char merchant[64]; /* merchant id or "*" */
	bool working_days; /* T+N (working days) or D+N (natural days) */
	int days;	   /* N */
	long line;
} rcn_settle_rule;

typedef struct rcn_settle_rules rcn_settle_rules;

/* Loads rules/settlement.csv (header by name: channel, merchant, cycle; cycle
 * "T+1", "T+7", "D+3", ...). Errors are RCN_EUSAGE with file and line; two
 * rules for the same channel and merchant are an error naming both lines. */
rcn_rc rcn_settle_rules_load(rcn_settle_rules **out, const char *path, rcn_err *err);
void rcn_settle_rules_free(rcn_settle_rules *r);
/* The merchant's rule, else the channel's "*" rule, else NULL (the caller's default is T+1). */
const rcn_settle_rule *rcn_settle_rules_find(const rcn_settle_rules *r, const char *channel, const char *merchant);

/* The day money of business date `day` is due under rule (NULL = T+1):
 * T+N counts working days of the calendar, D+N natural days. */
rcn_rc rcn_settle_due(const rcn_settle_rule *rule, const rcn_calendar *cal, rcn_date day, rcn_date *out, rcn_err *err);

/* Fills net_fen from payments, refunds and fee (rounded half up to the fen). */
void rcn_settle_amount_compute(rcn_settle_amount *a);

/* Money that arrived on one day for one account, from its fund-flow statement. */
typedef struct {
	const char *channel, *merchant_id;
	int64_t credited_fen; /* movements in minus out, withdrawals to a bank (提现) left out */
} rcn_settle_arrival;

/* Checks the open settlements (due on or before `day`, still DUE) of the
 * accounts that have an arrival record for `day`: the money credited on `day`
 * must equal what fell due that day (settled), or that plus overdue ones
 * (those are late), or only overdue ones (late; today's wait). Any other
 * non-zero credit is an amount mismatch for what fell due today. A DUE one
 * whose due date is `carry_days` or more behind `day` becomes missing. An
 * account without an arrival record stays DUE (or UNVERIFIED when has_flow
 * says no fund-flow source exists for it). Statuses are updated in place. */
void rcn_settle_check(rcn_settlement *open, size_t n, const rcn_settle_arrival *arrivals, size_t n_arrivals,
		      rcn_date day, int carry_days);

#endif
