/* Alipay statement rows (FORMATS.md §2): the header line that names the
 * columns, and the rows of the 业务明细 trade detail, its 业务明细(汇总)
 * summary and the 账务明细 account detail, each to an rcn_record (or, in the
 * 汇总, to the sums its 合计 row must match). rcn_alipay_on_row is where
 * rcn_csvrows hands every converted row; '#' lines go on to alipay_file.c.
 * The bytes, the encoding and the parser's lifecycle are in alipay_file.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/alipay_int.h"
#include "parse/parse_util.h"
#include "recon/money.h"

static const char *const kind_names[] = {
	[K_TRADE] = "业务明细",
	[K_SUMMARY] = "业务明细(汇总)",
	[K_ACCOUNT] = "账务明细",
};

/* Every column any of the three files has that recon reads, by name and
 * by an older name of the same column. */
static const struct {
	const char *name;
	const char *alt; /* an older name of the same column, or NULL */
} cols[C_COUNT] = {
	[C_TRADE_NO] = {"支付宝交易号", NULL},
	[C_ORDER_NO] = {"商户订单号", NULL},
	[C_BIZ_TYPE] = {"业务类型", NULL},
	[C_CREATED] = {"创建时间", NULL},
	[C_FINISHED] = {"完成时间", NULL},
	[C_ORDER_AMOUNT] = {"订单金额（元）", NULL},
	[C_RECEIVED] = {"商家实收（元）", NULL},
	[C_REFUND_NO] = {"退款批次号/请求号", "退款批次号"},
	[C_FEE] = {"服务费（元）", NULL},
	[C_STORE_ID] = {"门店编号", NULL},
	[C_STORE_NAME] = {"门店名称", NULL},
	[C_PAY_COUNT] = {"交易订单总笔数", NULL},
	[C_REFUND_COUNT] = {"退款订单总笔数", NULL},
	[C_NET] = {"实收净额（元）", NULL},
	[C_FLOW_NO] = {"账务流水号", NULL},
	[C_BIZ_NO] = {"业务流水号", NULL},
	[C_TIME] = {"发生时间", NULL},
	[C_IN] = {"收入金额（+元）", NULL},
	[C_OUT] = {"支出金额（-元）", NULL},
	[C_BALANCE] = {"账户余额（元）", NULL},
};

/* The column that tells the three files apart, and what each one needs. */
static const enum col identity[] = {[K_TRADE] = C_TRADE_NO, [K_SUMMARY] = C_PAY_COUNT, [K_ACCOUNT] = C_FLOW_NO};

static const enum col trade_required[] = {C_ORDER_NO, C_BIZ_TYPE,  C_FINISHED, C_ORDER_AMOUNT,
					  C_RECEIVED, C_REFUND_NO, C_FEE};
static const enum col summary_required[] = {C_REFUND_COUNT, C_ORDER_AMOUNT, C_RECEIVED};
static const enum col account_required[] = {C_BIZ_NO, C_TIME, C_IN, C_OUT, C_BALANCE, C_BIZ_TYPE};

static const struct {
	enum col col;
	int scale; /* 0 for a count */
} sum_cols[S_COUNT] = {
	[S_PAY_COUNT] = {C_PAY_COUNT, 0},
	[S_REFUND_COUNT] = {C_REFUND_COUNT, 0},
	[S_ORDER_AMOUNT] = {C_ORDER_AMOUNT, RCN_SCALE_FEN},
	[S_RECEIVED] = {C_RECEIVED, RCN_SCALE_FEN},
	[S_FEE] = {C_FEE, RCN_SCALE_FEE},
	[S_NET] = {C_NET, RCN_SCALE_FEN},
};

static const char *col_value(const alipay *p, enum col c, size_t *n)
{
	if (p->col[c] < 0) {
		*n = 0;
		return "";
	}
	return value(p, (size_t)p->col[c], n);
}

static const char *col_str(const alipay *p, enum col c)
{
	size_t n;
	return col_value(p, c, &n);
}

