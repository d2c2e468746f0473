/* WeChat Pay fund-flow bill parser (FORMATS.md §1, fund-flow bill): what the
 * merchant account really received and paid, as RCN_REC_MOVEMENT records,
 * checked against the bill's own summary row. Holds one row, never the file. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/csvrows.h"
#include "parse/parse_util.h"
#include "parse/parser_internal.h"
#include "parse/verdict.h"
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

static const enum col required[] = {C_TIME, C_REFERENCE, C_FLOW_ID, C_BIZ_TYPE, C_DIRECTION, C_AMOUNT, C_BALANCE};

/* The summary row's columns: every one must be present and agree with the rows. */
enum stated { T_ROWS, T_IN_COUNT, T_IN_FEN, T_OUT_COUNT, T_OUT_FEN, T_COUNT };

static const struct {
	const char *name;
	bool money;
} stated_cols[T_COUNT] = {
	[T_ROWS] = {"资金流水总笔数", false}, [T_IN_COUNT] = {"收入笔数", false}, [T_IN_FEN] = {"收入金额", true},
	[T_OUT_COUNT] = {"支出笔数", false},  [T_OUT_FEN] = {"支出金额", true},
};

enum stage { ST_HEADER, ST_DETAIL, ST_SUMMARY_VALUES, ST_AFTER_SUMMARY };

typedef struct {
	const char *file;
	const char *channel;
	rcn_record_sink rec_sink;
	void *ctx;
	rcn_csvrows *rows;

	enum stage stage;
	int col[C_COUNT]; /* header index of each column, -1 when absent */
	size_t ncols;
	int summary_col[T_COUNT]; /* summary header index of each stated total, -1 when absent */
	size_t nsummary;
	long in_count, out_count;

	rcn_stmt_result res;
	rcn_verdict v; /* bad rows, summary problems, a trailing row: why the file is rejected */
	bool finished;
} fundflow;

/* Field i with its backtick stripped (tolerated when missing). */
static const char *value(const fundflow *p, size_t i, size_t *n)
{
	return strip_backtick(rcn_csvrows_field(p->rows, i, n), n);
}

static const char *col_value(const fundflow *p, enum col c, size_t *n)
{
	if (p->col[c] < 0) {
		*n = 0;
		return "";
	}
	return value(p, (size_t)p->col[c], n);
}

