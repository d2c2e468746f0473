/* WeChat Pay trade bill parser (FORMATS.md §1): reads the bill's rows through
 * rcn_csvrows, finds columns by header name, emits one record per detail row
 * and checks the summary's control totals; wechat_bill.c hands it the rows
 * and holds its lifecycle. Holds one row, never the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse_util.h"
#include "parse/parser_internal.h"
#include "parse/wechat_bill.h"
#include "recon/money.h"
#include "recon/parse.h"
#include "recon/text.h"

/* Detail columns recon reads; anything else in the header is ignored. */
enum col {
	C_TRADE_TIME,
	C_MCH_ID,
	C_SUB_MCH_ID,
	C_LEGACY_SUB_MCH_ID,
	C_TXN_ID,
	C_ORDER_NO,
	C_TRADE_TYPE,
	C_TRADE_STATUS,
	C_CURRENCY,
	C_SETTLE,
	C_TOTAL,
	C_REFUND_ID,
	C_REFUND_NO,
	C_REFUND,
	C_COUPON_REFUND,
	C_LEGACY_COUPON_REFUND,
	C_REFUND_STATUS,
	C_FEE,
	C_RATE,
	C_ORDER_AMOUNT,
	C_REFUND_REQUEST,
	C_REFUND_REQUEST_TIME,
	C_COUNT
};

static const char *const col_names[C_COUNT] = {
	[C_TRADE_TIME] = "交易时间",
	[C_MCH_ID] = "商户号",
	[C_SUB_MCH_ID] = "特约商户号",
	[C_LEGACY_SUB_MCH_ID] = "子商户号",
	[C_TXN_ID] = "微信订单号",
	[C_ORDER_NO] = "商户订单号",
	[C_TRADE_TYPE] = "交易类型",
	[C_TRADE_STATUS] = "交易状态",
	[C_CURRENCY] = "货币种类",
	[C_SETTLE] = "应结订单金额",
	[C_TOTAL] = "总金额",
	[C_REFUND_ID] = "微信退款单号",
	[C_REFUND_NO] = "商户退款单号",
	[C_REFUND] = "退款金额",
	[C_COUPON_REFUND] = "充值券退款金额",
	[C_LEGACY_COUPON_REFUND] = "代金券或立减优惠退款金额",
	[C_REFUND_STATUS] = "退款状态",
	[C_FEE] = "手续费",
	[C_RATE] = "费率",
	[C_ORDER_AMOUNT] = "订单金额",
	[C_REFUND_REQUEST] = "申请退款金额",
	[C_REFUND_REQUEST_TIME] = "退款申请时间",
};

/* Summed detail amounts, one per amount column; each is checked against
 * whichever summary column names it (FORMATS.md §1, control totals). */
enum sum { S_SETTLE, S_TOTAL, S_REFUND, S_COUPON_REFUND, S_LEGACY_COUPON_REFUND, S_FEE, S_ORDER, S_REQUEST, S_COUNT };

static const struct {
	enum col col;
	int scale;
} sum_cols[S_COUNT] = {
	[S_SETTLE] = {C_SETTLE, RCN_SCALE_FEN},
	[S_TOTAL] = {C_TOTAL, RCN_SCALE_FEN},
	[S_REFUND] = {C_REFUND, RCN_SCALE_FEN},
	[S_COUPON_REFUND] = {C_COUPON_REFUND, RCN_SCALE_FEN},
	[S_LEGACY_COUPON_REFUND] = {C_LEGACY_COUPON_REFUND, RCN_SCALE_FEN},
	[S_FEE] = {C_FEE, RCN_SCALE_FEE},
	[S_ORDER] = {C_ORDER_AMOUNT, RCN_SCALE_FEN},
	[S_REQUEST] = {C_REFUND_REQUEST, RCN_SCALE_FEN},
};

#define TOTAL_ROWS (-1) /* summary column that counts rows rather than summing one */

static const struct {
	const char *name;
	int sum; /* enum sum, or TOTAL_ROWS */
} summary_cols[] = {
	{"总交易单数", TOTAL_ROWS},
	{"应结订单总金额", S_SETTLE},
	{"总交易额", S_TOTAL}, /* legacy */
	{"退款总金额", S_REFUND},
	{"总退款金额", S_REFUND}, /* legacy */
	{"充值券退款总金额", S_COUPON_REFUND},
	{"总代金券或立减优惠退款金额", S_LEGACY_COUPON_REFUND}, /* legacy */
	{"手续费总金额", S_FEE},
	{"订单总金额", S_ORDER},
	{"申请退款总金额", S_REQUEST},
};
#define SUMMARY_COLS (sizeof(summary_cols) / sizeof(summary_cols[0]))

