/* One business date end to end. Owns the order of the stages (DESIGN.md §1)
 * and the rule that one bad statement never stops the others. */
#include "recon/run.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recon/db.h"
#include "recon/match.h"
#include "recon/money.h"
#include "recon/parse.h"
#include "recon/report.h"

enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_INPUT = 3, EXIT_DB = 4 };

typedef struct {
	rcn_match *m;
	size_t source;
	const rcn_source_conf *conf;
	char wrong_merchant[128]; /* first 商户号 that is not this source's */
	long wrong_line;
	rcn_date day;
	char wrong_date[20]; /* first trade time far from the business date */
	long wrong_date_line;
	rcn_quarantine_entry *q;
	size_t n_q, cap_q;
	rcn_arena *arena;
} parse_ctx;

static void on_record(void *p, const rcn_record *rec)
{
	parse_ctx *c = p;
	if (strcmp(rec->provider_id, c->conf->merchant_id) != 0 && !c->wrong_merchant[0]) {
		snprintf(c->wrong_merchant, sizeof(c->wrong_merchant), "%s", rec->provider_id);
		c->wrong_line = rec->line;
	}
	/* A bill lists the trades of its own date; a day either side allows for the
	 * channel's cut-off. Anything further means the wrong file was picked up. */
	if ((rec->trade_date < c->day - 1 || rec->trade_date > c->day + 1) && !c->wrong_date[0]) {
		snprintf(c->wrong_date, sizeof(c->wrong_date), "%s", rec->trade_time);
		c->wrong_date_line = rec->line;
	}
	rcn_match_add_record(c->m, c->source, rec);
}

static void on_bad_row(void *p, const char *file, long line, const char *reason)
{
	parse_ctx *c = p;
	rcn_xreserve((void **)&c->q, &c->cap_q, c->n_q + 1, sizeof(*c->q));
	c->q[c->n_q++] = (rcn_quarantine_entry){.source = c->conf->name,
						.file = rcn_arena_strdup(c->arena, file),
						.line = line,
						.reason = rcn_arena_strdup(c->arena, reason),
						.rows = 1};
}

