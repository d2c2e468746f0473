/* The night's log: text lines or JSON lines, the progress line of a
 * terminal, and the tests' kill points (run/night.h). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/night.h"
#include "recon/text.h"

/* Tests only: RECON_TEST_KILL_AT=<point> kills the run right there, for the
 * kill tests that must stop it between two steps no outside observer can
 * tell apart (golden_killed). Unset, it costs one getenv per point. */
void rcn_run_kill_point(const char *point)
{
	const char *at = getenv("RECON_TEST_KILL_AT");
	if (at && strcmp(at, point) == 0)
		raise(SIGKILL);
}

/* Progress of the long stages, for a person at a terminal only: one line
 * rewritten in place, cleared before anything else is logged. Logs, cron and
 * pipes (not a terminal) never see it. */
void rcn_run_progress(const rcn_run_opts *o, const char *date, const char *stage)
{
	if (o->log_json || !isatty(fileno(o->log)))
		return;
	if (stage)
		fprintf(o->log, "\r\033[Krecon: %s: %s…", date, stage);
	else
		fputs("\r\033[K", o->log);
	fflush(o->log);
}

void rcn_run_log(const rcn_run_opts *o, int flags, const char *source, const char *fmt, ...)
{
	char date[11];
	va_list ap;
	rcn_date_format(date, o->day);
	va_start(ap, fmt);
	if (!o->log_json) {
		rcn_run_progress(o, date, NULL); /* a progress line on a terminal gives way to the message */
		fputs("recon: ", o->log);
		if (!(flags & LOG_NODATE))
			fprintf(o->log, "%s: ", date);
		if (source)
			fprintf(o->log, "[source %s] ", source);
		vfprintf(o->log, fmt, ap);
		fputc('\n', o->log);
		va_end(ap);
		return;
	}
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	char *msg = rcn_xcalloc((size_t)(n > 0 ? n : 0) + 1, 1);
	vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	rcn_buf b;
	rcn_buf_init(&b, 1 << 20);
	rcn_buf_printf(&b, "{\"level\":\"%s\",\"date\":\"%s\"",
		       flags & LOG_ERROR     ? "error"
		       : flags & LOG_WARNING ? "warning"
					     : "info",
		       date);
	if (source) {
		rcn_buf_append(&b, ",\"source\":", 10);
		rcn_json_put(&b, source);
	}
	rcn_buf_append(&b, ",\"msg\":", 7);
	rcn_json_put(&b, msg);
	rcn_buf_append(&b, "}\n", 2);
	fwrite(b.data, 1, b.len, o->log); /* one write per line */
	fflush(o->log);
	rcn_buf_free(&b);
	free(msg);
}
