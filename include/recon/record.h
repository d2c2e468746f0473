/* The normalized statement record that every channel parser emits, and the
 * per-file parse result with its control-total verdict. */
#ifndef RECON_RECORD_H
#define RECON_RECORD_H

#include "recon/common.h"
#include "recon/date.h"

/* Payments and refunds are matched against the ledger. Movements are money
 * entering or leaving the merchant account (WeChat fund flow, Alipay 账务明细,
 * UnionPay settlement): kept for settlement checks, never matched to orders. */
typedef enum { RCN_REC_PAYMENT = 0, RCN_REC_REFUND = 1, RCN_REC_MOVEMENT = 2 } rcn_rec_type;

/* Borrowed views, valid only during the sink callback: copy what you keep.
 * Absent text fields are "" (never NULL). channel and file are the
 * parser's own strings, the same pointer for every row of one parse and
 * unchanged during it, so a consumer may compare the pointers. */
typedef struct {
	const char *channel;	 /* "wechat" */
	const char *merchant_id; /* 特约商户号 when set (service provider bill), else 商户号 */
	const char *provider_id; /* 商户号 as written in the file */
	rcn_rec_type type;
	const char *channel_txn_id;    /* 微信订单号 */
	const char *order_no;	       /* 商户订单号 */
	const char *refund_no;	       /* 商户退款单号 (refunds) */
	const char *channel_refund_id; /* 微信退款单号 (refunds) */
	int64_t amount_fen; /* payments: 订单金额 (legacy 总金额); refunds: 申请退款金额 (legacy 退款金额); >= 0 */
	int64_t settle_fen;	/* due to the merchant before the channel fee, what the fee is charged on: WeChat
				 * 应结订单金额,     Alipay 商家实收, UnionPay 交易金额; refunds: the amount returned */
	int64_t fee;		/* channel fee, 1e-5 yuan, negative on refunds (fee returned) */
	int64_t net_fen;	/* what the channel settles for the row (UnionPay 清算净额), negative when the
				 * merchant owes; 0 when the format states none */
	int64_t rate_ppm;	/* 费率 of the row, -1 when absent */
	const char *currency;	/* 货币种类, "CNY" */
	const char *status;	/* payments: 交易状态 (SUCCESS, REVOKED, ...); refunds: 退款状态 */
	const char *trade_type; /* 交易类型 (JSAPI, NATIVE, ...) */
	char trade_time[20];	/* "YYYY-MM-DD HH:MM:SS", local business time */
	rcn_date trade_date;
	const char *file; /* source file label (archive entries: "archive.zip:entry") */
	long line;	  /* 1-based line where the row starts */
	/* movements only (RCN_REC_MOVEMENT): amount_fen is signed (+ income,
	 * - expense); the balance after it, the business type, a reference */
	int64_t balance_fen;
	const char *movement_type;
	const char *reference;
} rcn_record;

typedef void (*rcn_record_sink)(void *ctx, const rcn_record *rec);
/* A row that could not be parsed: it is quarantined, and the file's totals will not add up. */
typedef void (*rcn_quarantine_sink)(void *ctx, const char *file, long line, const char *reason);

/* Totals a file states about itself or about another file (a summary file,
 * a footer line): each compared with what the detail rows add up to. */
typedef struct {
	bool has_count, has_amount, has_refund_count, has_refund_amount, has_fee, has_net;
	long count;	    /* payment (or all) rows */
	int64_t amount_fen; /* payments */
	long refund_count;
	int64_t refund_fen; /* refunds, positive */
	int64_t fee;	    /* 1e-5 yuan */
	int64_t net_fen;
} rcn_totals;

/* What parsing one statement file found. */
typedef struct {
	char format[32];    /* "wechat-all", "alipay-trade", "unionpay-zm", "profile:<name>", ... ("" if unknown) */
	long rows;	    /* detail rows seen (good + bad) */
	long payments;	    /* good payment rows */
	long refunds;	    /* good refund rows */
	long bad_rows;	    /* rows sent to the quarantine sink */
	int64_t amount_fen; /* sum of amount_fen over good payment rows */
	int64_t refund_fen; /* sum of amount_fen over good refund rows */
	int64_t fee;	    /* sum of fee over good rows, 1e-5 yuan */
	int64_t net_fen;    /* sum of net_fen over good rows */
	long movements;	    /* good movement rows */
	int64_t movement_in_fen, movement_out_fen; /* income and expense (positive) of the movements */
	bool has_summary;
	rcn_totals stated; /* totals this file states, when it is a summary of another (UnionPay RD) */
	bool totals_ok;	   /* summary present and every stated total equals the detail sum */
	bool rejected;	   /* the file must not be reconciled; reason in `reason` */
	rcn_err reason;	   /* file, line and message of the first fatal problem or totals mismatch */
} rcn_stmt_result;

#endif
