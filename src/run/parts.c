/* A night in parts on this machine ([run] memory, --memory;
 * docs/internals/shards.md, "Bounded memory"): part 0 was parsed, loaded and
 * matched by the night's own stages, the rows of the others spilled as they
 * came (run/spill.h). Here: part 0's outcome kept, each later part matched
 * alone from the spill, in the snapshot the night opened; then every part's
 * outcome into one matcher that holds no row, exactly as the merge of shards
 * does, and the night goes on (the rules, the register, the reports). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The part matched last: its evidence for the register, its outcome kept; freed. */
static void keep_outcome(night *n, uint32_t k, rcn_match *m)
{
	rcn_items_night_evidence(n->items, m);
	rcn_buf_init(&n->part_out[k], (size_t)1 << 34);
	rcn_match_export(m, n->part_sink, &n->part_out[k]);
	rcn_match_free(m);
	rcn_findings_free(n->part_sink);
	n->part_sink = rcn_findings_new();
}

/* A later part read back from the spill while the part before it is
 * matched: its ledger rows into a matcher of its own on one thread, its
 * statement rows into a batch per source on another. */
typedef struct {
	night *n;
	uint32_t k;
	rcn_match *m;
	rcn_batch **batches;
	bool rows_ok, ledger_ok;
	rcn_err rows_err, ledger_err;
	rcn_task rows_task, ledger_task;
} part_read;

static void *read_rows(void *p)
{
	part_read *j = p;
	j->rows_ok = true;
	for (size_t i = 0; i < j->n->n_src && j->rows_ok; i++) {
		if (j->n->jobs[i].res.rejected)
			continue;
		j->batches[i] = rcn_batch_new();
		j->rows_ok = rcn_spill_read_records(j->n->spill, i, j->k, on_spilled_row, j->batches[i], &j->rows_err);
	}
	return NULL;
}

static void *read_ledger(void *p)
{
	part_read *j = p;
	rcn_ledger_sink ledger = {.order = on_spilled_order, .refund = on_spilled_refund, .ctx = j->m};
	j->ledger_ok = rcn_spill_read_ledger(j->n->spill, j->k, &ledger, &j->ledger_err);
	return NULL;
}

/* Starts reading part k (on this thread when the night has one). */
static part_read *start_read(night *n, uint32_t k)
{
	part_read *j = rcn_xcalloc(1, sizeof *j);
	*j = (part_read){.n = n, .k = k, .batches = rcn_xcalloc(n->n_src + 1, sizeof(rcn_batch *))};
	j->m = rcn_match_new(n->o->day, n->cfg->carry_over_days, n->msrc, n->n_src);
	if (n->threads > 1) {
		rcn_task_start(&j->ledger_task, read_ledger, j);
		rcn_task_start(&j->rows_task, read_rows, j);
	} else {
		read_ledger(j);
		read_rows(j);
	}
	return j;
}

/* Waits for part j and frees what it read (after a failure). */
static void drop_read(part_read *j, bool keep_matcher)
{
	rcn_task_join(&j->ledger_task);
	rcn_task_join(&j->rows_task);
	if (!keep_matcher) {
		rcn_match_free(j->m);
		for (size_t i = 0; i < j->n->n_src; i++)
			if (j->batches[i])
				rcn_batch_free(j->batches[i]);
	}
	free(j->batches);
	free(j);
}

/* Part k (1 .. n_parts-1), read (j, done), matched alone while the next
 * part is read. Its rows come in the order the night's own stages add them: the
 * window's, the previous date's suspense, then each source's statement rows. */
static bool match_part(night *n, part_read *j)
{
	n->part.part = (int32_t)j->k;
	rcn_match *m = j->m;
	bool ok = j->ledger_ok && j->rows_ok;
	if (!ok)
		n->err = j->ledger_ok ? j->rows_err : j->ledger_err;
	rcn_rules *rules = rcn_rules_new(n->o->day, n->rsrc, n->n_src, n->files.fees);
	rcn_match_set_part(m, &n->part);
	rcn_match_set_threads(m, n->threads);
	rcn_match_set_sink(m, n->part_sink);
	rcn_match_set_rules(m, rcn_rules_for_matcher(rules));
	if (ok)
		rcn_findings_each(n->saved_susp, carry_suspense, m);
	rcn_match_set_prior_run(m, n->had_prior_run);
	for (size_t i = 0; i < n->n_src; i++) {
		if (n->jobs[i].res.rejected)
			rcn_match_source_rejected(m, i);
		else if (j->batches[i])
			rcn_match_add_batch(m, i, j->batches[i]); /* (frees it) */
		j->batches[i] = NULL;
	}
	uint32_t k = j->k;
	drop_read(j, true);
	if (ok && rcn_run_load_lookups(n->db, n->o, m, rules, n->files.calendar, NULL, false, &n->err) != RCN_OK) {
		rcn_match_free(m);
		rcn_rules_free(rules);
		return rcn_run_night_db_fail(n);
	}
	if (!ok) {
		char why[1200];
		rcn_run_log(n->o, LOG_ERROR, NULL, "%s", rcn_err_format(&n->err, why, sizeof(why)));
		n->out->exit_code = EXIT_DB;
		rcn_match_free(m);
		rcn_rules_free(rules);
		return false;
	}
	rcn_match_run(m);
	keep_outcome(n, k, m);
	rcn_rules_free(rules);
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

/* Part k's outcome into the night's matcher (its findings borrow their
 * strings from part_out: freed when the night ends). */
static bool import_part(night *n, uint32_t k)
{
	rcn_wire w;
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
	keep_outcome(n, 0, n->m); /* part 0: the night's own stages matched it */
	n->m = NULL;
	if (!rcn_spill_finish(n->spill, &n->err)) {
		char why[1200];
		rcn_run_log(n->o, LOG_ERROR, NULL, "%s", rcn_err_format(&n->err, why, sizeof(why)));
		n->out->exit_code = EXIT_DB;
		return false;
	}
	rcn_run_kill_point("parts_spilled");
	/* each part read while the one before it is matched */
	part_read *next = start_read(n, 1);
	start_merge(n);
	if (!import_part(n, 0)) {
		drop_read(next, false);
		return false;
	}
	for (uint32_t k = 1; k < n->n_parts; k++) {
		part_read *j = next;
		rcn_task_join(&j->ledger_task);
		rcn_task_join(&j->rows_task);
		next = k + 1 < n->n_parts ? start_read(n, k + 1) : NULL;
		if (!match_part(n, j) || !import_part(n, k)) {
			if (next)
				drop_read(next, false);
			return false;
		}
	}
	if (rcn_ledger_end(n->db, &n->err) != RCN_OK)
		return rcn_run_night_db_fail(n);
	n->part.part = RCN_PART_NONE;
	rcn_match_imported(n->m);
	rcn_run_stage_done(&n->clock, ST_MATCH);
	return true;
}
