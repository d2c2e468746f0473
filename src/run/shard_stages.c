/* The stages of a night in shards (docs/internals/shards.md): a shard's
 * last — its part's outcome stored in recon_shards — and the merge's —
 * every part read, checked and added to the night. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "run/night_state.h"

/* Statement bytes this process read (the files as opened). */
static int64_t bytes_read(const night *n)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n->n_src; i++) {
		struct stat st;
		if (n->jobs[i].path[0] && stat(n->jobs[i].path, &st) == 0)
			sum += st.st_size;
	}
	return sum;
}

/* A shard ends here: its part's outcome (the matcher's findings, notes,
 * tallies and sums, and the register's evidence) stored in recon_shards
 * for the merge, nothing published. */
bool rcn_run_store_shard(night *n)
{
	const rcn_run_opts *o = n->o;
	rcn_run_kill_point("shard_before_store");
	if (!rcn_run_items_in(n))
		return false;
	rcn_items_night_evidence(n->items, n->m);
	rcn_buf b, sources;
	rcn_buf_init(&b, (size_t)1 << 34);
	rcn_buf_init(&sources, (size_t)1 << 34);
	for (size_t i = 0, k = 0; i < n->n_src; i++) { /* the files' part of the night, for the merge */
		size_t from = k;
		while (k < n->n_moves && n->moves[k].source_name == n->jobs[i].conf->name)
			k++;
		rcn_source_job_export(&n->jobs[i], n->moves + from, k - from, &sources);
	}
	rcn_wire_bytes(&b, sources.data, sources.len);
	rcn_buf_free(&sources);
	rcn_match_export(n->m, n->sink, &b);
	rcn_items_night_export_evidence(n->items, &b);
	size_t packed_n = 0;
	unsigned char *packed = rcn_run_pack(&b, &packed_n);
	size_t raw = b.len;
	rcn_buf_free(&b);
	if (!packed) {
		rcn_run_log(o, LOG_ERROR, NULL, "shard %d/%d: its outcome could not be compressed", o->shard,
			    o->shards);
		n->out->exit_code = EXIT_DB;
		return false;
	}
	size_t nt, nf;
	const rcn_tally *t = rcn_match_tallies(n->m, &nt);
	(void)rcn_findings_sorted(n->sink, &nf);
	long srows = 0, lrows = 0;
	for (size_t i = 0; i < nt; i++)
		*(t[i].side == RCN_SIDE_CHANNEL ? &srows : &lrows) += t[i].rows_in;
	rcn_run_inputs_digest(n->inputs, n->n_src, n->inputs_digest);
	rcn_run_config_digest(n->cfg, n->config_digest);
	rcn_shard_row r = {.day = o->day,
			   .shard = o->shard,
			   .shards = o->shards,
			   .inputs_digest = n->inputs_digest,
			   .config_digest = n->config_digest,
			   .statement_rows = srows,
			   .ledger_rows = lrows,
			   .bytes_read = bytes_read(n),
			   .seconds = rcn_clock_seconds(CLOCK_MONOTONIC) - n->t0,
			   .outcome = packed,
			   .n_outcome = packed_n};
	rcn_rc rc = rcn_db_shard_finish(n->db, &r, &n->err);
	free(packed);
	if (rc)
		return rcn_run_night_db_fail(n);
	n->shard_row = false;
	rcn_run_log(o, LOG_INFO, NULL,
		    "shard %d/%d: %ld statement rows and %ld ledger items of this part, %zu findings; stored "
		    "(%zu bytes, %zu packed) for recon merge --shards %d",
		    o->shard, o->shards, srows, lrows, nf, raw, packed_n, o->shards);
	if (o->timings)
		rcn_run_log_timings(o, &n->clock, n->jobs, n->n_src);
	n->out->exit_code = EXIT_CLEAN;
	return true;
}

typedef struct {
	night *n;
	char why[600];
} merge_check;

/* One shard's row, read by the merge: done, from the same files and
 * configuration, its outcome whole; then added to the night. */
