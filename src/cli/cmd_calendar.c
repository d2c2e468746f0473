/* recon calendar DATE +N|+Nd: the Nth working day (T+N, on the China
 * business-day calendar of FORMATS.md §5) or natural day (D+N) after DATE,
 * optionally with every day of the walk and why it counted or not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "recon/calendar.h"

#define MAX_OFFSET_DIGITS 5 /* +99999: centuries of working days is already past any calendar */

void rcn_cmd_calendar_help(void)
{
	printf("usage: recon calendar [--calendar FILE] [--explain] DATE +N|+Nd\n\n"
	       "Prints the Nth working day after DATE (+N, T+N settlement) or the Nth natural day\n"
	       "(+Nd, D+N) as one line YYYY-MM-DD. Working days are Monday to Friday except public\n"
	       "holidays, plus the weekend days declared working days (调休); +0 is DATE itself if it\n"
	       "is a working day, else the next one. Natural days never read the calendar.\n"
	       "Example: recon calendar 2025-09-30 +1 prints 2025-10-09 (National Day 10-01..10-08).\n\n"
	       "  --calendar FILE  the calendar CSV (default: $RECON_RULES/calendar/cn.csv, else the\n"
	       "                   rules/calendar/cn.csv this recon was built with); regenerate it with\n"
	       "                   rules/calendar/make_cn.sh when a new year's holiday file appears\n"
	       "  --explain        after the answer, list each day of the walk: T, T+k, or why it was\n"
	       "                   skipped (weekend, holiday and its name); 调休 working days are named\n\n"
	       "Exit status: 0 answered; 2 usage error, unreadable calendar, or a walk into a year the\n"
	       "calendar has no data for.\n");
}

/* "+N" or "+Nd": N is 0..99999. */
static bool parse_offset(const char *s, int *n, bool *natural)
{
	size_t digits = 0;
	int v = 0;
	if (s[0] != '+')
		return false;
	for (s++; *s >= '0' && *s <= '9'; s++, digits++)
		v = v * 10 + (*s - '0');
	if (digits == 0 || digits > MAX_OFFSET_DIGITS)
		return false;
	*natural = *s == 'd';
	if (*natural)
		s++;
	*n = v;
	return *s == '\0';
}

static const char *dow(rcn_date day)
{
	static const char *const names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	return names[((day % 7) + 7 + 4) % 7]; /* 1970-01-01 was a Thursday */
}

/* One line per day from `day` to `end`: the start T, each working day counted
 * (T+k) and each day skipped with its reason. */
static void explain_walk(const rcn_calendar *cal, rcn_date day, int n, rcn_date end)
{
	char iso[11];
	int k = 0;
	for (rcn_date d = day; d <= end; d++) {
		const char *name;
		rcn_day_kind kind = rcn_calendar_day(cal, d, &name);
		printf("  %s %s  ", rcn_date_format(iso, d), dow(d));
		if (d == day && n > 0) {
			printf("T\n");
			continue;
		}
		if (kind == RCN_DAY_WEEKEND)
			printf("skipped: weekend\n");
		else if (kind == RCN_DAY_HOLIDAY)
			printf("skipped: holiday %s\n", name);
		else if (kind == RCN_DAY_ADJUSTED)
			printf("T+%d (调休 working day, %s)\n", n > 0 ? ++k : 0, name);
		else
			printf("T+%d\n", n > 0 ? ++k : 0);
	}
}

int rcn_cmd_calendar(int argc, char **argv)
{
	const char *path = NULL, *date = NULL, *offset = NULL;
	bool explain = false, natural = false;
	char file[4096], iso[11], why[1200];
	rcn_calendar *cal = NULL;
	rcn_date day, end;
	rcn_err err;
	int n, status = RCN_EXIT_CLEAN;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--explain") == 0) {
			explain = true;
		} else if (strcmp(a, "--calendar") == 0) {
			if (i + 1 >= argc)
				return rcn_cli_usage_error("calendar: --calendar needs a file");
			path = argv[++i];
		} else if (strncmp(a, "--", 2) == 0) {
			return rcn_cli_usage_error("calendar: unknown option '%s' (see recon calendar --help)", a);
		} else if (!date) {
			date = a;
		} else if (!offset) {
			offset = a;
		} else {
			return rcn_cli_usage_error("calendar: unexpected argument '%s' (see recon calendar --help)", a);
		}
	}
	if (!offset)
		return rcn_cli_usage_error("calendar: expected DATE +N or DATE +Nd (see recon calendar --help)");
	if (rcn_date_parse(&day, date, strlen(date), &err))
		return rcn_cli_usage_error("calendar: %s", err.msg);
	if (!parse_offset(offset, &n, &natural))
		return rcn_cli_usage_error("calendar: invalid offset \"%s\": expected +N (working days) or +Nd "
					   "(natural days), N at most 99999",
					   offset);

	if (natural) {
		int y, m, d;
		end = day + n;
		rcn_date_to_ymd(end, &y, &m, &d);
		if (y > 9999)
			return rcn_cli_usage_error("calendar: %s %s is past 9999-12-31", date, offset);
		printf("%s\n", rcn_date_format(iso, end));
		if (explain) {
			printf("  %s %s  D\n", rcn_date_format(iso, day), dow(day));
			printf("  %s %s  D+%d (natural days: weekends and holidays count)\n", rcn_date_format(iso, end),
			       dow(end), n);
		}
		return RCN_EXIT_CLEAN;
	}

	if (!path) {
		const char *rules = getenv("RECON_RULES") ? getenv("RECON_RULES") : RECON_RULES_DIR;
		snprintf(file, sizeof(file), "%s/calendar/cn.csv", rules);
		path = file;
	}
	if (rcn_calendar_load(&cal, path, &err)) {
		fprintf(stderr, "recon: %s\n", rcn_err_format(&err, why, sizeof(why)));
		return RCN_EXIT_USAGE;
	}
	if (rcn_calendar_add_workdays(cal, day, n, &end, &err)) {
		fprintf(stderr, "recon: calendar %s %s: %s\n", date, offset, err.msg);
		status = RCN_EXIT_USAGE;
		goto cleanup;
	}
	printf("%s\n", rcn_date_format(iso, end));
	if (explain)
		explain_walk(cal, day, n, end);
cleanup:
	rcn_calendar_free(cal);
	return status;
}
