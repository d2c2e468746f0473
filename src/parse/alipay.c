/* Alipay statement parsers (FORMATS.md §2): the 业务明细 trade detail, its
 * 业务明细(汇总) summary and the 账务明细 account detail. GBK bytes are
 * converted to UTF-8 line by line and read by header name; '#' comment lines
 * carry the account and the footer control totals. Holds one row, never the file.
 *
 * Encoding rule: the bytes are UTF-8 when they start with a UTF-8 BOM, or when
 * the first line (at most SNIFF_MAX bytes) holds a non-ASCII byte and is valid
 * UTF-8 (a re-saved export); otherwise they are GBK (read as GB18030). Real GBK
 * Chinese text is practically never valid UTF-8, and an all-ASCII first line
 * decides nothing, so GBK, the channel's encoding, is the default. A byte that
 * is invalid in the chosen encoding rejects the file with its line. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/csvrows.h"
#include "parse/parse_util.h"
#include "parse/parser_internal.h"
#include "parse/verdict.h"
#include "recon/charset.h"
#include "recon/money.h"
#include "recon/text.h"

#define SNIFF_MAX    ((size_t)4096)  /* raw bytes looked at to choose the encoding */
#define SLICE_MAX    ((size_t)16384) /* raw bytes converted at once */
#define COMMENT_MAX  ((size_t)1024)  /* bytes of a '#' line kept for reading it */
#define ACCOUNT_MAX  ((size_t)64)    /* longest 账号 kept as merchant id */
#define FOOTER_PARTS 4

enum kind { K_TRADE, K_SUMMARY, K_ACCOUNT };

static const char *const kind_names[] = {
	[K_TRADE] = "业务明细",
	[K_SUMMARY] = "业务明细(汇总)",
	[K_ACCOUNT] = "账务明细",
};

/* Every column any of the three files has that recon reads. Names are matched
 * with rcn_csvrows_name_eq, so 订单金额(元) also matches 订单金额（元）. */
enum col {
	/* 业务明细 */
	C_TRADE_NO,
	C_ORDER_NO,
	C_BIZ_TYPE,
	C_CREATED,
	C_FINISHED,
	C_ORDER_AMOUNT,
	C_RECEIVED,
	C_REFUND_NO,
	C_FEE,
	/* 业务明细(汇总) */
	C_STORE_ID,
	C_STORE_NAME,
	C_PAY_COUNT,
	C_REFUND_COUNT,
	C_NET,
	/* 账务明细 */
	C_FLOW_NO,
	C_BIZ_NO,
	C_TIME,
	C_IN,
	C_OUT,
	C_BALANCE,
	C_COUNT
};

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

/* Columns of the 汇总 that its 合计 row totals: counts, then amounts in fen
 * (服务费 at scale 5, as the detail's fee). */
enum sum { S_PAY_COUNT, S_REFUND_COUNT, S_ORDER_AMOUNT, S_RECEIVED, S_FEE, S_NET, S_COUNT };

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

/* Footer lines: trade 交易合计 / 退款合计, account 收入合计 / 支出合计. */
enum footer { F_PAY, F_REFUND, F_IN, F_OUT, F_COUNT };

static const char *const footer_names[F_COUNT] = {
	[F_PAY] = "交易合计",
	[F_REFUND] = "退款合计",
	[F_IN] = "收入合计",
	[F_OUT] = "支出合计",
};

enum stage { ST_PREAMBLE, ST_DETAIL, ST_FOOTER };

typedef struct {
	enum kind kind;
	const char *file;
	const char *channel;
	rcn_date business_date; /* 0: unknown, the header's dates are not checked */
	rcn_record_sink rec_sink;
	void *ctx;

	/* bytes */
	rcn_buf sniff; /* raw bytes held until the encoding is chosen */
	bool sniffed;
	rcn_charset *cs;
	rcn_buf conv; /* UTF-8 of one slice */
	long raw_line;
	rcn_csvrows *rows;

	/* file */
	enum stage stage;
	char account[ACCOUNT_MAX + 1];
	int col[C_COUNT]; /* header index of each column, -1 when absent */
	size_t ncols;
	int64_t pay_received, refund_received; /* Σ商家实收 of payments, Σ|商家实收| of refunds */
	long in_count, out_count;
	bool footer_seen[F_COUNT];
	int64_t sums[S_COUNT]; /* 汇总: what the store rows add up to */
	bool total_row_seen;

	rcn_stmt_result res;
	rcn_verdict v; /* bad rows, summary problems, a trailing row: why the file is rejected */
	bool finished;
} alipay;

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Field i, trimmed (on_row trims the row first): ID fields end with a TAB
 * that keeps Excel from rounding them (§2). */
