/* The task pool: every thread recon runs besides the main one is a worker of
 * this one pool (src/util/pool.c). A worker, once started, is kept: when its
 * task ends it waits for the next one, so a night's stages hand the same few
 * threads from one to the next (the parse workers become the groundwork, the
 * second half of the payment groups, the report writers...) instead of
 * starting and ending threads in ten places. Internal: not recon's API.
 *
 *   rcn_task_spawn ──► an idle worker, or a new one ──► fn(arg) ──► done ──► idle
 *   rcn_task_join  ◄── waits for done
 *
 * The number of tasks at once is the caller's choice (--jobs for the parse
 * workers); docs/internals/threading.md lists every task a night runs. */
#ifndef RECON_UTIL_POOL_H
#define RECON_UTIL_POOL_H

#include <stdbool.h>

/* A task handed to the pool. Zero it before use; joining a zeroed or joined
 * task does nothing. */
typedef struct {
	bool running;
	bool done;
} rcn_task;

/* fn(arg) on a worker: false, with nothing run, when no worker can be had
 * (the caller then does the work another way). */
bool rcn_task_spawn(rcn_task *t, void *(*fn)(void *), void *arg);
/* fn(arg) on a worker, or here and now when none can be had: the result is
 * the same either way. */
void rcn_task_start(rcn_task *t, void *(*fn)(void *), void *arg);
/* Waits for the task's fn to return. */
void rcn_task_join(rcn_task *t);

/* Workers the pool has started so far (for tests and the threading doc). */
int rcn_pool_workers(void);

#endif
