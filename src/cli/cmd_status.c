/* recon status: the latest run of each recent business date, its outcome,
 * and the dates that need a re-run, as a command ready to paste. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "recon/calendar.h"
#include "recon/config.h"
#include "recon/db.h"
#include "recon/run.h"

#define MAX_LISTED 10 /* stale dates named on the re-run line */

void rcn_cmd_status_help(void)
{
	printf("usage: recon status [--config FILE] [--days N]\n\n"
	       "Lists the latest run of each of the last N business dates that have runs, oldest\n"
	       "first: exit status and its meaning, statement rows, discrepancies and pending items,\n"
	       "when it started (in the [run] time zone) and how long it took, and STALE when a\n"
	       "re-run of an earlier date changed the suspense it started from. The last line is the\n"
	       "command that re-runs every date that needs it (oldest first), or \"nothing needs a re-run\".\n"
	       "A run that could not check something (e.g. a settlement due after the business-day\n"
	       "calendar ends) shows its PROBLEM under it. The first line says how far the calendar\n"
	       "reaches (a WARNING in its last month, a PROBLEM once it has ended).\n"
	       "Reports a run committed but did not swap into place (it was killed, or the swap\n"
	       "failed: exit 5) are published first, with a message on stderr.\n\n"
	       "  --config FILE   configuration (default: $RECON_CONFIG, else ./recon.conf)\n"
	       "  --days N        how many business dates to list (1..3660, default 14)\n\n"
	       "Exit status: 0 listed; 2 usage or configuration error; 4 database error.\n");
}

static const char *exit_meaning(int code)
{
	switch (code) {
	case RCN_EXIT_CLEAN:
		return "reconciled";
	case RCN_EXIT_FINDINGS:
		return "discrepancies";
	case RCN_EXIT_USAGE:
		return "usage error";
	case RCN_EXIT_INPUT:
		return "statements failed";
	case RCN_EXIT_DB:
		return "database error";
	default:
		return "unknown";
	}
}

static void put_count(char *buf, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(buf, n, "?");
	else
		snprintf(buf, n, "%lld", (long long)v);
}

static void print_run(void *ctx, const rcn_run_summary *r)
{
	(void)ctx;
	char day[11], rows[24], disc[24], pend[24], took[32];
	put_count(rows, sizeof rows, r->statement_rows);
	put_count(disc, sizeof disc, r->discrepancies);
	put_count(pend, sizeof pend, r->pending);
	if (r->seconds >= 0)
		snprintf(took, sizeof took, "%.1f s", r->seconds);
	else
		snprintf(took, sizeof took, "? s");
	printf("%s  exit %d %-17s  %s rows, %s discrepancies, %s pending  ran %s, %s", rcn_date_format(day, r->day),
	       r->exit_status, exit_meaning(r->exit_status), rows, disc, pend,
	       r->started_at[0] ? r->started_at : "(unknown)", took);
	if (r->runs > 1)
		printf(" (%ld runs)", r->runs);
	if (r->stale)
		printf("  STALE: re-run needed (%s)", r->stale_reason[0] ? r->stale_reason : "no reason recorded");
	putchar('\n');
	if (r->problems && r->problems[0])
		printf("            PROBLEM: %s\n", r->problems);
}

typedef struct {
	rcn_date first;
	long n;
	char listed[MAX_LISTED * 12 + 1];
} stale_list;

static void add_stale(void *ctx, rcn_date day)
{
	stale_list *s = ctx;
	if (s->n == 0)
		s->first = day;
	if (s->n < MAX_LISTED) {
		char d[11];
		size_t len = strlen(s->listed);
		snprintf(s->listed + len, sizeof s->listed - len, "%s%s", len ? " " : "", rcn_date_format(d, day));
	}
	s->n++;
}

static void say_publish(void *ctx, rcn_date day, bool error, const char *msg)
{
	(void)ctx;
	(void)error;
	char d[11];
	if (day >= 0)
		fprintf(stderr, "recon: %s: %s\n", rcn_date_format(d, day), msg);
	else
		fprintf(stderr, "recon: %s\n", msg);
}

/* The config path as a shell word: single-quoted unless plainly safe. */
static size_t count_commas(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == ',';
	return n;
}

