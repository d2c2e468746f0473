/* Parses each statement source into a batch of its own, on a small pool of
 * threads. Jobs share nothing but the counter that hands them out, so the
 * result of a job is the same whichever thread ran it, and the run merges
 * them in configuration order. */
#include "run/sources.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rcn_source_job_init(rcn_source_job *job, const rcn_config *cfg, const rcn_source_conf *conf, rcn_date day,
			 const rcn_profile *profile)
{
	memset(job, 0, sizeof(*job));
	job->cfg = cfg;
	job->conf = conf;
	job->day = day;
	job->profile = profile;
	rcn_arena_init(&job->arena);
}

void rcn_source_job_free(rcn_source_job *job)
{
	rcn_batch_free(job->batch);
	free(job->quarantine);
	rcn_arena_free(&job->arena);
}

static void add_quarantine(rcn_source_job *job, const char *file, long line, const char *reason, long rows,
			   int64_t amount)
{
	rcn_xreserve((void **)&job->quarantine, &job->cap_quarantine, job->n_quarantine + 1, sizeof(*job->quarantine));
	job->quarantine[job->n_quarantine++] = (rcn_quarantine_entry){.source = job->conf->name,
								      .file = rcn_arena_strdup(&job->arena, file),
								      .line = line,
								      .reason = rcn_arena_strdup(&job->arena, reason),
								      .rows = rows,
								      .amount_fen = amount};
}

static void on_record(void *p, const rcn_record *rec)
{
	rcn_source_job *job = p;
	/* a statement for another account must not be reconciled as this one's */
	if (rec->provider_id && *rec->provider_id && strcmp(rec->provider_id, job->conf->merchant_id) != 0 &&
	    !job->wrong_merchant[0]) {
		snprintf(job->wrong_merchant, sizeof(job->wrong_merchant), "%s", rec->provider_id);
		job->wrong_merchant_line = rec->line;
	}
	/* A bill lists the trades of its own date; a day either side allows for the
	 * channel's cut-off. Anything further means the wrong file was picked up. */
	if ((rec->trade_date < job->day - 1 || rec->trade_date > job->day + 1) && !job->wrong_date[0]) {
		snprintf(job->wrong_date, sizeof(job->wrong_date), "%s", rec->trade_time);
		job->wrong_date_line = rec->line;
	}
	rcn_batch_add(job->batch, rec);
}

static void on_bad_row(void *p, const char *file, long line, const char *reason)
{
	add_quarantine(p, file, line, reason, 1, 0);
}

static void parse_job(rcn_source_job *job)
{
	rcn_stmt_result *res = &job->res;
	rcn_err err;
	char date[11], why[1200];

	rcn_date_format(date, job->day);
	job->batch = rcn_batch_new();
	snprintf(job->label, sizeof(job->label), "%s", job->conf->location);
	if (rcn_config_expand_location(job->label, sizeof(job->label), job->conf->location, NULL, job->day, &err)) {
		res->rejected = true;
		res->reason = err;
		snprintf(job->path, sizeof(job->path), "%s", job->conf->location);
	} else {
		/* Reports name the file as the configuration does, so they read the
		 * same on every machine; the file itself is opened relative to the config. */
		rcn_config_resolve(job->path, sizeof(job->path), job->label, job->cfg->dir);
		rcn_stmt_kind kind = {job->conf->channel, job->conf->bill, job->profile, job->day};
		rcn_stmt_parse(job->path, job->label, &kind, on_record, on_bad_row, job, res, job->input.sha256);
		if (!res->rejected && job->wrong_merchant[0]) {
			res->rejected = true;
			rcn_err_set(&res->reason, RCN_EFORMAT, job->label, job->wrong_merchant_line,
				    "statement is for merchant %s, but [source %s] is merchant %s", job->wrong_merchant,
				    job->conf->name, job->conf->merchant_id);
		}
		if (!res->rejected && job->wrong_date[0]) {
			res->rejected = true;
			rcn_err_set(&res->reason, RCN_EFORMAT, job->label, job->wrong_date_line,
				    "row dated %s does not belong to business date %s (wrong file?)", job->wrong_date,
				    date);
		}
	}
	job->input.source = job->conf->name;
	job->input.path = rcn_arena_strdup(&job->arena, job->label);
	job->input.format = rcn_arena_strdup(&job->arena, res->format);
	job->input.rows = res->rows;
	job->input.verdict = "ok";
	if (!res->rejected)
		return;
	/* Rejected whole: nothing of it is reconciled; it is counted as quarantined. */
	rcn_batch_free(job->batch);
	job->batch = NULL;
	rcn_err_format(&res->reason, why, sizeof(why));
	job->input.verdict = rcn_arena_strdup(&job->arena, why);
	add_quarantine(job, job->label, 0, why, res->rows - res->bad_rows,
		       res->amount_fen + res->refund_fen + res->movement_in_fen + res->movement_out_fen);
}

struct rcn_parse_pool {
	rcn_source_job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
	pthread_t *threads;
	size_t n_threads;
};

static void *worker(void *p)
{
	rcn_parse_pool *pool = p;
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		size_t i = pool->next < pool->n ? pool->next++ : SIZE_MAX;
		pthread_mutex_unlock(&pool->lock);
		if (i == SIZE_MAX)
			return NULL;
		parse_job(&pool->jobs[i]);
	}
}

rcn_parse_pool *rcn_parse_start(rcn_source_job *jobs, size_t n, int threads)
{
	rcn_parse_pool *pool = rcn_xcalloc(1, sizeof(*pool));
	pool->jobs = jobs;
	pool->n = n;
	pthread_mutex_init(&pool->lock, NULL);
	size_t want = threads < 1 ? 1 : (size_t)threads;
	if (want > n)
		want = n;
	pool->threads = rcn_xcalloc(want + 1, sizeof(pthread_t));
	for (size_t i = 0; i < want; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0)
			break; /* fewer threads: the ones running take every job */
		pool->n_threads++;
	}
	if (!pool->n_threads)
		worker(pool); /* no thread at all: parse here */
	return pool;
}

void rcn_parse_join(rcn_parse_pool *pool)
{
	for (size_t i = 0; i < pool->n_threads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}