static const char *value(const alipay *p, size_t i, size_t *n)
{
	return rcn_csvrows_field(p->rows, i, n);
}

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

static void fail(alipay *p, rcn_rc code, long line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(alipay *p, rcn_rc code, long line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rcn_csvrows_fail(p->rows, code, line, "%s", msg);
}

static int64_t magnitude(int64_t v)
{
	return v < 0 && v != INT64_MIN ? -v : v;
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
				fail(p, RCN_EFORMAT, line, "not %s (Alipay %s)", wanted[p->kind], kind_names[k]);
				return;
			}
		/* Not quoted: the file may be anything at all (a link to another file). */
		fail(p, RCN_EFORMAT, line, "not an Alipay %s: no header line (%s,...)", kind_names[p->kind],
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
			fail(p, RCN_EFORMAT, line, "%s header lacks %s", kind_names[p->kind], cols[req[i]].name);
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

/* ---- '#' lines ---- */

typedef struct {
	const char *label; /* text before 共, e.g. 商家实收 ("" for the 账务明细's "共14989.00元") */
	size_t label_len;
	int64_t fen;
} footer_part;

/* Skips one of the separators a footer writes (full-width or ASCII); returns its length or 0. */
static size_t skip_sep(const char *s, size_t n, const char *const *seps)
{
	for (size_t i = 0; seps[i]; i++) {
		size_t m = strlen(seps[i]);
		if (n >= m && memcmp(s, seps[i], m) == 0)
			return m;
	}
	return 0;
}

/* s[0..n) after the footer's name: "：6笔，商家实收共0.06元，商家优惠共0.00元".
 * Returns the number of parts, or -1 when the text does not read so. */
static int parse_footer(const char *s, size_t n, int64_t *count, footer_part *parts, int max)
{
	static const char *const colon[] = {"：", ":", NULL};
	static const char *const comma[] = {"，", ",", "；", ";", NULL};
	size_t m = skip_sep(s, n, colon), i;
	int np = 0;
	if (m == 0)
		return -1;
	s += m, n -= m;
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (!parse_count(count, s, i) || n - i < strlen("笔") || memcmp(s + i, "笔", strlen("笔")) != 0)
		return -1;
	s += i + strlen("笔"), n -= i + strlen("笔");
	while (n > 0) {
		m = skip_sep(s, n, comma);
		if (m == 0 || np == max)
			return -1;
		s += m, n -= m;
		const char *gong = memmem(s, n, "共", strlen("共"));
		if (!gong)
			return -1;
		const char *amt = gong + strlen("共");
		const char *yuan = memmem(amt, n - (size_t)(amt - s), "元", strlen("元"));
		rcn_err e;
		if (!yuan || rcn_money_parse(&parts[np].fen, amt, (size_t)(yuan - amt), RCN_SCALE_FEN, &e) != RCN_OK)
			return -1;
		parts[np].label = s;
		parts[np].label_len = (size_t)(gong - s);
		np++;
		m = (size_t)(yuan - s) + strlen("元");
		s += m, n -= m;
	}
	return np;
}

static void on_footer(alipay *p, enum footer f, const char *s, size_t n)
{
	footer_part parts[FOOTER_PARTS];
	int64_t count;
	const char *name = footer_names[f];
	char a[32], b[32];

	p->stage = ST_FOOTER;
	if (p->footer_seen[f]) {
		rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "footer %s appears twice", name);
		return;
	}
	p->footer_seen[f] = true;
	int np = parse_footer(s, n, &count, parts, FOOTER_PARTS);
	if (np < 0) {
		rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "footer %s: cannot read \"%s\"", name, RCN_QUOTE(s, n));
		return;
	}
	long rows = f == F_PAY	    ? p->res.payments
		    : f == F_REFUND ? p->res.refunds
		    : f == F_IN	    ? p->in_count
				    : p->out_count;
	if (count != rows) {
		rcn_verdict_summary_problem(&p->v, RCN_ETOTALS,
					    "control totals do not match: %s says %lld笔, rows have %ld", name,
					    (long long)count, rows);
		return;
	}
	/* The amount compared: 商家实收 of the trade footers (older exports name it
	 * otherwise, and only the count is checked then), the one 共…元 of the
	 * account footers. Refund and expense totals are written negative. */
	const char *label = f == F_PAY ? "商家实收" : f == F_REFUND ? "商家实收退款" : NULL;
	int64_t have = f == F_PAY      ? p->pay_received
		       : f == F_REFUND ? p->refund_received
		       : f == F_IN     ? p->res.movement_in_fen
				       : p->res.movement_out_fen;
	for (int i = 0; i < np; i++) {
		if (label ? !is_name(parts[i].label, parts[i].label_len, label) : i > 0)
			continue;
		int64_t stated = parts[i].fen;
		if (magnitude(stated) == have && (stated >= 0 || f == F_REFUND || f == F_OUT))
			return;
		int64_t shown = stated < 0 ? -have : have;
		rcn_verdict_summary_problem(
			&p->v, RCN_ETOTALS, "control totals do not match: %s says %s%s%s, rows have %s", name,
			RCN_QUOTE(parts[i].label, parts[i].label_len), parts[i].label_len ? " " : "",
			rcn_money_format(a, sizeof(a), stated, RCN_SCALE_FEN),
			rcn_money_format(b, sizeof(b), shown, RCN_SCALE_FEN));
		return;
	}
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t m = strlen(prefix);
	return n >= m && memcmp(s, prefix, m) == 0;
}

