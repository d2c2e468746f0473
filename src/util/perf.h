/* perf: util's performance machinery, internal to the modules (not part of
 * librecon's API in include/recon/): prefetching for rcn_strmap, the
 * ring that hands slots between a producer and a consumer thread, and page
 * filling. Defined in src/util/common.c (huge pages: src/util/pages.c). None changes a result, only when
 * memory is touched or which thread does the work. */
#ifndef RECON_UTIL_PERF_H
#define RECON_UTIL_PERF_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recon/common.h"

/* rcn_strmap_put and rcn_strmap_get with the key's rcn_hash already known:
 * a loop that prefetches keys ahead (rcn_strmap_prefetch_hashed) hashes each
 * key once, not once for the hint and again here. */
bool rcn_strmap_put_hashed(rcn_strmap *m, const char *key, size_t len, uint32_t hash, uint32_t val, uint32_t *existing);
bool rcn_strmap_get_hashed(const rcn_strmap *m, const char *key, size_t len, uint32_t hash, uint32_t *out);
/* Starts loading the slot of the key with this rcn_hash into the cache:
 * called some keys ahead in a loop, the lookups find their slots there
 * instead of waiting on memory. A put that grows the map in between only
 * makes the hint useless. */
void rcn_strmap_prefetch_hashed(const rcn_strmap *m, uint32_t hash);

/* A ring of n slots (an array the caller owns) handed in order from one
 * producer thread to one consumer thread. The producer fills the slot
 * rcn_ring_free_slot names and calls rcn_ring_put; the consumer uses the slot
 * rcn_ring_full_slot names and calls rcn_ring_done. Either side may close the
 * ring: the producer's rcn_ring_free_slot and, once the filled slots are
 * used, the consumer's rcn_ring_full_slot then return SIZE_MAX. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t filled, freed;
	size_t n, out, count; /* out: the oldest filled slot; count: filled, the consumer's current one too */
	bool closed;
} rcn_ring;
void rcn_ring_init(rcn_ring *r, size_t n);
void rcn_ring_destroy(rcn_ring *r);
size_t rcn_ring_free_slot(rcn_ring *r);
void rcn_ring_put(rcn_ring *r);
size_t rcn_ring_full_slot(rcn_ring *r);
void rcn_ring_done(rcn_ring *r);
/* Waits until the consumer has used every filled slot. */
void rcn_ring_wait_empty(rcn_ring *r);
void rcn_ring_close(rcn_ring *r);

/* Fresh memory costs a page fault per page (4 KiB) on first write: ~1.6 us
 * each on this project's VMs, a few seconds of a 4 GiB night. These ask the
 * kernel to fill a range's pages in one call instead (MADV_POPULATE_WRITE,
 * Linux 5.14; elsewhere a no-op), a fifth cheaper. Only whole pages inside
 * [p, p + n) are filled; only a hint, errors are ignored. */
void rcn_populate(void *p, size_t n);

/* An allocation of at least RCN_BIG_BLOCK bytes is a big block: the
 * allocators (rcn_xmalloc, rcn_xcalloc, rcn_xrealloc, the arena's blocks)
 * ask for huge pages for it where this machine writes fresh huge pages
 * cheaper than fresh 4 KiB ones (measured once per process, the first time:
 * src/util/pages.c; RECON_HUGE_PAGES=on|off decides instead). */
#define RCN_BIG_BLOCK ((size_t)4 << 20)
bool rcn_huge_pages_pay(void);
/* Huge pages for [p, p + n) (the pages it touches), when n is a big
 * block's and they pay; before the range is written. */
void rcn_big_pages(void *p, size_t n);
/* The bytes of big arrays the pool holds now (rcn_array_pool_keep). */
size_t rcn_array_pool_bytes(void);
/* For an array filled front to back, called before each write with `used`
 * the bytes in use after it (of `cap`): fills the pages from *mark (0 at
 * first) to a few MiB past used, and moves the mark there. */
void rcn_populate_grow(void *base, size_t used, size_t cap, size_t *mark);
static inline void rcn_populate_ahead(void *base, size_t used, size_t cap, size_t *mark)
{
	if (used > *mark)
		rcn_populate_grow(base, used, cap, mark);
}

#endif
