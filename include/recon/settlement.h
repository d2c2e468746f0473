/* settlement: one merchant account's settlement of one business date as
 * plain data — what it is owed and what became of it. Made by the settlement
 * rules (recon/settle.h), stored by the ledger (recon/db.h) and listed in
 * settlement.csv (recon/report.h), so it lives below all three. */
#ifndef RECON_SETTLEMENT_H
#define RECON_SETTLEMENT_H

#include "recon/common.h"
#include "recon/date.h"

/* What a merchant account is owed for a business date, in fen (fees in 1e-5 yuan). */
typedef struct {
	int64_t payments_fen, refunds_fen, fee;
	int64_t net_fen; /* payments - refunds - fee, rounded half up to the fen */
} rcn_settle_amount;

/* One merchant account's settlement of one business date, and what became of it. */
typedef enum {
	RCN_SETTLE_DUE,	      /* expected, not yet checked (or nothing to check it against) */
	RCN_SETTLE_SETTLED,   /* arrived on its due date with the expected amount */
	RCN_SETTLE_LATE,      /* arrived with the expected amount, after its due date */
	RCN_SETTLE_AMOUNT,    /* money arrived, but not the expected amount */
	RCN_SETTLE_MISSING,   /* nothing arrived within the carry-over days after the due date */
	RCN_SETTLE_UNVERIFIED /* no fund-flow statement of this account to check it against */
} rcn_settle_status;

/* "due", "settled", "late", "amount", "missing", "unverified" (recon_settlements.status). */
const char *rcn_settle_status_name(rcn_settle_status s);
/* The same in Chinese, as the glossary has it: "逾期到账" for late. */
const char *rcn_settle_status_cn(rcn_settle_status s);
bool rcn_settle_status_parse(const char *s, rcn_settle_status *out);

typedef struct {
	const char *channel, *merchant_id, *cycle; /* borrowed */
	rcn_date business_date, due_date;
	rcn_settle_amount amount;
	rcn_settle_status status;
	bool has_settled;
	int64_t settled_fen;
	rcn_date settled_on;
	char detail[160];
} rcn_settlement;

#endif
