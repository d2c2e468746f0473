/* A night in parts on this machine ([run] memory, --memory;
 * docs/internals/shards.md, "Bounded memory"): part 0 was parsed, loaded and
 * matched by the night's own stages, the rows of the others spilled as they
 * came (run/spill.h). Here: part 0's outcome kept, each later part matched
 * alone from the spill, in the snapshot the night opened; then every part's
 * outcome into one matcher that holds no row, exactly as the merge of shards
 * does, but for the findings: each part's go to a sorted run on disk
 * (recon/findings_run.h) that the results stream, the register and the
 * reports read back; and the night goes on (the rules, the register, the
 * reports). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match/perf.h"
#include "run/night_state.h"
#include "run/spill.h"

static void on_spilled_row(void *ctx, const rcn_record *r)
{
	rcn_batch_add(ctx, r);
}
static void on_spilled_order(void *ctx, const rcn_ledger_order *o)
{
	rcn_match_add_order(ctx, o);
}
static void on_spilled_refund(void *ctx, const rcn_ledger_refund *r)
{
	rcn_match_add_refund(ctx, r);
}

static void carry_suspense(void *ctx, rcn_finding *f)
{
	rcn_match_add_suspense(ctx, f);
}

/* The part matched last: its evidence for the register, its outcome but
 * the findings kept; the matcher, the sink and the rules (the findings'
 * text is theirs) kept for import_part. */
static void keep_outcome(night *n, uint32_t k, rcn_match *m, rcn_findings *sink, rcn_rules *rules)
{
	rcn_items_night_evidence(n->items, m);
	rcn_buf_init(&n->part_out[k], (size_t)1 << 34);
	rcn_findings *none = rcn_findings_new();
	rcn_match_export(m, none, &n->part_out[k]);
	rcn_findings_free(none);
	n->done_m = m;
	n->done_sink = sink;
	n->done_rules = rules;
}

/* The kept part's findings, the handling rules applied, written to their
 * run and handed to the night's sink; the part's matcher and sink freed. */
static bool write_findings(night *n, uint32_t k)
{
	rcn_findings *sink = n->done_sink;
	if (n->files.handling)
		rcn_rules_handle(n->files.handling, n->files.calendar, n->o->day, n->cfg->carry_over_days, sink);
	size_t nf;
	const rcn_finding *const *f = rcn_findings_sorted(sink, &nf);
	char path[4096];
	snprintf(path, sizeof path, "%s/findings-%u", rcn_spill_dir(n->spill), k);
	bool ok = rcn_findings_add_run(n->sink, path, f, nf, &n->err);
	if (n->files.handling)
		rcn_handling_forget(n->files.handling); /* the run holds the filled-in actions */
	rcn_match_free(n->done_m);
	rcn_findings_free(sink);
	rcn_rules_free(n->done_rules);
	n->done_m = NULL;
	n->done_sink = NULL;
	n->done_rules = NULL;
	if (!ok) {
		char why[1200];
		rcn_run_log(n->o, LOG_ERROR, NULL, "%s", rcn_err_format(&n->err, why, sizeof(why)));
		n->out->exit_code = EXIT_DB; /* nothing committed */
	}
	return ok;
}

/* A later part made ready while the part before it is matched: its ledger
 * rows read back into a matcher of its own on one thread, its statement
 * rows into a batch per source on another; then, on the first, the
 * suspense, the statement rows and the lookups of what the window lacks
 * (the snapshot's connection is this thread's meanwhile: the matching of
 * the part before it uses none). Each part has its own plan (the night's,
 * its own index), sink and rules. */
typedef struct {
	night *n;
	uint32_t k;
	rcn_part_plan plan; /* the night's, shallow: the contracts are shared, read only */
	rcn_match *m;
	rcn_findings *sink;
	rcn_rules *rules;
	rcn_batch **batches;
	bool rows_ok, ok;
	bool db_failed;			/* the lookups failed: a database error */
	double spill_s, lookups_s;	/* --timings: reading it back, the lookups */
	double rows_s, ledger_s, add_s; /* --timings: the statement rows, the ledger's, adding the rows */
	rcn_err rows_err, err;
	rcn_task rows_task, task;
} part_read;

static void *read_rows(void *p)
{
	part_read *j = p;
	double t0 = rcn_clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	j->rows_ok = true;
	for (size_t i = 0; i < j->n->n_src && j->rows_ok; i++) {
		if (j->n->jobs[i].res.rejected)
			continue;
		j->batches[i] = rcn_batch_new();
		rcn_batch_expect(j->batches[i], rcn_spill_count_records(j->n->spill, i, j->k));
		j->rows_ok = rcn_spill_read_records(j->n->spill, i, j->k, on_spilled_row, j->batches[i], &j->rows_err);
	}
	j->rows_s = rcn_clock_seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
	return NULL;
}

/* The part's rows in the order the night's own stages add them: the
 * window's, the previous date's suspense, each source's statement rows;
 * then the lookups. */
