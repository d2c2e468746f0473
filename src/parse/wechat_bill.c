/* The WeChat bills' shared frame (see wechat_bill.h): the table of the two
 * bills, setting up the reader, the dispatch of each row by the bill's stage,
 * the header line's columns, the summary row's width, feed, finish with its verdict, and destroy. */
#include "parse/wechat_bill.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse/parser_internal.h"
#include "recon/text.h"

/* The two bills. Each is the other's "other": a file of the one given to the
 * other's parser is named for what it is. */
typedef struct {
	const char *title;	   /* "trade bill", in messages */
	const char *what;	   /* "a WeChat trade bill", for the reader's messages */
	const char *first;	   /* the header's first name */
	const char *format;	   /* the format named when the bill is given to the other's parser */
	const char *summary_first; /* the summary header's first name */
	void (*header)(rcn_wechat_bill *b);
	void (*detail)(rcn_wechat_bill *b);
	void (*summary_header)(rcn_wechat_bill *b);
	void (*summary_values)(rcn_wechat_bill *b);
} bill_kind;

static const bill_kind kinds[] = {
	[RCN_WECHAT_TRADE] = {"trade bill", "a WeChat trade bill", "交易时间", "wechat-trade", "总交易单数",
			      rcn_wechat_trade_header, rcn_wechat_trade_detail, rcn_wechat_trade_summary_header,
			      rcn_wechat_trade_summary_values},
	[RCN_WECHAT_FUNDFLOW] = {"fund-flow bill", "a WeChat fund-flow bill", "记账时间", "wechat-fundflow",
				 "资金流水总笔数", rcn_wechat_fundflow_header, rcn_wechat_fundflow_detail,
				 rcn_wechat_fundflow_summary_header, rcn_wechat_fundflow_summary_values},
};

/* Hands the current row to the bill's handler for its stage. Inlined into one
 * row function per bill with its kind constant, so the per-row calls are
 * direct rather than through the table's pointers. */
static inline void dispatch(rcn_wechat_bill *b, const bill_kind *kind)
{
	size_t n;
	const char *first;
	switch (b->stage) {
	case WX_HEADER:
		kind->header(b);
		break;
	case WX_DETAIL:
		first = rcn_csvrows_field(b->rows, 0, &n);
		if (is_name(first, n, kind->summary_first)) {
			kind->summary_header(b);
			break;
		}
		b->res.rows++;
		n = rcn_csvrows_count(b->rows);
		if (n != b->ncols)
			rcn_verdict_quarantine(&b->v, "expected %zu fields, found %zu", b->ncols, n);
		else
			kind->detail(b);
		break;
	case WX_SUMMARY_VALUES:
		kind->summary_values(b);
		break;
	case WX_AFTER_SUMMARY:
		rcn_verdict_trailing(&b->v, "unexpected row after the summary");
		break;
	}
}

static void trade_row(void *ctx, rcn_csvrows *rows)
{
	(void)rows; /* the bill's own reader */
	dispatch(ctx, &kinds[RCN_WECHAT_TRADE]);
}

static void fundflow_row(void *ctx, rcn_csvrows *rows)
{
	(void)rows;
	dispatch(ctx, &kinds[RCN_WECHAT_FUNDFLOW]);
}

void rcn_wechat_bill_init(rcn_wechat_bill *b, enum rcn_wechat_which which, const rcn_parser_spec *spec)
{
	b->which = which;
	b->file = spec->file ? spec->file : "";
	b->channel = spec->channel ? spec->channel : "";
	b->rec_sink = spec->rec;
	b->ctx = spec->ctx;
	/* The reader also rejects an HTML or XML page: v2 answers errors as XML, and a
	 * proxy or login page comes back as HTML (FORMATS.md §1). */
	b->rows = rcn_csvrows_new(b->file, which == RCN_WECHAT_TRADE ? trade_row : fundflow_row, b);
	rcn_csvrows_set_what(b->rows, kinds[which].what);
	rcn_verdict_init(&b->v, b->file, b->rows, spec->quar, spec->ctx, &b->res);
	b->stage = WX_HEADER;
}

bool rcn_wechat_bill_header(rcn_wechat_bill *b, int *col, const char *const *names, int ncol, const int *required,
			    size_t nrequired)
{
	const bill_kind *k = &kinds[b->which], *other = &kinds[!b->which];
	size_t n, nf = rcn_csvrows_count(b->rows);
	long line = rcn_csvrows_row_line(b->rows);
	const char *first = rcn_csvrows_field(b->rows, 0, &n);

	if (is_name(first, n, other->first)) {
		snprintf(b->res.format, sizeof(b->res.format), "%s", other->format);
		rcn_csvrows_fail(b->rows, RCN_EFORMAT, line, "not a %s (WeChat %s)", k->title, other->title);
		return false;
	}
	/* Not quoted: the file may be anything at all (a link to another file). */
	if (!is_name(first, n, k->first)) {
		rcn_csvrows_fail(b->rows, RCN_EFORMAT, line, "not a WeChat %s: no header line (%s,...)", k->title,
				 k->first);
		return false;
	}
	if (!rcn_csvrows_set_header(b->rows))
		return false;
	for (int c = 0; c < ncol; c++)
		col[c] = -1;
	for (size_t i = 0; i < nf; i++) {
		const char *s = rcn_csvrows_field(b->rows, i, &n);
		for (int c = 0; c < ncol; c++)
			if (col[c] < 0 && rcn_csvrows_name_eq(s, n, names[c]))
				col[c] = (int)i;
	}
	for (size_t i = 0; i < nrequired; i++)
		if (col[required[i]] < 0) {
			rcn_csvrows_fail(b->rows, RCN_EFORMAT, line, "%s header lacks %s", k->title,
					 names[required[i]]);
			return false;
		}
	b->ncols = nf;
	return true;
}

bool rcn_wechat_bill_summary_row(rcn_wechat_bill *b)
{
	size_t nf = rcn_csvrows_count(b->rows);
	b->stage = WX_AFTER_SUMMARY;
	b->res.has_summary = true;
	if (nf != b->nsummary) {
		rcn_verdict_summary_problem(&b->v, RCN_EFORMAT, "summary row has %zu fields, its header %zu", nf,
					    b->nsummary);
		return false;
	}
	return true;
}

static rcn_rc feed(void *state, const char *buf, size_t n, rcn_err *err)
{
	rcn_wechat_bill *b = state;
	assert(!b->finished);
	rcn_csvrows_feed(b->rows, buf, n);
	return feed_result(rcn_csvrows_error(b->rows), err);
}

static rcn_rc finish(void *state, rcn_stmt_result *out)
{
	rcn_wechat_bill *b = state;
	assert(!b->finished);
	b->finished = true;
	rcn_csvrows_finish(b->rows); /* ends a last row that has no newline */
	if (b->stage == WX_HEADER)
		rcn_verdict_missing(&b->v, "empty file: no header");
	else if (!b->res.has_summary)
		rcn_verdict_missing(&b->v, "missing summary row (truncated file?)");
	return rcn_verdict_finish(&b->v, out);
}

static void destroy(void *state)
{
	rcn_wechat_bill *b = state;
	if (!b)
		return;
	rcn_csvrows_free(b->rows);
	free(b);
}

const rcn_parser_ops rcn_wechat_trade_ops = {"wechat-trade", rcn_wechat_trade_new, feed, finish, destroy};
const rcn_parser_ops rcn_wechat_fundflow_ops = {"wechat-fundflow", rcn_wechat_fundflow_new, feed, finish, destroy};
