/* The results stream (run/night.h): with more than one core the findings go
 * to the database while the matcher still makes them. A pool task on a
 * connection of its own opens the results transaction and COPYs what the
 * findings sink hands over; the main thread then finishes the same
 * transaction (rcn_results_finish).
 *
 *   sink ──stream_take──► queue ──stream_thread──► rcn_results_add (COPY)
 *        └─stream_run───► runs ──────────────────► rcn_results_add_run (read back, COPY) */
#include <stdlib.h>
#include <string.h>

#include "run/night.h"

static void stream_take(void *p, const rcn_finding *const *f, size_t n)
{
	rcn_run_stream *s = p;
	pthread_mutex_lock(&s->lock);
	rcn_xreserve((void **)&s->queue, &s->cap_queue, s->n_queue + n, sizeof(*s->queue));
	memcpy(s->queue + s->n_queue, f, n * sizeof(*f));
	s->n_queue += n;
	pthread_cond_signal(&s->more);
	pthread_mutex_unlock(&s->lock);
}

static void stream_run(void *p, const char *path)
{
	rcn_run_stream *s = p;
	pthread_mutex_lock(&s->lock);
	rcn_xreserve((void **)&s->runs, &s->cap_runs, s->n_runs + 1, sizeof(*s->runs));
	s->runs[s->n_runs++] = rcn_xstrdup(path);
	pthread_cond_signal(&s->more);
	pthread_mutex_unlock(&s->lock);
}

/* The runs handed over so far, written (and taken off the list). */
static void write_runs(rcn_run_stream *s)
{
	for (;;) {
		pthread_mutex_lock(&s->lock);
		char *path = NULL;
		if (s->n_runs) {
			path = s->runs[0];
			memmove(s->runs, s->runs + 1, --s->n_runs * sizeof(*s->runs));
		}
		pthread_mutex_unlock(&s->lock);
		if (!path)
			return;
		if (s->rc == RCN_OK)
			s->rc = rcn_results_add_run(s->res, path, &s->err);
		free(path);
	}
}

static void *stream_thread(void *p)
{
	rcn_run_stream *s = p;
	const rcn_finding **batch = NULL;
	size_t cap = 0;
	s->rc = rcn_results_begin(&s->res, s->db, s->day, &s->err);
	for (;;) {
		write_runs(s);
		pthread_mutex_lock(&s->lock);
		while (!s->n_queue && !s->n_runs && !s->closing)
			pthread_cond_wait(&s->more, &s->lock);
		size_t n = s->n_queue;
		bool last = s->closing && !s->n_runs;
		/* swap the queue for the empty batch buffer: the matcher never waits for the database */
		const rcn_finding **q = s->queue;
		size_t qcap = s->cap_queue;
		s->queue = batch;
		s->cap_queue = cap;
		s->n_queue = 0;
		batch = q;
		cap = qcap;
		pthread_mutex_unlock(&s->lock);
		if (n && s->rc == RCN_OK)
			s->rc = rcn_results_add(s->res, batch, n, &s->err);
		if (last && !n)
			break;
	}
	free(batch);
	return NULL;
}

/* Starts the writer on its own connection; false (and nothing to undo) when
 * it cannot, and the results are then written in one go at the end. */
bool rcn_run_stream_start(rcn_run_stream *s, const rcn_config *cfg, rcn_date day, rcn_findings *sink)
{
	memset(s, 0, sizeof(*s));
	rcn_err ignore;
	if (rcn_db_connect(&s->db, cfg->conninfo, &ignore) != RCN_OK)
		return false;
	s->day = day;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->more, NULL);
	if (!rcn_task_spawn(&s->task, stream_thread, s)) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->more);
		rcn_db_close(s->db);
		s->db = NULL;
		return false;
	}
	s->started = true;
	rcn_findings_subscribe(sink, stream_take, s);
	rcn_findings_subscribe_runs(sink, stream_run, s);
	return true;
}

/* Lets the writer write what is left and waits for it: then the writer's
 * connection and transaction are the caller's. Returns the writer's result. */
rcn_rc rcn_run_stream_close(rcn_run_stream *s, rcn_err *err)
{
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	pthread_cond_signal(&s->more);
	pthread_mutex_unlock(&s->lock);
	rcn_task_join(&s->task);
	if (s->rc != RCN_OK)
		*err = s->err;
	return s->rc;
}

/* After rcn_run_stream_close or a failure elsewhere: rolls back what was not committed. */
void rcn_run_stream_free(rcn_run_stream *s, rcn_findings *sink)
{
	if (!s->started)
		return;
	rcn_err ignore;
	(void)rcn_run_stream_close(s, &ignore);
	rcn_findings_unsubscribe(sink, stream_take, s);
	rcn_findings_unsubscribe_runs(sink, stream_run, s);
	rcn_results_free(s->res);
	rcn_db_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->more);
	free(s->queue);
	for (size_t i = 0; i < s->n_runs; i++)
		free(s->runs[i]);
	free(s->runs);
	s->started = false;
}
