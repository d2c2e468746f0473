/* run: one business date end to end — plan the sources, parse the
 * statements, load the ledger snapshot, match, write the reports and the
 * database results. The CLI's `recon run` is a thin wrapper around this. */
#ifndef RECON_RUN_H
#define RECON_RUN_H

#include <stdio.h>

#include "recon/common.h"
#include "recon/config.h"
#include "recon/date.h"

typedef struct {
	const rcn_config *cfg;
	rcn_date day;
	const char *const *only; /* --channel: source names or channels to run; NULL/0 = all */
	size_t n_only;
	const char *out_dir;	  /* --out: reports directory overriding [run] reports */
	bool dry_run;		  /* reconcile and write reports, commit nothing to the database */
	int jobs;		  /* --jobs: threads parsing statements; 0 = [run] jobs, else the cores */
	bool refetch;		  /* --refetch: download again even when the spool has the statement */
	FILE *log;		  /* messages (stderr) */
	bool log_json;		  /* --log-format json: one JSON object per log line */
	bool timings;		  /* --timings: log the cost of each stage */
	const char *metrics_path; /* --metrics: Prometheus textfile overriding [run] metrics; NULL = config */
	/* A night in N shards (docs/internals/shards.md): shards 0 is the whole
	 * night in this process. With shards N, shard I (0..N-1) reconciles its
	 * part and stores it in recon_shards, unpublished (recon run --shard
	 * I/N); shard -1 is the merge (recon merge --shards N), which reconciles
	 * no row itself and combines the N parts into the night. */
	int shards, shard;
	uint64_t memory; /* --memory: the night's memory budget in bytes, overriding [run] memory; 0 = config */
} rcn_run_opts;

#define RCN_RUN_MAX_PROBLEMS 4

/* Where one side's rows went, as summary.csv's "*" line of that side:
 * rows_in = matched + discrepancies + pending + quarantined. */
typedef struct {
	long rows_in, matched, discrepancies, pending, quarantined;
} rcn_run_balance;

typedef struct {
	int exit_code; /* DESIGN.md §3 exit codes */
	/* statement_rows, matched and quarantined count channel rows; discrepancies
	 * and pending count findings (both sides; recon_runs.counts keeps these) */
	long statement_rows, matched, discrepancies, pending, quarantined, rejected_files;
	rcn_run_balance channel, ledger; /* rows per side: the night's summary line */
	char reports_path[4096];
	/* what the night could not check and someone must fix (e.g. the calendar
	 * ends before a settlement's due date): logged, on the page, in the alert,
	 * stored with the run for `recon status`, counted in the metrics */
	char problems[RCN_RUN_MAX_PROBLEMS][400];
	int n_problems;
} rcn_run_result;

/* Runs one date. Never exits the process; every failure is in the exit code
 * and a one-line message on opts->log. */
void rcn_run_date(const rcn_run_opts *opts, rcn_run_result *out);
/* Finishes what earlier runs committed but did not publish (recon_runs
 * publish_state 'staged': killed between COMMIT and the swap of the reports,
 * or the swap failed): swaps their staged reports into place, or marks them
 * lost when the staged directory is gone. A date whose run is in progress is
 * left to it. say gets one message per run handled, about its date. */
#include "recon/db.h"
void rcn_run_finish_publishes(rcn_db *db, void (*say)(void *ctx, rcn_date day, bool error, const char *msg), void *ctx);
/* Online processors, the default for --jobs. */
int rcn_run_cores(void);

#endif
