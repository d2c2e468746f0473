/* One business date end to end: the driver. Owns the order of the stages
 * (DESIGN.md §1) and the rule that one bad statement never stops the others;
 * the stages' parts are behind run/night_state.h (its map in run/night.h). */
#include "recon/run.h"

#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "match/perf.h"
#include "recon/handling.h"
#include "recon/items.h"
#include "recon/match.h"
#include "recon/money.h"
#include "recon/parse.h"
#include "run/night.h"
#include "run/night_state.h"
#include "run/spill.h"

static bool selected(const rcn_run_opts *o, const rcn_source_conf *s)
{
	if (!o->n_only)
		return true;
	for (size_t i = 0; i < o->n_only; i++)
		if (strcmp(o->only[i], s->name) == 0 || strcmp(o->only[i], s->channel) == 0)
			return true;
	return false;
}

void rcn_run_count_rejected(rcn_match *m, size_t source, const rcn_stmt_result *res)
{
	rcn_match_add_quarantine(m, source, res->rows,
				 res->amount_fen + res->refund_fen + res->movement_in_fen + res->movement_out_fen);
	rcn_match_source_rejected(m, source);
}

/* Merges one parsed source into the matcher, in configuration order, and says how it went. */
static void merge_job(const rcn_run_opts *o, rcn_match *m, size_t index, rcn_source_job *job, rcn_run_result *out)
{
	const rcn_stmt_result *res = &job->res;
	char amount[32], fee[32];
	if (job->warning[0])
		rcn_run_log(o, LOG_WARNING, job->conf->name, "warning: %s", job->warning);
	if (res->rejected) {
		rcn_run_log(o, LOG_ERROR, job->conf->name, "rejected: %s", job->input.verdict);
		rcn_run_count_rejected(m, index, res);
		out->rejected_files++;
		return;
	}
	if (job->no_bill) {
		rcn_run_log(o, LOG_INFO, job->conf->name,
			    "the channel has no statement for this date: reconciled as an empty day");
	} else if (res->movements && !res->payments && !res->refunds) {
		char in[32], outgo[32];
		rcn_run_log(o, LOG_INFO, job->conf->name,
			    "%s: %s, %ld fund movements (in %s, out %s) kept for settlement, totals ok", job->path,
			    res->format, res->movements, rcn_money_format(in, sizeof(in), res->movement_in_fen, 2),
			    rcn_money_format(outgo, sizeof(outgo), res->movement_out_fen, 2));
	} else {
		rcn_run_log(o, LOG_INFO, job->conf->name,
			    "%s: %s, %ld rows (%ld payments, %ld refunds), amount %s, fee %s, totals ok", job->path,
			    res->format, res->rows, res->payments, res->refunds,
			    rcn_money_format(amount, sizeof(amount), res->amount_fen, 2),
			    rcn_money_format(fee, sizeof(fee), res->fee, 5));
	}
	rcn_match_add_batch(m, index, job->batch);
	job->batch = NULL;
}

static void *prepare_thread(void *m)
{
	rcn_match_prepare(m);
	return NULL;
}