/* "2026年03月02日 00:00:00" (or 2026-03-02, 2026/03/02; the time may be
 * absent) inside the brackets of s[0..n): its time, or RCN_NO_TIME. */
static rcn_time period_time(const char *s, size_t n)
{
	size_t i = 0;
	int part[6] = {0, 0, 0, 0, 0, 0}, np = 0;
	static const char *const seps[] = {"年", "月", "日", "-", "/", ":", "：", " ", NULL};
	while (i < n && np < 6) {
		size_t d = 0;
		int v = 0;
		while (i + d < n && s[i + d] >= '0' && s[i + d] <= '9' && d < 4)
			v = v * 10 + (s[i + d] - '0'), d++;
		if (d == 0 || (np == 0 ? d != 4 : d != 2))
			return RCN_NO_TIME;
		part[np++] = v;
		i += d;
		size_t m;
		while (i < n && (m = skip_sep(s + i, n - i, seps)) > 0)
			i += m;
	}
	if (i != n || (np != 3 && np != 6) || part[1] < 1 || part[1] > 12 || part[2] < 1 || part[2] > 31 ||
	    part[3] > 23 || part[4] > 59 || part[5] > 59)
		return RCN_NO_TIME;
	rcn_date day = rcn_date_from_ymd(part[0], part[1], part[2]);
	int y, m, d;
	rcn_date_to_ymd(day, &y, &m, &d);
	if (y != part[0] || m != part[1] || d != part[2] || y < 1970)
		return RCN_NO_TIME;
	return (rcn_time)day * RCN_SECS_PER_DAY + part[3] * 3600 + part[4] * 60 + part[5];
}

/* The bracketed value after `tag` in text[0..len), or NULL. */
static const char *bracketed(const char *text, size_t len, const char *tag, size_t *n)
{
	const char *at = memmem(text, len, tag, strlen(tag));
	if (!at)
		return NULL;
	const char *open = memchr(at, '[', len - (size_t)(at - text));
	const char *close = open ? memchr(open, ']', len - (size_t)(open - text)) : NULL;
	if (!close)
		return NULL;
	*n = (size_t)(close - open - 1);
	return open + 1;
}