typedef struct {
	rcn_wechat_bill b;		  /* first: the frame's callbacks get it */
	int col[C_COUNT];		  /* header index of each column, -1 when absent */
	int summary_kind[RCN_MAX_FIELDS]; /* summary_cols index per summary column, -1 if unknown */
	int64_t sums[S_COUNT];
	char last_rate[16]; /* the last good 费率 and its value: a bill has one or two rates */
	size_t last_rate_len;
	int64_t last_rate_ppm;
} wechat_parser;

/* Field i as written (header and summary header cells have no backtick). */
static const char *raw_field(const wechat_parser *p, size_t i, size_t *n)
{
	return rcn_csvrows_field(p->b.rows, i, n);
}

static const char *col_value(const wechat_parser *p, enum col c, size_t *n)
{
	return rcn_wechat_col(&p->b, p->col[c], n);
}

void rcn_wechat_trade_header(rcn_wechat_bill *b)
{
	wechat_parser *p = (wechat_parser *)b;
	static const int required[] = {C_MCH_ID, C_TXN_ID, C_ORDER_NO, C_TRADE_STATUS, C_FEE};
	if (!rcn_wechat_bill_header(b, p->col, col_names, C_COUNT, required, sizeof(required) / sizeof(required[0])))
		return;
	if (p->col[C_SETTLE] < 0 && p->col[C_TOTAL] < 0) {
		rcn_csvrows_fail(b->rows, RCN_EFORMAT, rcn_csvrows_row_line(b->rows),
				 "trade bill header lacks 应结订单金额");
		return;
	}
	const char *format;
	if (p->col[C_REFUND_REQUEST_TIME] >= 0)
		format = "wechat-refund";
	else if (p->col[C_SETTLE] < 0)
		format = "wechat-legacy"; /* pre-2018: 总金额 instead of 应结订单金额/订单金额 */
	else if (p->col[C_REFUND] >= 0)
		format = "wechat-all";
	else
		format = "wechat-success";
	snprintf(b->res.format, sizeof(b->res.format), "%s", format);
	b->stage = WX_DETAIL;
}

void rcn_wechat_trade_detail(rcn_wechat_bill *b)
{
	wechat_parser *p = (wechat_parser *)b;
	rcn_record rec;
	rcn_err e;
	size_t n;
	const char *s;
	int64_t amt[S_COUNT] = {0};

	memset(&rec, 0, sizeof(rec));
	s = col_value(p, C_TRADE_STATUS, &n);
	rec.type = is_name(s, n, "REFUND") ? RCN_REC_REFUND : RCN_REC_PAYMENT;

	/* The columns the record is built from; an empty one elsewhere counts as 0. */
	enum col settle_col = p->col[C_SETTLE] >= 0 ? C_SETTLE : C_TOTAL;
	enum col amount_col = p->col[C_ORDER_AMOUNT] >= 0 ? C_ORDER_AMOUNT : settle_col;
	if (rec.type == RCN_REC_REFUND) {
		if (p->col[C_REFUND] < 0) {
			rcn_verdict_quarantine(&p->b.v, "REFUND row in a bill without %s", col_names[C_REFUND]);
			return;
		}
		settle_col = C_REFUND;
		amount_col = p->col[C_REFUND_REQUEST] >= 0 ? C_REFUND_REQUEST : C_REFUND;
	}
	for (int k = 0; k < S_COUNT; k++) {
		enum col c = sum_cols[k].col;
		if (p->col[c] < 0)
			continue;
		s = col_value(p, c, &n);
		if (n == 0 && c != settle_col && c != amount_col && c != C_FEE)
			continue;
		if (rcn_money_parse(&amt[k], s, n, sum_cols[k].scale, &e) != RCN_OK) {
			rcn_verdict_quarantine(&p->b.v, "%s: %s", col_names[c], e.msg);
			return;
		}
	}
	for (int k = 0; k < S_COUNT; k++) {
		if (sum_cols[k].col == amount_col)
			rec.amount_fen = amt[k];
		if (sum_cols[k].col == settle_col)
			rec.settle_fen = amt[k];
	}
	rec.fee = amt[S_FEE];
	if (rec.amount_fen < 0) {
		char buf[32];
		rcn_verdict_quarantine(&p->b.v, "%s is negative: %s", col_names[amount_col],
				       rcn_money_format(buf, sizeof(buf), rec.amount_fen, RCN_SCALE_FEN));
		return;
	}
	s = col_value(p, C_TRADE_TIME, &n);
	if (rcn_datetime_parse(rec.trade_time, &rec.trade_date, s, n, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->b.v, "%s: %s", col_names[C_TRADE_TIME], e.msg);
		return;
	}
	rec.rate_ppm = -1;
	s = col_value(p, C_RATE, &n);
	if (n > 0 && n == p->last_rate_len && memcmp(s, p->last_rate, n) == 0) {
		rec.rate_ppm = p->last_rate_ppm;
	} else if (n > 0) {
		if (rcn_rate_parse(&rec.rate_ppm, s, n, &e) != RCN_OK) {
			rcn_verdict_quarantine(&p->b.v, "%s: %s", col_names[C_RATE], e.msg);
			return;
		}
		if (n <= sizeof(p->last_rate)) {
			memcpy(p->last_rate, s, n);
			p->last_rate_len = n;
			p->last_rate_ppm = rec.rate_ppm;
		}
	}

	/* Sums are committed only when every one of them fits. */
	int64_t sums[S_COUNT];
	int64_t total_amount = rec.type == RCN_REC_REFUND ? p->b.res.refund_fen : p->b.res.amount_fen;
	int64_t total_fee = p->b.res.fee;
	memcpy(sums, p->sums, sizeof(sums));
	bool fits = checked_add(&total_amount, rec.amount_fen) && checked_add(&total_fee, rec.fee);
	for (int k = 0; k < S_COUNT; k++)
		fits = fits && checked_add(&sums[k], amt[k]);
	if (!fits) {
		rcn_verdict_quarantine(&p->b.v, "amounts overflow the file's totals");
		return;
	}
	memcpy(p->sums, sums, sizeof(sums));
	p->b.res.fee = total_fee;
	if (rec.type == RCN_REC_REFUND) {
		p->b.res.refunds++;
		p->b.res.refund_fen = total_amount;
	} else {
		p->b.res.payments++;
		p->b.res.amount_fen = total_amount;
	}

	rec.provider_id = col_value(p, C_MCH_ID, &n);
	enum col sub = p->col[C_SUB_MCH_ID] >= 0 ? C_SUB_MCH_ID : C_LEGACY_SUB_MCH_ID;
	s = col_value(p, sub, &n);
	/* 特约商户号 is `0 for a direct merchant: the merchant is then 商户号 itself. */
	rec.merchant_id = n > 0 && !is_name(s, n, "0") ? s : rec.provider_id;
	rec.channel_txn_id = col_value(p, C_TXN_ID, &n);
	rec.order_no = col_value(p, C_ORDER_NO, &n);
	if (rec.type == RCN_REC_REFUND) {
		rec.refund_no = col_value(p, C_REFUND_NO, &n);
		rec.channel_refund_id = col_value(p, C_REFUND_ID, &n);
		rec.status = col_value(p, C_REFUND_STATUS, &n);
	} else {
		rec.refund_no = "";
		rec.channel_refund_id = "";
		rec.status = col_value(p, C_TRADE_STATUS, &n);
	}
	/* "" without 货币种类 (the matcher takes CNY: a bill of a CNY account);
	 * an empty 货币种类 states no currency: "?", which matches none */
	rec.currency = col_value(p, C_CURRENCY, &n);
	if (p->col[C_CURRENCY] >= 0 && n == 0)
		rec.currency = "?";
	rec.trade_type = col_value(p, C_TRADE_TYPE, &n);
	rcn_wechat_emit(b, &rec);
}

