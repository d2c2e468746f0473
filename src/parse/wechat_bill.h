/* What the two WeChat bills (FORMATS.md §1: the trade bill in wechat.c, the
 * fund-flow bill in wechat_fundflow.c) share. Both are backtick-valued CSV
 * read through rcn_csvrows in the same order of rows:
 *
 *   header line --(the bill's header(), through rcn_wechat_bill_header:
 *   columns by name, required ones)--> detail rows (counted; one of another
 *   width is quarantined) --(the bill's detail(): one rcn_record each, sums)--> a summary header
 * --(summary_header())--> the summary's values row (summary_values(), checked against the sums) --> nothing more (a row
 * here is a trailing row)
 *
 * and the same lifecycle and verdict (verdict.h). wechat_bill.c holds the two
 * bills' table (names, row handlers, the rcn_parser_ops); a bill's parser
 * embeds an rcn_wechat_bill as its first member. */
#ifndef RECON_PARSE_WECHAT_BILL_H
#define RECON_PARSE_WECHAT_BILL_H

#include <stdbool.h>
#include <stddef.h>

#include "parse/csvrows.h"
#include "parse/parse_util.h"
#include "parse/verdict.h"
#include "recon/parse.h"

enum rcn_wechat_which { RCN_WECHAT_TRADE, RCN_WECHAT_FUNDFLOW };

enum rcn_wechat_stage { WX_HEADER, WX_DETAIL, WX_SUMMARY_VALUES, WX_AFTER_SUMMARY };

typedef struct {
	enum rcn_wechat_which which;
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
} rcn_wechat_bill;

/* Sets up b, the start of a zeroed parser state, as bill `which` for spec
 * (borrowed: it must outlive b), the rows in WX_HEADER. */
void rcn_wechat_bill_init(rcn_wechat_bill *b, enum rcn_wechat_which which, const rcn_parser_spec *spec);

/* Reads the header line (the current row): col[c] becomes the index of the
 * field named names[c] (-1 when absent). The reader fails, and false is
 * returned, when the line is the other bill's header, does not start with this
 * bill's first name, or lacks one of required[0..nrequired). */
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

/* Hands rec, read from the current row, to the record sink with the bill's
 * channel, file and the row's line. */
static inline void rcn_wechat_emit(const rcn_wechat_bill *b, rcn_record *rec)
{
	rec->channel = b->channel;
	rec->file = b->file;
	rec->line = rcn_csvrows_row_line(b->rows);
	if (b->rec_sink)
		b->rec_sink(b->ctx, rec);
}

/* The summary's values row has as many fields as its header: else false and
 * a summary problem. Either way the summary is seen and the bill ends here. */
bool rcn_wechat_bill_summary_row(rcn_wechat_bill *b);

/* wechat.c: the trade bill's state and its rows. */
void *rcn_wechat_trade_new(const rcn_parser_spec *spec);
void rcn_wechat_trade_header(rcn_wechat_bill *b);
void rcn_wechat_trade_detail(rcn_wechat_bill *b);
void rcn_wechat_trade_summary_header(rcn_wechat_bill *b);
void rcn_wechat_trade_summary_values(rcn_wechat_bill *b);

/* wechat_fundflow.c: the fund-flow bill's state and its rows. */
void *rcn_wechat_fundflow_new(const rcn_parser_spec *spec);
void rcn_wechat_fundflow_header(rcn_wechat_bill *b);
void rcn_wechat_fundflow_detail(rcn_wechat_bill *b);
void rcn_wechat_fundflow_summary_header(rcn_wechat_bill *b);
void rcn_wechat_fundflow_summary_values(rcn_wechat_bill *b);

#endif