static void on_header(fundflow *p)
{
	size_t n, nf = rcn_csvrows_count(p->rows);
	long line = rcn_csvrows_row_line(p->rows);
	const char *first = rcn_csvrows_field(p->rows, 0, &n);

	if (is_name(first, n, "交易时间")) {
		snprintf(p->res.format, sizeof(p->res.format), "wechat-trade");
		rcn_csvrows_fail(p->rows, RCN_EFORMAT, line, "not a fund-flow bill (WeChat trade bill)");
		return;
	}
	/* Not quoted: the file may be anything at all (a link to another file). */
	if (!is_name(first, n, col_names[C_TIME])) {
		rcn_csvrows_fail(p->rows, RCN_EFORMAT, line, "not a WeChat fund-flow bill: no header line (%s,...)",
				 col_names[C_TIME]);
		return;
	}
	if (!rcn_csvrows_set_header(p->rows))
		return;
	for (size_t i = 0; i < nf; i++) {
		const char *s = rcn_csvrows_field(p->rows, i, &n);
		for (int c = 0; c < C_COUNT; c++)
			if (p->col[c] < 0 && rcn_csvrows_name_eq(s, n, col_names[c]))
				p->col[c] = (int)i;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (p->col[required[i]] < 0) {
			rcn_csvrows_fail(p->rows, RCN_EFORMAT, line, "fund-flow bill header lacks %s",
					 col_names[required[i]]);
			return;
		}
	snprintf(p->res.format, sizeof(p->res.format), "wechat-fundflow");
	p->ncols = nf;
	p->stage = ST_DETAIL;
}

static void on_detail(fundflow *p)
{
	rcn_record rec;
	rcn_err e;
	size_t n, nf = rcn_csvrows_count(p->rows);
	const char *s;
	char buf[32];
	bool income;

	p->res.rows++;
	if (nf != p->ncols) {
		rcn_verdict_quarantine(&p->v, "expected %zu fields, found %zu", p->ncols, nf);
		return;
	}
	memset(&rec, 0, sizeof(rec));
	s = col_value(p, C_DIRECTION, &n);
	if (is_name(s, n, "收入")) {
		income = true;
	} else if (is_name(s, n, "支出")) {
		income = false;
	} else {
		rcn_verdict_quarantine(&p->v, "%s: unknown \"%s\"", col_names[C_DIRECTION], RCN_QUOTE(s, n));
		return;
	}
	/* The direction is 收支类型; the amount is written unsigned. */
	s = col_value(p, C_AMOUNT, &n);
	if (rcn_money_parse(&rec.amount_fen, s, n, RCN_SCALE_FEN, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->v, "%s: %s", col_names[C_AMOUNT], e.msg);
		return;
	}
	if (rec.amount_fen < 0) {
		rcn_verdict_quarantine(&p->v, "%s is negative: %s", col_names[C_AMOUNT],
				       rcn_money_format(buf, sizeof(buf), rec.amount_fen, RCN_SCALE_FEN));
		return;
	}
	s = col_value(p, C_BALANCE, &n);
	if (rcn_money_parse(&rec.balance_fen, s, n, RCN_SCALE_FEN, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->v, "%s: %s", col_names[C_BALANCE], e.msg);
		return;
	}
	s = col_value(p, C_TIME, &n);
	if (rcn_datetime_parse(rec.trade_time, &rec.trade_date, s, n, &e) != RCN_OK) {
		rcn_verdict_quarantine(&p->v, "%s: %s", col_names[C_TIME], e.msg);
		return;
	}
	s = col_value(p, C_FLOW_ID, &n);
	if (n == 0) {
		rcn_verdict_quarantine(&p->v, "%s is empty", col_names[C_FLOW_ID]);
		return;
	}

	int64_t total = income ? p->res.movement_in_fen : p->res.movement_out_fen;
	if (!checked_add(&total, rec.amount_fen)) {
		rcn_verdict_quarantine(&p->v, "amounts overflow the file's totals");
		return;
	}
	if (income) {
		p->res.movement_in_fen = total;
		p->in_count++;
	} else {
		p->res.movement_out_fen = total;
		p->out_count++;
		rec.amount_fen = -rec.amount_fen;
	}
	p->res.movements++;

	rec.channel = p->channel;
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
	rec.file = p->file;
	rec.line = rcn_csvrows_row_line(p->rows);
	if (p->rec_sink)
		p->rec_sink(p->ctx, &rec);
}

static void on_summary_header(fundflow *p)
{
	size_t n, nf = rcn_csvrows_count(p->rows);
	for (int k = 0; k < T_COUNT; k++)
		p->summary_col[k] = -1;
	for (size_t i = 0; i < nf; i++) {
		const char *s = rcn_csvrows_field(p->rows, i, &n);
		for (int k = 0; k < T_COUNT; k++)
			if (p->summary_col[k] < 0 && is_name(s, n, stated_cols[k].name))
				p->summary_col[k] = (int)i;
	}
	p->nsummary = nf;
	p->stage = ST_SUMMARY_VALUES;
}

static void on_summary_values(fundflow *p)
{
	size_t nf = rcn_csvrows_count(p->rows);
	int64_t have[T_COUNT] = {
		[T_ROWS] = p->res.rows,
		[T_IN_COUNT] = p->in_count,
		[T_IN_FEN] = p->res.movement_in_fen,
		[T_OUT_COUNT] = p->out_count,
		[T_OUT_FEN] = p->res.movement_out_fen,
	};

	p->stage = ST_AFTER_SUMMARY;
	p->res.has_summary = true;
	if (nf != p->nsummary) {
		rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "summary row has %zu fields, its header %zu", nf,
					    p->nsummary);
		return;
	}
	for (int k = 0; k < T_COUNT; k++)
		if (p->summary_col[k] < 0) {
			rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "fund-flow summary lacks %s",
						    stated_cols[k].name);
			return;
		}
	/* In the order of the bill's summary header, so the message names its first column that disagrees. */
	for (size_t i = 0; i < nf; i++) {
		for (int k = 0; k < T_COUNT; k++) {
			if ((size_t)p->summary_col[k] != i)
				continue;
			const char *name = stated_cols[k].name;
			size_t n;
			const char *s = value(p, i, &n);
			int64_t stated;
			char a[32], b[32];
			rcn_err e;
			if (!stated_cols[k].money) {
				if (!parse_count(&stated, s, n)) {
					rcn_verdict_summary_problem(&p->v, RCN_EFORMAT,
								    "summary %s: invalid count \"%s\"", name,
								    RCN_QUOTE(s, n));
					return;
				}
				if (stated != have[k]) {
					rcn_verdict_summary_problem(
						&p->v, RCN_ETOTALS,
						"control totals do not match: %s says %lld, rows have %lld", name,
						(long long)stated, (long long)have[k]);
					return;
				}
				continue;
			}
			if (rcn_money_parse(&stated, s, n, RCN_SCALE_FEN, &e) != RCN_OK) {
				rcn_verdict_summary_problem(&p->v, RCN_EFORMAT, "summary %s: %s", name, e.msg);
				return;
			}
			/* 支出金额 is a magnitude; a bill that writes it negative means the same. */
			if (k == T_OUT_FEN && stated < 0 && stated != INT64_MIN)
				stated = -stated;
			if (stated != have[k]) {
				rcn_verdict_summary_problem(&p->v, RCN_ETOTALS,
							    "control totals do not match: %s says %s, rows have %s",
							    name, rcn_money_format(a, sizeof(a), stated, RCN_SCALE_FEN),
							    rcn_money_format(b, sizeof(b), have[k], RCN_SCALE_FEN));
				return;
			}
		}
	}
}

