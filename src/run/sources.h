/* run: the night's statement sources parsed on worker threads, one job per
 * source, each into its own batch so no state is shared while parsing. */
#ifndef RECON_RUN_SOURCES_H
#define RECON_RUN_SOURCES_H

#include "recon/config.h"
#include "recon/db.h"
#include "recon/fetch.h"
#include "recon/match.h"
#include "recon/parse.h"
#include "recon/report.h"
#include "recon/rules.h"

/* A file's bad rows listed one by one (in memory, quarantine.csv, the page);
 * the rest are one entry with their count, so a file of millions of bad rows
 * costs what a thousand do. */
#define RCN_QUARANTINE_LISTED 1000

typedef struct {
	/* in */
	const rcn_config *cfg;
	const rcn_source_conf *conf;
	rcn_date day;
	const rcn_profile *profile; /* borrowed; profile channels only */
	bool refetch;		    /* download again even when the spool has the file */
	bool readahead;		    /* inflate on a second thread while parsing (--jobs 2 or more) */
	/* a shard's part of the night (recon/part.h), or NULL: rows of other
	 * parts are not kept (filled before the parse starts, read-only during it) */
	const rcn_part_plan *part;
	/* a night in parts on this machine: the rows of the other parts go to
	 * the spill (run/spill.h), as source `index` */
	struct rcn_spill *spill;
	size_t index;
	/* out */
	rcn_batch *batch; /* the accepted rows; NULL after a rejection or once merged */
	rcn_stmt_result res;
	rcn_run_input input;
	rcn_quarantine_entry *quarantine; /* unparseable rows, then the file if rejected */
	size_t n_quarantine, cap_quarantine;
	long bad_unlisted; /* bad rows past RCN_QUARANTINE_LISTED: counted, one entry for all */
	char path[4096];   /* the file opened */
	char label[4096];  /* the file as the configuration names it: used in reports */
	rcn_arena arena;   /* strings of input and quarantine */
	/* checks on the rows, made while they stream by */
	char wrong_merchant[128];
	long wrong_merchant_line;
	char wrong_merchant_file[256]; /* the row's file: an archive's entry named too */
	char wrong_date[20];
	long wrong_date_line;
	char wrong_date_file[256];
	/* rows dated the business date, at its cut-off edge, and of the day
	 * before or after it beyond the edge (date_verdict in sources.c) */
	long rows_today, rows_edge, rows_before, rows_after;
	char foreign_date[20];
	long foreign_line;
	char foreign_file[256];
	double parse_s, parse_cpu_s; /* wall and CPU time of the job (fetch and parse), for --timings */
	bool no_bill;		     /* the channel said there is no statement for the date: an empty day */
	char warning[512];	     /* from the download (a bill over plain http), or "" */
} rcn_source_job;

/* About how many rows the source's statement holds, from its size, before
 * it is parsed (0 when unknown: a statement still to be downloaded). */
size_t rcn_source_estimate_rows(const rcn_source_job *job);

/* A parsed source's outcome as the night after matching reads it (the
 * parse's totals and verdict, the input's identity, the quarantined rows,
 * the fund movements: moves[0..n_moves) are this source's), for the merge
 * (recon merge reads no statement file: shard 0 stored its sources). Import
 * fills a job that was initialised but not parsed; false when damaged. */
void rcn_source_job_export(const rcn_source_job *job, const rcn_movement *moves, size_t n_moves, rcn_buf *b);
bool rcn_source_job_import(rcn_source_job *job, rcn_wire *w);

/* Downloads a remote source's statement into the spool (or finds it there):
 * fills job->path and job->label, or rejects the job with the reason. Returns
 * false when there is nothing to parse (rejected, or no bill). */
bool rcn_source_fetch(rcn_source_job *job, rcn_fetch_result *out);

void rcn_source_job_init(rcn_source_job *job, const rcn_config *cfg, const rcn_source_conf *conf, rcn_date day,
			 const rcn_profile *profile);
void rcn_source_job_free(rcn_source_job *job);

/* Parses jobs[0..n) on up to `threads` threads and returns at once; join
 * waits for all of them. The caller must not touch the jobs in between. */
typedef struct rcn_parse_pool rcn_parse_pool;
rcn_parse_pool *rcn_parse_start(rcn_source_job *jobs, size_t n, int threads);
void rcn_parse_join(rcn_parse_pool *pool);

/* What tonight's sources say about each merchant account's money, for
 * settlement (malloc'd; strings borrowed from cfg and jobs): a configured
 * fund-flow source, and the 清算净额 of accepted UnionPay statements. */
rcn_settle_account *rcn_source_accounts(const rcn_config *cfg, const rcn_source_job *jobs, size_t n, size_t *n_out);
/* What each account's first accepted fund-flow statement shows arriving
 * (its movements but withdrawals, 提现), one per account (malloc'd). */
rcn_settle_arrival *rcn_source_arrivals(const rcn_source_job *jobs, size_t n, const rcn_movement *moves, size_t n_moves,
					size_t *n_out);

#endif
