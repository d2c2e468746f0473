/* Parses each statement source into a batch of its own, on a small pool of
 * threads. Jobs share nothing but the counter that hands them out, so the
 * result of a job is the same whichever thread ran it, and the run merges
 * them in configuration order. */
#include "run/sources.h"
#include "run/spill.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "match/perf.h"
#include "recon/channel.h"
#include "recon/input.h"
#include "recon/text.h"
#include "util/pool.h"

/* How far before or after the business date a row may lie and still be the
 * date's own: a channel's cut-off is not exactly midnight on the merchant's
 * clock (an order created at 23:59 and paid at 00:00:03). */
#define CUTOFF_EDGE_S (2 * 3600)

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
		/* the file's own bytes: quoted */
		rcn_quote(job->wrong_merchant, sizeof(job->wrong_merchant), rec->provider_id, strlen(rec->provider_id),
			  RCN_QUOTE_MAX);
		job->wrong_merchant_line = rec->line;
		snprintf(job->wrong_merchant_file, sizeof(job->wrong_merchant_file), "%s", rec->file);
	}
	/* A bill lists the trades of its own date. A row of the day before or
	 * after is counted for date_verdict; anything further means the wrong
	 * file was picked up. The times are compared as the channel writes them
	 * (its business time, Beijing for the three channels), never converted. */
	if (rec->trade_date == job->day) {
		job->rows_today++;
	} else if (rec->trade_date < job->day - 1 || rec->trade_date > job->day + 1) {
		if (!job->wrong_date[0]) {
			snprintf(job->wrong_date, sizeof(job->wrong_date), "%s", rec->trade_time);
			job->wrong_date_line = rec->line;
			snprintf(job->wrong_date_file, sizeof(job->wrong_date_file), "%s", rec->file);
		}
	} else {
		rcn_time t = rcn_time_of_normal(rec->trade_time), start = (rcn_time)job->day * RCN_SECS_PER_DAY;
		if (t >= start - CUTOFF_EDGE_S && t < start + RCN_SECS_PER_DAY + CUTOFF_EDGE_S) {
			job->rows_edge++;
		} else {
			if (rec->trade_date < job->day)
				job->rows_before++;
			else
				job->rows_after++;
			if (!job->foreign_date[0]) {
				snprintf(job->foreign_date, sizeof(job->foreign_date), "%s", rec->trade_time);
				job->foreign_line = rec->line;
				snprintf(job->foreign_file, sizeof(job->foreign_file), "%s", rec->file);
			}
		}
	}
	if (job->part && job->part->parts && rec->type != RCN_REC_MOVEMENT) {
		uint32_t part = job->part->part < 0
					? 0
					: rcn_part_plan_row_part(job->part, rec->order_no, rec->refund_no,
								 rec->channel_txn_id, rec->type == RCN_REC_REFUND);
		if (job->part->part < 0 || part != (uint32_t)job->part->part) {
			if (job->spill) /* this night's later part */
				rcn_spill_record(job->spill, job->index, part, rec);
			return; /* another part's: checked and counted above, kept by its shard */
		}
	}
	rcn_batch_add(job->batch, rec);
}

/* Whether the rows say the file is a bill of another business date: more of
 * them lie on the day before or after, beyond the cut-off edge, than on the
 * date itself. A legitimate bill has a few rows across midnight at most (an
 * order paid at 23:59:59 listed at 00:00:03); yesterday's bill saved under
 * today's name has all of its rows on yesterday. A file with no rows says
 * nothing. UnionPay is judged by its RD summary's 清算日期 instead (checked
 * by the parser, and the RD is required): its rows carry 交易传输时间, which
 * can lie a day after the clearing date (the official sample's do). */
static bool date_verdict(rcn_source_job *job, char *msg, size_t n)
{
	long foreign = job->rows_before + job->rows_after;
	char file_day[11], run_day[11];
	if (strcmp(job->conf->channel, "unionpay") == 0 || foreign == 0 || foreign <= job->rows_today)
		return false;
	rcn_date_format(file_day, job->rows_before >= job->rows_after ? job->day - 1 : job->day + 1);
	snprintf(msg, n,
		 "statement is for business date %s (%ld of %ld rows dated so, first: %s), not %s (wrong file?)",
		 file_day, job->rows_before >= job->rows_after ? job->rows_before : job->rows_after,
		 job->rows_today + job->rows_edge + foreign, job->foreign_date, rcn_date_format(run_day, job->day));
	return true;
}

static void on_bad_row(void *p, const char *file, long line, const char *reason)
{
	rcn_source_job *job = p;
	if (job->n_quarantine < RCN_QUARANTINE_LISTED)
		add_quarantine(job, file, line, reason, 1, 0);
	else
		job->bad_unlisted++;
}