/* An amount cell; an empty one is 0 when allow_empty. */
static bool parse_amount(alipay *p, int64_t *out, enum col c, int scale, bool allow_empty)
{
	size_t n;
	rcn_err e;
	const char *s = col_value(p, c, &n);
	if (n == 0 && allow_empty) {
		*out = 0;
		return true;
	}
	if (rcn_money_parse(out, s, n, scale, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->v, "%s: %s", cols[c].name, e.msg);
		return false;
	}
	return true;
}

/* "YYYY-MM-DD HH:MM:SS", or the same with slashes as Excel re-saves it. */
static bool parse_time(alipay *p, rcn_record *rec, enum col c)
{
	size_t n;
	rcn_err e;
	const char *s = col_value(p, c, &n);
	char tmp[19];
	if (n == sizeof(tmp) && s[4] == '/' && s[7] == '/') {
		memcpy(tmp, s, n);
		tmp[4] = tmp[7] = '-';
		s = tmp;
	}
	if (rcn_datetime_parse(rec->trade_time, &rec->trade_date, s, n, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->v, "%s: %s", cols[c].name, e.msg);
		return false;
	}
	return true;
}

/* ---- header ---- */

static void on_header(alipay *p)
{
	size_t n, nf = rcn_csvrows_count(p->rows);
	long line = rcn_csvrows_row_line(p->rows);
	static const char *const wanted[] = {
		[K_TRADE] = "a trade detail", [K_SUMMARY] = "a summary", [K_ACCOUNT] = "an account detail"};

	for (size_t i = 0; i < nf; i++) {
		const char *s = value(p, i, &n);
		for (int c = 0; c < C_COUNT; c++)
			if (p->col[c] < 0 && (rcn_csvrows_name_eq(s, n, cols[c].name) ||
					      (cols[c].alt && rcn_csvrows_name_eq(s, n, cols[c].alt))))
				p->col[c] = (int)i;
	}
	if (p->col[identity[p->kind]] < 0) {
		for (int k = K_TRADE; k <= K_ACCOUNT; k++)
			if (k != (int)p->kind && p->col[identity[k]] >= 0) {
				rcn_alipay_fail(p, RCN_EFORMAT, line, "not %s (Alipay %s)", wanted[p->kind],
						kind_names[k]);
				return;
			}
		/* Not quoted: the file may be anything at all (a link to another file). */
		rcn_alipay_fail(p, RCN_EFORMAT, line, "not an Alipay %s: no header line (%s,...)", kind_names[p->kind],
				cols[identity[p->kind]].name);
		return;
	}
	if (!rcn_csvrows_set_header(p->rows))
		return;
	const enum col *req = p->kind == K_TRADE     ? trade_required
			      : p->kind == K_SUMMARY ? summary_required
						     : account_required;
	size_t nreq = p->kind == K_TRADE     ? sizeof(trade_required) / sizeof(trade_required[0])
		      : p->kind == K_SUMMARY ? sizeof(summary_required) / sizeof(summary_required[0])
					     : sizeof(account_required) / sizeof(account_required[0]);
	for (size_t i = 0; i < nreq; i++)
		if (p->col[req[i]] < 0) {
			rcn_alipay_fail(p, RCN_EFORMAT, line, "%s header lacks %s", kind_names[p->kind],
					cols[req[i]].name);
			return;
		}
	snprintf(p->res.format, sizeof(p->res.format), "%s",
		 p->kind == K_TRADE	? "alipay-trade"
		 : p->kind == K_SUMMARY ? "alipay-summary"
					: "alipay-account");
	p->ncols = nf;
	p->stage = ST_DETAIL;
}

/* ---- 业务明细 rows ---- */

