/* What a night says when it ends (run/night.h): the counts recon_runs keeps,
 * the problems it could not check, the alert, the metrics file and --timings. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "run/metrics.h"
#include "run/night.h"
#include "recon/text.h"

static const char *const stage_names[ST__COUNT] = {"parse", "ledger window", "merge",	"lookups",
						   "match", "settlement",    "reports", "results"};

char *rcn_run_counts_json(const rcn_run_result *r, const long kinds[RCN_K__COUNT], const int64_t amounts[RCN_K__COUNT])
{
	rcn_buf b;
	rcn_buf_init(&b, 1 << 16);
	rcn_buf_printf(&b,
		       "{\"statement_rows\":%ld,\"matched\":%ld,\"discrepancies\":%ld,\"pending\":%ld,"
		       "\"quarantined\":%ld,\"rejected_files\":%ld",
		       r->statement_rows, r->matched, r->discrepancies, r->pending, r->quarantined, r->rejected_files);
	for (int k = 0; k < RCN_K_PENDING; k++)
		rcn_buf_printf(&b, ",\"%s\":%ld", rcn_kind_name((rcn_kind)k), kinds[k]);
	/* each kind's differences, in fen: what the workbench's nights show */
	rcn_buf_printf(&b, ",\"amounts_fen\":{");
	for (int k = 0, first = 1; k < RCN_K_PENDING; k++) {
		if (!kinds[k])
			continue;
		rcn_buf_printf(&b, "%s\"%s\":%lld", first ? "" : ",", rcn_kind_name((rcn_kind)k),
			       (long long)amounts[k]);
		first = 0;
	}
	rcn_buf_append(&b, "}", 1);
	if (r->n_problems) {
		rcn_buf_append(&b, ",\"problems\":[", 13);
		for (int i = 0; i < r->n_problems; i++) {
			if (i)
				rcn_buf_append(&b, ",", 1);
			rcn_json_put(&b, r->problems[i]);
		}
		rcn_buf_append(&b, "]", 1);
	}
	rcn_buf_append(&b, "}", 1);
	return b.data;
}

void rcn_run_add_problem(rcn_run_result *out, const char *fmt, ...)
{
	if (out->n_problems >= RCN_RUN_MAX_PROBLEMS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->problems[out->n_problems++], sizeof(out->problems[0]), fmt, ap);
	va_end(ap);
}

static int year_of_day(rcn_date day)
{
	int y, m, d;
	rcn_date_to_ymd(day, &y, &m, &d);
	return y;
}

/* The calendar's end, seen from tonight: a problem when a settlement of this
 * date falls due after it, a warning in the month before it comes. */
void rcn_run_calendar_end_check(const rcn_run_opts *o, const rcn_calendar *cal, const rcn_settle_set *s,
				rcn_run_result *out)
{
	if (!cal)
		return;
	char end[11];
	rcn_date_format(end, s->calendar_end);
	if (s->beyond_calendar && s->missing_year <= year_of_day(s->calendar_end))
		rcn_run_add_problem(
			out,
			"the business-day calendar has no data for %d: %ld settlement(s) of this date cannot be "
			"checked (first: %s); add that year's holidays to rules/calendar/cn.csv "
			"(rules/calendar/README.md) and re-run this date",
			s->missing_year, s->beyond_calendar, s->beyond_example);
	else if (s->beyond_calendar)
		rcn_run_add_problem(
			out,
			"the business-day calendar ends %s: %ld settlement(s) of this date fall due after it "
			"and cannot be checked (first: %s); add the next year's holidays to "
			"rules/calendar/cn.csv (rules/calendar/README.md) and re-run this date",
			end, s->beyond_calendar, s->beyond_example);
	else if (s->calendar_end < o->day)
		rcn_run_log(o, LOG_INFO, NULL,
			    "warning: the business-day calendar ended %s, before this date: T+N settlements cannot be "
			    "checked until the next year's holidays are added (rules/calendar/README.md)",
			    end);
	else if (s->calendar_end - o->day <= 31)
		rcn_run_log(o, LOG_INFO, NULL,
			    "warning: the business-day calendar ends %s, %ld day(s) after this date: add the next "
			    "year's holidays before then (rules/calendar/README.md)",
			    end, (long)(s->calendar_end - o->day));
}

void rcn_run_db_fail(const rcn_run_opts *o, const rcn_err *err, rcn_run_result *out)
{
	char why[1200];
	if (err->code == RCN_EIO) /* a file of the night's (its findings read back) */
		rcn_run_log(o, LOG_ERROR, NULL, "%s; nothing committed", rcn_err_format(err, why, sizeof(why)));
	else
		rcn_run_log(o, LOG_ERROR, NULL, "database error, nothing committed: %s",
			    rcn_err_format(err, why, sizeof(why)));
	out->exit_code = EXIT_DB;
}

