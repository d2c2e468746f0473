/* report: what the writers of one night's files share: opening, buffering and
 * syncing a report file, and the two grand-total rows (ledger side, channel
 * side) that the summary CSV and the HTML page both show under the tallies. */
#ifndef RECON_REPORT_INT_H
#define RECON_REPORT_INT_H

#include <stdio.h>

#include "recon/report.h"

typedef void (*rcn_report_body_fn)(FILE *out, const void *ctx);

/* Writes dir/name with body(out, ctx) through a 64 KiB buffer, then flushes
 * it, starts its writeback (rcn_report_start_sync) and closes it; fails with
 * the path and errno. */
rcn_rc rcn_report_write(const char *dir, const char *name, rcn_report_body_fn body, const void *ctx, rcn_err *err);
/* Starts writing the flushed file f to disk without waiting: the night's
 * files are synced together once all are written (rcn_report_prepare), so the
 * disk writes one while the next is made instead of each waited for in turn. */
void rcn_report_start_sync(FILE *f);

/* total[0] sums d's ledger-side tallies, total[1] its channel-side ones;
 * both are keyed "*" for channel and merchant. */
void rcn_report_totals(rcn_tally total[2], const rcn_report_data *d);

/* The summary's per-kind amounts (summary.csv's <KIND>_amount columns, the
 * workbook's summary sheet): per discrepancy kind, the signed sum of the
 * `difference` of the night's findings of that kind (rcn_finding_difference;
 * none counts 0), per channel and merchant account. Shown on the account's
 * channel-side line, like the payments and fees; total[] sums every finding
 * (the "*" channel line). by_tally[i] belongs to d->tallies[i] (all zero for
 * a ledger-side tally); rcn_report_kind_amounts_free releases it. */
typedef struct {
	int64_t (*by_tally)[RCN_K_PENDING];
	int64_t total[RCN_K_PENDING];
} rcn_kind_amounts;
void rcn_report_kind_amounts(rcn_kind_amounts *out, const rcn_report_data *d);
void rcn_report_kind_amounts_free(rcn_kind_amounts *a);

/* A channel-side tally's expected net settlement (payments - refunds -
 * fees) in 1e-5 yuan. */
int64_t rcn_report_net(const rcn_tally *t);
/* Its refund rate in hundredths of a percent, rounded half up, and whether
 * it is above 5% (FORMATS.md §6: a channel's risk review); false without
 * payments. */
bool rcn_report_refund_rate(const rcn_tally *t, int64_t *bp, bool *over_5pct);

#endif
