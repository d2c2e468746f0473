/* run: the state one night carries from stage to stage (internal to
 * src/run): run.c holds the stages in order, shard_stages.c the stages of a
 * night in shards (a shard's last, the merge's first). */
#ifndef RECON_RUN_NIGHT_STATE_H
#define RECON_RUN_NIGHT_STATE_H

#include "recon/items.h"
#include "recon/match.h"
#include "recon/part.h"
#include "run/night.h"
#include "util/pool.h"

/* The register read on a connection of its own while the statements are
 * parsed and the window loads (the night needs it only after matching). */
typedef struct {
	const rcn_run_opts *o;
	const rcn_calendar *cal;
	rcn_items_night *items;
	rcn_task task;
	bool started;
	rcn_rc rc;
	rcn_err err;
} items_job;

/* The reports, written while the results are stored (rcn_run_info.before_commit). */
typedef struct {
	rcn_report_dir *dir;
	const char *reports;
	rcn_date day;
	const rcn_report_data *data;
	double t0;
	rcn_run_info *info; /* its seconds are set when the reports are ready */
	char staged_id[64]; /* the prepared directory's identity, for recon_runs */
	rcn_task task;
	bool gate_reached;
	double seconds;
	rcn_rc rc;
	rcn_err err;
} report_job;

/* What one night carries from stage to stage. Each stage reads what the ones
 * before it left here and adds its own; night_end releases all of it. */
typedef struct {
	const rcn_run_opts *o;
	const rcn_config *cfg;
	rcn_run_result *out;
	char date[11], started[32];
	rcn_err err;
	int threads;
	/* the rules directory's files (each NULL when the directory has none) */
	rcn_rules_files files;
	/* the selected sources, in configuration order */
	rcn_match_source *msrc;
	rcn_rules_source *rsrc;
	rcn_rules *rules;
	/* tonight's fund movements (fund-flow statements), for settlement and the results */
	rcn_movement *moves;
	size_t n_moves, cap_moves;
	rcn_arena moves_arena;
	rcn_source_job *jobs;
	rcn_profile **profiles;
	rcn_run_input *inputs;
	size_t n_src;
	rcn_quarantine_entry *quarantine;
	size_t n_quarantine, cap_quarantine;
	/* the database, the matcher and what they make */
	rcn_db *db;
	pthread_mutex_t db_mu; /* a night in parts: two parts' lookups, one at a time on db */
	bool locked;
	rcn_match *m;
	rcn_items_night *items; /* the open-items register: read with the lookups, moved with the results */
	items_job ij;		/* its read on a thread of its own (more than one thread) */
	rcn_findings *sink;	/* every finding of the night: the matcher's and the rules' */
	rcn_run_stream stream;
	rcn_settle_set settlements;
	const rcn_finding *const *findings,
		*const *notes; /* findings: those in memory (a night in parts: the rules') */
	size_t n_findings, n_mem_findings, n_notes, n_tallies; /* n_findings: all of them, runs too */
	const rcn_tally *tallies; /* set once tallied: the metrics then have rows and kinds */
	long kinds[RCN_K__COUNT];
	int64_t amounts[RCN_K__COUNT]; /* the kinds' differences, in fen (rcn_findings_amounts) */
	/* the reports and the stored run */
	rcn_trend_point trend[30];
	const char *problem_texts[RCN_RUN_MAX_PROBLEMS];
	rcn_report_data data;
	char reports[4096];
	rcn_report_dir rdir;
	report_job rj;
	char *counts;
	int64_t run_id;
	double t0;
	rcn_run_clock clock;
	/* a night in shards (o->shards): this process's part; a shard's
	 * recon_shards row once started; the merge's unpacked outcomes of the
	 * parts (the imported findings' strings point into them) and where
	 * each one's evidence for the register starts */
	rcn_part_plan part;
	size_t arena_pool; /* in parts: the bytes of arena blocks kept from a part for the next */
	size_t array_pool; /* in parts: the bytes of big arrays kept so (rcn_array_pool_keep) */
	bool shard_row;
	unsigned char **outcomes;
	size_t *outcome_len, *evidence_at;
	size_t n_outcomes;
	char inputs_digest[65], config_digest[65];
	char (*shard_inputs)[65]; /* the merge: each shard's inputs digest, all the same */
	/* a night in parts on this machine ([run] memory): how many, their
	 * spill, each part's outcome, the sink of the part being matched, the
	 * previous date's suspense for every part */
	uint32_t n_parts;
	struct rcn_spill *spill;
	rcn_buf *part_out;
	rcn_findings *part_sink;
	rcn_findings *saved_susp;
	bool had_prior_run;
	/* the part matched last, kept until its findings are written to their
	 * run (they live in its matcher's arena and its rules') */
	rcn_match *done_m;
	rcn_findings *done_sink;
	rcn_rules *done_rules; /* (NULL for part 0: the night's) */
	/* --timings of the later parts, in seconds: the main thread waiting
	 * for the next part, matching, writing the findings and importing; the
	 * threads making them ready reading the spill and looking up */
	double parts_wait, parts_match, parts_import, parts_spill, parts_lookups;
	double parts_rows, parts_ledger,
		parts_add; /* --timings: the statement rows read back, the ledger's, the rows added */
} night;

