/* Read-ahead: a thread that inflates a statement into a small ring of chunks
 * while the caller's thread parses the chunks before them, so inflating and
 * parsing one file overlap. Chunks come out in order, an error in its place;
 * the bytes are exactly those rcn_input_read would have returned. */
#include "recon/input.h"

#include <stdlib.h>

#include "util/perf.h"
#include "util/pool.h"

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
	rcn_task thread;
	rcn_ring ring;
	slot slots[DEPTH];
	bool holding; /* the caller still reads the slot rcn_readahead_next gave it */
	size_t ended; /* the last slot (end of file or an error), repeated ever after; SIZE_MAX before */
};

static void *producer(void *p)
{
	rcn_readahead *ra = p;
	for (;;) {
		size_t at = rcn_ring_free_slot(&ra->ring);
		if (at == SIZE_MAX)
			return NULL; /* stopped */
		slot *s = &ra->slots[at];
		rcn_err_clear(&s->err);
		s->rc = rcn_input_read(ra->in, s->data, ra->chunk, &s->len, &s->err);
		rcn_ring_put(&ra->ring);
		if (s->rc != RCN_OK || s->len == 0)
			return NULL;
	}
}

rcn_readahead *rcn_readahead_start(rcn_input *in, size_t chunk)
{
	rcn_readahead *ra = rcn_xcalloc(1, sizeof(*ra));
	ra->in = in;
	ra->chunk = chunk;
	ra->ended = SIZE_MAX;
	for (int i = 0; i < DEPTH; i++)
		ra->slots[i].data = rcn_xmalloc(chunk);
	rcn_ring_init(&ra->ring, DEPTH);
	if (!rcn_task_spawn(&ra->thread, producer, ra)) {
		rcn_readahead_stop(ra);
		return NULL; /* no thread: the caller reads on its own */
	}
	return ra;
}

rcn_rc rcn_readahead_next(rcn_readahead *ra, const char **data, size_t *got, rcn_err *err)
{
	if (ra->holding) {
		rcn_ring_done(&ra->ring);
		ra->holding = false;
	}
	size_t at = ra->ended;
	if (at == SIZE_MAX) {
		at = rcn_ring_full_slot(&ra->ring); /* never SIZE_MAX: only stop closes the ring */
		ra->holding = true;
	}
	const slot *s = &ra->slots[at];
	if (s->rc != RCN_OK || s->len == 0) {
		/* the producer has ended: later calls repeat this answer */
		ra->ended = at;
		ra->holding = false;
	}
	*data = s->data;
	*got = s->rc == RCN_OK ? s->len : 0;
	if (s->rc != RCN_OK && err)
		*err = s->err;
	return s->rc;
}

void rcn_readahead_stop(rcn_readahead *ra)
{
	if (!ra)
		return;
	rcn_ring_close(&ra->ring);
	rcn_task_join(&ra->thread);
	rcn_ring_destroy(&ra->ring);
	for (int i = 0; i < DEPTH; i++)
		free(ra->slots[i].data);
	free(ra);
}