void rcn_run_on_trend(void *p, const rcn_run_summary *r)
{
	rcn_run_trend *t = p;
	if (r->day >= t->day || r->discrepancies < 0 || r->statement_rows < 0)
		return;
	if (t->n == 29) {
		memmove(t->v, t->v + 1, 28 * sizeof(*t->v));
		t->n--;
	}
	t->v[t->n++] = (rcn_trend_point){r->day, (long)r->discrepancies, (long)r->statement_rows};
}

void rcn_run_say_publish(void *ctx, rcn_date day, bool error, const char *msg)
{
	rcn_run_opts copy = *(const rcn_run_opts *)ctx;
	copy.day = day; /* the message is about that date's reports */
	rcn_run_log(&copy, error ? LOG_ERROR : LOG_INFO, NULL, "%s", msg);
}

void rcn_run_on_lock_wait(void *p)
{
	const rcn_run_opts *o = p;
	rcn_run_log(o, LOG_INFO, NULL, "another run of this date is in progress; waiting up to %d s for it to finish",
		    o->cfg->lock_wait_seconds);
}

/* The alert's own messages, re-emitted through rcn_run_log when the log is JSON. */
void rcn_run_alert(const rcn_run_opts *o, const rcn_run_result *out, const rcn_alert_outcome *outcome,
		   const rcn_open_book *book, const rcn_run_input *inputs, size_t n_src)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = o->log_json ? open_memstream(&text, &len) : NULL;
	if (!mem) {
		rcn_alert_after_run(o, out, outcome, book, inputs, n_src);
		return;
	}
	rcn_run_opts copy = *o;
	copy.log = mem;
	rcn_alert_after_run(&copy, out, outcome, book, inputs, n_src);
	fclose(mem);
	char date[11], prefix[32];
	snprintf(prefix, sizeof(prefix), "recon: %s: ", rcn_date_format(date, o->day));
	for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			line += strlen(prefix);
		else if (strncmp(line, "recon: ", 7) == 0)
			line += 7;
		if (*line)
			rcn_run_log(o, LOG_ERROR, NULL, "%s", line);
	}
	free(text);
}

/* The metrics file, when --metrics or [run] metrics names one: never changes the exit code. */
void rcn_run_write_metrics(const rcn_run_opts *o, const rcn_run_result *out, double t0, const rcn_tally *tallies,
			   size_t n_tallies, const long *kinds, const rcn_settle_set *settle, const rcn_open_book *book)
{
	const rcn_config *cfg = o->cfg;
	char path[4200], why[1200];
	rcn_err err;
	if (o->metrics_path)
		snprintf(path, sizeof(path), "%s", o->metrics_path);
	else if (cfg->metrics_path)
		rcn_config_resolve(path, sizeof(path), cfg->metrics_path, cfg->dir);
	else
		return;
	rcn_metrics mx = {o->day,
			  out->exit_code,
			  rcn_clock_seconds(CLOCK_MONOTONIC) - t0,
			  time(NULL),
			  tallies,
			  n_tallies,
			  kinds,
			  out->n_problems,
			  settle->beyond_calendar,
			  settle->calendar_end,
			  book};
	if (rcn_metrics_write(path, &mx, &err))
		rcn_run_log(o, LOG_ERROR, NULL, "%s", rcn_err_format(&err, why, sizeof(why)));
}

/* Charges the time since the last mark to stage st. */
void rcn_run_stage_done(rcn_run_clock *c, int st)
{
	double t = rcn_clock_seconds(CLOCK_MONOTONIC);
	c->s[st] += t - c->mark;
	c->mark = t;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		c->peak_mib[st] = ru.ru_maxrss / 1024;
}

void rcn_run_log_timings(const rcn_run_opts *o, const rcn_run_clock *c, const rcn_source_job *jobs, size_t n_src)
{
	rcn_buf b;
	struct rusage ru;
	rcn_buf_init(&b, 1024);
	rcn_buf_printf(&b, "stages:");
	for (int i = 0; i < ST__COUNT; i++)
		rcn_buf_printf(&b, "%s %s %.2f s", i ? "," : "", stage_names[i], c->s[i]);
	for (size_t i = 0; i < n_src; i++)
		rcn_buf_printf(&b, "; [source %s] %.2f s wall, %.2f s cpu", jobs[i].conf->name, jobs[i].parse_s,
			       jobs[i].parse_cpu_s);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		rcn_buf_printf(&b, "; process cpu %.2f s user, %.2f s system, peak rss %ld MiB",
			       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
			       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss / 1024);
	/* which stage raised the peak: the peak as each stage (in order) ended
	 * (the stages timed on threads of their own, the parse and the reports,
	 * end inside another's and are not listed) */
	rcn_buf_printf(&b, "; peak rss by stage (MiB):");
	for (int i = 0, k = 0; i < ST__COUNT; i++)
		if (c->peak_mib[i])
			rcn_buf_printf(&b, "%s %s %ld", k++ ? "," : "", stage_names[i], c->peak_mib[i]);
	rcn_run_log(o, LOG_INFO, NULL, "%s", b.data);
	rcn_buf_free(&b);
}