static void on_trade_row(alipay *p)
{
	rcn_record rec;
	size_t n;
	const char *s;
	char buf[32];
	int64_t order, received, fee;

	memset(&rec, 0, sizeof(rec));
	s = col_value(p, C_BIZ_TYPE, &n);
	if (is_name(s, n, "交易")) {
		rec.type = RCN_REC_PAYMENT;
	} else if (is_name(s, n, "退款")) {
		rec.type = RCN_REC_REFUND;
	} else {
		rcn_verdict_quarantine(&p->v, "%s: unknown \"%s\"", cols[C_BIZ_TYPE].name, RCN_QUOTE(s, n));
		return;
	}
	col_value(p, C_TRADE_NO, &n);
	if (n == 0) {
		rcn_verdict_quarantine(&p->v, "%s is empty", cols[C_TRADE_NO].name);
		return;
	}
	if (!parse_amount(p, &order, C_ORDER_AMOUNT, RCN_SCALE_FEN, false) ||
	    !parse_amount(p, &received, C_RECEIVED, RCN_SCALE_FEN, false) ||
	    !parse_amount(p, &fee, C_FEE, RCN_SCALE_FEE, true))
		return;
	/* A refund row is written negative (§2); a sign the other way is not a row we can read. */
	bool refund = rec.type == RCN_REC_REFUND;
	if (refund ? order > 0 : order < 0) {
		rcn_verdict_quarantine(&p->v, "%s row with %s %s: %s", refund ? "退款" : "交易",
				       refund ? "a positive" : "a negative", cols[C_ORDER_AMOUNT].name,
				       rcn_money_format(buf, sizeof(buf), order, RCN_SCALE_FEN));
		return;
	}
	if (refund ? received > 0 : received < 0) {
		rcn_verdict_quarantine(&p->v, "%s row with %s %s: %s", refund ? "退款" : "交易",
				       refund ? "a positive" : "a negative", cols[C_RECEIVED].name,
				       rcn_money_format(buf, sizeof(buf), received, RCN_SCALE_FEN));
		return;
	}
	if (order == INT64_MIN || received == INT64_MIN || fee == INT64_MIN) {
		rcn_verdict_quarantine(&p->v, "amounts overflow");
		return;
	}
	rec.amount_fen = magnitude(order);
	rec.settle_fen = magnitude(received);
	/* The fee is charged on a payment and returned on a refund, whichever sign the row writes it with. */
	rec.fee = refund ? -magnitude(fee) : magnitude(fee);
	/* net: what Alipay credits for the row before its fee, refunds negative; the 汇总's 商家实收 total. */
	rec.net_fen = refund ? -rec.settle_fen : rec.settle_fen;
	s = col_value(p, C_FINISHED, &n);
	if (!parse_time(p, &rec, n > 0 || p->col[C_CREATED] < 0 ? C_FINISHED : C_CREATED))
		return;

	/* Sums are committed only when every one of them fits. */
	int64_t amount = refund ? p->res.refund_fen : p->res.amount_fen;
	int64_t recv = refund ? p->refund_received : p->pay_received;
	int64_t fees = p->res.fee, net = p->res.net_fen;
	if (!checked_add(&amount, rec.amount_fen) || !checked_add(&recv, rec.settle_fen) ||
	    !checked_add(&fees, rec.fee) || !checked_add(&net, rec.net_fen)) {
		rcn_verdict_quarantine(&p->v, "amounts overflow the file's totals");
		return;
	}
	p->res.fee = fees;
	p->res.net_fen = net;
	if (refund) {
		p->res.refunds++;
		p->res.refund_fen = amount;
		p->refund_received = recv;
	} else {
		p->res.payments++;
		p->res.amount_fen = amount;
		p->pay_received = recv;
	}

	rec.channel = p->channel;
	rec.merchant_id = p->account;
	rec.provider_id = p->account;
	rec.channel_txn_id = col_str(p, C_TRADE_NO);
	rec.order_no = col_str(p, C_ORDER_NO);
	rec.refund_no = refund ? col_str(p, C_REFUND_NO) : "";
	rec.channel_refund_id = "";
	rec.rate_ppm = -1;
	rec.currency = "CNY";
	rec.status = "SUCCESS"; /* the 业务明细 lists completed business only */
	rec.trade_type = "";
	rec.movement_type = "";
	rec.reference = "";
	rec.file = p->file;
	rec.line = rcn_csvrows_row_line(p->rows);
	if (p->rec_sink)
		p->rec_sink(p->ctx, &rec);
}

/* ---- 账务明细 rows ---- */