static void say(const rcn_run_opts *o, const char *date, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(const rcn_run_opts *o, const char *date, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(o->log, "recon: %s: ", date);
	vfprintf(o->log, fmt, ap);
	fputc('\n', o->log);
	va_end(ap);
}

static bool selected(const rcn_run_opts *o, const rcn_source_conf *s)
{
	if (!o->n_only)
		return true;
	for (size_t i = 0; i < o->n_only; i++)
		if (strcmp(o->only[i], s->name) == 0 || strcmp(o->only[i], s->channel) == 0)
			return true;
	return false;
}

/* Parses one source's statement into the matcher; on rejection withdraws its rows. */
static bool parse_source(const rcn_run_opts *o, const char *date, parse_ctx *c, rcn_run_input *input)
{
	char path[4096], why[1200];
	rcn_err err;
	rcn_stmt_result res;
	memset(&res, 0, sizeof(res));
	input->source = c->conf->name;
	input->sha256[0] = '\0';
	input->format = "";
	input->rows = 0;
	char label[4096];
	snprintf(label, sizeof(label), "%s", c->conf->location);
	if (rcn_config_expand_location(label, sizeof(label), c->conf->location, NULL, o->day, &err)) {
		res.rejected = true;
		res.reason = err;
		snprintf(path, sizeof(path), "%s", c->conf->location);
	} else {
		/* Reports name the file as the configuration does, so they read the
		 * same on every machine; the file itself is opened relative to the config. */
		rcn_config_resolve(path, sizeof(path), label, o->cfg->dir);
		size_t mark = rcn_match_mark(c->m);
		c->wrong_merchant[0] = '\0';
		c->wrong_date[0] = '\0';
		rcn_stmt_parse_file(path, rcn_arena_strdup(c->arena, label), c->conf->channel, on_record, on_bad_row, c,
				    &res, input->sha256);
		if (!res.rejected && c->wrong_merchant[0]) {
			res.rejected = true;
			rcn_err_set(&res.reason, RCN_EFORMAT, label, c->wrong_line,
				    "statement is for merchant %s, but [source %s] is merchant %s", c->wrong_merchant,
				    c->conf->name, c->conf->merchant_id);
		}
		if (!res.rejected && c->wrong_date[0]) {
			res.rejected = true;
			rcn_err_set(&res.reason, RCN_EFORMAT, label, c->wrong_date_line,
				    "row dated %s does not belong to business date %s (wrong file?)", c->wrong_date,
				    date);
		}
		if (res.rejected)
			rcn_match_rollback(c->m, mark);
	}
	input->path = rcn_arena_strdup(c->arena, label);
	input->format = rcn_arena_strdup(c->arena, res.format);
	input->rows = res.rows;
	if (!res.rejected) {
		char amount[32], fee[32];
		input->verdict = "ok";
		say(o, date, "[source %s] %s: %s, %ld rows (%ld payments, %ld refunds), amount %s, fee %s, totals ok",
		    c->conf->name, path, res.format, res.rows, res.payments, res.refunds,
		    rcn_money_format(amount, sizeof(amount), res.amount_fen, 2),
		    rcn_money_format(fee, sizeof(fee), res.fee, 5));
		return true;
	}
	rcn_err_format(&res.reason, why, sizeof(why));
	input->verdict = rcn_arena_strdup(c->arena, why);
	fprintf(o->log, "recon: %s: [source %s] rejected: %s\n", date, c->conf->name, why);
	long rows = res.rows - res.bad_rows;
	int64_t amount = res.amount_fen + res.refund_fen;
	rcn_xreserve((void **)&c->q, &c->cap_q, c->n_q + 1, sizeof(*c->q));
	c->q[c->n_q++] = (rcn_quarantine_entry){.source = c->conf->name,
						.file = input->path,
						.line = 0,
						.reason = rcn_arena_strdup(c->arena, why),
						.rows = rows,
						.amount_fen = amount};
	rcn_match_add_quarantine(c->m, c->source, res.rows, amount);
	rcn_match_source_rejected(c->m, c->source);
	return false;
}

static void sink_order(void *ctx, const rcn_ledger_order *o)
{
	rcn_match_add_order(ctx, o);
}
static void sink_refund(void *ctx, const rcn_ledger_refund *r)
{
	rcn_match_add_refund(ctx, r);
}
static void sink_suspense(void *ctx, const rcn_finding *f)
{
	rcn_match_add_suspense(ctx, f);
}

static rcn_rc load_ledger(rcn_db *db, const rcn_run_opts *o, rcn_match *m, rcn_err *err)
{
	rcn_ledger_window w = {o->day, o->cfg->carry_over_days, o->cfg->timezone, o->cfg->orders_sql,
			       o->cfg->refunds_sql};
	rcn_ledger_sink sink = {sink_order, sink_refund, sink_suspense, m};
	rcn_match_keys k;
	bool had_run = false;
	rcn_rc rc;

	if ((rc = rcn_ledger_begin(db, err)))
		return rc;
	if ((rc = rcn_ledger_load_window(db, &w, &sink, err)) ||
	    (rc = rcn_ledger_load_suspense(db, o->day - 1, &had_run, &sink, err)))
		goto cleanup;
	rcn_match_set_prior_run(m, had_run);
	rcn_match_begin_lookup(m);
	rcn_match_missing_keys(m, &k);
	rc = rcn_ledger_lookup(db, &w, k.order_nos, k.n_order_nos, k.txn_ids, k.n_txn_ids, k.refund_nos, k.n_refund_nos,
			       k.refund_orders, k.n_refund_orders, &sink, err);
cleanup:;
	rcn_err ignore;
	rcn_rc end = rcn_ledger_end(db, rc ? &ignore : err);
	return rc ? rc : end;
}

static char *counts_json(const rcn_run_result *r, const rcn_finding *const *f, size_t n)
{
	rcn_buf b;
	long kinds[RCN_K__COUNT] = {0};
	for (size_t i = 0; i < n; i++)
		kinds[f[i]->kind]++;
	rcn_buf_init(&b, 1 << 16);
	rcn_buf_printf(&b,
		       "{\"statement_rows\":%ld,\"matched\":%ld,\"discrepancies\":%ld,\"pending\":%ld,"
		       "\"quarantined\":%ld,\"rejected_files\":%ld",
		       r->statement_rows, r->matched, r->discrepancies, r->pending, r->quarantined, r->rejected_files);
	for (int k = 0; k < RCN_K_PENDING; k++)
		rcn_buf_printf(&b, ",\"%s\":%ld", rcn_kind_name((rcn_kind)k), kinds[k]);
	rcn_buf_append(&b, "}", 1);
	return b.data;
}

static void db_fail(const rcn_run_opts *o, const char *date, const rcn_err *err, rcn_run_result *out)
{
	char why[1200];
	fprintf(o->log, "recon: %s: database error, nothing committed: %s\n", date,
		rcn_err_format(err, why, sizeof(why)));
	out->exit_code = EXIT_DB;
}

static void on_lock_wait(void *p)
{
	const rcn_run_opts *o = p;
	char date[11];
	fprintf(o->log, "recon: %s: another run of this date is in progress; waiting up to %d s for it to finish\n",
		rcn_date_format(date, o->day), o->cfg->lock_wait_seconds);
}

void rcn_run_date(const rcn_run_opts *o, rcn_run_result *out)
{
	const rcn_config *cfg = o->cfg;
	char date[11], started[32];
	rcn_err err;
	rcn_db *db = NULL;
	rcn_match *m = NULL;
	rcn_match_source *msrc = rcn_xcalloc(cfg->n_sources + 1, sizeof(*msrc));
	size_t *src_of = rcn_xcalloc(cfg->n_sources + 1, sizeof(size_t));
	rcn_run_input *inputs = rcn_xcalloc(cfg->n_sources + 1, sizeof(*inputs));
	size_t n_src = 0;
	rcn_arena arena;
	parse_ctx pc;
	char *counts = NULL;
	bool locked = false;
	struct timespec t0, t1;
	time_t now = time(NULL);
	struct tm tm;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	memset(out, 0, sizeof(*out));
	memset(&pc, 0, sizeof(pc));
	rcn_arena_init(&arena);
	rcn_date_format(date, o->day);

	for (size_t i = 0; i < cfg->n_sources; i++) {
		const rcn_source_conf *s = &cfg->sources[i];
		if (!selected(o, s))
			continue;
		msrc[n_src] = (rcn_match_source){s->name,
						 s->channel,
						 s->merchant_id,
						 (const char *const *)s->sub_merchants,
						 s->n_sub_merchants,
						 s->has_fee_rate,
						 s->fee_rate_ppm};
		src_of[n_src++] = i;
	}
	if (!n_src) {
		fprintf(o->log, "recon: %s: no [source] matches --channel: nothing to do\n", date);
		out->exit_code = EXIT_USAGE;
		goto cleanup;
	}

	if (rcn_db_connect(&db, cfg->conninfo, &err) || rcn_db_migrate(db, &err)) {
		db_fail(o, date, &err, out);
		goto cleanup;
	}
	if (rcn_db_lock_date(db, o->day, cfg->lock_wait_seconds, on_lock_wait, (void *)o, &err)) {
		if (err.code == RCN_EBUSY) {
			fprintf(o->log, "recon: %s: %s after waiting %d s; nothing done\n", date, err.msg,
				cfg->lock_wait_seconds);
			out->exit_code = EXIT_DB;
		} else {
			db_fail(o, date, &err, out);
		}
		goto cleanup;
	}
	locked = true;

	m = rcn_match_new(o->day, cfg->carry_over_days, msrc, n_src);
	pc.m = m;
	pc.arena = &arena;
	pc.day = o->day;
	for (size_t i = 0; i < n_src; i++) {
		pc.source = i;
		pc.conf = &cfg->sources[src_of[i]];
		if (!parse_source(o, date, &pc, &inputs[i]))
			out->rejected_files++;
	}
	if (load_ledger(db, o, m, &err)) {
		db_fail(o, date, &err, out);
		goto cleanup;
	}
	rcn_match_run(m);

	size_t n_findings, n_tallies;
	const rcn_finding *const *findings = rcn_match_findings(m, &n_findings);
	const rcn_tally *tallies = rcn_match_tallies(m, &n_tallies);
	for (size_t i = 0; i < n_tallies; i++) {
		if (tallies[i].side != RCN_SIDE_CHANNEL)
			continue;
		out->statement_rows += tallies[i].rows_in;
		out->matched += tallies[i].matched;
		out->quarantined += tallies[i].quarantined;
	}
	for (size_t i = 0; i < n_findings; i++) {
		if (findings[i]->kind == RCN_K_PENDING)
			out->pending++;
		else
			out->discrepancies++;
	}
	out->exit_code = out->rejected_files ? EXIT_INPUT : out->discrepancies ? EXIT_FINDINGS : EXIT_CLEAN;

	rcn_report_dir rdir;
	char reports[4096];
	rcn_config_resolve(reports, sizeof(reports), o->out_dir ? o->out_dir : cfg->reports_dir,
			   o->out_dir ? "." : cfg->dir);
	if (rcn_report_prepare(&rdir, reports, o->day, findings, n_findings, tallies, n_tallies, pc.q, pc.n_q, &err)) {
		char why[1200];
		fprintf(o->log, "recon: %s: %s\n", date, rcn_err_format(&err, why, sizeof(why)));
		out->exit_code = EXIT_DB; /* nothing committed */
		goto cleanup;
	}
	if (!o->dry_run) {
		long later = 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		counts = counts_json(out, findings, n_findings);
		rcn_run_info info = {o->day,
				     started,
				     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
				     out->exit_code,
				     inputs,
				     n_src,
				     counts};
		if (rcn_db_store_results(db, &info, findings, n_findings, &later, &err)) {
			rcn_report_abort(&rdir);
			db_fail(o, date, &err, out);
			goto cleanup;
		}
		if (later > 0)
			fprintf(o->log,
				"recon: %s: %ld later business date(s) were reconciled with this date's old suspense "
				"and are now marked stale: re-run them (oldest first)\n",
				date, later);
	}
	if (rcn_report_commit(&rdir, &err)) {
		char why[1200];
		fprintf(o->log, "recon: %s: %s\n", date, rcn_err_format(&err, why, sizeof(why)));
		out->exit_code = EXIT_DB;
		goto cleanup;
	}
	if (!realpath(rdir.final_dir, out->reports_path))
		snprintf(out->reports_path, sizeof(out->reports_path), "%s", rdir.final_dir);
	long carried = rcn_match_carried_rows(m);
	char carried_note[64] = "";
	if (carried)
		snprintf(carried_note, sizeof(carried_note), " (%ld carried over from the day before)", carried);
	say(o, date, "%ld statement rows%s: %ld matched, %ld discrepancies, %ld pending, %ld quarantined%s",
	    out->statement_rows, carried_note, out->matched, out->discrepancies, out->pending, out->quarantined,
	    o->dry_run ? " (dry run: nothing committed)" : "");
cleanup:
	if (locked)
		rcn_db_unlock_date(db, o->day);
	rcn_db_close(db);
	rcn_match_free(m);
	free(counts);
	free(pc.q);
	free(inputs);
	free(src_of);
	free(msrc);
	rcn_arena_free(&arena);
}