/* #起始日期：[…]   终止日期：[…]: the period the export covers (FORMATS.md §2).
 * A daily bill runs from 00:00:00 of its date to 00:00:00 of the next (or
 * 23:59:59 of the same day); one of another date, or a longer period, is
 * not the business date's bill, whatever its file is called. */
static void on_period(alipay *p, const char *text, size_t len)
{
	size_t nf = 0, nt = 0;
	const char *from = bracketed(text, len, "起始日期", &nf), *to = bracketed(text, len, "终止日期", &nt);
	rcn_time t0 = from ? period_time(from, nf) : RCN_NO_TIME, t1 = to ? period_time(to, nt) : RCN_NO_TIME;
	long line = rcn_csvrows_row_line(p->rows);
	char a[11], b[11], c[11];
	if (!p->business_date)
		return;
	if (t0 == RCN_NO_TIME || t1 == RCN_NO_TIME || t1 <= t0) {
		fail(p, RCN_EFORMAT, line, "cannot read the statement's period: \"%s\"", RCN_QUOTE(text, len));
		return;
	}
	/* the last day covered: an end at midnight closes the day before it */
	rcn_date first = rcn_time_date(t0), last = rcn_time_date(t1 - 1);
	if (first == p->business_date && last == p->business_date)
		return;
	if (first == last)
		fail(p, RCN_EFORMAT, line, "statement is for business date %s (its 起始日期), not %s (wrong file?)",
		     rcn_date_format(a, first), rcn_date_format(c, p->business_date));
	else
		fail(p, RCN_EFORMAT, line,
		     "statement covers %s to %s (its 起始日期 and 终止日期), not business date %s (wrong file?)",
		     rcn_date_format(a, first), rcn_date_format(b, last), rcn_date_format(c, p->business_date));
}

/* A '#' line: the fields joined back with ',' (footers may be padded with
 * commas, and an ASCII comma would have split them), trailing commas dropped. */
static void on_comment(alipay *p)
{
	char text[COMMENT_MAX];
	size_t len = 0, nf = rcn_csvrows_count(p->rows);
	for (size_t i = 0; i < nf; i++) {
		size_t n;
		const char *s = value(p, i, &n);
		if (i > 0 && len < sizeof(text))
			text[len++] = ',';
		if (n > sizeof(text) - len)
			n = sizeof(text) - len;
		memcpy(text + len, s, n);
		len += n;
	}
	while (len > 0 && (text[len - 1] == ',' || is_space(text[len - 1])))
		len--;

	static const char *const account_tags[] = {"#账号：[", "#账号:[", NULL};
	size_t m = skip_sep(text, len, account_tags);
	if (m > 0 && p->stage == ST_PREAMBLE) {
		const char *end = memchr(text + m, ']', len - m);
		size_t n = end ? (size_t)(end - text) - m : 0;
		if (end && n <= ACCOUNT_MAX) {
			memcpy(p->account, text + m, n);
			p->account[n] = '\0';
		}
		return;
	}
	static const char *const period_tags[] = {"#起始日期：[", "#起始日期:[", NULL};
	if (p->stage == ST_PREAMBLE && skip_sep(text, len, period_tags) > 0) {
		on_period(p, text, len);
		return;
	}
	if (p->stage == ST_PREAMBLE)
		return; /* title, the list's opening rule */
	if (starts_with(text, len, "#-") && memmem(text, len, "结束", strlen("结束"))) {
		p->stage = ST_FOOTER;
		return;
	}
	for (int f = 0; f < F_COUNT; f++) {
		if ((p->kind == K_TRADE) != (f == F_PAY || f == F_REFUND) || p->kind == K_SUMMARY)
			continue;
		size_t k = 1 + strlen(footer_names[f]);
		if (starts_with(text, len, "#") && starts_with(text + 1, len - 1, footer_names[f])) {
			on_footer(p, (enum footer)f, text + k, len - k);
			return;
		}
	}
	/* anything else (#导出时间：[…]) is information only */
}