static inline bool is_shard(const night *n)
{
	return n->o->shards > 0 && n->o->shard >= 0;
}

static inline bool is_merge(const night *n)
{
	return n->o->shards > 0 && n->o->shard < 0;
}

/* A database error: logged, exit 4; false. */
bool rcn_run_night_db_fail(night *n);
/* Waits for the register's read on its own thread, when it has one. */
bool rcn_run_items_in(night *n);

/* The ledger rows the window lacks, their contracts and (items non-NULL)
 * the register, in the snapshot, which it ends unless end_snapshot is false. */
rcn_rc rcn_run_load_lookups(rcn_db *db, const rcn_run_opts *o, rcn_match *m, rcn_rules *rules, const rcn_calendar *cal,
			    rcn_items_night **items, bool end_snapshot, rcn_err *err);

/* A rejected source: its rows quarantined, its ledger items left pending. */
void rcn_run_count_rejected(rcn_match *m, size_t source, const rcn_stmt_result *res);

/* ---- snapshot.c ---- */

/* Opens the snapshot; a part plan's contracted orders read first (a shard,
 * a night in parts), before the statements are parsed. */
rcn_rc rcn_run_begin_snapshot(rcn_db *db, const rcn_run_opts *o, rcn_part_plan *part, rcn_err *err);
/* The window and the previous date's suspense into m (in_parts: part 0's
 * into m, the others' to the spill); ends the snapshot on failure. */
rcn_rc rcn_run_load_window(rcn_db *db, const rcn_run_opts *o, rcn_match *m, bool pipelined, rcn_part_plan *part,
			   night *in_parts, rcn_err *err);
/* The register's read on a connection of its own (an items_job), and its end. */
void *rcn_run_items_thread(void *p);
bool rcn_run_join_items(items_job *j, rcn_err *err);

/* ---- results_stages.c ---- */

/* The reports on a thread while the results are stored (not in a dry run). */
bool rcn_run_write_reports_and_store(night *n);
/* The staged reports swapped into place (exit 5 when they cannot be). */
bool rcn_run_publish_reports(night *n);

/* ---- parts.c ---- */

/* A night in parts (n_parts > 1), after part 0 was matched: one matcher
 * (n->m) that holds no row imports each part's outcome as the part is done,
 * as the merge of shards does, while the later parts are read back from the
 * spill, each made ready while the one before it is matched. True at once
 * otherwise. */
bool rcn_run_match_parts(night *n);

/* ---- shard_stages.c ---- */

/* A shard's last stage: its part's outcome stored in recon_shards. */
bool rcn_run_store_shard(night *n);
/* The merge, while its results transaction opens: every shard's outcome
 * read and checked (false: refused, said why, exit 4). */
bool rcn_run_read_shards(night *n);
/* The merge, once the files' part is in: the parts' tallies and notes in order. */
bool rcn_run_import_shards(night *n);

#endif
