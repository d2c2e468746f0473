/* Findings: what matching concludes about a statement row or a ledger item.
 * A discrepancy, a pending (suspense) item, or a match; plain data shared by
 * match, report and the database code. */
#ifndef RECON_FINDING_H
#define RECON_FINDING_H

#include "recon/common.h"
#include "recon/date.h"
#include "recon/record.h"

/* In DESIGN.md §3 table order, which is also the sort order of discrepancies.csv. */
typedef enum {
	RCN_K_SHORT_PAYMENT,
	RCN_K_OVERPAYMENT,
	RCN_K_STATUS_MISMATCH,
	RCN_K_CURRENCY_MISMATCH, /* a ledger order and its payment in different currencies: never a match */
	RCN_K_DOUBLE_CHARGE,
	RCN_K_REFUND_MISMATCH,
	RCN_K_FEE_MISMATCH,
	RCN_K_SETTLEMENT_MISMATCH,
	RCN_K_DEBIT_AFTER_TERMINATION,
	RCN_K_DEBIT_OVER_LIMIT,
	RCN_K_DEBIT_TOO_FREQUENT,
	RCN_K_DUPLICATE_RECORD,
	RCN_K_PENDING, /* not a discrepancy: an item in suspense */
	RCN_K_MATCHED, /* not a discrepancy: a matched item with a remark (notes.csv) */
	RCN_K__COUNT
} rcn_kind;

const char *rcn_kind_name(rcn_kind k);	  /* "SHORT_PAYMENT" */
const char *rcn_kind_name_cn(rcn_kind k); /* "短款" */
/* The Chinese of a reason code under its kind (README.md "Glossary / 术语"):
 * static text, or NULL for a code the glossary lacks (a bug: every code the
 * matcher and the rules emit has words; a status reason ledger_X / channel_X
 * whose status is not listed gets the words of its side). */
const char *rcn_reason_cn(rcn_kind kind, const char *reason);

/* Which side an item comes from: the channel statement or the merchant ledger. */
typedef enum { RCN_SIDE_CHANNEL = 'S', RCN_SIDE_LEDGER = 'L' } rcn_side;

/* Per channel, merchant account and side: where every row and every fen went.
 * Made by the matcher (rcn_match_tallies), read by the reports. */
typedef struct {
	const char *channel, *merchant_id;
	rcn_side side;
	long rows_in, matched, discrepancies, pending, quarantined;
	int64_t amount_in, amount_matched, amount_discrepancies, amount_pending, amount_quarantined;
	long kinds[RCN_K__COUNT];
	int64_t payments_fen, refunds_fen; /* successful channel payments / refunds (应结) */
	int64_t channel_fee, expected_fee; /* 1e-5 yuan */
	bool has_expected_fee;
	long suspicious_debits; /* auto-debits above 200% of their contract's average */
} rcn_tally;

/* All text fields are non-NULL ("" when absent) and borrowed from whoever
 * produced the finding (the matcher's arena, or a database row during a callback). */
typedef struct {
	rcn_kind kind;
	/* How to handle it (issue 18), set by the rules after matching from the
	 * kind's handling rule (rules/handling.csv): the deadline on the
	 * business-day calendar (0: none), whether it is urgent (below), and what
	 * to do in Chinese (action_cn, NULL or "" until set). Fields are ordered
	 * to leave no padding: half a million findings at 10 M. */
	rcn_date due_by;
	const char *reason;
	rcn_side side;	       /* the item this finding accounts for */
	rcn_rec_type rec_type; /* payment or refund */
	const char *channel;
	const char *merchant_id;
	const char *order_no;
	const char *refund_no;
	const char *channel_txn_id;
	const char *channel_refund_id;
	const char *ledger_status;  /* "" when the ledger has no such item */
	const char *channel_status; /* "" when the channel has no such item */
	bool has_ledger_amount;
	bool has_channel_amount;
	bool has_expected_fee;
	bool has_channel_fee;
	bool has_difference; /* difference below */
	bool urgent;
	bool action_filled;	/* action_cn is the rule's with this finding's ids filled in: its own text */
	int64_t ledger_amount;	/* fen */
	int64_t channel_amount; /* fen */
	int64_t channel_settle; /* fen, 应结 amount of the channel row */
	int64_t expected_fee;	/* 1e-5 yuan */
	int64_t channel_fee;	/* 1e-5 yuan */
	const char *trade_time; /* "YYYY-MM-DD HH:MM:SS" or "" */
	rcn_date first_seen;	/* business date the item was first seen */
	int age_days;		/* business date - first_seen */
	const char *source;	/* "file:line" for channel rows, "ledger_orders" / "ledger_refunds" */
	const char *detail;
	/* The difference when the other fields cannot give it (rcn_finding_delta,
	 * recon/report.h): a refund's excess over the paid amount, what a file's
	 * fee total leaves unexplained. On the scale of the kind's quantity. */
	int64_t difference;
	const char *action_cn;
	/* The open item this finding is (recon/openitem.h), set by the register
	 * after the rules: NULL until then, and for pending items and notes. */
	const char *item_id;
} rcn_finding;

/* The difference column (README.md "The difference column", DESIGN.md §3):
 * channel side minus ledger side of the quantity the finding's kind is about —
 * money collected (a lost callback: what the channel collected; a double
 * charge: the extra charge), the fee (FEE_MISMATCH: channel fee minus expected
 * fee), money credited (SETTLEMENT_MISMATCH: arrived minus expected), the
 * debited amount (auto-debit kinds) — in *out on the scale *scale:
 * RCN_SCALE_FEE (1e-5 yuan) for FEE_MISMATCH, RCN_SCALE_FEN otherwise. False
 * when the finding has no money difference (a duplicated listing, a late but
 * complete settlement, no amount on either side). Never 0 on a money
 * discrepancy that returns true. */
bool rcn_finding_delta(const rcn_finding *f, int64_t *out, int *scale);
/* rcn_finding_delta in fen, for outputs with one money scale: a fee
 * difference is rounded to the fen away from zero, so that it never reads 0.00
 * (discrepancies.csv keeps the exact fee scale). */
bool rcn_finding_difference(const rcn_finding *f, int64_t *out);

/* Money moving in or out of the merchant account (fund flow, 账务明细): kept
 * for settlement checks, not matched against orders. Views as above. */
typedef struct {
	const char *source_name; /* [source NAME] */
	const char *channel, *merchant_id;
	const char *trade_time, *movement_type, *reference, *channel_txn_id, *order_no;
	int64_t amount_fen; /* + income, - expense */
	int64_t balance_fen;
	const char *source; /* file:line */
} rcn_movement;

#endif