static void print_shell_word(const char *s)
{
	if (s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == strlen(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (const char *p = s; *p; p++)
		fputs(*p == '\'' ? "'\\''" : (char[]){*p, '\0'}, stdout);
	putchar('\'');
}

/* How far the business-day calendar reaches: T+N settlements due after its
 * last day cannot be checked, so its end is announced a month ahead. */
static void calendar_line(const rcn_config *cfg)
{
	char rules[4096], path[4200], why[1200], end[11];
	rcn_config_resolve(rules, sizeof(rules), cfg->rules_dir, cfg->dir);
	snprintf(path, sizeof(path), "%s/calendar/cn.csv", rules);
	rcn_calendar *cal = NULL;
	rcn_err err;
	struct stat st;
	if (stat(path, &st) != 0)
		return; /* no calendar: T+N settlements are unverified, as recon run says */
	if (rcn_calendar_load(&cal, path, &err)) {
		printf("calendar: PROBLEM: %s\n", rcn_err_format(&err, why, sizeof(why)));
		return;
	}
	rcn_date last = rcn_calendar_last_day(cal), today = rcn_cli_yesterday(cfg->timezone) + 1;
	long left = (long)(last - today);
	rcn_date_format(end, last);
	if (left < 0)
		printf("calendar: PROBLEM: the business-day calendar ended on %s: settlements due after it cannot be "
		       "checked; add the next year's holidays (rules/calendar/README.md)\n",
		       end);
	else if (left <= 31)
		printf("calendar: WARNING: the business-day calendar ends %s, in %ld day(s): add the next year's "
		       "holidays before then (rules/calendar/README.md)\n",
		       end, left);
	else
		printf("calendar: the business-day calendar covers days up to %s\n", end);
	rcn_calendar_free(cal);
}

/* A sharded night whose merge has not run since its shards did: what is
 * missing, and the command that finishes it. */
static void print_unmerged(void *ctx, const rcn_unmerged *u)
{
	const char *config = ctx;
	int missing = u->shards - u->done - (u->others[0] ? 1 + (int)count_commas(u->others) : 0);
	printf("%s  shards: %d of %d done", u->date, u->done, u->shards);
	if (u->others[0])
		printf(", shard %s", u->others);
	if (missing > 0)
		printf(", %d not run", missing);
	printf("; not merged: ");
	if (u->done < u->shards)
		printf("re-run the others (recon run --date %s --shard I/%d), then ", u->date, u->shards);
	printf("recon merge --date %s --shards %d", u->date, u->shards);
	if (config) {
		fputs(" --config ", stdout);
		print_shell_word(config);
	}
	putchar('\n');
}

int rcn_cmd_status(int argc, char **argv)
{
	const char *config = NULL, *days_arg = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--config") && strcmp(a, "--days"))
			return rcn_cli_usage_error("status: unknown option '%s' (see recon status --help)", a);
		if (i + 1 >= argc)
			return rcn_cli_usage_error("status: option %s needs a value", a);
		if (strcmp(a, "--config") == 0)
			config = argv[++i];
		else
			days_arg = argv[++i];
	}
	long days = 14;
	if (days_arg) {
		char *end;
		days = strtol(days_arg, &end, 10);
		if (!days_arg[0] || *end || days < 1 || days > 3660)
			return rcn_cli_usage_error("status: --days must be a whole number from 1 to 3660, not '%s'",
						   days_arg);
	}
	rcn_config *cfg = NULL;
	rcn_db *db = NULL;
	rcn_err err;
	char why[1200];
	if (rcn_cli_open_config(config, &cfg) != RCN_EXIT_CLEAN)
		return RCN_EXIT_USAGE;
	calendar_line(cfg);
	stale_list stale;
	memset(&stale, 0, sizeof stale);
	rcn_date last = -1;
	bool connected = rcn_db_connect(&db, cfg->conninfo, &err) == RCN_OK && rcn_db_migrate(db, &err) == RCN_OK;
	if (connected) /* reports a run committed but did not swap into place: published now */
		rcn_run_finish_publishes(db, say_publish, NULL);
	if (!connected || rcn_db_recent_runs(db, cfg->timezone, (int)days, print_run, NULL, &err) ||
	    rcn_db_stale_dates(db, add_stale, &stale, &last, &err) ||
	    rcn_db_unmerged_shards(db, (int)days, print_unmerged, (void *)config, &err)) {
		fflush(stdout);
		fprintf(stderr, "recon: status: database error: %s\n", rcn_err_format(&err, why, sizeof(why)));
		rcn_db_close(db);
		rcn_config_free(cfg);
		return RCN_EXIT_DB;
	}
	if (last < 0) {
		printf("no runs recorded yet\n");
	} else if (!stale.n) {
		printf("nothing needs a re-run\n");
	} else {
		char from[11], to[11];
		printf("recon run --from %s --to %s", rcn_date_format(from, stale.first), rcn_date_format(to, last));
		if (config) {
			fputs(" --config ", stdout);
			print_shell_word(config);
		}
		printf("   # re-run needed: %s", stale.listed);
		if (stale.n > MAX_LISTED)
			printf(" and %ld more", stale.n - MAX_LISTED);
		putchar('\n');
	}
	rcn_db_close(db);
	rcn_config_free(cfg);
	return RCN_EXIT_CLEAN;
}