static rcn_rc on_shard(void *ctx, const rcn_shard_row *r, rcn_err *err)
{
	merge_check *c = ctx;
	night *n = c->n;
	int want = (int)n->n_outcomes, of = n->o->shards;
	if (r->shard != want)
		snprintf(c->why, sizeof c->why, "shard %d of %d has not run for %s", want, of, n->date);
	else if (strcmp(r->status, "failed") == 0)
		snprintf(c->why, sizeof c->why, "shard %d of %d failed on %s: %.300s", want, of,
			 r->host[0] ? r->host : "?", r->why);
	else if (strcmp(r->status, "done") != 0)
		snprintf(c->why, sizeof c->why, "shard %d of %d has not finished (running on %s, or killed: re-run it)",
			 want, of, r->host[0] ? r->host : "?");
	else if (strcmp(r->config_digest, n->config_digest) != 0)
		snprintf(c->why, sizeof c->why,
			 "shard %d of %d ran with another configuration or rules (digest %.12s, this merge's %.12s)",
			 want, of, r->config_digest, n->config_digest);
	if (c->why[0])
		return rcn_err_set(err, RCN_EDB, "", 0, "%s", c->why);
	size_t len = 0, n_sources = 0;
	unsigned char *raw = rcn_run_unpack(r->outcome, r->n_outcome, &len);
	rcn_wire w, sw;
	rcn_wire_open(&w, raw, raw ? len : 0);
	const void *sources = rcn_wire_get_bytes(&w, &n_sources);
	bool ok = raw && sources;
	if (ok && want == 0) { /* every shard read the same files (checked below): shard 0's say what they held */
		rcn_wire_open(&sw, sources, n_sources);
		for (size_t i = 0; i < n->n_src && ok; i++)
			ok = rcn_source_job_import(&n->jobs[i], &sw);
		ok = ok && sw.at == n_sources;
	}
	ok = ok && rcn_match_import(n->m, n->sink, &w);
	n->outcomes = rcn_xrealloc(n->outcomes, (n->n_outcomes + 1) * sizeof(*n->outcomes));
	n->outcome_len = rcn_xrealloc(n->outcome_len, (n->n_outcomes + 1) * sizeof(*n->outcome_len));
	n->evidence_at = rcn_xrealloc(n->evidence_at, (n->n_outcomes + 1) * sizeof(*n->evidence_at));
	n->shard_inputs = rcn_xrealloc(n->shard_inputs, (n->n_outcomes + 1) * sizeof(*n->shard_inputs));
	snprintf(n->shard_inputs[n->n_outcomes], sizeof n->shard_inputs[0], "%s", r->inputs_digest);
	n->outcomes[n->n_outcomes] = raw;
	n->outcome_len[n->n_outcomes] = len;
	n->evidence_at[n->n_outcomes] = w.at;
	n->n_outcomes++;
	if (!ok) {
		snprintf(c->why, sizeof c->why, "shard %d of %d: its stored outcome is damaged (re-run the shard)",
			 want, of);
		return rcn_err_set(err, RCN_EDB, "", 0, "%s", c->why);
	}
	return RCN_OK;
}

/* The merge: every part's outcome into the night (its findings streamed to
 * the results transaction meanwhile), and shard 0's account of the
 * statement files (the merge reads none), once all N are done, with this
 * configuration, from the same files; else refused (exit 4, naming the
 * shard, nothing published). */
bool rcn_run_read_shards(night *n)
{
	rcn_run_config_digest(n->cfg, n->config_digest);
	merge_check c = {.n = n};
	rcn_rc rc = rcn_db_shards_read(n->db, n->o->day, n->o->shards, true, on_shard, &c, &n->err);
	if (rc == RCN_OK && (int)n->n_outcomes < n->o->shards)
		snprintf(c.why, sizeof c.why, "shard %zu of %d has not run for %s", n->n_outcomes, n->o->shards,
			 n->date);
	else if (rc != RCN_OK && !c.why[0])
		return rcn_run_night_db_fail(n);
	for (size_t i = 1; i < n->n_outcomes && !c.why[0]; i++)
		if (strcmp(n->shard_inputs[i], n->shard_inputs[0]) != 0)
			snprintf(c.why, sizeof c.why,
				 "shard %zu of %d read other statement files than shard 0 (digest %.12s, shard 0's "
				 "%.12s): re-run the shards of the files as they are now",
				 i, n->o->shards, n->shard_inputs[i], n->shard_inputs[0]);
	if (c.why[0]) {
		rcn_run_log(n->o, LOG_ERROR, NULL, "merge refused, nothing published: %s", c.why);
		n->out->exit_code = EXIT_DB;
		return false;
	}
	return true;
}

/* The merge, once the files' part is merged into the night: the parts' tallies and notes in order. */
bool rcn_run_import_shards(night *n)
{
	if (is_merge(n))
		rcn_match_imported(n->m);
	return true;
}
