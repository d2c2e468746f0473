/* What the two WeChat bills (FORMATS.md §1: the trade bill in wechat.c, the
 * fund-flow bill in wechat_fundflow.c) share. Both are backtick-valued CSV
 * read through rcn_csvrows in the same order of rows:
 *
 *   header line --(rcn_wechat_bill_header: columns by name, required ones)-->
 *   detail rows --(kind->detail: one rcn_record each, sums)--> a summary header
 *   (its first cell kind->summary_first) --> the summary's values row (checked
 *   against the sums) --> nothing more (a row here is a trailing row)
 *
 * and the same lifecycle and verdict (verdict.h). A bill's parser embeds an
 * rcn_wechat_bill as its first member and supplies an rcn_wechat_kind. */
#ifndef RECON_PARSE_WECHAT_BILL_H
#define RECON_PARSE_WECHAT_BILL_H

#include <stdbool.h>
#include <stddef.h>

#include "parse/csvrows.h"
#include "parse/parse_util.h"
#include "parse/verdict.h"
#include "recon/parse.h"

enum rcn_wechat_stage { WX_HEADER, WX_DETAIL, WX_SUMMARY_VALUES, WX_AFTER_SUMMARY };

typedef struct rcn_wechat_bill rcn_wechat_bill;

/* One kind of bill: its names and what it does with each kind of row (the
 * bill's parser struct, which starts with its rcn_wechat_bill, is passed). */
typedef struct {
	const char *title;		    /* "trade bill", in messages */
	const char *what;		    /* "a WeChat trade bill", for the reader's messages */
	const char *other_title;	    /* the other WeChat bill, "fund-flow bill" */
	const char *other_first;	    /* the first header name of the other bill */
	const char *other_format;	    /* its format name, told when it is given instead */
	const char *summary_first;	    /* the summary header's first cell */
	void (*header)(rcn_wechat_bill *b); /* through rcn_wechat_bill_header */
	void (*detail)(rcn_wechat_bill *b);
	void (*summary_header)(rcn_wechat_bill *b);
	void (*summary_values)(rcn_wechat_bill *b);
} rcn_wechat_kind;

struct rcn_wechat_bill {
	const rcn_wechat_kind *kind;
	const char *file;
	const char *channel;
	rcn_record_sink rec_sink;
	void *ctx;
	rcn_csvrows *rows; /* bytes to rows; holds the fatal error (first one wins) */
	enum rcn_wechat_stage stage;
	size_t ncols;	 /* fields of the header line */
	size_t nsummary; /* fields of the summary header */
	rcn_stmt_result res;
	rcn_verdict v; /* bad rows, summary problems, a trailing row: why the file is rejected */
	bool finished;
};

/* Sets up b for spec (borrowed: it must outlive b), the rows in WX_HEADER;
 * the reader hands each row to on_row(b, rows), which is the bill's own
 * function calling rcn_wechat_bill_dispatch. */
void rcn_wechat_bill_init(rcn_wechat_bill *b, const rcn_wechat_kind *kind, const rcn_parser_spec *spec,
			  rcn_csvrows_fn on_row);

/* Hands the current row to the kind's function for the bill's stage. Inline
 * in each bill's on_row with its own constant kind, so the per-row calls are
 * direct (and the detail row's reader inlined) rather than through pointers. */
static inline void rcn_wechat_bill_dispatch(rcn_wechat_bill *b, const rcn_wechat_kind *kind)
{
	size_t n;
	const char *first;
	switch (b->stage) {
	case WX_HEADER:
		kind->header(b);
		break;
	case WX_DETAIL:
		first = rcn_csvrows_field(b->rows, 0, &n);
		if (is_name(first, n, kind->summary_first))
			kind->summary_header(b);
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

/* Reads the header line (the current row): col[c] becomes the index of the
 * field named names[c] (-1 when absent; names[0] must be the first field).
 * The reader fails, and false is returned, when the line is the other bill's
 * header, not this bill's, or lacks one of required[0..nrequired). */
bool rcn_wechat_bill_header(rcn_wechat_bill *b, int *col, const char *const *names, int ncol, const int *required,
			    size_t nrequired);

/* Field i with its backtick stripped (tolerated when missing). */
static inline const char *rcn_wechat_value(const rcn_wechat_bill *b, size_t i, size_t *n)
{
	return strip_backtick(rcn_csvrows_field(b->rows, i, n), n);
}

/* The value of the column at header index i, or "" when it is absent (i < 0). */
static inline const char *rcn_wechat_col(const rcn_wechat_bill *b, int i, size_t *n)
{
	if (i < 0) {
		*n = 0;
		return "";
	}
	return rcn_wechat_value(b, (size_t)i, n);
}

/* The summary's values row has as many fields as its header: else false and
 * a summary problem. Either way the summary is seen and the bill ends here. */
bool rcn_wechat_bill_summary_row(rcn_wechat_bill *b);

/* The rcn_parser_ops of a WeChat bill: b is the parser's state. */
rcn_rc rcn_wechat_bill_feed(void *b, const char *buf, size_t n, rcn_err *err);
rcn_rc rcn_wechat_bill_finish(void *b, rcn_stmt_result *out);
void rcn_wechat_bill_destroy(void *b);

#endif
