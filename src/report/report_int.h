/* report: what the writers of one night's files share: opening, buffering and
 * syncing a report file, and the two grand-total rows (ledger side, channel
 * side) that the summary CSV and the HTML page both show under the tallies. */
#ifndef RECON_REPORT_INT_H
#define RECON_REPORT_INT_H

#include <stdio.h>

#include "recon/report.h"

typedef void (*rcn_report_body_fn)(FILE *out, const void *ctx);

/* Writes dir/name with body(out, ctx) through a 64 KiB buffer, then flushes,
 * syncs and closes it; fails with the path and errno. */
rcn_rc rcn_report_write(const char *dir, const char *name, rcn_report_body_fn body, const void *ctx, rcn_err *err);

/* total[0] sums d's ledger-side tallies, total[1] its channel-side ones;
 * both are keyed "*" for channel and merchant. */
void rcn_report_totals(rcn_tally total[2], const rcn_report_data *d);

#endif
