/* settle: the China business-day calendar (FORMATS.md §5): public holidays
 * and 调休 weekend working days from rules/calendar/cn.csv, generated from the
 * official holiday data by rules/calendar/make_cn.sh. */
#ifndef RECON_CALENDAR_H
#define RECON_CALENDAR_H

#include "recon/common.h"
#include "recon/date.h"

typedef struct rcn_calendar rcn_calendar;

/* Loads the CSV (date,kind,name with kind "holiday" or "workday"). The years
 * it covers are the years that have at least one entry. On success *out is a
 * new calendar owned by the caller (rcn_calendar_free()); on failure *out is
 * untouched and err (RCN_EUSAGE) says which file and line broke. */
rcn_rc rcn_calendar_load(rcn_calendar **out, const char *path, rcn_err *err);
void rcn_calendar_free(rcn_calendar *c);

/* A working day: Monday–Friday unless a holiday, or a weekend day listed as a 调休 working day. */
bool rcn_calendar_is_workday(const rcn_calendar *c, rcn_date day);

/* Why a day is or is not a working day (for explaining a walk). */
typedef enum {
	RCN_DAY_WEEKDAY, /* Monday–Friday, not listed: working */
	RCN_DAY_WEEKEND, /* Saturday or Sunday, not listed: off */
	RCN_DAY_HOLIDAY, /* listed public holiday: off */
	RCN_DAY_ADJUSTED /* listed 调休 weekend working day: working */
} rcn_day_kind;
/* The kind of `day`; if name is not NULL, *name is the listed day's holiday
 * name (borrowed, valid until rcn_calendar_free(c)) or NULL for an unlisted day. */
rcn_day_kind rcn_calendar_day(const rcn_calendar *c, rcn_date day, const char **name);

/* The Nth working day after `day` (T+N, N >= 0; T+0 is `day` itself if a
 * working day, else the next one). RCN_EUSAGE when the walk leaves the years
 * the calendar covers ("the calendar has no data for 2027: add its holiday file"). */
rcn_rc rcn_calendar_add_workdays(const rcn_calendar *c, rcn_date day, int n, rcn_date *out, rcn_err *err);

/* The last day of the last year the calendar covers (its 31 December): T+N
 * walks that reach past it cannot be computed until the next year is added. */
rcn_date rcn_calendar_last_day(const rcn_calendar *c);
/* Whether the calendar knows `day` (its year was loaded, or the day is listed). */
bool rcn_calendar_covers(const rcn_calendar *c, rcn_date day);

#endif