/* About how many rows a statement file holds, to size its batch once: a
 * compressed file (gzip, zip) holds a row in some 50 bytes (a 10 M row
 * WeChat bill is 532 MB), a plain one in a few hundred; erring high only
 * reserves address space, whose pages are filled as rows come. */
static size_t expected_rows(const char *path)
{
	struct stat st;
	unsigned char magic[2] = {0, 0};
	FILE *f = rcn_input_fopen(path, path, NULL); /* never hangs on a FIFO: the parser says what it is */
	if (!f)
		return 0;
	bool packed = fread(magic, 1, 2, f) == 2 &&
		      ((magic[0] == 0x1f && magic[1] == 0x8b) || (magic[0] == 'P' && magic[1] == 'K'));
	bool sized = fstat(fileno(f), &st) == 0 && st.st_size > 0;
	fclose(f);
	return sized ? (size_t)st.st_size / (packed ? 40 : 200) : 0;
}

size_t rcn_source_estimate_rows(const rcn_source_job *job)
{
	char label[4096], path[4096];
	rcn_err err;
	if (rcn_config_source_remote(job->conf) ||
	    rcn_config_expand_location(label, sizeof(label), job->conf->location, NULL, job->day, &err))
		return 0;
	rcn_config_resolve(path, sizeof(path), label, job->cfg->dir);
	return expected_rows(path);
}

/* The rows a shard keeps of a file's n (a hint: a little more than its share). */
static size_t part_rows(const rcn_source_job *job, size_t n)
{
	if (!job->part || !job->part->parts)
		return n;
	return job->part->part < 0 ? 0 : n / job->part->parts + n / job->part->parts / 16 + 64;
}

