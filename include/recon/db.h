/* ledger: the one module that talks to PostgreSQL (libpq). Connection,
 * recon's own schema migrations, the per-date advisory lock, the ledger
 * window load in one REPEATABLE READ READ ONLY snapshot, and the results write. */
#ifndef RECON_DB_H
#define RECON_DB_H

#include "recon/common.h"
#include "recon/part.h"
#include "recon/date.h"
#include "recon/finding.h"
#include "recon/ledger_rows.h"
#include "recon/settlement.h"

typedef struct rcn_db rcn_db;

/* conninfo "" or NULL means the PG* environment. On success *out is owned by
 * the caller (rcn_db_close). The error never contains the password. */
rcn_rc rcn_db_connect(rcn_db **out, const char *conninfo, rcn_err *err);
void rcn_db_close(rcn_db *db);
/* RCN_EUSAGE when libpq cannot parse conninfo (PQconninfoParse): err says why
 * on one line, without the password. Nothing is connected. */
rcn_rc rcn_db_check_conninfo(const char *conninfo, rcn_err *err);

/* Creates or upgrades recon_* tables from the versioned files in sql/ (embedded
 * at build time); safe to run concurrently (takes an advisory lock). */
rcn_rc rcn_db_migrate(rcn_db *db, rcn_err *err);

/* Session advisory lock for one business date. Waits up to wait_seconds
 * (0: do not wait); RCN_EBUSY when another run holds it. on_wait (may be NULL)
 * is called once if the lock is busy and we start waiting. */
rcn_rc rcn_db_lock_date(rcn_db *db, rcn_date day, int wait_seconds, void (*on_wait)(void *), void *ctx, rcn_err *err);
void rcn_db_unlock_date(rcn_db *db, rcn_date day);

typedef struct {
	void (*order)(void *ctx, const rcn_ledger_order *o);
	void (*refund)(void *ctx, const rcn_ledger_refund *r);
	void (*suspense)(void *ctx, const rcn_finding *f); /* kind RCN_K_PENDING */
	void (*contract)(void *ctx, const rcn_ledger_contract *c);
	void *ctx;
	/* optional: before the window's first order, how many the planner
	 * expects (its estimate, maybe far off), for sizing what holds them */
	void (*expect_orders)(void *ctx, size_t n);
} rcn_ledger_sink;

typedef struct {
	rcn_date day;
	int carry_days;		 /* window = [day - carry_days, day] in `timezone` */
	const char *timezone;	 /* e.g. "Asia/Shanghai" */
	const char *orders_sql;	 /* site SELECT with the ledger_orders column names, or NULL */
	const char *refunds_sql; /* site SELECT with the ledger_refunds column names, or NULL */
	bool pipelined;		 /* rows received here and parsed on a thread of their own */
	/* a shard's part of the night (recon/part.h), or NULL: the whole window.
	 * The window's load fills its contracted orders first, then reads only
	 * the orders and refunds of the part (filtered in the server). */
	rcn_part_plan *part;
} rcn_ledger_window;

/* Starts the snapshot: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY. */
rcn_rc rcn_ledger_begin(rcn_db *db, rcn_err *err);
/* A shard's part (w->part): the contracted orders of the window, every
 * shard's same list, into the plan, before the statements are parsed (in the
 * snapshot, after rcn_ledger_begin). Nothing without a part or for the merge. */
rcn_rc rcn_ledger_load_part(rcn_db *db, const rcn_ledger_window *w, rcn_err *err);
/* Streams the window's orders and refunds with COPY ... TO STDOUT (a
 * shard's part of them when w->part is set; none for the merge's). */
rcn_rc rcn_ledger_load_window(rcn_db *db, const rcn_ledger_window *w, const rcn_ledger_sink *sink, rcn_err *err);
/* Key lookups (same snapshot) for statement rows whose order or refund lies
 * outside the window: orders by order_no or channel_txn_id, refunds by
 * refund_no, and every refund of the given orders. Any list may be empty.
 * Rows inside the window (already loaded) are skipped; no row comes twice. */
rcn_rc rcn_ledger_lookup(rcn_db *db, const rcn_ledger_window *w, const char *const *order_nos, size_t n_orders,
			 const char *const *txn_ids, size_t n_txn, const char *const *refund_nos, size_t n_refunds,
			 const char *const *refund_orders, size_t n_refund_orders, const rcn_ledger_sink *sink,
			 rcn_err *err);
/* The keys of rcn_ledger_lookup_keys other than order numbers. */
typedef struct {
	const char *const *txn_ids;
	size_t n_txn;
	const char *const *refund_nos;
	size_t n_refunds;
	const char *const *refund_orders;
	size_t n_refund_orders;
} rcn_ledger_key_lists;
/* Where rcn_ledger_lookup_keys gets its keys: order_batch hands over up to
 * `want` more order numbers (0 when there are no more), found while the
 * caller scans on; each batch is looked up while the caller finds the next.
 * Then others gives the other lists. Keys are read during the call only. */