static void on_account_row(alipay *p)
{
	rcn_record rec;
	size_t n;
	char buf[32];
	int64_t in, out;

	memset(&rec, 0, sizeof(rec));
	col_value(p, C_FLOW_NO, &n);
	if (n == 0) {
		rcn_verdict_quarantine(&p->v, "%s is empty", cols[C_FLOW_NO].name);
		return;
	}
	if (!parse_amount(p, &in, C_IN, RCN_SCALE_FEN, true) || !parse_amount(p, &out, C_OUT, RCN_SCALE_FEN, true) ||
	    !parse_amount(p, &rec.balance_fen, C_BALANCE, RCN_SCALE_FEN, false))
		return;
	if (in < 0) {
		rcn_verdict_quarantine(&p->v, "%s is negative: %s", cols[C_IN].name,
				       rcn_money_format(buf, sizeof(buf), in, 2));
		return;
	}
	if (out == INT64_MIN) {
		rcn_verdict_quarantine(&p->v, "amounts overflow");
		return;
	}
	/* 支出金额（-元） is an expense whether the export writes it "-0.01" or "0.01". */
	out = magnitude(out);
	if (in != 0 && out != 0) {
		rcn_verdict_quarantine(&p->v, "both %s and %s are set", cols[C_IN].name, cols[C_OUT].name);
		return;
	}
	if (!parse_time(p, &rec, C_TIME))
		return;
	/* A row of 0.00 both ways counts as income, so that every row is counted once. */
	bool income = out == 0;
	int64_t total = income ? p->res.movement_in_fen : p->res.movement_out_fen;
	if (!checked_add(&total, income ? in : out)) {
		rcn_verdict_quarantine(&p->v, "amounts overflow the file's totals");
		return;
	}
	if (income) {
		p->res.movement_in_fen = total;
		p->in_count++;
		rec.amount_fen = in;
	} else {
		p->res.movement_out_fen = total;
		p->out_count++;
		rec.amount_fen = -out;
	}
	p->res.movements++;

	rec.type = RCN_REC_MOVEMENT;
	rec.channel = p->channel;
	rec.merchant_id = p->account;
	rec.provider_id = p->account;
	rec.channel_txn_id = col_str(p, C_FLOW_NO);
	rec.order_no = col_str(p, C_ORDER_NO);
	rec.refund_no = "";
	rec.channel_refund_id = "";
	rec.settle_fen = rec.amount_fen;
	rec.rate_ppm = -1;
	rec.currency = "CNY";
	rec.status = "";
	rec.trade_type = "";
	rec.movement_type = col_str(p, C_BIZ_TYPE);
	rec.reference = col_str(p, C_BIZ_NO);
	rec.file = p->file;
	rec.line = rcn_csvrows_row_line(p->rows);
	if (p->rec_sink)
		p->rec_sink(p->ctx, &rec);
}

/* ---- 业务明细(汇总) rows ----
 *
 * The 汇总 sums each column of the 业务明细 over every row as written, refund
 * rows negative, per store, and ends in a 合计 row. So its 商家实收 total is
 * the detail footer's 交易合计 plus its (negative) 退款合计, and what the
 * caller compares (rcn_stmt_result.stated against the detail's result) is:
 *   交易订单总笔数 -> stated.count       <-> detail payments
 *   退款订单总笔数 -> stated.refund_count <-> detail refunds
 *   商家实收（元）  -> stated.net_fen     <-> detail net_fen (Σ商家实收, refunds negative)
 *   服务费（元）    -> stated.fee         <-> detail fee (1e-5 yuan, refunds' returned fees negative)
 * 订单金额 is stated net of refunds too, which rcn_totals cannot hold apart
 * from amount_fen/refund_fen: it is only checked within this file. This is
 * read from the layout of the format, not verified against a real 汇总. */

/* Cell of column c in the 合计 row, which may leave out the empty 门店名称 cell. */
static const char *total_value(const alipay *p, enum col c, size_t *n, bool shifted)
{
	int i = p->col[c];
	if (i < 0) {
		*n = 0;
		return "";
	}
	if (shifted && i > p->col[C_STORE_NAME])
		i--;
	return value(p, (size_t)i, n);
}

