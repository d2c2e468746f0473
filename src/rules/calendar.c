/* The China business-day calendar (FORMATS.md §5): loads rules/calendar/cn.csv
 * strictly (file:line for every mistake) into a sorted array of listed days;
 * owns the array, the interned holiday names and the set of covered years. */
#include "recon/calendar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_YEAR  1970 /* rcn_date_parse accepts 1970..9999 */
#define LAST_YEAR   9999
#define MAX_LINE    1024   /* a row is a date, a kind and a short name */
#define MAX_ENTRIES 100000 /* about 40 listed days a year: centuries of data */

typedef struct {
	rcn_date day;
	bool workday; /* "workday": a 调休 weekend working day; else "holiday" */
	const char *name;
	long line;
} entry;

struct rcn_calendar {
	entry *days; /* sorted by day, no duplicates */
	size_t n;
	rcn_arena names;
	bool covered[LAST_YEAR - FIRST_YEAR + 1];  /* years known: "# years:", else those with an entry */
	bool declared[LAST_YEAR - FIRST_YEAR + 1]; /* from a "# years:" line */
	bool has_declared;
};

static const char *const weekday_names[] = {"Sunday",	"Monday", "Tuesday", "Wednesday",
					    "Thursday", "Friday", "Saturday"};

/* 0 = Sunday; day 0 (1970-01-01) was a Thursday. */
static int weekday(rcn_date day)
{
	return (int)(((day % 7) + 7 + 4) % 7);
}

static int year_of(rcn_date day)
{
	int y, m, d;
	rcn_date_to_ymd(day, &y, &m, &d);
	return y;
}

static int by_day_then_line(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* One data row "date,kind,name": exactly three unquoted fields. */
static rcn_rc parse_row(rcn_calendar *c, size_t *cap, const char *path, long lineno, const char *s, size_t len,
			rcn_err *err)
{
	const char *field[3];
	size_t flen[3];
	size_t nf = 0, start = 0;
	rcn_err derr;
	entry e = {.line = lineno};

	if (memchr(s, '"', len))
		return rcn_err_set(err, RCN_EUSAGE, path, lineno, "quoted fields are not supported");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		if (nf < 3) {
			field[nf] = s + start;
			flen[nf] = i - start;
		}
		nf++;
		start = i + 1;
	}
	if (nf != 3)
		return rcn_err_set(err, RCN_EUSAGE, path, lineno, "expected 3 fields (date,kind,name), found %zu", nf);
	if (rcn_date_parse(&e.day, field[0], flen[0], &derr) != RCN_OK)
		return rcn_err_set(err, RCN_EUSAGE, path, lineno, "%s", derr.msg);
	if (flen[1] == 7 && memcmp(field[1], "holiday", 7) == 0)
		e.workday = false;
	else if (flen[1] == 7 && memcmp(field[1], "workday", 7) == 0)
		e.workday = true;
	else
		return rcn_err_set(err, RCN_EUSAGE, path, lineno, "unknown kind \"%.*s\": expected holiday or workday",
				   (int)(flen[1] > 40 ? 40 : flen[1]), field[1]);
	if (flen[2] == 0)
		return rcn_err_set(err, RCN_EUSAGE, path, lineno, "the holiday name is empty");
	/* Ordinary weekdays are working days already: a workday row on one is a typo for another date. */
	int wd = weekday(e.day);
	if (e.workday && wd != 0 && wd != 6)
		return rcn_err_set(err, RCN_EUSAGE, path, lineno,
				   "%.10s is a %s: a workday (调休) row must be a Saturday or Sunday", field[0],
				   weekday_names[wd]);
	if (c->n >= MAX_ENTRIES)
		return rcn_err_set(err, RCN_EUSAGE, path, lineno, "more than %d rows", MAX_ENTRIES);
	e.name = rcn_arena_strndup(&c->names, field[2], flen[2]);
	rcn_xreserve((void **)&c->days, cap, c->n + 1, sizeof(entry));
	c->days[c->n++] = e;
	return RCN_OK;
}

