/* report: what the writers of one night's files share: opening, buffering and
 * syncing a report file, the two grand-total rows (ledger side, channel
 * side) that the summary CSV and the HTML page both show under the tallies,
 * and the open book's columns and sums (open_items.csv, the page, the workbook). */
#ifndef RECON_REPORT_INT_H
#define RECON_REPORT_INT_H

#include <stdio.h>

#include "recon/report.h"

typedef void (*rcn_report_body_fn)(FILE *out, const void *ctx);

/* One walk over d's findings in report order, from its array or in a pass
 * over its sink (each finding then valid until the next). Several walks may
 * run at once on several threads. */
typedef struct {
	const rcn_report_data *d;
	size_t i;
	rcn_kind first, last;
	rcn_findings_pass *p;
} rcn_report_walk;
void rcn_report_walk_open(rcn_report_walk *w, const rcn_report_data *d);
/* The kinds first .. last only. */
void rcn_report_walk_kinds(rcn_report_walk *w, const rcn_report_data *d, rcn_kind first, rcn_kind last);
/* Every finding in any order, without item ids: for sums. */
void rcn_report_walk_any(rcn_report_walk *w, const rcn_report_data *d);
const rcn_finding *rcn_report_walk_next(rcn_report_walk *w);
void rcn_report_walk_close(rcn_report_walk *w);
/* How many findings of each kind d has. */
void rcn_report_kinds(const rcn_report_data *d, long count[RCN_K__COUNT]);

/* Writes dir/name with body(out, ctx) through a 64 KiB buffer, then flushes,
 * syncs and closes it; fails with the path and errno. */
rcn_rc rcn_report_write(const char *dir, const char *name, rcn_report_body_fn body, const void *ctx, rcn_err *err);

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

/* ---- the open book (openitems.c) ---- */

/* open_items.csv's columns in order: {Chinese, header}. The header names are
 * what `recon items import` reads back (id, status, owner, note): keep them. */
#define RCN_OPEN_COLS 22
extern const char *const rcn_open_cols[RCN_OPEN_COLS][2];

/* d's book, or an empty one of d's date when it has none (never NULL). */
const rcn_open_book *rcn_report_book(const rcn_report_data *d, rcn_open_book *empty);
/* An item's difference on its kind's scale (RCN_SCALE_FEE for a fee); false when it has none. */
bool rcn_open_item_difference(const rcn_open_item *it, int64_t *v, int *scale);
/* "written_off (asked by NAME)" in out when a write-off awaits approval, else "". */
const char *rcn_open_item_awaiting(char *out, size_t n, const rcn_open_item *it);
/* One item as an open_items.csv line (CRLF included), built in b (reset first). */
void rcn_report_open_item_row(rcn_buf *b, const rcn_open_item *it);

/* Open items and the sum of their |difference_fen|, all and the overdue ones. */
typedef struct {
	long open, overdue;
	int64_t open_fen, overdue_fen;
} rcn_open_sum;
void rcn_open_sum_add(rcn_open_sum *s, const rcn_open_item *it);

/* summary.csv's open_items .. overdue_amount (and the summary sheet's): per
 * channel-side tally the items of its channel and merchant account, placed
 * as the per-kind amounts are (by_tally[i] belongs to d->tallies[i]); total
 * the whole book (a cross-channel "*" item or an account without a line
 * tonight counts there only). rcn_report_open_sums_free releases it. */
typedef struct {
	rcn_open_sum *by_tally;
	rcn_open_sum total;
} rcn_open_sums;
void rcn_report_open_sums(rcn_open_sums *out, const rcn_report_data *d);
void rcn_report_open_sums_free(rcn_open_sums *s);

#endif