static void parse_source(rcn_source_job *job)
{
	rcn_stmt_result *res = &job->res;
	rcn_err err;
	char date[11], why[1200];

	rcn_date_format(date, job->day);
	job->batch = rcn_batch_new();
	if (rcn_config_source_remote(job->conf)) {
		rcn_fetch_result fr;
		if (!rcn_source_fetch(job, &fr)) {
			if (!res->rejected) /* no bill: an empty statement, reconciled as such */
				snprintf(res->format, sizeof(res->format), "no-bill");
			goto done;
		}
		rcn_stmt_kind kind = {job->conf->channel, job->conf->bill, job->profile, job->day, job->readahead};
		rcn_batch_expect(job->batch, part_rows(job, expected_rows(job->path)));
		rcn_stmt_parse(job->path, job->label, &kind, on_record, on_bad_row, job, res, job->input.sha256);
	} else {
		snprintf(job->label, sizeof(job->label), "%s", job->conf->location);
		if (rcn_config_expand_location(job->label, sizeof(job->label), job->conf->location, NULL, job->day,
					       &err)) {
			res->rejected = true;
			res->reason = err;
			snprintf(job->path, sizeof(job->path), "%s", job->conf->location);
		} else {
			/* Reports name the file as the configuration does, so they read the
			 * same on every machine; the file itself is opened relative to the config. */
			rcn_config_resolve(job->path, sizeof(job->path), job->label, job->cfg->dir);
			rcn_stmt_kind kind = {job->conf->channel, job->conf->bill, job->profile, job->day,
					      job->readahead};
			rcn_batch_expect(job->batch, part_rows(job, expected_rows(job->path)));
			rcn_stmt_parse(job->path, job->label, &kind, on_record, on_bad_row, job, res,
				       job->input.sha256);
		}
	}
	if (!res->rejected) {
		if (job->wrong_merchant[0]) {
			res->rejected = true;
			rcn_err_set(&res->reason, RCN_EFORMAT, job->wrong_merchant_file, job->wrong_merchant_line,
				    "statement is for merchant %s, but [source %s] is merchant %s", job->wrong_merchant,
				    job->conf->name, job->conf->merchant_id);
		}
		if (!res->rejected && job->wrong_date[0]) {
			res->rejected = true;
			rcn_err_set(&res->reason, RCN_EFORMAT, job->wrong_date_file, job->wrong_date_line,
				    "row dated %s does not belong to business date %s (wrong file?)", job->wrong_date,
				    date);
		}
		char msg[400];
		if (!res->rejected && date_verdict(job, msg, sizeof(msg))) {
			res->rejected = true;
			rcn_err_set(&res->reason, RCN_EFORMAT, job->foreign_file, job->foreign_line, "%s", msg);
		}
	}
done:
	job->input.source = job->conf->name;
	job->input.path = rcn_arena_strdup(&job->arena, job->label);
	job->input.format = rcn_arena_strdup(&job->arena, res->format);
	job->input.rows = res->rows;
	job->input.verdict = "ok";
	job->input.warning = job->warning[0] ? job->warning : NULL;
	if (job->bad_unlisted > 0) {
		snprintf(why, sizeof(why), "%ld more rows could not be parsed (the first %d are listed)",
			 job->bad_unlisted, RCN_QUARANTINE_LISTED);
		add_quarantine(job, job->label, 0, why, job->bad_unlisted, 0);
	}
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

static void parse_job(rcn_source_job *job)
{
	double wall0 = rcn_clock_seconds(CLOCK_MONOTONIC), cpu0 = rcn_clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	parse_source(job);
	job->parse_s = rcn_clock_seconds(CLOCK_MONOTONIC) - wall0;
	job->parse_cpu_s = rcn_clock_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
}

static void fetch_settings(rcn_fetch_settings *s, const rcn_config *cfg, const rcn_source_conf *conf)
{
	rcn_fetch_settings_default(s);
	s->connect_timeout_s = cfg->fetch.connect_timeout_s;
	s->timeout_s = cfg->fetch.timeout_s;
	s->stall_s = cfg->fetch.stall_s;
	s->attempts = cfg->fetch.attempts;
	s->backoff_ms = cfg->fetch.backoff_ms;
	s->max_per_channel = cfg->fetch.max_per_channel;
	s->max_bytes = cfg->fetch.max_bytes;
	s->ca_file = conf->ca_file;
}

/* [source] api = NAME, by the channel registry (config has checked the name). */
static rcn_api api_of(const char *api)
{
	const rcn_api_info *info = rcn_channel_api_find(api, NULL);
	return info ? info->id : RCN_API_NONE;
}

bool rcn_source_fetch(rcn_source_job *job, rcn_fetch_result *out)
{
	const rcn_source_conf *c = job->conf;
	char url[4096] = "", spool[4096];
	rcn_err err;
	rcn_fetch_settings settings;
	memset(out, 0, sizeof(*out));
	if (c->location && rcn_config_expand_location(url, sizeof(url), c->location, NULL, job->day, &err)) {
		job->res.rejected = true;
		job->res.reason = err;
		snprintf(job->label, sizeof(job->label), "%s", c->location);
		return false;
	}
	rcn_config_resolve(spool, sizeof(spool), job->cfg->spool_dir, job->cfg->dir);
	fetch_settings(&settings, job->cfg, c);
	rcn_fetch_request req = {.source = c->name,
				 .channel = c->channel,
				 .bill = c->bill,
				 .api = api_of(c->api),
				 .url = url,
				 .api_base = c->api_base,
				 .merchant_id = c->merchant_id,
				 .sub_merchant_id = c->sub_mchid,
				 .app_id = c->app_id,
				 .private_key_file = c->private_key,
				 .cert_serial = c->cert_serial,
				 .platform_cert_file = c->platform_cert,
				 .platform_key_id = c->platform_key_id,
				 .max_clock_skew_s = c->max_clock_skew_s,
				 .bill_hosts = (const char *const *)c->bill_hosts,
				 .n_bill_hosts = c->n_bill_hosts,
				 .allow_http_download = c->allow_http_download,
				 .api_key_file = c->api_key_file,
				 .sign_type = c->sign_type,
				 .ssh_key_file = c->ssh_key,
				 .known_hosts_file = c->known_hosts,
				 .day = job->day,
				 .spool_dir = spool,
				 .refetch = job->refetch};
	if (rcn_fetch(&req, &settings, out, &err) != RCN_OK) {
		/* the fetch layer names the source; the run's message already does */
		char prefix[300];
		size_t n = (size_t)snprintf(prefix, sizeof(prefix), "[source %s]: ", c->name);
		if (strncmp(err.msg, prefix, n) == 0)
			memmove(err.msg, err.msg + n, strlen(err.msg + n) + 1);
		job->res.rejected = true;
		job->res.reason = err;
		snprintf(job->label, sizeof(job->label), "[source %s] download", c->name);
		return false;
	}
	if (out->no_bill) {
		job->no_bill = true;
		snprintf(job->label, sizeof(job->label), "[source %s] no bill", c->name);
		return false;
	}
	snprintf(job->warning, sizeof(job->warning), "%s", out->warning);
	snprintf(job->path, sizeof(job->path), "%s", out->path);
	/* reports name the spooled file from the spool root: the same on every machine */
	const char *slash = strrchr(out->path, '/');
	snprintf(job->label, sizeof(job->label), "%.200s/%.1000s", c->name, slash ? slash + 1 : out->path);
	return true;
}

struct rcn_parse_pool {
	rcn_source_job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
	rcn_task *workers; /* tasks of the pool (util/pool.h) */
	size_t n_workers;
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
	pool->workers = rcn_xcalloc(want + 1, sizeof(rcn_task));
	for (size_t i = 0; i < want; i++) {
		if (!rcn_task_spawn(&pool->workers[i], worker, pool))
			break; /* fewer workers: the ones running take every job */
		pool->n_workers++;
	}
	if (!pool->n_workers)
		worker(pool); /* no worker at all: parse here */
	return pool;
}

void rcn_parse_join(rcn_parse_pool *pool)
{
	for (size_t i = 0; i < pool->n_workers; i++)
		rcn_task_join(&pool->workers[i]);
	pthread_mutex_destroy(&pool->lock);
	free(pool->workers);
	free(pool);
}

static bool is_flow_bill(const char *bill)
{
	return bill && (strcmp(bill, "fundflow") == 0 || strcmp(bill, "account") == 0);
}

static rcn_settle_account *account_of(rcn_settle_account **v, size_t *n, size_t *cap, const char *channel,
				      const char *merchant)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].channel, channel) == 0 && strcmp((*v)[i].merchant_id, merchant) == 0)
			return &(*v)[i];
	rcn_xreserve((void **)v, cap, *n + 1, sizeof(**v));
	(*v)[*n] = (rcn_settle_account){.channel = channel, .merchant_id = merchant};
	return &(*v)[(*n)++];
}

