/* The night's last stages: the reports written on a thread of their own
 * while the results are stored in one transaction that commits only once
 * the reports are ready, then the reports swapped into place. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recon/items.h"
#include "run/night_state.h"

static void *report_thread(void *p)
{
	report_job *j = p;
	double t = rcn_clock_seconds(CLOCK_MONOTONIC);
	j->rc = rcn_report_prepare(j->dir, j->reports, j->day, j->data, &j->err);
	if (j->rc == RCN_OK && j->data->all && !rcn_findings_ok(j->data->all, &j->err))
		j->rc = RCN_EIO; /* a run of findings read back damaged: the reports would lack rows */
	if (j->rc == RCN_OK && !rcn_report_dir_id(j->dir->tmp_dir, j->staged_id, sizeof(j->staged_id)))
		j->rc = rcn_err_set(&j->err, RCN_EIO, j->dir->tmp_dir, 0, "the prepared reports are gone");
	j->seconds = rcn_clock_seconds(CLOCK_MONOTONIC) - t;
	return NULL;
}

static rcn_rc join_reports(void *p, rcn_err *err)
{
	report_job *j = p;
	if (err)
		j->gate_reached = true;
	rcn_task_join(&j->task);
	if (j->info)
		j->info->seconds = rcn_clock_seconds(CLOCK_MONOTONIC) - j->t0;
	if (j->rc && err)
		*err = j->err;
	return j->rc;
}

/* Gathers what the reports show (with the trend of earlier dates) and starts
 * writing them on a thread of their own: leaves rj running. */
static void start_reports(night *n)
{
	const rcn_run_opts *o = n->o;
	rcn_run_result *out = n->out;
	rcn_run_trend tc = {o->day, n->trend, 0};
	rcn_err trend_err;
	if (rcn_db_recent_runs(n->db, n->cfg->timezone, 90, rcn_run_on_trend, &tc, &trend_err) != RCN_OK)
		tc.n = 0; /* the chart is a nicety: without history the page simply has no trend */
	n->trend[tc.n++] = (rcn_trend_point){o->day, out->discrepancies, out->statement_rows};
	for (int i = 0; i < out->n_problems; i++)
		n->problem_texts[i] = out->problems[i];
	n->data = (rcn_report_data){.trend = n->trend,
				    .n_trend = tc.n,
				    .all = n->sink,
				    .n_findings = n->n_findings,
				    .notes = n->notes,
				    .n_notes = n->n_notes,
				    .tallies = n->tallies,
				    .n_tallies = n->n_tallies,
				    .quarantine = n->quarantine,
				    .n_quarantine = n->n_quarantine,
				    .settlements = n->settlements.v,
				    .n_settlements = n->settlements.n,
				    .problems = n->problem_texts,
				    .n_problems = (size_t)out->n_problems,
				    .book = rcn_items_night_book(n->items)};
	rcn_config_resolve(n->reports, sizeof(n->reports), o->out_dir ? o->out_dir : n->cfg->reports_dir,
			   o->out_dir ? "." : n->cfg->dir);
	n->rj = (report_job){.dir = &n->rdir, .reports = n->reports, .day = o->day, .data = &n->data, .t0 = n->t0};
	rcn_task_start(&n->rj.task, report_thread, &n->rj);
}

/* Waits for the reports; false (exit 4, nothing committed) when they failed. */
static bool reports_ready(night *n)
{
	char why[1200];
	join_reports(&n->rj, NULL);
	if (!n->rj.rc)
		return true;
	rcn_run_log(n->o, LOG_ERROR, NULL, "%s", rcn_err_format(&n->rj.err, why, sizeof(why)));
	n->out->exit_code = EXIT_DB; /* nothing committed */
	return false;
}

/* Stores the results (through the stream when it runs) in one transaction
 * that commits only once the reports are ready: leaves run_id. */