static void on_row(void *ctx, rcn_csvrows *rows)
{
	alipay *p = ctx;
	size_t n;
	rcn_csvrows_trim(rows);
	const char *first = value(p, 0, &n);
	if (n > 0 && first[0] == '#') {
		on_comment(p);
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

/* ---- bytes: encoding, conversion ---- */

/* Converts raw bytes slice by slice (cut after each '\n', so a conversion
 * error names its line) and feeds the UTF-8 to the row reader. */
static void convert(alipay *p, const char *s, size_t n)
{
	while (n > 0 && !rcn_csvrows_error(p->rows)) {
		size_t len = n < SLICE_MAX ? n : SLICE_MAX;
		const char *nl = memchr(s, '\n', len);
		if (nl)
			len = (size_t)(nl - s) + 1;
		rcn_err e;
		rcn_rc rc = rcn_charset_convert(p->cs, s, len, &p->conv, &e);
		if (p->conv.len > 0)
			rcn_csvrows_feed(p->rows, p->conv.data, p->conv.len);
		rcn_buf_reset(&p->conv);
		if (rc == RCN_EFORMAT) {
			/* the text before the bad bytes went to the reader: it knows the column */
			rcn_csvrows_fail_text(p->rows, p->raw_line, rcn_csvrows_partial_field(p->rows), e.msg);
			return;
		}
		if (rc != RCN_OK) {
			fail(p, rc, p->raw_line, "%s", e.msg);
			return;
		}
		if (nl)
			p->raw_line++;
		s += len;
		n -= len;
	}
}

static bool looks_utf8(const char *s, size_t n, bool cut)
{
	static const char BOM[3] = {'\xEF', '\xBB', '\xBF'};
	if (n >= 3 && memcmp(s, BOM, 3) == 0)
		return true;
	const char *nl = memchr(s, '\n', n);
	if (nl)
		n = (size_t)(nl - s);
	bool ascii = true;
	for (size_t i = 0; i < n && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (ascii)
		return false;
	/* A first line cut at SNIFF_MAX may end inside a character. */
	for (size_t drop = 0; drop <= (!nl && cut ? 3u : 0u) && drop < n; drop++)
		if (rcn_utf8_valid(s, n - drop))
			return true;
	return false;
}

static void choose_encoding(alipay *p)
{
	rcn_err e;
	const char *s = p->sniff.data ? p->sniff.data : "";
	p->sniffed = true;
	if (rcn_charset_open(&p->cs, looks_utf8(s, p->sniff.len, p->sniff.len >= SNIFF_MAX) ? "UTF-8" : "GBK", &e) !=
	    RCN_OK) {
		fail(p, e.code, 0, "%s", e.msg);
		return;
	}
	convert(p, s, p->sniff.len);
	rcn_buf_free(&p->sniff);
}

static alipay *create(enum kind kind, const rcn_parser_spec *spec)
{
	alipay *p = rcn_xcalloc(1, sizeof(*p));
	p->kind = kind;
	p->file = spec->file ? spec->file : "";
	p->channel = spec->channel ? spec->channel : "";
	p->business_date = spec->business_date;
	p->rec_sink = spec->rec;
	p->ctx = spec->ctx;
	rcn_buf_init(&p->sniff, SNIFF_MAX);
	rcn_buf_init(&p->conv, 4 * SLICE_MAX + 64); /* a GB18030 byte never becomes more than 4 of UTF-8 */
	p->raw_line = 1;
	p->rows = rcn_csvrows_new(p->file, on_row, p);
	static const char *const what[] = {[K_TRADE] = "an Alipay 业务明细",
					   [K_SUMMARY] = "an Alipay 业务明细(汇总)",
					   [K_ACCOUNT] = "an Alipay 账务明细"};
	rcn_csvrows_set_what(p->rows, what[kind]);
	rcn_verdict_init(&p->v, p->file, p->rows, spec->quar, spec->ctx, &p->res);
	for (int c = 0; c < C_COUNT; c++)
		p->col[c] = -1;
	p->stage = ST_PREAMBLE;
	return p;
}

static rcn_rc alipay_feed(void *state, const char *buf, size_t n, rcn_err *err)
{
	alipay *p = state;
	assert(!p->finished);
	if (!p->sniffed && !rcn_csvrows_error(p->rows)) {
		size_t take = SNIFF_MAX - p->sniff.len;
		if (take > n)
			take = n;
		rcn_buf_append(&p->sniff, buf, take); /* fits: take is within the limit */
		buf += take;
		n -= take;
		if (p->sniff.len < SNIFF_MAX && (p->sniff.len == 0 || !memchr(p->sniff.data, '\n', p->sniff.len)))
			return RCN_OK; /* the first line is not complete yet */
		choose_encoding(p);
	}
	if (p->sniffed)
		convert(p, buf, n);
	const rcn_err *fatal = rcn_csvrows_error(p->rows);
	if (fatal) {
		if (err)
			*err = *fatal;
		return fatal->code;
	}
	return RCN_OK;
}

static rcn_rc alipay_finish(void *state, rcn_stmt_result *out)
{
	alipay *p = state;
	rcn_err e;
	assert(!p->finished);
	p->finished = true;
	if (!p->sniffed && !rcn_csvrows_error(p->rows))
		choose_encoding(p);
	if (p->cs && !rcn_csvrows_error(p->rows) && rcn_charset_finish(p->cs, &p->conv, &e) != RCN_OK)
		fail(p, e.code, p->raw_line, "%s", e.msg);
	rcn_csvrows_finish(p->rows);

	rcn_stmt_result *res = &p->res;
	/* Both footer lines are required of the 业务明细 and of the 账务明细: every
	 * export writes them (0笔 on a quiet day), and a file cut short loses them
	 * first, so without them the rows cannot be vouched for. */
	const char *footer = NULL;
	if (p->kind == K_TRADE && !(p->footer_seen[F_PAY] && p->footer_seen[F_REFUND]))
		footer = !p->footer_seen[F_PAY] && !p->footer_seen[F_REFUND] ? "totals"
			 : p->footer_seen[F_PAY]			     ? footer_names[F_REFUND]
									     : footer_names[F_PAY];
	if (p->kind == K_ACCOUNT && !(p->footer_seen[F_IN] && p->footer_seen[F_OUT]))
		footer = !p->footer_seen[F_IN] && !p->footer_seen[F_OUT] ? "totals"
			 : p->footer_seen[F_IN]				 ? footer_names[F_OUT]
									 : footer_names[F_IN];
	if (p->kind != K_SUMMARY)
		res->has_summary = !footer;

	/* The same order of causes as the WeChat parsers: the first one a reader should fix. */
	rcn_err missing;
	rcn_err_clear(&missing);
	if (p->stage == ST_PREAMBLE)
		rcn_err_set(&missing, RCN_EFORMAT, p->file, 0, "empty file: no header");
	else if (p->kind == K_SUMMARY && !p->total_row_seen)
		rcn_err_set(&missing, RCN_EFORMAT, p->file, 0, "missing 合计 row (truncated file?)");
	else if (footer)
		rcn_err_set(&missing, RCN_EFORMAT, p->file, 0, "missing footer %s (truncated file?)", footer);
	return rcn_verdict_finish(&p->v, &missing, out);
}

static void alipay_destroy(void *state)
{
	alipay *p = state;
	if (!p)
		return;
	rcn_csvrows_free(p->rows);
	rcn_charset_close(p->cs);
	rcn_buf_free(&p->sniff);
	rcn_buf_free(&p->conv);
	free(p);
}

static void *trade_create(const rcn_parser_spec *spec)
{
	return create(K_TRADE, spec);
}

static void *summary_create(const rcn_parser_spec *spec)
{
	return create(K_SUMMARY, spec);
}

static void *account_create(const rcn_parser_spec *spec)
{
	return create(K_ACCOUNT, spec);
}

const rcn_parser_ops rcn_alipay_trade_ops = {"alipay-trade", trade_create, alipay_feed, alipay_finish, alipay_destroy};
const rcn_parser_ops rcn_alipay_summary_ops = {"alipay-summary", summary_create, alipay_feed, alipay_finish,
					       alipay_destroy};
const rcn_parser_ops rcn_alipay_account_ops = {"alipay-account", account_create, alipay_feed, alipay_finish,
					       alipay_destroy};