static void on_summary_row(alipay *p)
{
	size_t n, nf = rcn_csvrows_count(p->rows);
	const char *first = value(p, 0, &n);
	bool total = is_name(first, n, "合计");
	bool shifted = false;
	int64_t v[S_COUNT] = {0};
	rcn_err e;

	if (total) {
		if (p->total_row_seen) {
			rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "a second 合计 row");
			return;
		}
		p->total_row_seen = true;
		p->res.has_summary = true;
		shifted = nf + 1 == p->ncols && p->col[C_STORE_NAME] >= 0;
		if (nf != p->ncols && !shifted) {
			rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "合计 row has %zu fields, the header %zu", nf,
						    p->ncols);
			return;
		}
	} else {
		if (p->total_row_seen) {
			rcn_verdict_trailing(&p->v, "unexpected row after the 合计 row");
			return;
		}
		p->res.rows++;
		if (nf != p->ncols) {
			rcn_verdict_quarantine(&p->v, "expected %zu fields, found %zu", p->ncols, nf);
			return;
		}
	}
	for (int k = 0; k < S_COUNT; k++) {
		enum col c = sum_cols[k].col;
		if (p->col[c] < 0)
			continue;
		const char *s = total_value(p, c, &n, shifted);
		bool ok;
		if (sum_cols[k].scale == 0) {
			ok = parse_count(&v[k], s, n);
			if (!ok)
				snprintf(e.msg, sizeof(e.msg), "invalid count \"%s\"", RCN_QUOTE(s, n));
		} else {
			ok = n == 0 || rcn_money_parse(&v[k], s, n, sum_cols[k].scale, &e) == RCN_OK;
		}
		if (!ok) {
			if (total)
				rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "合计 %s: %s", cols[c].name, e.msg);
			else
				rcn_verdict_quarantine(&p->v, "%s: %s", cols[c].name, e.msg);
			return;
		}
	}
	if (!total) {
		int64_t sums[S_COUNT];
		memcpy(sums, p->sums, sizeof(sums));
		for (int k = 0; k < S_COUNT; k++)
			if (!checked_add(&sums[k], v[k])) {
				rcn_verdict_quarantine(&p->v, "amounts overflow the file's totals");
				return;
			}
		memcpy(p->sums, sums, sizeof(sums));
		return;
	}

	rcn_totals *t = &p->res.stated;
	t->has_count = t->has_refund_count = t->has_net = true;
	t->count = (long)v[S_PAY_COUNT];
	t->refund_count = (long)v[S_REFUND_COUNT];
	t->net_fen = v[S_RECEIVED];
	if (p->col[C_FEE] >= 0) {
		t->has_fee = true;
		t->fee = v[S_FEE];
	}
	if (p->res.rows == 0)
		return; /* a 合计 row alone: nothing in this file to check it against */
	for (int k = 0; k < S_COUNT; k++) {
		enum col c = sum_cols[k].col;
		char a[32], b[32];
		if (p->col[c] < 0 || v[k] == p->sums[k])
			continue;
		if (sum_cols[k].scale == 0)
			rcn_verdict_summary_problem(&p->v, RCN_ETOTALS,
						    "control totals do not match: 合计 says %s %lld, rows have %lld",
						    cols[c].name, (long long)v[k], (long long)p->sums[k]);
		else
			rcn_verdict_summary_problem(
				&p->v, RCN_ETOTALS, "control totals do not match: 合计 says %s %s, rows have %s",
				cols[c].name, rcn_money_format(a, sizeof(a), v[k], sum_cols[k].scale),
				rcn_money_format(b, sizeof(b), p->sums[k], sum_cols[k].scale));
		return;
	}
}

void rcn_alipay_on_row(void *ctx, rcn_csvrows *rows)
{
	alipay *p = ctx;
	size_t n;
	rcn_csvrows_trim(rows);
	const char *first = value(p, 0, &n);
	if (n > 0 && first[0] == '#') {
		rcn_alipay_on_comment(p);
		return;
	}
	if (p->stage == ST_PREAMBLE) {
		on_header(p);
		return;
	}
	if (p->kind == K_SUMMARY) {
		on_summary_row(p);
		return;
	}
	if (p->stage == ST_FOOTER) {
		rcn_verdict_trailing(&p->v, "unexpected row after the footer");
		return;
	}
	p->res.rows++;
	if (rcn_csvrows_count(rows) != p->ncols) {
		rcn_verdict_quarantine(&p->v, "expected %zu fields, found %zu", p->ncols, rcn_csvrows_count(rows));
		return;
	}
	if (p->kind == K_TRADE)
		on_trade_row(p);
	else
		on_account_row(p);
}