typedef struct {
	size_t (*order_batch)(void *ctx, size_t want, const char *const **batch);
	void (*others)(void *ctx, rcn_ledger_key_lists *out);
	void *ctx;
	/* answers held for after the scan, at most (bytes; 0: 64 MiB): past it
	 * the batches wait for the scan's end and are asked then */
	size_t held_max;
} rcn_ledger_keys;
/* rcn_ledger_lookup with the keys handed over as they are found: the
 * answers are delivered to the sink only after the last batch, in order. */
rcn_rc rcn_ledger_lookup_keys(rcn_db *db, const rcn_ledger_window *w, const rcn_ledger_keys *keys,
			      const rcn_ledger_sink *sink, rcn_err *err);
/* Suspense as it stood after `day` (pending items of that date's latest run).
 * *had_run tells whether any run of `day` exists. */
rcn_rc rcn_ledger_load_suspense(rcn_db *db, rcn_date day, bool *had_run, const rcn_ledger_sink *sink, rcn_err *err);
/* The given auto-debit contracts from ledger_contracts, with each one's debit
 * history before `w->day` and its attempts on the day, from the orders that
 * carry its contract_id (same snapshot); two indexed queries per 5,000
 * contracts, none when n is 0. A billing_period other than the five is an error. */
rcn_rc rcn_ledger_load_contracts(rcn_db *db, const rcn_ledger_window *w, const char *const *ids, size_t n,
				 const rcn_ledger_sink *sink, rcn_err *err);
/* Settlements of earlier business dates still due on or before `day`
 * (status "due"), for the settlement check. Strings live until the next call. */
rcn_rc rcn_db_load_open_settlements(rcn_db *db, rcn_date day, void (*fn)(void *ctx, const rcn_settlement *s), void *ctx,
				    rcn_err *err);
/* Ends the snapshot (COMMIT of the read-only transaction). */
rcn_rc rcn_ledger_end(rcn_db *db, rcn_err *err);

/* One statement input of a run, for recon_runs.inputs. */
typedef struct {
	const char *source; /* [source NAME] */
	const char *path;   /* resolved location, no secrets */
	char sha256[65];
	const char *format;
	long rows;
	const char *verdict; /* "ok" or the rejection message */
	const char *warning; /* what the operator must hear about the file (plain-http download), or NULL */
} rcn_run_input;

typedef struct {
	rcn_date day;
	const char *started_at; /* ISO 8601 UTC, wall clock: only in the database, never in reports */
	double seconds;
	int exit_status;
	const rcn_run_input *inputs;
	size_t n_inputs;
	const char *counts_json; /* {"matched":..,"SHORT_PAYMENT":..} */
	/* Called once the findings are written, before the recon_runs row and the
	 * COMMIT (may be NULL): an error from it rolls everything back and is
	 * returned as is. The run waits here for its reports, written meanwhile on
	 * another thread, and sets `seconds` then. */
	rcn_rc (*before_commit)(void *ctx, rcn_err *err);
	void *before_commit_ctx;
	/* The reports, staged before the COMMIT and swapped in after it: the run
	 * is stored as publish_state 'staged' with these (NULL staged_dir: no
	 * reports to publish). Read after before_commit returns. */
	const char *reports_dir; /* reports/<date> */
	const char *staged_dir;	 /* the staged directory */
	const char *staged_id;	 /* its "device:inode" (rcn_report_dir_id) */
	int64_t *run_id;	 /* may be NULL: receives the stored run's id */
	/* Writes of a module above the ledger in the same transaction (the
	 * open-items register, rcn_items_night_store), run on the results'
	 * connection after the findings and before before_commit (may be NULL). */
	rcn_rc (*in_transaction)(void *ctx, rcn_db *db, rcn_err *err);
	void *in_transaction_ctx;
} rcn_run_info;

/* In one transaction: replaces `day`'s rows of recon_discrepancies and
 * recon_suspense with these findings (pending ones go to suspense; MATCHED
 * notes are not stored) and of recon_movements with the fund movements,
 * writes the settlements (those of `day` replaced, earlier ones' status updated), appends
 * the recon_runs row, and marks later dates' runs stale. *later_dates
 * (may be NULL) receives how many later dates now need a re-run. */
rcn_rc rcn_db_store_results(rcn_db *db, const rcn_run_info *run, const rcn_finding *const *findings, size_t n,
			    const rcn_movement *moves, size_t n_moves, const rcn_settlement *settlements,
			    size_t n_settlements, long *later_dates, rcn_err *err);

/* A committed run whose reports were not swapped into place (killed between
 * COMMIT and the swap, or the swap failed). Strings live during the callback. */
