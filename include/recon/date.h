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

#endif
