/* fees: the fee schedule finance staff keep in rules/fees.csv, and the
 * expected fee of every statement row under it (FORMATS.md §6). */
#ifndef RECON_FEES_H
#define RECON_FEES_H

#include "recon/common.h"
#include "recon/date.h"

typedef enum { RCN_ROUND_HALF_UP, RCN_ROUND_HALF_EVEN, RCN_ROUND_UP, RCN_ROUND_DOWN } rcn_rounding;
typedef enum { RCN_REFUND_FEE_PROPORTIONAL, RCN_REFUND_FEE_KEPT } rcn_refund_fee;

typedef struct {
	char channel[64];  /* never "*" */
	char merchant[64]; /* merchant id or "*" */
	char product[64];  /* trade type / product (JSAPI, NATIVE, 交易, S22, ...) or "*" */
	int64_t rate_ppm;  /* 0.60% -> 6000; 0 is valid (an approved charity) */
	int64_t min_fen;   /* minimum fee per payment, 0 = none */
	int64_t cap_fen;   /* maximum fee per payment (bank-card caps), 0 = none */
	rcn_rounding rounding;
	rcn_refund_fee refund; /* a refund returns the fee in proportion, or the fee is kept */
	rcn_date from;	       /* first day in effect; INT32_MIN when open */
	rcn_date to;	       /* last day in effect, inclusive; INT32_MAX when open */
	long line;	       /* line in the file, for messages */
} rcn_fee_rule;

typedef struct rcn_fee_rules rcn_fee_rules;

/* Loads rules/fees.csv. Header (by name): channel, merchant, product, rate,
 * min_fee, cap, rounding, refund, from, to. A bad value, or two rules of equal
 * specificity for the same channel/merchant/product whose dates overlap, is
 * RCN_EUSAGE naming the file, line and (for overlaps) both lines. */
rcn_rc rcn_fee_rules_load(rcn_fee_rules **out, const char *path, rcn_err *err);
void rcn_fee_rules_free(rcn_fee_rules *r);
size_t rcn_fee_rules_count(const rcn_fee_rules *r);
/* Rule i (< count) in file order, or NULL; borrowed, lives as long as r. */
const rcn_fee_rule *rcn_fee_rules_get(const rcn_fee_rules *r, size_t i);

/* The most specific rule in effect on `day` (merchant beats "*", then product
 * beats "*"; an exact merchant with "*" product beats "*" merchant with an
 * exact product), or NULL. */
const rcn_fee_rule *rcn_fee_rules_find(const rcn_fee_rules *r, const char *channel, const char *merchant,
				       const char *product, rcn_date day);

/* A rule for the [source] fee_rate shortcut: half up, no minimum or cap, proportional refunds, always in effect. */
void rcn_fee_rule_from_rate(rcn_fee_rule *out, const char *channel, int64_t rate_ppm);

/* Expected fee in fen of a payment of amount_fen (>= 0): rate, rounding, then
 * minimum and cap. A 0 amount or a 0% rule (an approved charity) is 0, with no
 * minimum. Exact integer arithmetic; "up"/"down" round toward more/less fee. */
int64_t rcn_fee_payment(const rcn_fee_rule *rule, int64_t amount_fen);
/* Expected fee in fen of a refund of refund_fen (its magnitude: a refund
 * written negative counts the same) from an order of order_fen: <= 0 (the fee
 * returned), never more than the order's fee. Proportional: the order's fee
 * times refund/order, rounded the rule's way; kept: 0. order_fen <= 0
 * (unknown) falls back to the rate on the refund amount, without minimum or cap. */
int64_t rcn_fee_refund(const rcn_fee_rule *rule, int64_t refund_fen, int64_t order_fen);

#endif
