/* The WeChat bills' shared frame (see wechat_bill.h): setting up the reader,
 * the header line's columns, the summary row's width, feed, finish with its verdict, and destroy. */
#include "parse/wechat_bill.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "recon/text.h"

void rcn_wechat_bill_init(rcn_wechat_bill *b, const rcn_wechat_kind *kind, const rcn_parser_spec *spec,
			  rcn_csvrows_fn on_row)
{
	b->kind = kind;
	b->file = spec->file ? spec->file : "";
	b->channel = spec->channel ? spec->channel : "";
	b->rec_sink = spec->rec;
	b->ctx = spec->ctx;
	/* The reader also rejects an HTML or XML page: v2 answers errors as XML, and a
	 * proxy or login page comes back as HTML (FORMATS.md §1). */
	b->rows = rcn_csvrows_new(b->file, on_row, b);
	rcn_csvrows_set_what(b->rows, kind->what);
	rcn_verdict_init(&b->v, b->file, b->rows, spec->quar, spec->ctx, &b->res);
	b->stage = WX_HEADER;
}

bool rcn_wechat_bill_header(rcn_wechat_bill *b, int *col, const char *const *names, int ncol, const int *required,
			    size_t nrequired)
{
	const rcn_wechat_kind *k = b->kind;
	size_t n, nf = rcn_csvrows_count(b->rows);
	long line = rcn_csvrows_row_line(b->rows);
	const char *first = rcn_csvrows_field(b->rows, 0, &n);

	if (is_name(first, n, k->other_first)) {
		snprintf(b->res.format, sizeof(b->res.format), "%s", k->other_format);
		rcn_csvrows_fail(b->rows, RCN_EFORMAT, line, "not a %s (WeChat %s)", k->title, k->other_title);
		return false;
	}
	/* Not quoted: the file may be anything at all (a link to another file). */
	if (!is_name(first, n, names[0])) {
		rcn_csvrows_fail(b->rows, RCN_EFORMAT, line, "not a WeChat %s: no header line (%s,...)", k->title,
				 names[0]);
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

rcn_rc rcn_wechat_bill_feed(void *state, const char *buf, size_t n, rcn_err *err)
{
	rcn_wechat_bill *b = state;
	assert(!b->finished);
	rcn_csvrows_feed(b->rows, buf, n);
	return feed_result(rcn_csvrows_error(b->rows), err);
}

rcn_rc rcn_wechat_bill_finish(void *state, rcn_stmt_result *out)
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

void rcn_wechat_bill_destroy(void *state)
{
	rcn_wechat_bill *b = state;
	if (!b)
		return;
	rcn_csvrows_free(b->rows);
	free(b);
}