static bool store_results(night *n)
{
	const rcn_run_opts *o = n->o;
	long later = 0;
	n->counts = rcn_run_counts_json(n->out, n->kinds, n->amounts);
	rcn_run_info info = {.day = o->day,
			     .started_at = n->started,
			     .exit_status = n->out->exit_code,
			     .inputs = n->inputs,
			     .n_inputs = n->n_src,
			     .counts_json = n->counts,
			     .before_commit = join_reports,
			     .before_commit_ctx = &n->rj,
			     .in_transaction = rcn_items_night_store,
			     .in_transaction_ctx = n->items,
			     .reports_dir = n->rdir.final_dir,
			     .staged_dir = n->rdir.tmp_dir,
			     .staged_id = n->rj.staged_id,
			     .run_id = &n->run_id};
	n->rj.info = &info;
	rcn_rc stored;
	if (n->stream.started) {
		stored = rcn_run_stream_close(&n->stream, &n->err);
		if (stored == RCN_OK)
			stored = rcn_results_finish(n->stream.res, &info, n->moves, n->n_moves, n->settlements.v,
						    n->settlements.n, &later, &n->err);
	} else { /* in one go: the runs of a night in parts read back, then the findings in memory */
		rcn_results *w;
		stored = rcn_results_begin(&w, n->db, o->day, &n->err);
		for (size_t i = 0; stored == RCN_OK && i < rcn_findings_runs(n->sink); i++)
			stored = rcn_results_add_run(w, rcn_findings_run_path(n->sink, i), &n->err);
		if (stored == RCN_OK)
			stored = rcn_results_add(w, n->findings, n->n_mem_findings, &n->err);
		if (stored == RCN_OK)
			stored = rcn_results_finish(w, &info, n->moves, n->n_moves, n->settlements.v, n->settlements.n,
						    &later, &n->err);
		rcn_results_free(w);
	}
	bool ready = reports_ready(n);
	n->rj.info = NULL; /* info is this function's */
	if (!ready) {	   /* nothing committed; the reports' own directory is gone */
		if (stored && !n->rj.gate_reached)
			rcn_run_db_fail(o, &n->err, n->out);
		return false;
	}
	if (stored) {
		rcn_report_abort(&n->rdir);
		return rcn_run_night_db_fail(n);
	}
	if (later > 0)
		rcn_run_log(o, LOG_INFO, NULL,
			    "%ld later business date(s) were reconciled with this date's old suspense "
			    "and are now marked stale: re-run them (oldest first)",
			    later);
	return true;
}

/* Writes the reports while the results are stored (not in a dry run): leaves
 * the staged reports and the committed run. */
bool rcn_run_write_reports_and_store(night *n)
{
	start_reports(n);
	if (!(n->o->dry_run ? reports_ready(n) : store_results(n)))
		return false;
	n->clock.s[ST_REPORTS] = n->rj.seconds;
	rcn_run_stage_done(&n->clock, ST_RESULTS);
	return true;
}

/* Swaps the staged reports into place and records it: leaves reports_path.
 * Reports that cannot be published wait for the next run (exit 5). */
bool rcn_run_publish_reports(night *n)
{
	const rcn_run_opts *o = n->o;
	char why[1200];
	rcn_run_kill_point("after_commit");
	if (rcn_report_commit(&n->rdir, &n->err)) {
		rcn_run_log(o, LOG_ERROR, NULL, "%s", rcn_err_format(&n->err, why, sizeof(why)));
		if (o->dry_run) {
			n->out->exit_code = EXIT_DB; /* nothing committed */
			return false;
		}
		/* the database has the night: say so, and leave the staged reports
		 * for the next run (recon_runs.publish_state = 'staged') */
		rcn_run_log(o, LOG_ERROR, NULL,
			    "the results are committed to the database, but the reports could not be published; "
			    "they wait in %s and the next recon run (of any date) or recon status publishes them",
			    n->rdir.tmp_dir);
		n->out->exit_code = EXIT_UNPUBLISHED;
		return false;
	}
	if (!o->dry_run && rcn_db_set_publish_state(n->db, n->run_id, "published", &n->err))
		rcn_run_log(o, LOG_ERROR, NULL,
			    "the reports are published, but recording it failed (the next run will): %s",
			    rcn_err_format(&n->err, why, sizeof(why)));
	if (!realpath(n->rdir.final_dir, n->out->reports_path))
		snprintf(n->out->reports_path, sizeof(n->out->reports_path), "%s", n->rdir.final_dir);
	return true;
}