rcn_settle_account *rcn_source_accounts(const rcn_config *cfg, const rcn_source_job *jobs, size_t n, size_t *n_out)
{
	rcn_settle_account *v = NULL;
	size_t cap = 0;
	*n_out = 0;
	for (size_t i = 0; i < cfg->n_sources; i++) /* configured, whether --channel selected it or not */
		if (is_flow_bill(cfg->sources[i].bill))
			account_of(&v, n_out, &cap, cfg->sources[i].channel, cfg->sources[i].merchant_id)
				->flow_configured = true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(jobs[i].conf->channel, "unionpay") == 0 && !jobs[i].res.rejected) {
			rcn_settle_account *a =
				account_of(&v, n_out, &cap, jobs[i].conf->channel, jobs[i].conf->merchant_id);
			a->has_net = true;
			a->net_fen += jobs[i].res.net_fen;
		}
	return v;
}

rcn_settle_arrival *rcn_source_arrivals(const rcn_source_job *jobs, size_t n, const rcn_movement *moves, size_t n_moves,
					size_t *n_out)
{
	rcn_settle_arrival *arr = rcn_xcalloc(n + 1, sizeof(*arr));
	*n_out = 0;
	for (size_t i = 0; i < n; i++) {
		const rcn_source_job *j = &jobs[i];
		if (!is_flow_bill(j->conf->bill) || j->res.rejected)
			continue;
		bool seen = false; /* one arrival per account: the first accepted flow statement */
		for (size_t k = 0; k < *n_out && !seen; k++)
			seen = strcmp(arr[k].channel, j->conf->channel) == 0 &&
			       strcmp(arr[k].merchant_id, j->conf->merchant_id) == 0;
		if (seen)
			continue;
		rcn_settle_arrival *a = &arr[(*n_out)++];
		a->channel = j->conf->channel;
		a->merchant_id = j->conf->merchant_id;
		for (size_t k = 0; k < n_moves; k++)
			if (strcmp(moves[k].source_name, j->conf->name) == 0 && !strstr(moves[k].movement_type, "提现"))
				a->credited_fen += moves[k].amount_fen;
	}
	return arr;
}

#define JOB_MAGIC "recon-shard-source-1"

