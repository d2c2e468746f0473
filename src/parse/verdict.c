/* The verdict on a CSV statement (see verdict.h): quarantined rows, summary
 * problems and trailing rows as they are found, and the one reason a file is
 * rejected for at finish. */
#include "parse/verdict.h"

#include <stdarg.h>
#include <stdio.h>

#include "parse/parse_util.h"
#include "recon/money.h"
#include "recon/text.h"
#include "util/err.h"

void rcn_verdict_init(rcn_verdict *v, const char *file, rcn_csvrows *rows, rcn_quarantine_sink quar_sink, void *ctx,
		      rcn_stmt_result *res)
{
	*v = (rcn_verdict){.file = file, .rows = rows, .quar_sink = quar_sink, .ctx = ctx, .res = res};
}

void rcn_quarantine_vrow(rcn_stmt_result *res, rcn_quarantine_sink sink, void *ctx, const char *file, long line,
			 const char *fmt, va_list ap)
{
	char reason[512];
	vsnprintf(reason, sizeof(reason), fmt, ap);
	rcn_utf8_trim_tail(reason); /* a reason cut to fit is cut on a character boundary */
	res->bad_rows++;
	if (sink)
		sink(ctx, file, line, reason);
}

void rcn_bad_rows_err(rcn_err *e, const char *file, long bad_rows)
{
	rcn_err_set(e, RCN_EFORMAT, file, 0, "%ld %s could not be parsed", bad_rows, bad_rows == 1 ? "row" : "rows");
}

void rcn_verdict_quarantine(rcn_verdict *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_quarantine_vrow(v->res, v->quar_sink, v->ctx, v->file, rcn_csvrows_row_line(v->rows), fmt, ap);
	va_end(ap);
}

void rcn_verdict_summary_problem(rcn_verdict *v, rcn_rc code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&v->summary_err, &v->summary_bad, code, v->file, rcn_csvrows_row_line(v->rows), 400, fmt, ap);
	va_end(ap);
}

bool rcn_verdict_check_count(rcn_verdict *v, const char *name, const char *s, size_t n, int64_t have)
{
	int64_t stated;
	if (!parse_count(&stated, s, n)) {
		rcn_verdict_summary_problem(v, RCN_EFORMAT, "summary %s: invalid count \"%s\"", name, RCN_QUOTE(s, n));
		return false;
	}
	if (stated != have) {
		rcn_verdict_summary_problem(v, RCN_ETOTALS, "control totals do not match: %s says %lld, rows have %lld",
					    name, (long long)stated, (long long)have);
		return false;
	}
	return true;
}

bool rcn_verdict_check_amount(rcn_verdict *v, const char *name, int64_t stated, int64_t have, int scale)
{
	char a[32], b[32];
	if (stated == have)
		return true;
	rcn_verdict_summary_problem(v, RCN_ETOTALS, "control totals do not match: %s says %s, rows have %s", name,
				    rcn_money_format(a, sizeof(a), stated, scale),
				    rcn_money_format(b, sizeof(b), have, scale));
	return false;
}

void rcn_verdict_missing(rcn_verdict *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&v->missing_err, &v->missing, RCN_EFORMAT, v->file, 0, 400, fmt, ap);
	va_end(ap);
}

void rcn_verdict_trailing(rcn_verdict *v, const char *what)
{
	if (v->trailing)
		return;
	v->trailing = true;
	rcn_err_set(&v->trailing_err, RCN_EFORMAT, v->file, rcn_csvrows_row_line(v->rows), "%s", what);
}

/* The first cause a reader should fix, or NULL; e holds it when it is made here. */
static const rcn_err *first_cause(const rcn_verdict *v, rcn_err *e)
{
	const rcn_err *fatal = rcn_csvrows_error(v->rows);
	if (fatal)
		return fatal;
	if (v->missing)
		return &v->missing_err;
	if (v->summary_bad && v->summary_err.code == RCN_EFORMAT)
		return &v->summary_err;
	if (v->res->bad_rows > 0) {
		rcn_bad_rows_err(e, v->file, v->res->bad_rows);
		return e;
	}
	if (v->summary_bad)
		return &v->summary_err;
	return v->trailing ? &v->trailing_err : NULL;
}

rcn_rc rcn_verdict_finish(rcn_verdict *v, rcn_stmt_result *out)
{
	rcn_stmt_result *res = v->res;
	rcn_err e;
	const rcn_err *why = first_cause(v, &e);

	rcn_err_clear(&res->reason);
	res->totals_ok = res->has_summary && !v->summary_bad && res->bad_rows == 0 && !why;
	if (why) {
		res->rejected = true;
		res->reason = *why;
	}
	*out = *res;
	return why ? why->code : RCN_OK;
}