void rcn_wechat_trade_summary_header(rcn_wechat_bill *b)
{
	wechat_parser *p = (wechat_parser *)b;
	size_t n, nf = rcn_csvrows_count(b->rows);
	for (size_t i = 0; i < nf; i++) {
		const char *s = raw_field(p, i, &n);
		p->summary_kind[i] = -1;
		for (size_t k = 0; k < SUMMARY_COLS; k++)
			if (is_name(s, n, summary_cols[k].name))
				p->summary_kind[i] = (int)k;
	}
	b->nsummary = nf;
	b->stage = WX_SUMMARY_VALUES;
}

void rcn_wechat_trade_summary_values(rcn_wechat_bill *b)
{
	wechat_parser *p = (wechat_parser *)b;
	if (!rcn_wechat_bill_summary_row(b))
		return;
	for (size_t i = 0; i < b->nsummary; i++) {
		if (p->summary_kind[i] < 0)
			continue;
		const char *name = summary_cols[p->summary_kind[i]].name;
		int k = summary_cols[p->summary_kind[i]].sum;
		size_t n;
		const char *s = rcn_wechat_value(b, i, &n);
		int64_t stated;
		rcn_err e;
		if (k == TOTAL_ROWS) {
			if (!rcn_verdict_check_count(&b->v, name, s, n, b->res.rows))
				return;
			continue;
		}
		if (p->col[sum_cols[k].col] < 0)
			continue; /* e.g. 退款总金额 in a SUCCESS bill, which has no refund columns */
		if (rcn_money_parse(&stated, s, n, sum_cols[k].scale, &e) != RCN_OK) {
			rcn_verdict_summary_problem(&b->v, RCN_EFORMAT, "summary %s: %s", name, e.msg);
			return;
		}
		if (!rcn_verdict_check_amount(&b->v, name, stated, p->sums[k], sum_cols[k].scale))
			return;
	}
}

void *rcn_wechat_trade_new(const rcn_parser_spec *spec)
{
	wechat_parser *p = rcn_xcalloc(1, sizeof(*p));
	rcn_wechat_bill_init(&p->b, RCN_WECHAT_TRADE, spec);
	return p;
}
