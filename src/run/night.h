/* run: what the night's stages share (internal to src/run). run.c holds the
 * stages in order; these are their helpers, each in a file of its own:
 *
 *   runlog.c   the log (text or JSON lines), the terminal's progress line,
 *              the kill points of the tests
 *   ending.c   what a night says when it ends: the counts, its problems, the
 *              alert, the metrics, the stage timings
 *   stream.c   the results stream: findings COPYed to the database by a
 *              pool task while the matcher still makes them
 *   sources.c  the parse jobs (download, decode, parse) on pool tasks
 *   shard.c    what a night's shards and merge agree on: digests, packing
 * Behind night_state.h (the state the stages share), the stages run.c
 * drives: snapshot.c (the ledger's reads), parts.c (a night in parts, with
 * spill.c), shard_stages.c (a shard's last stage, the merge's first),
 * results_stages.c (the reports and the results' transaction). */
#ifndef RECON_RUN_NIGHT_H
#define RECON_RUN_NIGHT_H

#include "recon/alert.h"
#include "recon/db.h"
#include "recon/findings.h"
#include "recon/report.h"
#include "recon/rules.h"
#include "recon/run.h"
#include "run/sources.h"
#include "util/pool.h"

#include <pthread.h>

enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_INPUT = 3, EXIT_DB = 4, EXIT_UNPUBLISHED = 5 };

/* ---- runlog.c ---- */

/* Every line a run writes to its log goes through rcn_run_log: as text,
 * "recon: DATE: [source NAME] message" (no date with LOG_NODATE); with
 * --log-format json, {"level":…,"date":…,"source":…,"msg":…} on one line. */
enum { LOG_INFO = 0, LOG_ERROR = 1, LOG_NODATE = 2, LOG_WARNING = 4 };

void rcn_run_log(const rcn_run_opts *o, int flags, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Progress of the long stages on a terminal; stage NULL clears the line. */
void rcn_run_progress(const rcn_run_opts *o, const char *date, const char *stage);
/* Tests only: RECON_TEST_KILL_AT=<point> kills the run at that point. */
void rcn_run_kill_point(const char *point);

/* ---- ending.c ---- */

/* --timings: the wall time of each stage, logged as one line at the end. */
enum { ST_PARSE, ST_WINDOW, ST_MERGE, ST_LOOKUPS, ST_MATCH, ST_SETTLE, ST_REPORTS, ST_RESULTS, ST__COUNT };
typedef struct {
	double s[ST__COUNT];
	long peak_mib[ST__COUNT]; /* the process's peak RSS when the stage last ended */
	double mark;
} rcn_run_clock;
/* Charges the time since the last mark to stage st, and notes the peak RSS so far. */
void rcn_run_stage_done(rcn_run_clock *c, int st);
void rcn_run_log_timings(const rcn_run_opts *o, const rcn_run_clock *c, const rcn_source_job *jobs, size_t n_src);

/* The counts recon_runs keeps (JSON, malloc'd). */
char *rcn_run_counts_json(const rcn_run_result *r, const long kinds[RCN_K__COUNT], const int64_t amounts[RCN_K__COUNT]);
void rcn_run_add_problem(rcn_run_result *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rcn_run_calendar_end_check(const rcn_run_opts *o, const rcn_calendar *cal, const rcn_settle_set *s,
				rcn_run_result *out);
/* A database error: logged, exit 4. */
void rcn_run_db_fail(const rcn_run_opts *o, const rcn_err *err, rcn_run_result *out);
/* The trend chart of index.html: earlier business dates' latest runs (at
 * most 29, never later dates, so a re-run of an old date draws the same
 * chart), then this run. */
typedef struct {
	rcn_date day;
	rcn_trend_point *v;
	size_t n;
} rcn_run_trend;
void rcn_run_on_trend(void *p, const rcn_run_summary *r);
void rcn_run_say_publish(void *ctx, rcn_date day, bool error, const char *msg);
void rcn_run_on_lock_wait(void *p);
/* book: the night's open book (the alert's and the metrics' open items), or NULL. */
void rcn_run_alert(const rcn_run_opts *o, const rcn_run_result *out, const rcn_alert_outcome *outcome,
		   const rcn_open_book *book, const rcn_run_input *inputs, size_t n_src);
void rcn_run_write_metrics(const rcn_run_opts *o, const rcn_run_result *out, double t0, const rcn_tally *tallies,
			   size_t n_tallies, const long *kinds, const rcn_settle_set *settle,
			   const rcn_open_book *book);

/* ---- stream.c ---- */

/* With more than one core the findings go to the database while the matcher
 * still makes them: a writer thread on a connection of its own opens the
 * results transaction and streams what the matcher hands over; the main
 * thread then finishes the same transaction (rcn_results_finish). */
typedef struct {
	rcn_db *db; /* the writer's connection */
	rcn_date day;
	rcn_results *res;
	pthread_mutex_t lock;
	pthread_cond_t more;
	const rcn_finding **queue; /* handed over, not yet written */
	size_t n_queue, cap_queue;
	char **runs; /* runs of findings handed over (a night in parts), not yet written */
	size_t n_runs, cap_runs;
	bool closing;
	rcn_rc rc;
	rcn_err err;
	rcn_task task;
	bool started;
} rcn_run_stream;
/* Starts the writer on its own connection, subscribed to the sink; false
 * (and nothing to undo) when it cannot: the results are then written in one
 * go at the end. */
bool rcn_run_stream_start(rcn_run_stream *s, const rcn_config *cfg, rcn_date day, rcn_findings *sink);
/* Lets the writer write what is left and waits for it: then the writer's
 * connection and transaction are the caller's. Returns the writer's result. */
rcn_rc rcn_run_stream_close(rcn_run_stream *s, rcn_err *err);
/* After close or a failure elsewhere: rolls back what was not committed. */
void rcn_run_stream_free(rcn_run_stream *s, rcn_findings *sink);

/* ---- shard.c ---- */

/* sha256 (hex) of the configuration file and every file of the rules
 * directory, and of the sources' statement files (names and digests in
 * source order): what the shards of one night and its merge must share. */
void rcn_run_config_digest(const rcn_config *cfg, char out[65]);
void rcn_run_inputs_digest(const rcn_run_input *in, size_t n, char out[65]);
/* A shard's outcome as stored: its length (8 bytes) and the zlib stream;
 * malloc'd, NULL on failure. rcn_run_unpack: back, NUL-terminated, or NULL
 * when damaged. */
unsigned char *rcn_run_pack(const rcn_buf *b, size_t *n);
unsigned char *rcn_run_unpack(const unsigned char *p, size_t n, size_t *out_n);

#endif