static void on_row(void *ctx, rcn_csvrows *rows)
{
	fundflow *p = ctx;
	size_t n;
	const char *first;
	switch (p->stage) {
	case ST_HEADER:
		on_header(p);
		break;
	case ST_DETAIL:
		first = rcn_csvrows_field(rows, 0, &n);
		if (is_name(first, n, stated_cols[T_ROWS].name))
			on_summary_header(p);
		else
			on_detail(p);
		break;
	case ST_SUMMARY_VALUES:
		on_summary_values(p);
		break;
	case ST_AFTER_SUMMARY:
		rcn_verdict_trailing(&p->v, "unexpected row after the summary");
		break;
	}
}

static void *fundflow_create(const rcn_parser_spec *spec)
{
	fundflow *p = rcn_xcalloc(1, sizeof(*p));
	p->file = spec->file ? spec->file : "";
	p->channel = spec->channel ? spec->channel : "";
	p->rec_sink = spec->rec;
	p->ctx = spec->ctx;
	p->rows = rcn_csvrows_new(p->file, on_row, p);
	rcn_csvrows_set_what(p->rows, "a WeChat fund-flow bill");
	rcn_verdict_init(&p->v, p->file, p->rows, spec->quar, spec->ctx, &p->res);
	for (int c = 0; c < C_COUNT; c++)
		p->col[c] = -1;
	p->stage = ST_HEADER;
	return p;
}

static rcn_rc fundflow_feed(void *state, const char *buf, size_t n, rcn_err *err)
{
	fundflow *p = state;
	assert(!p->finished);
	rcn_csvrows_feed(p->rows, buf, n);
	const rcn_err *fatal = rcn_csvrows_error(p->rows);
	if (fatal) {
		if (err)
			*err = *fatal;
		return fatal->code;
	}
	return RCN_OK;
}

static rcn_rc fundflow_finish(void *state, rcn_stmt_result *out)
{
	fundflow *p = state;
	assert(!p->finished);
	p->finished = true;
	rcn_csvrows_finish(p->rows);

	/* The same order of causes as the trade bill: the first one a reader should fix. */
	rcn_err missing;
	rcn_err_clear(&missing);
	if (p->stage == ST_HEADER)
		rcn_err_set(&missing, RCN_EFORMAT, p->file, 0, "empty file: no header");
	else if (!p->res.has_summary)
		rcn_err_set(&missing, RCN_EFORMAT, p->file, 0, "missing summary row (truncated file?)");
	return rcn_verdict_finish(&p->v, &missing, out);
}

static void fundflow_destroy(void *state)
{
	fundflow *p = state;
	if (!p)
		return;
	rcn_csvrows_free(p->rows);
	free(p);
}

const rcn_parser_ops rcn_wechat_fundflow_ops = {"wechat-fundflow", fundflow_create, fundflow_feed, fundflow_finish,
						fundflow_destroy};