static void *prepare_part(void *p)
{
	part_read *j = p;
	night *n = j->n;
	rcn_ledger_sink ledger = {.order = on_spilled_order, .refund = on_spilled_refund, .ctx = j->m};
	double t0 = rcn_clock_seconds(CLOCK_MONOTONIC), c0 = rcn_clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	rcn_match_expect_orders(j->m, rcn_spill_count_ledger(n->spill, j->k)); /* (and refunds: a bound) */
	j->ok = rcn_spill_read_ledger(n->spill, j->k, &ledger, &j->err);
	j->ledger_s = rcn_clock_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
	rcn_task_join(&j->rows_task);
	double ta = rcn_clock_seconds(CLOCK_MONOTONIC);
	if (j->ok && !j->rows_ok) {
		j->err = j->rows_err;
		j->ok = false;
	}
	if (j->ok)
		rcn_findings_each(n->saved_susp, carry_suspense, j->m);
	rcn_match_set_prior_run(j->m, n->had_prior_run);
	for (size_t i = 0; i < n->n_src; i++) {
		if (n->jobs[i].res.rejected)
			rcn_match_source_rejected(j->m, i);
		else if (j->batches[i])
			rcn_match_add_batch(j->m, i, j->batches[i]); /* (frees it) */
		j->batches[i] = NULL;
	}
	double t1 = rcn_clock_seconds(CLOCK_MONOTONIC);
	j->add_s = t1 - ta;
	pthread_mutex_lock(&n->db_mu); /* (the part after it may be ready for its own) */
	double tl = rcn_clock_seconds(CLOCK_MONOTONIC);
	if (j->ok &&
	    rcn_run_load_lookups(n->db, n->o, j->m, j->rules, n->files.calendar, NULL, false, &j->err) != RCN_OK)
		j->ok = false, j->db_failed = true;
	pthread_mutex_unlock(&n->db_mu);
	j->lookups_s = rcn_clock_seconds(CLOCK_MONOTONIC) - tl;
	j->spill_s = t1 - t0;
	return NULL;
}

/* Starts making part k ready (on this thread when the night has one). */
static part_read *start_read(night *n, uint32_t k)
{
	part_read *j = rcn_xcalloc(1, sizeof *j);
	*j = (part_read){.n = n, .k = k, .plan = n->part, .batches = rcn_xcalloc(n->n_src + 1, sizeof(rcn_batch *))};
	j->plan.part = (int32_t)k;
	j->m = rcn_match_new(n->o->day, n->cfg->carry_over_days, n->msrc, n->n_src);
	j->sink = rcn_findings_new();
	j->rules = rcn_rules_new(n->o->day, n->rsrc, n->n_src, n->files.fees);
	rcn_match_set_part(j->m, &j->plan);
	rcn_match_set_threads(j->m, n->threads);
	rcn_match_set_sink(j->m, j->sink);
	rcn_match_set_rules(j->m, rcn_rules_for_matcher(j->rules));
	if (n->threads > 1) {
		rcn_task_start(&j->rows_task, read_rows, j);
		rcn_task_start(&j->task, prepare_part, j);
	} else {
		read_rows(j);
		prepare_part(j);
	}
	return j;
}

/* Waits for part j to be ready. */
static void wait_read(part_read *j)
{
	rcn_task_join(&j->task);
	rcn_task_join(&j->rows_task);
}

/* Frees part j (waited for) and what it holds. */
static void drop_read(part_read *j)
{
	wait_read(j);
	rcn_match_free(j->m);
	rcn_findings_free(j->sink);
	rcn_rules_free(j->rules);
	for (size_t i = 0; i < j->n->n_src; i++)
		if (j->batches[i])
			rcn_batch_free(j->batches[i]);
	free(j->batches);
	free(j);
}

/* Part j (1 .. n_parts-1, ready) matched alone while the next part is made
 * ready; its outcome kept. Frees j. */
static bool match_part(night *n, part_read *j)
{
	if (!j->ok) {
		n->err = j->err;
		bool db = j->db_failed;
		drop_read(j);
		if (db)
			return rcn_run_night_db_fail(n);
		char why[1200];
		rcn_run_log(n->o, LOG_ERROR, NULL, "%s", rcn_err_format(&n->err, why, sizeof(why)));
		n->out->exit_code = EXIT_DB;
		return false;
	}
	rcn_match_run(j->m);
	keep_outcome(n, j->k, j->m, j->sink, j->rules);
	j->m = NULL;
	j->sink = NULL;
	j->rules = NULL;
	drop_read(j);
	return true;
}

/* The matcher of the whole night: no row of its own, every part's outcome
 * imported as the part is done (the results stream COPYs its findings
 * while the next parts are matched), the rejected files counted once. */
