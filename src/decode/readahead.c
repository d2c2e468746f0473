/* Read-ahead: a thread that inflates a statement into a small ring of chunks
 * while the caller's thread parses the chunks before them, so inflating and
 * parsing one file overlap. Chunks come out in order, an error in its place;
 * the bytes are exactly those rcn_input_read would have returned. */
#include "recon/input.h"

#include <pthread.h>
#include <stdlib.h>

#define DEPTH 4

typedef struct {
	char *data;
	size_t len;
	rcn_rc rc;
	rcn_err err;
} slot;

struct rcn_readahead {
	rcn_input *in;
	size_t chunk;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t filled, freed;
	slot slots[DEPTH];
	size_t head, tail, count; /* head: next to fill; tail: next to hand out; count: filled, incl. the caller's */
	bool holding;		  /* the caller still reads the slot before tail */
	bool stop;
};

static void *producer(void *p)
{
	rcn_readahead *ra = p;
	for (;;) {
		pthread_mutex_lock(&ra->mu);
		while (ra->count == DEPTH && !ra->stop)
			pthread_cond_wait(&ra->freed, &ra->mu);
		bool stop = ra->stop;
		size_t at = ra->head;
		pthread_mutex_unlock(&ra->mu);
		if (stop)
			return NULL;
		slot *s = &ra->slots[at]; /* free while count < DEPTH */
		rcn_err_clear(&s->err);
		s->rc = rcn_input_read(ra->in, s->data, ra->chunk, &s->len, &s->err);
		bool last = s->rc != RCN_OK || s->len == 0;
		pthread_mutex_lock(&ra->mu);
		ra->head = (ra->head + 1) % DEPTH;
		ra->count++;
		pthread_cond_signal(&ra->filled);
		pthread_mutex_unlock(&ra->mu);
		if (last)
			return NULL;
	}
}

rcn_readahead *rcn_readahead_start(rcn_input *in, size_t chunk)
{
	rcn_readahead *ra = rcn_xcalloc(1, sizeof(*ra));
	ra->in = in;
	ra->chunk = chunk;
	for (int i = 0; i < DEPTH; i++)
		ra->slots[i].data = rcn_xmalloc(chunk);
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->filled, NULL);
	pthread_cond_init(&ra->freed, NULL);
	ra->running = pthread_create(&ra->thread, NULL, producer, ra) == 0;
	if (!ra->running) {
		rcn_readahead_stop(ra);
		return NULL; /* no thread: the caller reads on its own */
	}
	return ra;
}

rcn_rc rcn_readahead_next(rcn_readahead *ra, const char **data, size_t *got, rcn_err *err)
{
	pthread_mutex_lock(&ra->mu);
	if (ra->holding) {
		ra->count--;
		ra->holding = false;
		pthread_cond_signal(&ra->freed);
	}
	while (ra->count == 0)
		pthread_cond_wait(&ra->filled, &ra->mu);
	slot *s = &ra->slots[ra->tail];
	ra->tail = (ra->tail + 1) % DEPTH;
	ra->holding = true;
	pthread_mutex_unlock(&ra->mu);
	*data = s->data;
	*got = s->rc == RCN_OK ? s->len : 0;
	if (s->rc != RCN_OK && err)
		*err = s->err;
	if (s->rc != RCN_OK || s->len == 0) {
		/* the producer has ended: later calls repeat the last answer */
		pthread_mutex_lock(&ra->mu);
		ra->holding = false;
		ra->tail = (ra->tail + DEPTH - 1) % DEPTH;
		pthread_mutex_unlock(&ra->mu);
	}
	return s->rc;
}

void rcn_readahead_stop(rcn_readahead *ra)
{
	if (!ra)
		return;
	if (ra->running) {
		pthread_mutex_lock(&ra->mu);
		ra->stop = true;
		pthread_cond_signal(&ra->freed);
		pthread_mutex_unlock(&ra->mu);
		pthread_join(ra->thread, NULL);
	}
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->filled);
	pthread_cond_destroy(&ra->freed);
	for (int i = 0; i < DEPTH; i++)
		free(ra->slots[i].data);
	free(ra);
}
