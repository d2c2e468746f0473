/* What makes a CSV statement unusable, gathered while the WeChat and Alipay
 * parsers read its rows (bad rows, a summary that is unreadable or disagrees,
 * a row after the summary), and the verdict at finish: the causes in the order
 * a reader should fix them. Owns nothing; lives inside its parser. */
#ifndef RECON_PARSE_VERDICT_H
#define RECON_PARSE_VERDICT_H

#include "parse/csvrows.h"
#include "recon/parse.h"

typedef struct {
	const char *file;
	rcn_csvrows *rows;	       /* the current row's line, and the fatal error */
	rcn_quarantine_sink quar_sink; /* may be NULL */
	void *ctx;
	rcn_stmt_result *res; /* the parser's own result */
	bool summary_bad;     /* summary malformed or its totals differ: summary_err says how */
	rcn_err summary_err;
	bool trailing; /* a row after the summary: trailing_err */
	rcn_err trailing_err;
} rcn_verdict;

/* All pointers are borrowed and must outlive v. */
void rcn_verdict_init(rcn_verdict *v, const char *file, rcn_csvrows *rows, rcn_quarantine_sink quar_sink, void *ctx,
		      rcn_stmt_result *res);

/* The current row cannot be used: counted in res->bad_rows and handed to the
 * quarantine sink with the reason. */
void rcn_verdict_quarantine(rcn_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The stated totals, at the current row, are unreadable (RCN_EFORMAT) or
 * disagree with the rows (RCN_ETOTALS). The first problem wins. */
void rcn_verdict_summary_problem(rcn_verdict *v, rcn_rc code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The current row stands where none may (after the summary); the first such
 * row is reported, as `what`. */
void rcn_verdict_trailing(rcn_verdict *v, const char *what);

/* Decides res->rejected, res->reason and res->totals_ok and copies res to
 * *out. The causes, first first: the reader's fatal error; `missing` (a part of
 * the file the format requires, or code RCN_OK when none is missing); an
 * unreadable summary; rows that could not be parsed; totals that disagree; a
 * row after the summary. Returns the reason's code, or RCN_OK. */
rcn_rc rcn_verdict_finish(rcn_verdict *v, const rcn_err *missing, rcn_stmt_result *out);

#endif