static rcn_rc read_calendar(rcn_calendar *c, FILE *f, const char *path, rcn_err *err)
{
	char buf[MAX_LINE + 2];
	size_t cap = 0;
	long lineno = 0;
	bool header = false;

	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);
		lineno++;
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		else if (!feof(f))
			return rcn_err_set(err, RCN_EUSAGE, path, lineno, "line longer than %d bytes", MAX_LINE);
		if (len > 0 && buf[len - 1] == '\r') /* saved by a spreadsheet */
			buf[--len] = '\0';
		const char *s = buf;
		if (lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3, len -= 3;
		if (strncmp(s, "# years:", 8) == 0) {
			/* the years the source files cover: a December day declared by the
			 * next year's file does not make its whole year known */
			char *end;
			const char *p = s + 8;
			for (long y = strtol(p, &end, 10); end != p; p = end, y = strtol(p, &end, 10)) {
				if (y < FIRST_YEAR || y > LAST_YEAR)
					return rcn_err_set(err, RCN_EUSAGE, path, lineno, "year %ld out of range", y);
				c->declared[y - FIRST_YEAR] = true;
				c->has_declared = true;
			}
			continue;
		}
		if (len == 0 || s[0] == '#')
			continue;
		if (!header) {
			if (strcmp(s, "date,kind,name") != 0)
				return rcn_err_set(err, RCN_EUSAGE, path, lineno,
						   "expected the header \"date,kind,name\"");
			header = true;
			continue;
		}
		rcn_rc rc = parse_row(c, &cap, path, lineno, s, len, err);
		if (rc)
			return rc;
	}
	if (ferror(f))
		return rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read calendar: %s", strerror(errno));
	if (!header)
		return rcn_err_set(err, RCN_EUSAGE, path, 0, "empty file: expected the header \"date,kind,name\"");
	if (c->n == 0)
		return rcn_err_set(err, RCN_EUSAGE, path, 0, "no dates: the calendar covers no year");

	/* Sorted by line within a day, so the duplicate named is the later line. */
	qsort(c->days, c->n, sizeof(entry), by_day_then_line);
	for (size_t i = 1; i < c->n; i++)
		if (c->days[i].day == c->days[i - 1].day) {
			char iso[11];
			return rcn_err_set(err, RCN_EUSAGE, path, c->days[i].line,
					   "duplicate date %s (first at line %ld)",
					   rcn_date_format(iso, c->days[i].day), c->days[i - 1].line);
		}
	if (c->has_declared)
		memcpy(c->covered, c->declared, sizeof(c->covered));
	else
		for (size_t i = 0; i < c->n; i++)
			c->covered[year_of(c->days[i].day) - FIRST_YEAR] = true;
	return RCN_OK;
}

rcn_rc rcn_calendar_load(rcn_calendar **out, const char *path, rcn_err *err)
{
	rcn_rc rc;
	rcn_calendar *c = rcn_xcalloc(1, sizeof(*c));
	FILE *f = fopen(path, "r");

	rcn_arena_init(&c->names);
	if (!f) {
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read calendar: %s", strerror(errno));
		goto cleanup;
	}
	rc = read_calendar(c, f, path, err);
cleanup:
	if (f)
		fclose(f);
	if (rc) {
		rcn_calendar_free(c);
		return rc;
	}
	*out = c;
	return RCN_OK;
}

void rcn_calendar_free(rcn_calendar *c)
{
	if (!c)
		return;
	free(c->days);
	rcn_arena_free(&c->names);
	free(c);
}

static const entry *find(const rcn_calendar *c, rcn_date day)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->days[lo].day == day ? &c->days[lo] : NULL;
}

rcn_day_kind rcn_calendar_day(const rcn_calendar *c, rcn_date day, const char **name)
{
	const entry *e = find(c, day);
	int wd = weekday(day);
	if (name)
		*name = e ? e->name : NULL;
	if (e)
		return e->workday ? RCN_DAY_ADJUSTED : RCN_DAY_HOLIDAY;
	return wd == 0 || wd == 6 ? RCN_DAY_WEEKEND : RCN_DAY_WEEKDAY;
}

bool rcn_calendar_is_workday(const rcn_calendar *c, rcn_date day)
{
	rcn_day_kind k = rcn_calendar_day(c, day, NULL);
	return k == RCN_DAY_WEEKDAY || k == RCN_DAY_ADJUSTED;
}

/* A day is known when its year's file was read, or when it is listed (a
 * December day declared by the next year's file). */
bool rcn_calendar_covers(const rcn_calendar *c, rcn_date day)
{
	int y = year_of(day);
	return (y >= FIRST_YEAR && y <= LAST_YEAR && c->covered[y - FIRST_YEAR]) || find(c, day) != NULL;
}

rcn_date rcn_calendar_last_day(const rcn_calendar *c)
{
	int y = LAST_YEAR;
	while (y > FIRST_YEAR && !c->covered[y - FIRST_YEAR])
		y--;
	return rcn_date_from_ymd(y, 12, 31);
}

rcn_rc rcn_calendar_add_workdays(const rcn_calendar *c, rcn_date day, int n, rcn_date *out, rcn_err *err)
{
	if (n < 0)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "negative working-day count %d: T+N needs N >= 0", n);
	/* T+0 looks at `day` itself; T+N (N >= 1) counts from the day after. Only
	 * the days looked at must be covered: an unlisted day of an uncovered year
	 * could be a holiday nobody loaded. */
	rcn_date d = n > 0 ? day + 1 : day;
	int left = n > 0 ? n : 1;
	for (;; d++) {
		if (!rcn_calendar_covers(c, d))
			return rcn_err_set(err, RCN_EUSAGE, NULL, 0,
					   "the calendar has no data for %d: add its holiday file", year_of(d));
		if (rcn_calendar_is_workday(c, d) && --left == 0)
			break;
	}
	*out = d;
	return RCN_OK;
}
