/* The verdict on a CSV statement (see verdict.h): quarantined rows, summary
 * problems and trailing rows as they are found, and the one reason a file is
 * rejected for at finish. */
#include "parse/verdict.h"

#include <stdarg.h>
#include <stdio.h>

#include "recon/text.h"
#include "util/err.h"

void rcn_verdict_init(rcn_verdict *v, const char *file, rcn_csvrows *rows, rcn_quarantine_sink quar_sink, void *ctx,
		      rcn_stmt_result *res)
{
	*v = (rcn_verdict){.file = file, .rows = rows, .quar_sink = quar_sink, .ctx = ctx, .res = res};
}

void rcn_verdict_quarantine(rcn_verdict *v, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	rcn_utf8_trim_tail(reason); /* a reason cut to fit is cut on a character boundary */
	v->res->bad_rows++;
	if (v->quar_sink)
		v->quar_sink(v->ctx, v->file, rcn_csvrows_row_line(v->rows), reason);
}

void rcn_verdict_summary_problem(rcn_verdict *v, rcn_rc code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&v->summary_err, &v->summary_bad, code, v->file, rcn_csvrows_row_line(v->rows), 400, fmt, ap);
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
static const rcn_err *first_cause(const rcn_verdict *v, const rcn_err *missing, rcn_err *e)
{
	const rcn_err *fatal = rcn_csvrows_error(v->rows);
	if (fatal)
		return fatal;
	if (missing && missing->code != RCN_OK)
		return missing;
	if (v->summary_bad && v->summary_err.code == RCN_EFORMAT)
		return &v->summary_err;
	if (v->res->bad_rows > 0) {
		rcn_err_set(e, RCN_EFORMAT, v->file, 0, "%ld %s could not be parsed", v->res->bad_rows,
			    v->res->bad_rows == 1 ? "row" : "rows");
		return e;
	}
	if (v->summary_bad)
		return &v->summary_err;
	return v->trailing ? &v->trailing_err : NULL;
}

rcn_rc rcn_verdict_finish(rcn_verdict *v, const rcn_err *missing, rcn_stmt_result *out)
{
	rcn_stmt_result *res = v->res;
	rcn_err e;
	const rcn_err *why = first_cause(v, missing, &e);

	rcn_err_clear(&res->reason);
	res->totals_ok = res->has_summary && !v->summary_bad && res->bad_rows == 0 && !why;
	if (why) {
		res->rejected = true;
		res->reason = *why;
	}
	*out = *res;
	return why ? why->code : RCN_OK;
}
