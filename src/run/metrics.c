/* The metrics file: Prometheus text exposition format 0.0.4, the open book
 * (issue 19) included. */
#include "run/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recon/money.h"

/* A label value: backslash, double quote and line feed escaped. */
static void label(rcn_buf *b, const char *v)
{
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '\\')
			rcn_buf_append(b, "\\\\", 2);
		else if (*p == '"')
			rcn_buf_append(b, "\\\"", 2);
		else if (*p == '\n')
			rcn_buf_append(b, "\\n", 2);
		else
			rcn_buf_append(b, p, 1);
	}
}

static void head(rcn_buf *b, const char *name, const char *type, const char *help)
{
	rcn_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The previous recon_last_success_timestamp sample of the file, if any. */
static bool previous_success(const char *path, double *out)
{
	static const char name[] = "recon_last_success_timestamp ";
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, sizeof(name) - 1) == 0) {
			char *end;
			double v = strtod(line + sizeof(name) - 1, &end);
			if (end != line + sizeof(name) - 1) {
				*out = v;
				found = true;
			}
		}
	}
	fclose(f);
	return found;
}

/* The open book per discrepancy kind (items, and the sum of their
 * |difference| in fen), all and overdue: four gauges a kind each. */
static void open_items(rcn_buf *b, const rcn_open_book *book)
{
	long n[2][RCN_K_PENDING] = {{0}};
	int64_t fen[2][RCN_K_PENDING] = {{0}};
	rcn_book_cursor cur;
	rcn_book_cursor_open(&cur, book);
	for (const rcn_open_item *it; (it = rcn_book_cursor_next(&cur)) != NULL;) {
		if ((unsigned)it->kind >= RCN_K_PENDING)
			continue;
		int64_t v = it->difference_fen < 0 ? -it->difference_fen : it->difference_fen;
		for (int o = 0; o <= (it->overdue ? 1 : 0); o++)
			n[o][it->kind]++, fen[o][it->kind] += v;
	}
	rcn_book_cursor_close(&cur);
	static const struct {
		const char *name, *help;
		int overdue;
		bool amount;
	} gauges[] = {
		{"recon_open_items", "Open items (open or acknowledged) as of the business date, per kind.", 0, false},
		{"recon_open_items_amount_yuan",
		 "Sum of the open items' |difference| in yuan (a fee's rounded to the fen), per kind.", 0, true},
		{"recon_overdue_items", "Open items past their due_by as of the business date, per kind.", 1, false},
		{"recon_overdue_items_amount_yuan", "Sum of the overdue items' |difference| in yuan, per kind.", 1,
		 true},
	};
	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		head(b, gauges[g].name, "gauge", gauges[g].help);
		for (int k = 0; book && k < RCN_K_PENDING; k++) {
			char amount[32];
			int o = gauges[g].overdue;
			rcn_buf_printf(b, "%s{kind=\"", gauges[g].name);
			label(b, rcn_kind_name((rcn_kind)k));
			if (gauges[g].amount)
				rcn_buf_printf(b, "\"} %s\n",
					       rcn_money_format(amount, sizeof(amount), fen[o][k], RCN_SCALE_FEN));
			else
				rcn_buf_printf(b, "\"} %ld\n", n[o][k]);
		}
	}
}

