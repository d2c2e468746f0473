/* WeChat Pay fund-flow bill parser (FORMATS.md §1, fund-flow bill): what the
 * merchant account really received and paid, as RCN_REC_MOVEMENT records,
 * checked against the bill's own summary row; wechat_bill.c hands it the rows
 * and holds its lifecycle. Holds one row, never the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse_util.h"
#include "parse/parser_internal.h"
#include "parse/wechat_bill.h"
#include "recon/money.h"
#include "recon/text.h"

/* Columns recon reads, by name; the (元) ones also match （元）. */
enum col {
	C_TIME,
	C_REFERENCE,
	C_FLOW_ID,
	C_BIZ_NAME,
	C_BIZ_TYPE,
	C_DIRECTION,
	C_AMOUNT,
	C_BALANCE,
	C_APPLICANT,
	C_NOTE,
	C_VOUCHER,
	C_COUNT
};

static const char *const col_names[C_COUNT] = {
	[C_TIME] = "记账时间",	     [C_REFERENCE] = "微信支付业务单号", [C_FLOW_ID] = "资金流水单号",
	[C_BIZ_NAME] = "业务名称",   [C_BIZ_TYPE] = "业务类型",		 [C_DIRECTION] = "收支类型",
	[C_AMOUNT] = "收支金额(元)", [C_BALANCE] = "账户结余(元)",	 [C_APPLICANT] = "资金变更提交申请人",
	[C_NOTE] = "备注",	     [C_VOUCHER] = "业务凭证号",
};

static const int required[] = {C_TIME, C_REFERENCE, C_FLOW_ID, C_BIZ_TYPE, C_DIRECTION, C_AMOUNT, C_BALANCE};

/* The summary row's columns: every one must be present and agree with the rows. */
enum stated { T_ROWS, T_IN_COUNT, T_IN_FEN, T_OUT_COUNT, T_OUT_FEN, T_COUNT };

static const struct {
	const char *name;
	bool money;
} stated_cols[T_COUNT] = {
	[T_ROWS] = {"资金流水总笔数", false}, [T_IN_COUNT] = {"收入笔数", false}, [T_IN_FEN] = {"收入金额", true},
	[T_OUT_COUNT] = {"支出笔数", false},  [T_OUT_FEN] = {"支出金额", true},
};

typedef struct {
	rcn_wechat_bill b;	  /* first: the frame's callbacks get it */
	int col[C_COUNT];	  /* header index of each column, -1 when absent */
	int summary_col[T_COUNT]; /* summary header index of each stated total, -1 when absent */
	long in_count, out_count;
} fundflow;

static const char *col_value(const fundflow *p, enum col c, size_t *n)
{
	return rcn_wechat_col(&p->b, p->col[c], n);
}

void rcn_wechat_fundflow_header(rcn_wechat_bill *b)
{
	fundflow *p = (fundflow *)b;
	if (!rcn_wechat_bill_header(b, p->col, col_names, C_COUNT, required, sizeof(required) / sizeof(required[0])))
		return;
	snprintf(b->res.format, sizeof(b->res.format), "wechat-fundflow");
	b->stage = WX_DETAIL;
}

