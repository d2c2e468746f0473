/* rules: what a night's items must keep beyond matching — the fee schedule
 * (recon/fees.h), the auto-debit (委托代扣) contracts, the business-day
 * calendar (recon/calendar.h) and T+N settlement (recon/settle.h). They take
 * the matcher's outcome as input and write their findings into the night's
 * findings sink (recon/findings.h); nothing goes back into the matcher.
 *
 *   ledger contracts ──► rcn_rules_add_contract
 *   matcher ──asks──► rcn_rules_for_matcher: a matched row's fee, a debit's contract rules
 *   matcher's fee totals ──► rcn_rules_check_fee_totals ──► sink (FEE_MISMATCH file_total)
 *   tallies, fund flow, UnionPay 清算净额, earlier dates' open settlements
 *                      ──► rcn_rules_settle ──► settlements, sink (SETTLEMENT_MISMATCH)
 *
 * Where each rule lives: src/rules/fees.c (the schedule and the fee of an
 * amount), debits.c (contracts), calendar.c, settlement.c (the T+N cycles),
 * settle_check.c (arrivals against what is due), settle_night.c (a night's
 * settlements), rules.c (this header's object). docs/internals/rules.md. */
#ifndef RECON_RULES_H
#define RECON_RULES_H

#include "recon/calendar.h"
#include "recon/fees.h"
#include "recon/findings.h"
#include "recon/handling.h"
#include "recon/ledger_rows.h"
#include "recon/match.h"
#include "recon/settle.h"

/* A configured statement source as the rules see it (borrowed; the pipeline
 * sets label once the statement is parsed). Indexes are the matcher's. */
typedef struct {
	const char *name, *channel, *merchant_id;
	const char *label; /* the statement file as reports name it, or NULL */
	bool has_fee_rate; /* the [source] fee_rate shortcut, which wins over the schedule */
	int64_t fee_rate_ppm;
	int64_t fee_tolerance_fen; /* per-file fee total: differences above this are reported */
} rcn_rules_source;

typedef struct rcn_rules rcn_rules;

/* The rules of business date day; sources and fees (rules/fees.csv, or NULL) are borrowed. */
rcn_rules *rcn_rules_new(rcn_date day, const rcn_rules_source *sources, size_t n_sources, const rcn_fee_rules *fees);
void rcn_rules_free(rcn_rules *r);
/* A contract the loaded orders name, as the ledger has it (copied). */
void rcn_rules_add_contract(rcn_rules *r, const rcn_ledger_contract *c);
/* The answers the matcher asks for (valid as long as r). */
const rcn_match_rules *rcn_rules_for_matcher(rcn_rules *r);
/* Per source, the channel's fee total against the schedule's (after
 * rcn_match_run): a difference above the tolerance is a finding of its own
 * (rows may each round right and still add up wrong). */
void rcn_rules_check_fee_totals(const rcn_rules *r, const rcn_match *m, rcn_findings *sink);

/* The rules directory's files a night reads, each NULL when the directory
 * has none: rules/fees.csv, settlement.csv, calendar/cn.csv, handling.csv. */
typedef struct {
	rcn_fee_rules *fees;
	rcn_settle_rules *settlement;
	rcn_calendar *calendar;
	rcn_handling *handling;
} rcn_rules_files;

/* Loads the files dir has; a bad one stops it (RCN_EUSAGE naming file:line)
 * and nothing is left loaded. */
rcn_rc rcn_rules_files_load(rcn_rules_files *out, const char *dir, rcn_err *err);
void rcn_rules_files_free(rcn_rules_files *f);

/* ---- settlement ---- */

/* What tonight's inputs say about one merchant account's money. */
typedef struct {
	const char *channel, *merchant_id;
	bool flow_configured; /* a fund-flow (or account) statement source of it is configured */
	bool has_net;	      /* accepted UnionPay statements state its 清算净额 ... */
	int64_t net_fen;      /* ... summed */
} rcn_settle_account;

typedef struct {
	rcn_date day;
	int carry_days;
	const rcn_tally *tallies; /* the matcher's */
	size_t n_tallies;
	const rcn_settlement *open; /* earlier dates' settlements still due (the ledger's) */
	size_t n_open;
	const rcn_settle_arrival *arrivals; /* one per account with an accepted fund-flow statement */
	size_t n_arrivals;
	const rcn_settle_account *accounts;
	size_t n_accounts;
	const rcn_settle_rules *rules; /* or NULL: T+1 */
	const rcn_calendar *cal;       /* or NULL: due dates unknown */
} rcn_settle_input;

typedef struct {
	rcn_settlement *v; /* today's, then earlier ones whose status changed today */
	size_t n, cap;
	rcn_arena arena;
	/* today's settlements whose T+N walk reached a day the calendar does not
	 * cover: their due dates are unknown until that year's holidays are added */
	long beyond_calendar;
	int missing_year;	  /* the year of the first day not covered */
	rcn_date calendar_end;	  /* the calendar's last day (when one is loaded) */
	char beyond_example[160]; /* the first of them: "wechat 1900000109 T+1" */
} rcn_settle_set;

/* Appends a copy of s (its strings into the set's arena). */
void rcn_settle_set_add(rcn_settle_set *set, const rcn_settlement *s);
void rcn_settle_set_free(rcn_settle_set *s);

/* Builds today's expected settlements from the channel tallies, checks them
 * and the open ones of earlier dates against today's arrivals and UnionPay's
 * 清算净额, and adds a SETTLEMENT_MISMATCH finding to the sink for each that
 * came late, short or not at all. out: today's, then the earlier ones whose
 * status changed. */
void rcn_rules_settle(const rcn_settle_input *in, rcn_settle_set *out, rcn_findings *sink);

#endif