static void render(rcn_buf *b, const char *path, const rcn_metrics *m)
{
	char date[11];
	rcn_date_format(date, m->day);

	head(b, "recon_rows_total", "gauge", "Statement rows of the business date, per channel and merchant account.");
	for (size_t i = 0; m->tallies && i < m->n_tallies; i++) {
		const rcn_tally *t = &m->tallies[i];
		if (t->side != RCN_SIDE_CHANNEL)
			continue;
		bool seen = false; /* one sample per label set */
		for (size_t j = 0; j < i && !seen; j++)
			seen = m->tallies[j].side == RCN_SIDE_CHANNEL &&
			       strcmp(m->tallies[j].channel, t->channel) == 0 &&
			       strcmp(m->tallies[j].merchant_id, t->merchant_id) == 0;
		if (seen)
			continue;
		long rows = 0;
		for (size_t j = i; j < m->n_tallies; j++)
			if (m->tallies[j].side == RCN_SIDE_CHANNEL && strcmp(m->tallies[j].channel, t->channel) == 0 &&
			    strcmp(m->tallies[j].merchant_id, t->merchant_id) == 0)
				rows += m->tallies[j].rows_in;
		rcn_buf_printf(b, "recon_rows_total{channel=\"");
		label(b, t->channel);
		rcn_buf_printf(b, "\",merchant=\"");
		label(b, t->merchant_id);
		rcn_buf_printf(b, "\"} %ld\n", rows);
	}

	head(b, "recon_discrepancies_total", "gauge", "Discrepancies of the business date, per kind.");
	for (int k = 0; m->kinds && k < RCN_K_PENDING; k++) {
		rcn_buf_printf(b, "recon_discrepancies_total{kind=\"");
		label(b, rcn_kind_name((rcn_kind)k));
		rcn_buf_printf(b, "\"} %ld\n", m->kinds[k]);
	}

	open_items(b, m->book);

	head(b, "recon_run_seconds", "gauge", "Wall time of the last run in seconds.");
	rcn_buf_printf(b, "recon_run_seconds %.3f\n", m->seconds);
	head(b, "recon_last_run_exit_code", "gauge",
	     "Exit status of the last run: 0 clean, 1 discrepancies, 2 usage, 3 unreadable statement, 4 database, "
	     "5 committed but the reports not published.");
	rcn_buf_printf(b, "recon_last_run_exit_code %d\n", m->exit_code);

	double success;
	bool has_success = true;
	if (m->exit_code == 0 || m->exit_code == 1)
		success = (double)m->finished;
	else
		has_success = previous_success(path, &success);
	head(b, "recon_last_success_timestamp", "gauge",
	     "Unix time of the last run that exited 0 or 1 (a run exiting 3 is not a success).");
	if (has_success)
		rcn_buf_printf(b, "recon_last_success_timestamp %.0f\n", success);

	head(b, "recon_problems", "gauge",
	     "What the last run could not check and someone must fix (the night's PROBLEM lines); alert on > 0.");
	rcn_buf_printf(b, "recon_problems %d\n", m->problems);
	head(b, "recon_settlements_beyond_calendar", "gauge",
	     "Settlements of the business date that fall due after the business-day calendar ends.");
	rcn_buf_printf(b, "recon_settlements_beyond_calendar %ld\n", m->beyond_calendar);
	if (m->calendar_end) {
		char end[11];
		head(b, "recon_calendar_last_day", "gauge",
		     "Last day of the business-day calendar, in days since 1970-01-01: add the next year before it.");
		rcn_buf_printf(b, "recon_calendar_last_day{date=\"%s\"} %ld\n", rcn_date_format(end, m->calendar_end),
			       (long)m->calendar_end);
	}
	head(b, "recon_business_date", "gauge", "Business date of the last run, in days since 1970-01-01.");
	rcn_buf_printf(b, "recon_business_date{date=\"%s\"} %ld\n", date, (long)m->day);
}

rcn_rc rcn_metrics_write(const char *path, const rcn_metrics *m, rcn_err *err)
{
	rcn_buf b;
	char tmp[4200];
	rcn_buf_init(&b, 1 << 24);
	render(&b, path, m);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		rcn_buf_free(&b);
		return rcn_err_set(err, RCN_EIO, tmp, 0, "cannot write metrics: %s", strerror(errno));
	}
	bool ok = fwrite(b.data, 1, b.len, f) == b.len;
	ok = fflush(f) == 0 && ok;
	ok = fsync(fileno(f)) == 0 && ok;
	int saved = errno;
	ok = fclose(f) == 0 && ok;
	rcn_buf_free(&b);
	if (!ok || rename(tmp, path) != 0) {
		if (ok)
			saved = errno;
		unlink(tmp);
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot write metrics: %s", strerror(saved));
	}
	return RCN_OK;
}
