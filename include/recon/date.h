/* Calendar dates as day numbers and channel timestamps, with no time zone
 * database: business dates of the ledger are computed by PostgreSQL in the
 * configured zone, statement times are already local (Asia/Shanghai). */
#ifndef RECON_DATE_H
#define RECON_DATE_H

#include "recon/common.h"

typedef int32_t rcn_date; /* days since 1970-01-01 */

rcn_date rcn_date_from_ymd(int y, int m, int d);
void rcn_date_to_ymd(rcn_date day, int *y, int *m, int *d);
/* "YYYY-MM-DD", a real calendar day between 1970 and 9999. */
rcn_rc rcn_date_parse(rcn_date *out, const char *s, size_t n, rcn_err *err);
/* Writes "YYYY-MM-DD" (11 bytes with NUL) and returns buf. */
const char *rcn_date_format(char buf[11], rcn_date day);

/* Parses "YYYY-MM-DD HH:MM:SS" (also with full-width colons "：", seen in
 * the 2014 WeChat doc sample) into normalized "YYYY-MM-DD HH:MM:SS" and its date. */
rcn_rc rcn_datetime_parse(char out[20], rcn_date *day, const char *s, size_t n, rcn_err *err);

/* A local business time as a number: seconds since 1970-01-01 00:00:00 on
 * the zone's clock, between years 1 and 9999, or RCN_NO_TIME. Ten million
 * ledger times a night are kept this way and only the few a report shows
 * become text. */
typedef int64_t rcn_time;
#define RCN_NO_TIME	 INT64_MIN
#define RCN_TIME_MIN	 (-62135596800LL) /* 0001-01-01 00:00:00 */
#define RCN_TIME_MAX	 253402300799LL	  /* 9999-12-31 23:59:59 */
#define RCN_SECS_PER_DAY 86400

/* Its date (floor: before 1970 too). */
static inline rcn_date rcn_time_date(rcn_time t)
{
	int64_t d = t / RCN_SECS_PER_DAY;
	return (rcn_date)(t % RCN_SECS_PER_DAY < 0 ? d - 1 : d);
}
/* "YYYY-MM-DD HH:MM:SS", "" for RCN_NO_TIME; returns out. */
const char *rcn_time_format(char out[20], rcn_time t);
/* The time of "YYYY-MM-DD HH:MM:SS" (as rcn_datetime_parse reads it). */
rcn_rc rcn_time_parse(rcn_time *out, const char *s, size_t n, rcn_err *err);
/* The time of text rcn_datetime_parse wrote (normalized, already checked):
 * digits read, nothing checked again. */
rcn_time rcn_time_of_normal(const char text[20]);

#endif