void rcn_wechat_fundflow_detail(rcn_wechat_bill *b)
{
	fundflow *p = (fundflow *)b;
	rcn_record rec;
	rcn_err e;
	size_t n;
	const char *s;
	char buf[32];
	bool income;

	memset(&rec, 0, sizeof(rec));
	s = col_value(p, C_DIRECTION, &n);
	if (is_name(s, n, "收入")) {
		income = true;
	} else if (is_name(s, n, "支出")) {
		income = false;
	} else {
		rcn_verdict_quarantine(&p->b.v, "%s: unknown \"%s\"", col_names[C_DIRECTION], RCN_QUOTE(s, n));
		return;
	}
	/* The direction is 收支类型; the amount is written unsigned. */
	s = col_value(p, C_AMOUNT, &n);
	if (rcn_money_parse(&rec.amount_fen, s, n, RCN_SCALE_FEN, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->b.v, "%s: %s", col_names[C_AMOUNT], e.msg);
		return;
	}
	if (rec.amount_fen < 0) {
		rcn_verdict_quarantine(&p->b.v, "%s is negative: %s", col_names[C_AMOUNT],
				       rcn_money_format(buf, sizeof(buf), rec.amount_fen, RCN_SCALE_FEN));
		return;
	}
	s = col_value(p, C_BALANCE, &n);
	if (rcn_money_parse(&rec.balance_fen, s, n, RCN_SCALE_FEN, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->b.v, "%s: %s", col_names[C_BALANCE], e.msg);
		return;
	}
	s = col_value(p, C_TIME, &n);
	if (rcn_datetime_parse(rec.trade_time, &rec.trade_date, s, n, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->b.v, "%s: %s", col_names[C_TIME], e.msg);
		return;
	}
	s = col_value(p, C_FLOW_ID, &n);
	if (n == 0) {
		rcn_verdict_quarantine(&p->b.v, "%s is empty", col_names[C_FLOW_ID]);
		return;
	}

	int64_t total = income ? p->b.res.movement_in_fen : p->b.res.movement_out_fen;
	if (!checked_add(&total, rec.amount_fen)) {
		rcn_verdict_quarantine(&p->b.v, "amounts overflow the file's totals");
		return;
	}
	if (income) {
		p->b.res.movement_in_fen = total;
		p->in_count++;
	} else {
		p->b.res.movement_out_fen = total;
		p->out_count++;
		rec.amount_fen = -rec.amount_fen;
	}
	p->b.res.movements++;

	rec.merchant_id = ""; /* the bill names no account: the caller knows whose it fetched */
	rec.provider_id = "";
	rec.type = RCN_REC_MOVEMENT;
	rec.channel_txn_id = s;
	rec.order_no = col_value(p, C_VOUCHER, &n);
	rec.refund_no = "";
	rec.channel_refund_id = "";
	rec.settle_fen = rec.amount_fen;
	rec.rate_ppm = -1;
	rec.currency = "CNY"; /* fund-flow bills are of the CNY account */
	rec.status = "";
	rec.trade_type = "";
	rec.movement_type = col_value(p, C_BIZ_TYPE, &n);
	rec.reference = col_value(p, C_REFERENCE, &n);
	rcn_wechat_emit(b, &rec);
}

void rcn_wechat_fundflow_summary_header(rcn_wechat_bill *b)
{
	fundflow *p = (fundflow *)b;
	size_t n, nf = rcn_csvrows_count(b->rows);
	for (int k = 0; k < T_COUNT; k++)
		p->summary_col[k] = -1;
	for (size_t i = 0; i < nf; i++) {
		const char *s = rcn_csvrows_field(b->rows, i, &n);
		for (int k = 0; k < T_COUNT; k++)
			if (p->summary_col[k] < 0 && is_name(s, n, stated_cols[k].name))
				p->summary_col[k] = (int)i;
	}
	b->nsummary = nf;
	b->stage = WX_SUMMARY_VALUES;
}

/* The stated total k, in field i of the summary row, against the rows'
 * `have`: false when a summary problem was recorded. */
static bool check_stated(rcn_wechat_bill *b, int k, size_t i, int64_t have)
{
	const char *name = stated_cols[k].name;
	size_t n;
	const char *s = rcn_wechat_value(b, i, &n);
	int64_t stated;
	rcn_err e;
	if (!stated_cols[k].money)
		return rcn_verdict_check_count(&b->v, name, s, n, have);
	if (rcn_money_parse(&stated, s, n, RCN_SCALE_FEN, &e) != RCN_OK) {
		rcn_verdict_summary_problem(&b->v, RCN_EFORMAT, "summary %s: %s", name, e.msg);
		return false;
	}
	/* 支出金额 is a magnitude; a bill that writes it negative means the same. */
	if (k == T_OUT_FEN && stated < 0 && stated != INT64_MIN)
		stated = -stated;
	return rcn_verdict_check_amount(&b->v, name, stated, have, RCN_SCALE_FEN);
}

void rcn_wechat_fundflow_summary_values(rcn_wechat_bill *b)
{
	fundflow *p = (fundflow *)b;
	int64_t have[T_COUNT] = {
		[T_ROWS] = b->res.rows,
		[T_IN_COUNT] = p->in_count,
		[T_IN_FEN] = b->res.movement_in_fen,
		[T_OUT_COUNT] = p->out_count,
		[T_OUT_FEN] = b->res.movement_out_fen,
	};

	if (!rcn_wechat_bill_summary_row(b))
		return;
	for (int k = 0; k < T_COUNT; k++)
		if (p->summary_col[k] < 0) {
			rcn_verdict_summary_problem(&b->v, RCN_EFORMAT, "fund-flow summary lacks %s",
						    stated_cols[k].name);
			return;
		}
	/* In the order of the bill's summary header, so the message names its first column that disagrees. */
	for (size_t i = 0; i < b->nsummary; i++)
		for (int k = 0; k < T_COUNT; k++)
			if ((size_t)p->summary_col[k] == i && !check_stated(b, k, i, have[k]))
				return;
}

void *rcn_wechat_fundflow_new(const rcn_parser_spec *spec)
{
	fundflow *p = rcn_xcalloc(1, sizeof(*p));
	rcn_wechat_bill_init(&p->b, RCN_WECHAT_FUNDFLOW, spec);
	return p;
}