typedef struct {
	int64_t run_id;
	rcn_date day;
	const char *reports_dir, *staged_dir, *staged_id;
} rcn_unpublished;

/* Every run still in publish_state 'staged', oldest first. */
rcn_rc rcn_db_unpublished(rcn_db *db, void (*fn)(void *ctx, const rcn_unpublished *u), void *ctx, rcn_err *err);
/* Sets a run's publish_state ("published", "lost"); only a run still 'staged' changes. */
rcn_rc rcn_db_set_publish_state(rcn_db *db, int64_t run_id, const char *state, rcn_err *err);

/* `recon status`: one business date's latest run. Strings are valid during
 * the callback only. */
/* The same write in steps, for a writer that starts while the matcher still
 * runs (on a connection of its own): begin opens the transaction and replaces
 * the date's rows, add streams findings as they come (any order, any number
 * of calls), finish writes the rest and commits as rcn_db_store_results does.
 * After a failed step only free is left; free rolls back what was not
 * committed. */
typedef struct rcn_results rcn_results;
rcn_rc rcn_results_begin(rcn_results **out, rcn_db *db, rcn_date day, rcn_err *err);
rcn_rc rcn_results_add(rcn_results *w, const rcn_finding *const *findings, size_t n, rcn_err *err);
/* Adds the findings of a sorted run (recon/findings_run.h), read back from
 * path: a night in parts, whose findings are not kept in memory. */
rcn_rc rcn_results_add_run(rcn_results *w, const char *path, rcn_err *err);
rcn_rc rcn_results_finish(rcn_results *w, const rcn_run_info *run, const rcn_movement *moves, size_t n_moves,
			  const rcn_settlement *settlements, size_t n_settlements, long *later_dates, rcn_err *err);
void rcn_results_free(rcn_results *w);

typedef struct {
	rcn_date day;
	int exit_status;
	long runs;					/* runs stored for the date */
	int64_t statement_rows, discrepancies, pending; /* from counts; -1 when absent */
	const char *started_at;				/* "YYYY-MM-DD HH:MM:SS" in the zone, "" when unknown */
	double seconds;					/* < 0 when unknown */
	bool stale;
	const char *stale_reason; /* "" when none */
	const char *problems;	  /* the run's PROBLEM lines joined by " | "; "" when none */
} rcn_run_summary;

/* The latest run of each of the last `days` business dates that have runs,
 * oldest first, with started_at shown in time zone `tz`. */
rcn_rc rcn_db_recent_runs(rcn_db *db, const char *tz, int days, void (*fn)(void *ctx, const rcn_run_summary *r),
			  void *ctx, rcn_err *err);
/* Every business date whose latest run is stale, oldest first (fn per date),
 * and in *last the latest business date that has a run (-1 when none): a
 * re-run must cover from the oldest stale date to *last. */
rcn_rc rcn_db_stale_dates(rcn_db *db, void (*fn)(void *ctx, rcn_date day), void *ctx, rcn_date *last, rcn_err *err);

/* ---- recon_shards: a night reconciled as N shards (recon run --shard, recon merge) ---- */
typedef struct {
	rcn_date day;
	int shard, shards;
	const char *status; /* running, done, failed */
	const char *host, *why, *inputs_digest, *config_digest;
	long statement_rows, ledger_rows;
	int64_t bytes_read;
	double seconds;
	const unsigned char *outcome; /* NULL unless done */
	size_t n_outcome;
} rcn_shard_row;
/* The shard's row, running (replacing an earlier run of the same shard; a
 * date's rows of another shard count are deleted). */
rcn_rc rcn_db_shard_start(rcn_db *db, rcn_date day, int shard, int shards, const char *host, rcn_err *err);
/* Done: r's digests, counts and outcome. */
rcn_rc rcn_db_shard_finish(rcn_db *db, const rcn_shard_row *r, rcn_err *err);
rcn_rc rcn_db_shard_fail(rcn_db *db, rcn_date day, int shard, int shards, const char *why, rcn_err *err);
/* Every row of the date's N-shard night in shard order, one at a time (with
 * its outcome when `outcomes`; r is valid during the call only); stops at
 * the first fn that fails. */
rcn_rc rcn_db_shards_read(rcn_db *db, rcn_date day, int shards, bool outcomes,
			  rcn_rc (*fn)(void *ctx, const rcn_shard_row *r, rcn_err *err), void *ctx, rcn_err *err);

/* A date's sharded night not merged since its shards last ran (within the
 * latest `days` dates that have shards): how many of its N shards are done, and the others
 * ("2 running on host, 3 failed", "" when all are done). Strings valid
 * during the call only. */
typedef struct {
	const char *date;
	int shards, done;
	const char *others;
} rcn_unmerged;
rcn_rc rcn_db_unmerged_shards(rcn_db *db, int days, void (*fn)(void *ctx, const rcn_unmerged *u), void *ctx,
			      rcn_err *err);

#endif
