/* What makes a CSV statement unusable, gathered while the WeChat and Alipay
 * parsers read its rows (bad rows, a summary that is unreadable or disagrees,
 * a row after the summary), and the verdict at finish: the causes in the order
 * a reader should fix them. Owns nothing; lives inside its parser. */
#ifndef RECON_PARSE_VERDICT_H
#define RECON_PARSE_VERDICT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

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
	bool missing; /* a part the format requires is not there: missing_err */
	rcn_err missing_err;
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

/* A stated count s[0..n) (digits only) against the rows' `have`: true when it
 * agrees; else a summary problem "summary NAME: invalid count" (RCN_EFORMAT)
 * or "control totals do not match" (RCN_ETOTALS) is recorded. */
bool rcn_verdict_check_count(rcn_verdict *v, const char *name, const char *s, size_t n, int64_t have);

/* A stated amount against the rows' `have`, both at `scale`: true when they
 * agree, else a summary problem (RCN_ETOTALS) naming both. */
bool rcn_verdict_check_amount(rcn_verdict *v, const char *name, int64_t stated, int64_t have, int scale);

/* A part of the file the format requires is not there (no header, no summary,
 * a footer line): the file is rejected for it at finish. The first one wins. */
void rcn_verdict_missing(rcn_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Decides res->rejected, res->reason and res->totals_ok and copies res to
 * *out. The causes, first first: the reader's fatal error; a missing part
 * (rcn_verdict_missing); an unreadable summary; rows that could not be parsed;
 * totals that disagree; a row after the summary. Returns the reason's code,
 * or RCN_OK. */
rcn_rc rcn_verdict_finish(rcn_verdict *v, rcn_stmt_result *out);

/* For the parsers that read lines themselves (UnionPay, profiles) as much as
 * for rcn_verdict_quarantine: the row of `file` at `line` cannot be used; it
 * is counted in res->bad_rows and handed to sink (may be NULL) with the reason
 * (cut to fit on a character boundary). */
void rcn_quarantine_vrow(rcn_stmt_result *res, rcn_quarantine_sink sink, void *ctx, const char *file, long line,
			 const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

/* The reason a file with bad_rows unusable rows is rejected for, into *e. */
void rcn_bad_rows_err(rcn_err *e, const char *file, long bad_rows);

#endif