static void start_merge(night *n)
{
	n->part.part = RCN_PART_NONE;
	n->m = rcn_match_new(n->o->day, n->cfg->carry_over_days, n->msrc, n->n_src);
	rcn_match_set_part(n->m, &n->part);
	rcn_match_set_threads(n->m, n->threads);
	rcn_match_set_sink(n->m, n->sink);
	for (size_t i = 0; i < n->n_src; i++) {
		if (n->jobs[i].res.rejected)
			rcn_run_count_rejected(n->m, i, &n->jobs[i].res);
	}
	rcn_match_run(n->m);
	if (n->threads > 1 && !n->o->dry_run)
		(void)rcn_run_stream_start(&n->stream, n->cfg, n->o->day, n->sink);
}

/* Part k's findings to their run, its outcome into the night's matcher (its
 * notes borrow their strings from part_out: freed when the night ends). */
static bool import_part(night *n, uint32_t k)
{
	rcn_wire w;
	if (!write_findings(n, k))
		return false;
	n->part.part = RCN_PART_NONE; /* (the parts' matchers set it) */
	rcn_wire_open(&w, n->part_out[k].data, n->part_out[k].len);
	if (rcn_match_import(n->m, n->sink, &w))
		return true;
	/* our own bytes: a bug, said as such */
	rcn_run_log(n->o, LOG_ERROR, NULL, "part %u of the night could not be read back; nothing committed", k);
	n->out->exit_code = EXIT_DB;
	return false;
}

bool rcn_run_match_parts(night *n)
{
	if (!n->n_parts)
		return true;
	if (!rcn_run_items_in(n))
		return false;
	keep_outcome(n, 0, n->m, n->part_sink, NULL); /* part 0: the night's own stages matched it */
	n->m = NULL;
	n->part_sink = NULL;
	if (!rcn_spill_finish(n->spill, &n->err)) {
		char why[1200];
		rcn_run_log(n->o, LOG_ERROR, NULL, "%s", rcn_err_format(&n->err, why, sizeof(why)));
		n->out->exit_code = EXIT_DB;
		return false;
	}
	rcn_run_log(n->o, LOG_INFO, NULL, "the later parts' rows written to %s: %.1f MiB", rcn_spill_dir(n->spill),
		    (double)rcn_spill_bytes(n->spill) / (1024.0 * 1024.0));
	rcn_run_kill_point("parts_spilled");
	rcn_spill_test_damage(n->spill);
	/* each part read while the one before it is matched; the one after
	 * it started as soon as a part is done, so that two are read at once
	 * while the night waits (never more than two parts held) */
	pthread_mutex_init(&n->db_mu, NULL);
	rcn_arena_pool_keep(n->arena_pool); /* a part's string blocks and arrays, for the part after next */
	rcn_array_pool_keep(n->array_pool);
	part_read *ahead[2] = {start_read(n, 1), NULL};
	start_merge(n);
	bool ok = import_part(n, 0);
	for (uint32_t k = 1; ok && k < n->n_parts; k++) {
		if (k + 1 < n->n_parts && !ahead[1])
			ahead[1] = start_read(n, k + 1);
		part_read *j = ahead[0];
		ahead[0] = ahead[1];
		ahead[1] = NULL;
		double t0 = rcn_clock_seconds(CLOCK_MONOTONIC);
		wait_read(j);
		n->parts_spill += j->spill_s;
		n->parts_lookups += j->lookups_s;
		n->parts_rows += j->rows_s;
		n->parts_ledger += j->ledger_s;
		n->parts_add += j->add_s;
		if (!j->ok && ahead[0]) { /* (the connection is the failure's to handle) */
			drop_read(ahead[0]);
			ahead[0] = NULL;
		}
		double t1 = rcn_clock_seconds(CLOCK_MONOTONIC);
		ok = match_part(n, j);
		double t2 = rcn_clock_seconds(CLOCK_MONOTONIC);
		ok = ok && import_part(n, k);
		n->parts_wait += t1 - t0;
		n->parts_match += t2 - t1;
		n->parts_import += rcn_clock_seconds(CLOCK_MONOTONIC) - t2;
		if (ok && k + 2 < n->n_parts)
			ahead[1] = start_read(n, k + 2);
	}
	for (size_t i = 0; i < 2; i++)
		if (ahead[i])
			drop_read(ahead[i]);
	pthread_mutex_destroy(&n->db_mu);
	rcn_arena_pool_keep(0);
	rcn_array_pool_keep(0);
	if (!ok)
		return false;
	if (n->o->timings)
		rcn_run_log(n->o, LOG_INFO, NULL,
			    "parts 1-%u: waited for %.2f s, matched %.2f s, findings written and imported %.2f s; made "
			    "ready meanwhile: the spill read back %.2f s (cpu: statement rows %.2f s, ledger %.2f s; "
			    "rows added %.2f s), "
			    "the lookups %.2f s",
			    n->n_parts - 1, n->parts_wait, n->parts_match, n->parts_import, n->parts_spill,
			    n->parts_rows, n->parts_ledger, n->parts_add, n->parts_lookups);
	if (rcn_ledger_end(n->db, &n->err) != RCN_OK)
		return rcn_run_night_db_fail(n);
	n->part.part = RCN_PART_NONE;
	rcn_match_imported(n->m);
	rcn_run_stage_done(&n->clock, ST_MATCH);
	return true;
}
