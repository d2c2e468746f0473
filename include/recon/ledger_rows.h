/* ledger_rows: the merchant ledger's rows as recon reads them (orders,
 * refunds, auto-debit contracts), plain data. The ledger (recon/db.h) makes
 * them and the matcher (recon/match.h) takes them, so they live below both. */
#ifndef RECON_LEDGER_ROWS_H
#define RECON_LEDGER_ROWS_H

#include "recon/common.h"
#include "recon/date.h"

/* Ledger rows as views, valid during the callback only. Times are local
 * business times (RCN_NO_TIME when NULL); dates are in the zone.
 * currency is the order's (a refund's: its order's), "" or NULL for CNY:
 * the ledger sends only the others (NULLIF(currency, 'CNY')), so ten million
 * copies of "CNY" are not formatted and sent for nothing. */
typedef struct {
	const char *order_no, *merchant_id, *channel, *channel_txn_id, *status, *contract_id;
	int64_t amount_fen;
	rcn_time created_at, paid_at; /* created_at only when paid_at is NULL (RCN_NO_TIME otherwise) */
	rcn_date business_date;	      /* date of paid_at, or of created_at when not paid */
	const char *currency;	      /* ISO 4217 code, "" or NULL: CNY */
} rcn_ledger_order;

typedef struct {
	const char *refund_no, *order_no, *channel_refund_id, *status;
	int64_t amount_fen;
	rcn_time requested_at, refunded_at; /* requested_at only when refunded_at is NULL (RCN_NO_TIME otherwise) */
	rcn_date business_date;		    /* date of refunded_at, or of requested_at */
	const char *channel, *merchant_id;  /* of the refunded order ("" if the order is unknown) */
	const char *currency;		    /* of the refunded order, "" or NULL: CNY */
} rcn_ledger_refund;

/* One debit attempt on an auto-debit contract: a ledger order carrying its
 * contract_id, collected (PAID, REFUNDED, PARTIALLY_REFUNDED) or failed
 * (CLOSED); orders still CREATED are not attempts yet. */
typedef struct {
	const char *order_no;
	rcn_time at; /* COALESCE(paid_at, created_at): the order's business time */
	bool failed;
} rcn_debit_attempt;

/* An auto-debit (委托代扣) contract: its terms (sql/ledger_002_contract_terms.sql;
 * a ledger without those columns gets the defaults), its debit history before
 * the day and the day's attempts. */
typedef struct {
	const char *contract_id, *merchant_id, *channel, *status; /* ACTIVE | TERMINATED */
	const char *signed_at, *terminated_at, *expires_at;	  /* local times, "" when NULL */
	/* DAY, WEEK, MONTH, QUARTER or YEAR; "" for none. A contract declaring
	 * none that allows one debit a day is MONTH (the rule before the terms). */
	const char *billing_period;
	bool has_limit, has_max_per_day;
	int64_t per_debit_limit_fen;
	int max_debits_per_day;
	int debits_per_period;	      /* 1 unless the contract says otherwise */
	int max_consecutive_failures; /* 3 unless the contract says otherwise */
	int64_t min_retry_seconds;    /* after a failed attempt; 0: none */
	long past_debits;	      /* collected debits before the day */
	int64_t past_total_fen;	      /* their amounts' sum */
	long debits_this_period;      /* collected debits of the day's billing period before the day */
	/* the history before the day as far as retries need it: failed attempts
	 * since the last collected debit, and the last attempt */
	long failures_before;
	rcn_time last_attempt_at; /* RCN_NO_TIME when none */
	bool last_attempt_failed;
	const rcn_debit_attempt *attempts; /* the day's, in time order; valid during the callback */
	size_t n_attempts;
} rcn_ledger_contract;

#endif
