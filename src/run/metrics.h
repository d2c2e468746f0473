/* metrics: the Prometheus text-format file for node_exporter's textfile
 * collector, rewritten atomically after every run (issue 6 item 5). */
#ifndef RECON_RUN_METRICS_H
#define RECON_RUN_METRICS_H

#include <time.h>

#include "recon/common.h"
#include "recon/date.h"
#include "recon/finding.h"
#include "recon/match.h"
#include "recon/openitem.h"

typedef struct {
	rcn_date day;
	int exit_code;
	double seconds;	 /* wall time of the run */
	time_t finished; /* now: the success timestamp when exit_code is 0 or 1 */
	/* NULL when the run stopped before matching: no rows or discrepancy samples then */
	const rcn_tally *tallies;
	size_t n_tallies;
	const long *kinds;	   /* RCN_K__COUNT counts; only the discrepancy kinds are written */
	int problems;		   /* what the night could not check (rcn_run_result.n_problems) */
	long beyond_calendar;	   /* settlements due after the calendar's last day */
	rcn_date calendar_end;	   /* the calendar's last day; 0 when none is loaded */
	const rcn_open_book *book; /* the open book as of day; NULL: no open-item samples */
} rcn_metrics;

/* Writes path.tmp.<pid> and renames it over path. recon_last_success_timestamp
 * is `finished` after an exit 0 or 1, else the value kept from the existing
 * file (none when the file has none). */
rcn_rc rcn_metrics_write(const char *path, const rcn_metrics *m, rcn_err *err);

#endif