void rcn_source_job_export(const rcn_source_job *job, const rcn_movement *moves, size_t n_moves, rcn_buf *b)
{
	rcn_wire_str(b, JOB_MAGIC);
	rcn_wire_str(b, job->conf->name);
	rcn_wire_bytes(b, &job->res, sizeof job->res); /* plain data: the same build reads it */
	rcn_wire_i64(b, job->no_bill);
	rcn_wire_i64(b, job->bad_unlisted);
	rcn_wire_str(b, job->warning);
	rcn_wire_str(b, job->path);
	rcn_wire_str(b, job->label);
	rcn_wire_str(b, job->input.path);
	rcn_wire_str(b, job->input.sha256);
	rcn_wire_str(b, job->input.format);
	rcn_wire_i64(b, job->input.rows);
	rcn_wire_str(b, job->input.verdict);
	rcn_wire_i64(b, (int64_t)job->n_quarantine);
	for (size_t i = 0; i < job->n_quarantine; i++) {
		const rcn_quarantine_entry *q = &job->quarantine[i];
		rcn_wire_str(b, q->file);
		rcn_wire_i64(b, q->line);
		rcn_wire_str(b, q->reason);
		rcn_wire_i64(b, q->rows);
		rcn_wire_i64(b, q->amount_fen);
	}
	rcn_wire_i64(b, (int64_t)n_moves);
	for (size_t i = 0; i < n_moves; i++) {
		const rcn_movement *m = &moves[i];
		const char *strs[] = {m->channel,   m->merchant_id,    m->trade_time, m->movement_type,
				      m->reference, m->channel_txn_id, m->order_no,   m->source};
		for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++)
			rcn_wire_str(b, strs[k]);
		rcn_wire_i64(b, m->amount_fen);
		rcn_wire_i64(b, m->balance_fen);
	}
}

static const char *keep(rcn_source_job *job, rcn_wire *w)
{
	return rcn_arena_strdup(&job->arena, rcn_wire_get_str(w));
}

bool rcn_source_job_import(rcn_source_job *job, rcn_wire *w)
{
	if (strcmp(rcn_wire_get_str(w), JOB_MAGIC) != 0 || strcmp(rcn_wire_get_str(w), job->conf->name) != 0)
		return !(w->bad = true);
	size_t n;
	const void *res = rcn_wire_get_bytes(w, &n);
	if (!res || n != sizeof job->res)
		return !(w->bad = true);
	memcpy(&job->res, res, sizeof job->res);
	/* its flags read as bytes: a damaged outcome's byte is never a bool's bad value */
	const unsigned char *raw = res;
	bool *const flags[] = {&job->res.has_summary,
			       &job->res.totals_ok,
			       &job->res.rejected,
			       &job->res.stated.has_count,
			       &job->res.stated.has_amount,
			       &job->res.stated.has_refund_count,
			       &job->res.stated.has_refund_amount,
			       &job->res.stated.has_fee,
			       &job->res.stated.has_net};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		*flags[i] = raw[(const unsigned char *)flags[i] - (const unsigned char *)&job->res] != 0;
	job->res.format[sizeof job->res.format - 1] = '\0';
	job->res.reason.file[sizeof job->res.reason.file - 1] = '\0';
	job->res.reason.msg[sizeof job->res.reason.msg - 1] = '\0';
	job->no_bill = rcn_wire_get_i64(w) != 0;
	job->bad_unlisted = (long)rcn_wire_get_i64(w);
	snprintf(job->warning, sizeof job->warning, "%s", rcn_wire_get_str(w));
	snprintf(job->path, sizeof job->path, "%s", rcn_wire_get_str(w));
	snprintf(job->label, sizeof job->label, "%s", rcn_wire_get_str(w));
	job->input.source = job->conf->name;
	job->input.path = keep(job, w);
	snprintf(job->input.sha256, sizeof job->input.sha256, "%s", rcn_wire_get_str(w));
	job->input.format = keep(job, w);
	job->input.rows = (long)rcn_wire_get_i64(w);
	job->input.verdict = keep(job, w);
	job->input.warning = job->warning[0] ? job->warning : NULL;
	size_t nq = rcn_wire_get_count(w, 2 + 3 * 8);
	for (size_t i = 0; i < nq && !w->bad; i++) {
		const char *file = rcn_wire_get_str(w);
		long line = (long)rcn_wire_get_i64(w);
		const char *reason = rcn_wire_get_str(w);
		long rows = (long)rcn_wire_get_i64(w);
		add_quarantine(job, file, line, reason, rows, rcn_wire_get_i64(w));
	}
	size_t nm = rcn_wire_get_count(w, 8 + 2 * 8);
	job->batch = rcn_batch_new();
	for (size_t i = 0; i < nm && !w->bad; i++) {
		rcn_movement m;
		const char **strs[] = {&m.channel,   &m.merchant_id,	&m.trade_time, &m.movement_type,
				       &m.reference, &m.channel_txn_id, &m.order_no,   &m.source};
		for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++)
			*strs[k] = rcn_wire_get_str(w);
		m.amount_fen = rcn_wire_get_i64(w);
		m.balance_fen = rcn_wire_get_i64(w);
		if (!w->bad)
			rcn_batch_add_movement(job->batch, &m);
	}
	if (job->res.rejected) { /* as the parse leaves a rejected source: no batch */
		rcn_batch_free(job->batch);
		job->batch = NULL;
	}
	return !w->bad;
}