static void night_start(night *n, const rcn_run_opts *o, rcn_run_result *out)
{
	size_t cap = o->cfg->n_sources + 1;
	memset(n, 0, sizeof(*n));
	n->o = o;
	n->cfg = o->cfg;
	n->out = out;
	n->msrc = rcn_xcalloc(cap, sizeof(*n->msrc));
	n->rsrc = rcn_xcalloc(cap, sizeof(*n->rsrc));
	rcn_arena_init(&n->moves_arena);
	n->sink = rcn_findings_new();
	n->jobs = rcn_xcalloc(cap, sizeof(*n->jobs));
	n->profiles = rcn_xcalloc(cap, sizeof(*n->profiles));
	n->inputs = rcn_xcalloc(cap, sizeof(*n->inputs));
	n->t0 = rcn_clock_seconds(CLOCK_MONOTONIC);
	n->clock.mark = n->t0;
	time_t now = time(NULL);
	struct tm tm;
	strftime(n->started, sizeof(n->started), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	memset(out, 0, sizeof(*out));
	rcn_date_format(n->date, o->day);
	rcn_part_plan_init(&n->part, (uint32_t)(o->shards > 0 ? o->shards : 0),
			   o->shards > 0 ? (o->shard >= 0 ? o->shard : RCN_PART_NONE) : 0);
}

/* A configuration error before anything ran: said without a date, exit 2. */
static bool config_fail(night *n)
{
	char why[1200];
	rcn_run_log(n->o, LOG_ERROR | LOG_NODATE, NULL, "%s", rcn_err_format(&n->err, why, sizeof(why)));
	n->out->exit_code = EXIT_USAGE;
	return false;
}

bool rcn_run_night_db_fail(night *n)
{
	rcn_run_db_fail(n->o, &n->err, n->out);
	return false;
}

/* Loads the fee schedule, the settlement and handling rules and the calendar
 * the rules directory has: a bad rule stops the run before it starts. */
static bool load_rules(night *n)
{
	char rules[4096];
	rcn_config_resolve(rules, sizeof(rules), n->cfg->rules_dir, n->cfg->dir);
	return rcn_rules_files_load(&n->files, rules, &n->err) ? config_fail(n) : true;
}

/* Picks the sources --channel selects, loads their profiles and sets up one
 * parse job and one matcher source each; leaves n_src of them. */
static bool plan_sources(night *n)
{
	const rcn_run_opts *o = n->o;
	const rcn_config *cfg = n->cfg;
	n->threads = o->jobs > 0 ? o->jobs : cfg->jobs > 0 ? cfg->jobs : rcn_run_cores();
	for (size_t i = 0; i < cfg->n_sources; i++) {
		const rcn_source_conf *s = &cfg->sources[i];
		if (!selected(o, s))
			continue;
		/* a profile that does not load is a configuration error: nothing runs */
		if (s->profile_path && rcn_profile_load(&n->profiles[n->n_src], s->profile_path, &n->err))
			return config_fail(n);
		n->msrc[n->n_src] = (rcn_match_source){.name = s->name,
						       .channel = s->channel,
						       .merchant_id = s->merchant_id,
						       .sub_merchants = (const char *const *)s->sub_merchants,
						       .n_sub_merchants = s->n_sub_merchants};
		n->rsrc[n->n_src] = (rcn_rules_source){.name = s->name,
						       .channel = s->channel,
						       .merchant_id = s->merchant_id,
						       .has_fee_rate = s->has_fee_rate,
						       .fee_rate_ppm = s->fee_rate_ppm,
						       .fee_tolerance_fen = cfg->fee_tolerance_fen};
		rcn_source_job *job = &n->jobs[n->n_src];
		rcn_source_job_init(job, cfg, s, o->day, n->profiles[n->n_src]);
		job->refetch = o->refetch;
		job->readahead = n->threads > 1;
		n->n_src++;
	}
	if (!n->n_src) {
		rcn_run_log(o, LOG_ERROR, NULL, "no [source] matches --channel: nothing to do");
		n->out->exit_code = EXIT_USAGE;
		return false;
	}
	return true;
}

/* "1.5 GiB", "800 MiB", "12 KiB". */
static const char *size_text(char *out, size_t n, uint64_t bytes)
{
	if (bytes >= (uint64_t)1 << 30)
		snprintf(out, n, "%.1f GiB", (double)bytes / (double)((uint64_t)1 << 30));
	else if (bytes >= (uint64_t)1 << 20)
		snprintf(out, n, "%llu MiB", (unsigned long long)(bytes >> 20));
	else
		snprintf(out, n, "%llu KiB", (unsigned long long)((bytes + 1023) >> 10));
	return out;
}

/* What a night holds in memory, about, per statement row and per ledger
 * item (the rows, their strings, the indexes; measured at 10 M: 4,020 MiB
 * for 10 M rows and as many orders with 144- and 88-byte rows and orders,
 * 3,426 MiB with 104 and 72 bytes). Kept at the first figure: a part's
 * peak then keeps its margin under the budget (790 MiB of 1 GiB at 10 M). */
#define BYTES_PER_ROW 215

/* A part's share of the budget, in rows at BYTES_PER_ROW: two parts are in
 * memory at once, but a part holds less than the whole night's figure per
 * row (its findings leave with it, the reports' buffers are the night's):
 * at 40% the peak was 586 MiB of 1 GiB at 10 M rows and 674 MiB at 50 M;
 * at 60% parts are fewer (9 instead of 14 at 10 M) and each spills and
 * reads back less of the night (docs/internals/shards.md). */
#define PART_SHARE_PERCENT 60

/* The memory budget ([run] memory, --memory; default half the machine) and
 * whether the night fits it: when not, it is reconciled in parts, one after
 * another (n_parts), each holding about PART_SHARE_PERCENT of the budget
 * of rows: two are in memory at once, one matched while the next is read. The
 * ledger is taken as large as the statements (the window's own estimate
 * comes only once the snapshot is open). A shard or a merge never splits. */
static bool plan_memory(night *n)
{
	const rcn_run_opts *o = n->o;
	uint64_t budget = o->memory ? o->memory : n->cfg->memory ? n->cfg->memory : rcn_phys_memory() / 2;
	if (o->shards || !budget)
		return true;
	uint64_t rows = 0;
	for (size_t i = 0; i < n->n_src; i++)
		rows += rcn_source_estimate_rows(&n->jobs[i]);
	uint64_t need = rows * 2 * BYTES_PER_ROW,
		 share = budget / 100 * PART_SHARE_PERCENT + budget % 100 * PART_SHARE_PERCENT / 100;
	if (need <= budget)
		return true;
	if (!share)
		share = 1;
	uint64_t parts = (need + share - 1) / share;
	n->n_parts = (uint32_t)(parts > 256 ? 256 : parts < 2 ? 2 : parts);
	rcn_part_plan_free(&n->part);
	rcn_part_plan_init(&n->part, n->n_parts, 0);
	n->part_sink = rcn_findings_new();
	n->saved_susp = rcn_findings_new();
	/* each part's arrays are given back when it is done, not kept for the
	 * next (main.c keeps them, for a night held whole): the parts are read
	 * and matched on threads of their own, whose heaps would otherwise keep
	 * each other's freed memory */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
	n->part_out = rcn_xcalloc(n->n_parts, sizeof(*n->part_out));
	n->arena_pool = share / 4; /* about one part's strings (rcn_arena_pool_keep) */
	n->array_pool = share;	   /* and its arrays, as allocated: their pages are filled as used */
	char a[32], b[32];
	rcn_run_log(o, LOG_INFO, NULL,
		    "the night needs about %s, more than its memory budget of %s ([run] memory): reconciled in %u "
		    "parts, one after another",
		    size_text(a, sizeof a, need), size_text(b, sizeof b, budget), n->n_parts);
	return true;
}

/* Connects, migrates, publishes the reports an earlier run committed but did
 * not swap into place, and takes the date's lock: leaves db, locked. */
static bool connect_and_lock(night *n)
{
	const rcn_run_opts *o = n->o;
	if (rcn_db_connect(&n->db, n->cfg->conninfo, &n->err) || rcn_db_migrate(n->db, &n->err))
		return rcn_run_night_db_fail(n);
	if (is_shard(n)) { /* shards of a date run side by side: the merge takes the date's lock */
		char host[256] = "";
		(void)gethostname(host, sizeof host - 1);
		if (rcn_db_shard_start(n->db, o->day, o->shard, o->shards, host, &n->err))
			return rcn_run_night_db_fail(n);
		n->shard_row = true;
		return true;
	}
	rcn_run_finish_publishes(n->db, rcn_run_say_publish, (void *)o);
	if (rcn_db_lock_date(n->db, o->day, n->cfg->lock_wait_seconds, rcn_run_on_lock_wait, (void *)o, &n->err)) {
		if (n->err.code != RCN_EBUSY)
			return rcn_run_night_db_fail(n);
		rcn_run_log(o, LOG_ERROR, NULL, "%s after waiting %d s; nothing done", n->err.msg,
			    n->cfg->lock_wait_seconds);
		n->out->exit_code = EXIT_DB;
		return false;
	}
	n->locked = true;
	if (n->n_parts) { /* the later parts' spill, under [run] scratch or the spool (a killed run's removed first) */
		char spool[4096], dir[4200];
		rcn_config_resolve(spool, sizeof(spool), n->cfg->scratch_dir ? n->cfg->scratch_dir : n->cfg->spool_dir,
				   n->cfg->dir);
		snprintf(dir, sizeof dir, "%s/.parts-%s", spool, n->date);
		n->spill = rcn_spill_new(dir, n->n_parts, n->n_src, &n->err);
		if (!n->spill) {
			char why[1200];
			rcn_run_log(o, LOG_ERROR, NULL, "%s; nothing done", rcn_err_format(&n->err, why, sizeof(why)));
			n->out->exit_code = EXIT_DB;
			return false;
		}
	}
	return true;
}

/* Parses the statements on worker threads while this thread loads the ledger
 * window into a new matcher: leaves m and the parsed jobs. */
static bool parse_while_loading_window(night *n)
{
	n->m = rcn_match_new(n->o->day, n->cfg->carry_over_days, n->msrc, n->n_src);
	if (n->o->shards || n->n_parts)
		rcn_match_set_part(n->m, &n->part);
	rcn_match_set_threads(n->m, n->threads);
	rcn_match_set_sink(n->m, n->n_parts ? n->part_sink : n->sink);
	n->rules = rcn_rules_new(n->o->day, n->rsrc, n->n_src, n->files.fees);
	rcn_match_set_rules(n->m, rcn_rules_for_matcher(n->rules));
	rcn_part_plan *part = n->o->shards || n->n_parts ? &n->part : NULL;
	if (rcn_run_begin_snapshot(n->db, n->o, part, &n->err))
		return rcn_run_night_db_fail(n);
	for (size_t i = 0; i < n->n_src; i++) {
		n->jobs[i].part = part;
		n->jobs[i].spill = n->spill;
		n->jobs[i].index = i;
	}
	/* the merge reads no statement: shard 0 stored what the files held */
	rcn_parse_pool *pool = is_merge(n) ? NULL : rcn_parse_start(n->jobs, n->n_src, n->threads);
	rcn_run_progress(n->o, n->date, "downloading and parsing statements, loading the ledger window");
	n->clock.mark = rcn_clock_seconds(CLOCK_MONOTONIC);
	double parse_start = n->clock.mark;
	rcn_rc window_rc = rcn_run_load_window(n->db, n->o, n->m, n->threads > 1, part, n->n_parts ? n : NULL, &n->err);
	rcn_run_stage_done(&n->clock, ST_WINDOW);
	if (!window_rc && n->threads > 1) {
		/* the register, read on a connection of its own while the statements'
		 * parse ends and the matcher runs: the night needs it only after
		 * matching (the window's COPY is over, the server free) */
		n->ij = (items_job){.o = n->o, .cal = n->files.calendar, .started = true};
		rcn_task_start(&n->ij.task, rcn_run_items_thread, &n->ij);
	}
	if (!window_rc && is_merge(n)) {
		if (n->threads > 1)
			(void)rcn_run_stream_start(&n->stream, n->cfg, n->o->day, n->sink);
		if (!rcn_run_read_shards(n))
			return false;
	}
	if (pool)
		rcn_parse_join(pool);
	n->clock.s[ST_PARSE] = rcn_clock_seconds(CLOCK_MONOTONIC) - parse_start; /* overlaps the window */
	n->clock.mark = rcn_clock_seconds(CLOCK_MONOTONIC);
	rcn_run_progress(n->o, n->date, NULL);
	return window_rc ? rcn_run_night_db_fail(n) : true;
}

/* Copies a source's fund movements (fund-flow rows) out of its batch before
 * the matcher takes the rows: they are the settlement's and the results'. */
static void keep_movements(night *n, const rcn_source_job *job)
{
	size_t k;
	const rcn_movement *mv = rcn_batch_movements(job->batch, &k);
	rcn_arena *a = &n->moves_arena;
	rcn_xreserve((void **)&n->moves, &n->cap_moves, n->n_moves + k, sizeof(*n->moves));
	for (size_t i = 0; i < k; i++)
		n->moves[n->n_moves++] = (rcn_movement){.source_name = job->conf->name,
							.channel = rcn_arena_strdup(a, mv[i].channel),
							.merchant_id = rcn_arena_strdup(a, mv[i].merchant_id),
							.trade_time = rcn_arena_strdup(a, mv[i].trade_time),
							.movement_type = rcn_arena_strdup(a, mv[i].movement_type),
							.reference = rcn_arena_strdup(a, mv[i].reference),
							.channel_txn_id = rcn_arena_strdup(a, mv[i].channel_txn_id),
							.order_no = rcn_arena_strdup(a, mv[i].order_no),
							.amount_fen = mv[i].amount_fen,
							.balance_fen = mv[i].balance_fen,
							.source = rcn_arena_strdup(a, mv[i].source)};
}

/* Merges each parsed source into the matcher in configuration order: leaves
 * the run's inputs and the quarantined rows of every source. */
static bool merge_sources(night *n)
{
	for (size_t i = 0; i < n->n_src; i++) {
		rcn_source_job *job = &n->jobs[i];
		n->rsrc[i].label = job->label;
		if (job->batch)
			keep_movements(n, job);
		merge_job(n->o, n->m, i, job, n->out);
		n->inputs[i] = job->input;
		for (size_t k = 0; k < job->n_quarantine; k++) {
			rcn_xreserve((void **)&n->quarantine, &n->cap_quarantine, n->n_quarantine + 1,
				     sizeof(*n->quarantine));
			n->quarantine[n->n_quarantine++] = job->quarantine[k];
		}
	}
	rcn_run_stage_done(&n->clock, ST_MERGE);
	return true;
}

/* Looks up the ledger rows the window lacks (and their contracts) while a
 * second thread does the statement side's groundwork: the ledger is then in. */
static bool look_up_outside_window(night *n)
{
	rcn_run_progress(n->o, n->date, "looking up ledger rows outside the window");
	/* the groundwork reads only statement rows, the lookups add only ledger rows */
	rcn_task prep = {0};
	if (n->threads > 1)
		rcn_task_start(&prep, prepare_thread, n->m);
	rcn_rc lookups_rc = rcn_run_load_lookups(n->db, n->o, n->m, n->rules, n->files.calendar,
						 n->ij.started ? NULL : &n->items, !n->n_parts, &n->err);
	rcn_task_join(&prep);
	rcn_run_stage_done(&n->clock, ST_LOOKUPS);
	rcn_run_progress(n->o, n->date, lookups_rc ? NULL : "matching");
	return lookups_rc ? rcn_run_night_db_fail(n) : true;
}

/* Matches, streaming the findings to the database meanwhile when it can:
 * leaves the matcher's findings, notes and tallies. */
static bool run_matcher(night *n)
{
	if (n->threads > 1 && !n->o->dry_run && !n->o->shards && !n->n_parts)
		(void)rcn_run_stream_start(&n->stream, n->cfg, n->o->day, n->sink);
	rcn_match_run(n->m);
	rcn_run_stage_done(&n->clock, ST_MATCH);
	rcn_run_progress(n->o, n->date, "writing the reports and the results");
	return true;
}

static void on_open_settlement(void *ctx, const rcn_settlement *s)
{
	rcn_settle_set_add(ctx, s);
}

/* The rules that read the matcher's outcome: the per-file fee totals, the
 * settlements due today and the open ones of earlier dates (against tonight's
 * fund flow), the calendar's end; their findings go to the night's sink. Then
 * the handling rules (rules/handling.csv) on every finding. Leaves the
 * settlements and the problems they raise. */
static bool check_rules(night *n)
{
	rcn_rules_check_fee_totals(n->rules, n->m, n->sink);
	rcn_settle_set open = {0};
	rcn_arena_init(&open.arena);
	if (rcn_db_load_open_settlements(n->db, n->o->day, on_open_settlement, &open, &n->err)) {
		rcn_settle_set_free(&open);
		return rcn_run_night_db_fail(n);
	}
	rcn_settle_input in = {.day = n->o->day,
			       .carry_days = n->cfg->carry_over_days,
			       .rules = n->files.settlement,
			       .cal = n->files.calendar,
			       .open = open.v,
			       .n_open = open.n};
	in.tallies = rcn_match_tallies(n->m, &in.n_tallies);
	rcn_settle_account *acc = rcn_source_accounts(n->cfg, n->jobs, n->n_src, &in.n_accounts);
	rcn_settle_arrival *arr = rcn_source_arrivals(n->jobs, n->n_src, n->moves, n->n_moves, &in.n_arrivals);
	in.accounts = acc;
	in.arrivals = arr;
	rcn_rules_settle(&in, &n->settlements, n->sink);
	free(acc);
	free(arr);
	rcn_settle_set_free(&open);
	rcn_run_stage_done(&n->clock, ST_SETTLE);
	rcn_run_calendar_end_check(n->o, n->files.calendar, &n->settlements, n->out);
	/* last: every finding is in, the matcher's and the rules' */
	if (n->files.handling)
		rcn_rules_handle(n->files.handling, n->files.calendar, n->o->day, n->cfg->carry_over_days, n->sink);
	if (!rcn_run_items_in(n))
		return false;
	rcn_items_night_evidence(n->items, n->m);
	for (size_t i = 0; i < n->n_outcomes; i++) { /* the merge: the parts' */
		rcn_wire w;
		rcn_wire_open(&w, n->outcomes[i], n->outcome_len[i]);
		w.at = n->evidence_at[i];
		if (!rcn_items_night_import_evidence(n->items, &w)) {
			rcn_run_log(n->o, LOG_ERROR, NULL,
				    "merge refused, nothing published: shard %zu of %d: its stored "
				    "outcome is damaged (re-run the shard)",
				    i, n->o->shards);
			n->out->exit_code = EXIT_DB;
			return false;
		}
	}
	/* the rows, orders and indexes have told what they had to: the reports
	 * and the results are written without them in memory */
	rcn_match_release(n->m);
	return true;
}

/* Counts both sides' rows and the findings by kind into the result, and sets
 * the exit code the night ends with unless a later stage fails. */
static bool tally_outcome(night *n)
{
	rcn_run_result *out = n->out;
	n->findings = rcn_findings_sorted(n->sink, &n->n_mem_findings); /* (passes may start now) */
	n->n_findings = rcn_findings_count(n->sink);
	rcn_findings_kinds(n->sink, n->kinds);
	rcn_findings_amounts(n->sink, n->amounts);
	n->notes = rcn_match_notes(n->m, &n->n_notes);
	const rcn_tally *tallies = rcn_match_tallies(n->m, &n->n_tallies);
	for (size_t i = 0; i < n->n_tallies; i++) {
		const rcn_tally *t = &tallies[i];
		rcn_run_balance *b = t->side == RCN_SIDE_CHANNEL ? &out->channel : &out->ledger;
		b->rows_in += t->rows_in;
		b->matched += t->matched;
		b->discrepancies += t->discrepancies;
		b->pending += t->pending;
		b->quarantined += t->quarantined;
	}
	out->statement_rows = out->channel.rows_in;
	out->matched = out->channel.matched;
	out->quarantined = out->channel.quarantined;
	n->tallies = tallies;
	for (int k = 0; k < RCN_K__COUNT; k++) {
		if (k == RCN_K_PENDING)
			out->pending += n->kinds[k];
		else
			out->discrepancies += n->kinds[k];
	}
	out->exit_code = out->rejected_files ? EXIT_INPUT : out->discrepancies ? EXIT_FINDINGS : EXIT_CLEAN;
	return true;
}

/* Tonight's findings become open items (new, found again), the items they
 * do not find are closed by tonight's evidence or withdrawn; leaves the item
 * ids on the findings and the open book for the reports. */
static bool track_open_items(night *n)
{
	bool all = !n->o->n_only;
	for (size_t i = 0; i < n->n_src; i++) {
		const rcn_source_job *job = &n->jobs[i];
		if (job->res.rejected)
			all = false;
		else
			rcn_items_night_cover(n->items, job->conf->channel, job->conf->merchant_id);
	}
	if (all)
		rcn_items_night_cover_all(n->items);
	if (n->o->dry_run)
		rcn_items_night_dry_run(n->items);
	if (n->spill) /* a night in parts: its new items on disk, with its findings */
		rcn_items_night_scratch(n->items, rcn_spill_dir(n->spill));
	if (rcn_items_night_assign(n->items, n->db, n->sink, &n->err))
		return rcn_run_night_db_fail(n);
	return true;
}

/* Logs the problems, the night's balance and (--timings) the stages' times. */
static bool log_summary(night *n)
{
	const rcn_run_opts *o = n->o;
	for (int i = 0; i < n->out->n_problems; i++)
		rcn_run_log(o, LOG_ERROR, NULL, "PROBLEM: %s", n->out->problems[i]);
	long carried = rcn_match_carried_rows(n->m);
	char carried_note[64] = "";
	if (carried)
		snprintf(carried_note, sizeof(carried_note), " (%ld carried over from the day before)", carried);
	/* each side balances as in summary.csv; the findings (rows of discrepancies.csv) are counted apart,
	 * since one finding may stand for two rows (a double charge) or none (a file's fee total) */
	const rcn_run_balance *c = &n->out->channel, *l = &n->out->ledger;
	rcn_run_log(o, LOG_INFO, NULL,
		    "%ld statement rows%s: %ld matched, %ld discrepancies, %ld pending, %ld quarantined; "
		    "%ld ledger items: %ld matched, %ld discrepancies, %ld pending, %ld quarantined; %ld findings%s",
		    c->rows_in, carried_note, c->matched, c->discrepancies, c->pending, c->quarantined, l->rows_in,
		    l->matched, l->discrepancies, l->pending, l->quarantined, n->out->discrepancies,
		    o->dry_run ? " (dry run: nothing committed)" : "");
	const rcn_open_book *b = rcn_items_night_book(n->items);
	if (b) {
		char open_yuan[32], overdue_yuan[32];
		rcn_run_log(o, LOG_INFO, NULL,
			    "open items: %ld opened, %ld found again, %ld reopened, %ld auto-closed, %ld withdrawn; "
			    "%ld open as of the date (%s yuan), %ld overdue (%s yuan)",
			    b->opened, b->found_again, b->reopened, b->auto_closed, b->withdrawn, b->open,
			    rcn_money_format(open_yuan, sizeof open_yuan, b->open_fen, RCN_SCALE_FEN), b->overdue,
			    rcn_money_format(overdue_yuan, sizeof overdue_yuan, b->overdue_fen, RCN_SCALE_FEN));
	}
	if (o->timings)
		rcn_run_log_timings(o, &n->clock, n->jobs, n->n_src);
	return true;
}

/* After the last stage or the first that failed: rolls back what was not
 * committed, releases the lock, alerts, writes the metrics and frees it all.
 * The alert and the metrics never change the exit code. */
static void night_end(night *n)
{
	const rcn_run_opts *o = n->o;
	rcn_run_stream_free(&n->stream, n->sink);
	if (n->shard_row) { /* a shard that failed after it started: said so for the merge */
		char why[400];
		rcn_err ignore;
		snprintf(why, sizeof why, "exit %d", n->out->exit_code);
		(void)rcn_db_shard_fail(n->db, o->day, o->shard, o->shards, why, &ignore);
	}
	if (n->locked)
		rcn_db_unlock_date(n->db, o->day);
	rcn_db_close(n->db);
	rcn_alert_outcome outcome = {n->tallies, n->n_tallies, n->sink};
	const rcn_open_book *book = rcn_items_night_book(n->items); /* NULL unless the night got that far */
	if (!is_shard(n)) {					    /* a shard's night is the merge's to tell */
		rcn_run_alert(o, n->out, n->tallies ? &outcome : NULL, book, n->inputs, n->n_src);
		rcn_run_write_metrics(o, n->out, n->t0, n->tallies, n->n_tallies, n->tallies ? n->kinds : NULL,
				      &n->settlements, book);
	}
	rcn_match_free(n->m);
	rcn_err ignore;
	(void)rcn_run_join_items(&n->ij, &ignore); /* a stage before the lookups failed */
	rcn_items_night_free(n->ij.items);
	rcn_items_night_free(n->items);
	rcn_findings_free(n->sink);
	free(n->counts);
	free(n->quarantine);
	for (size_t i = 0; i < n->n_src; i++) {
		rcn_source_job_free(&n->jobs[i]);
		rcn_profile_free(n->profiles[i]);
	}
	free(n->profiles);
	rcn_rules_files_free(&n->files);
	rcn_settle_set_free(&n->settlements);
	free(n->jobs);
	free(n->inputs);
	free(n->msrc);
	free(n->rsrc);
	rcn_rules_free(n->rules);
	free(n->moves);
	rcn_arena_free(&n->moves_arena);
	for (size_t i = 0; i < n->n_outcomes; i++)
		free(n->outcomes[i]);
	free(n->outcomes);
	free(n->outcome_len);
	free(n->evidence_at);
	free(n->shard_inputs);
	rcn_part_plan_free(&n->part);
	rcn_spill_free(n->spill);
	for (uint32_t i = 0; n->part_out && i < n->n_parts; i++)
		rcn_buf_free(&n->part_out[i]);
	free(n->part_out);
	rcn_findings_free(n->part_sink);
	rcn_findings_free(n->saved_susp);
	rcn_findings_free(n->done_sink); /* (a night in parts that failed) */
	rcn_match_free(n->done_m);
	rcn_rules_free(n->done_rules);
}

/* The night's stages in order (DESIGN.md §1). A stage that fails has said why
 * and set the exit code; the ones after it do not run, night_end always does. */
void rcn_run_date(const rcn_run_opts *o, rcn_run_result *out)
{
	night n;
	night_start(&n, o, out);
	if (load_rules(&n) &&		      /* fees, settlement, handling, calendar */
	    plan_sources(&n) &&		      /* profiles, parse jobs, matcher sources */
	    plan_memory(&n) &&		      /* in parts when the night would not fit [run] memory */
	    connect_and_lock(&n) &&	      /* connect, migrate, earlier publishes, the date's lock */
	    parse_while_loading_window(&n) && /* statements on workers, ledger window here */
	    merge_sources(&n) &&	      /* each source into the matcher, in order */
	    look_up_outside_window(&n) &&     /* ledger rows the window lacks */
	    run_matcher(&n) &&		      /* findings, streamed to the database meanwhile */
	    (is_shard(&n) ? (rcn_run_store_shard(&n), false) : true) && /* a shard stops here */
	    rcn_run_match_parts(&n) &&		   /* a night in parts: the others, then all together */
	    rcn_run_import_shards(&n) &&	   /* the merge: the parts' outcomes */
	    check_rules(&n) &&			   /* fee totals, T+N settlements, the calendar's end */
	    tally_outcome(&n) &&		   /* the counts and the exit code */
	    track_open_items(&n) &&		   /* findings to open items; auto-close, withdraw */
	    rcn_run_write_reports_and_store(&n) && /* reports staged, results committed */
	    rcn_run_publish_reports(&n))	   /* reports swapped into place */
		log_summary(&n);
	night_end(&n);
}

int rcn_run_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n < 64 ? (int)n : 1;
}
