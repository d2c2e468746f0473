/* The task pool (util/pool.h): workers started on demand, parked when idle,
 * kept for the life of the process. One mutex guards the idle list and every
 * task's done flag; one condition variable tells joiners a task ended, and
 * each worker has its own to be woken with a task. */
#include "util/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "recon/common.h"

/* More threads than any night asks for at once (the parse workers are at most
 * --jobs, the helpers a handful): beyond it a spawn fails and the caller does
 * the work itself. */
#define MAX_WORKERS 256

typedef struct worker {
	pthread_cond_t wake;
	struct worker *next_idle;
	void *(*fn)(void *);
	void *arg;
	rcn_task *task; /* set while it has a task */
} worker;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ended = PTHREAD_COND_INITIALIZER;
static worker *idle;
static int n_workers;

static void *work(void *p)
{
	worker *w = p;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!w->task)
			pthread_cond_wait(&w->wake, &mu);
		void *(*fn)(void *) = w->fn;
		void *arg = w->arg;
		pthread_mutex_unlock(&mu);
		fn(arg);
		pthread_mutex_lock(&mu);
		w->task->done = true;
		w->task = NULL;
		w->next_idle = idle;
		idle = w;
		pthread_cond_broadcast(&ended);
	}
	return NULL;
}

bool rcn_task_spawn(rcn_task *t, void *(*fn)(void *), void *arg)
{
	t->running = t->done = false;
	pthread_mutex_lock(&mu);
	worker *w = idle;
	if (w) {
		idle = w->next_idle;
	} else if (n_workers < MAX_WORKERS) {
		w = rcn_xcalloc(1, sizeof(*w));
		pthread_cond_init(&w->wake, NULL);
		pthread_attr_t attr;
		pthread_t th;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &attr, work, w) != 0) {
			pthread_cond_destroy(&w->wake);
			free(w);
			w = NULL;
		} else {
			n_workers++;
		}
		pthread_attr_destroy(&attr);
	}
	if (w) {
		w->fn = fn;
		w->arg = arg;
		w->task = t;
		t->running = true;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&mu);
	return w != NULL;
}

void rcn_task_start(rcn_task *t, void *(*fn)(void *), void *arg)
{
	if (!rcn_task_spawn(t, fn, arg))
		fn(arg);
}

void rcn_task_join(rcn_task *t)
{
	if (!t->running)
		return;
	pthread_mutex_lock(&mu);
	while (!t->done)
		pthread_cond_wait(&ended, &mu);
	pthread_mutex_unlock(&mu);
	t->running = false;
}

int rcn_pool_workers(void)
{
	pthread_mutex_lock(&mu);
	int n = n_workers;
	pthread_mutex_unlock(&mu);
	return n;
}
