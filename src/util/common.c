/* Errors, aborting allocators, the bump arena, capped buffers and the string
 * map: the small data structures every other module builds on. */
#include "recon/common.h"
#include "recon/text.h"
#include "util/err.h"
#include "util/perf.h"

#include <assert.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void rcn_err_clear(rcn_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

rcn_rc rcn_err_set(rcn_err *err, rcn_rc code, const char *file, long line, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* Messages are one line: a newline from a library message would split a log
	 * record, and no other control character may reach a terminal either (input
	 * is quoted with rcn_quote; this only catches what a library said). A
	 * message cut to fit is cut on a character boundary. */
	for (char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = ' ';
	rcn_utf8_trim_tail(err->msg);
	return code;
}

rcn_rc rcn_err_vset(rcn_err *err, bool *once, rcn_rc code, const char *file, long line, size_t cap, const char *fmt,
		    va_list ap)
{
	char msg[sizeof(err->msg)];
	assert(cap <= sizeof(msg));
	if (once) {
		if (*once)
			return code;
		*once = true;
	}
	vsnprintf(msg, cap, fmt, ap);
	return rcn_err_set(err, code, file, line, "%s", msg);
}

const char *rcn_err_format(const rcn_err *err, char *buf, size_t n)
{
	if (err->file[0] && err->line > 0)
		snprintf(buf, n, "%s:%ld: %s", err->file, err->line, err->msg);
	else if (err->file[0])
		snprintf(buf, n, "%s: %s", err->file, err->msg);
	else
		snprintf(buf, n, "%s", err->msg);
	return buf;
}

static void oom(size_t n)
{
	fprintf(stderr, "recon: out of memory allocating %zu bytes\n", n);
	abort();
}

/* Big arrays given back while a pool is kept (rcn_array_pool_keep): as the
 * arena's blocks below, a night in parts frees a part's arrays (its rows,
 * its orders, their indexes: the same sizes part after part) just before
 * the part after next asks for as much, and on a VM a fresh page is dear
 * (src/util/pages.c): each array is kept whole, its pages filled. */
#define KEPT_MIN ((size_t)1 << 20) /* glibc's mmap threshold in a night in parts */
#define KEPT_MAX 64
static struct {
	pthread_mutex_t mu;
	size_t max, bytes, n;
	void *p[KEPT_MAX];
	size_t size[KEPT_MAX]; /* malloc_usable_size */
} held = {.mu = PTHREAD_MUTEX_INITIALIZER};

void rcn_array_pool_keep(size_t bytes)
{
	void *drop[KEPT_MAX];
	size_t n_drop = 0;
	pthread_mutex_lock(&held.mu);
	__atomic_store_n(&held.max, bytes, __ATOMIC_RELAXED);
	while (held.n && held.bytes > held.max) { /* the biggest first: they hold the most */
		size_t big = 0;
		for (size_t i = 1; i < held.n; i++)
			if (held.size[i] > held.size[big])
				big = i;
		drop[n_drop++] = held.p[big];
		held.bytes -= held.size[big];
		held.n--;
		held.p[big] = held.p[held.n];
		held.size[big] = held.size[held.n];
	}
	pthread_mutex_unlock(&held.mu);
	for (size_t i = 0; i < n_drop; i++)
		free(drop[i]);
}

size_t rcn_array_pool_bytes(void)
{
	pthread_mutex_lock(&held.mu);
	size_t n = held.bytes;
	pthread_mutex_unlock(&held.mu);
	return n;
}

/* A kept array of at least n bytes and not half as big again (a small
 * request leaves the big arrays to the big ones), NULL when none is. */
static void *kept_take(size_t n)
{
	if (n < KEPT_MIN || !__atomic_load_n(&held.max, __ATOMIC_RELAXED)) /* (a hint: the lock decides) */
		return NULL;
	void *p = NULL;
	pthread_mutex_lock(&held.mu);
	size_t best = KEPT_MAX;
	for (size_t i = 0; i < held.n; i++)
		if (held.size[i] >= n && held.size[i] - n <= n / 2 &&
		    (best == KEPT_MAX || held.size[i] < held.size[best]))
			best = i;
	if (best != KEPT_MAX) {
		p = held.p[best];
		held.bytes -= held.size[best];
		held.n--;
		held.p[best] = held.p[held.n];
		held.size[best] = held.size[held.n];
	}
	pthread_mutex_unlock(&held.mu);
	return p;
}

void rcn_xfree(void *p)
{
	if (!p)
		return;
	if (__atomic_load_n(&held.max, __ATOMIC_RELAXED)) {
		size_t size = malloc_usable_size(p);
		bool keep = false;
		if (size >= KEPT_MIN) {
			pthread_mutex_lock(&held.mu);
			if (held.n < KEPT_MAX && held.bytes + size <= held.max) {
				held.p[held.n] = p;
				held.size[held.n++] = size;
				held.bytes += size;
				keep = true;
			}
			pthread_mutex_unlock(&held.mu);
		}
		if (keep)
			return;
	}
	free(p);
}

void *rcn_xmalloc(size_t n)
{
	void *p = kept_take(n);
	if (p)
		return p;
	p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	rcn_big_pages(p, n);
	return p;
}

void *rcn_xcalloc(size_t count, size_t n)
{
	size_t bytes;
	bool sized = !__builtin_mul_overflow(count, n, &bytes);
	void *p = sized ? kept_take(bytes) : NULL;
	if (!p && sized && bytes >= RCN_BIG_BLOCK && rcn_huge_pages_pay())
		/* calloc would clear memory taken from the heap before the pages are asked for */
		p = rcn_xmalloc(bytes);
	if (p) {
		memset(p, 0, bytes);
		return p;
	}
	p = calloc(count ? count : 1, n ? n : 1);
	if (!p)
		oom(count * n);
	return p;
}

void *rcn_xrealloc(void *p, size_t n)
{
	if (!p)
		return rcn_xmalloc(n);
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	rcn_big_pages(q, n); /* (the part it grew by; the rest already has them, moved or not) */
	return q;
}

char *rcn_xstrdup(const char *s)
{
	return rcn_xstrndup(s, strlen(s));
}

char *rcn_xstrndup(const char *s, size_t n)
{
	char *p = rcn_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void rcn_xreserve(void **vec, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	*vec = rcn_xrealloc(*vec, c * elem);
	*cap = c;
}

/* ---- arena ---- */

struct rcn_arena_block {
	rcn_arena_block *next;
	size_t used, size;
	_Alignas(16) char data[];
};

/* A block with its header: a big block, two whole huge pages when aligned */
#define ARENA_BLOCK RCN_BIG_BLOCK

void rcn_arena_init(rcn_arena *a)
{
	a->head = NULL;
}

/* Blocks given back while a pool is kept (rcn_arena_pool_keep): a night in
 * parts frees a part's blocks just before the part after next takes as
 * many, and fresh memory is what a VM charges for (src/util/pages.c). */
static struct {
	pthread_mutex_t mu;
	rcn_arena_block *free; /* whole blocks, of ARENA_BLOCK bytes */
	size_t n, max;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

void rcn_arena_pool_keep(size_t bytes)
{
	pthread_mutex_lock(&pool.mu);
	pool.max = bytes / ARENA_BLOCK;
	rcn_arena_block *drop = NULL;
	while (pool.n > pool.max) {
		rcn_arena_block *b = pool.free;
		pool.free = b->next;
		pool.n--;
		b->next = drop;
		drop = b;
	}
	pthread_mutex_unlock(&pool.mu);
	while (drop) {
		rcn_arena_block *next = drop->next;
		free(drop);
		drop = next;
	}
}

/* A whole block from the pool, NULL when it has none. */
static rcn_arena_block *pool_take(void)
{
	pthread_mutex_lock(&pool.mu); /* (once per 4 MiB block) */
	rcn_arena_block *b = pool.free;
	if (b) {
		pool.free = b->next;
		pool.n--;
	}
	pthread_mutex_unlock(&pool.mu);
	return b;
}

void rcn_arena_free(rcn_arena *a)
{
	rcn_arena_block *b = a->head;
	while (b) {
		rcn_arena_block *next = b->next;
		bool kept = false;
		if (b->size + sizeof(*b) == ARENA_BLOCK) {
			pthread_mutex_lock(&pool.mu);
			if (pool.n < pool.max) {
				b->next = pool.free;
				pool.free = b;
				pool.n++;
				kept = true;
			}
			pthread_mutex_unlock(&pool.mu);
		}
		if (!kept)
			free(b);
		b = next;
	}
	a->head = NULL;
}

/* n bytes aligned to `align` (a power of two) from the newest block, or a new one. */
static void *arena_take(rcn_arena *a, size_t n, size_t align)
{
	rcn_arena_block *b = a->head;
	size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
	if (!b || at > b->size || b->size - at < n) {
		size_t size = n > ARENA_BLOCK - sizeof(*b) ? n : ARENA_BLOCK - sizeof(*b);
		bool whole = size + sizeof(*b) == ARENA_BLOCK;
		b = whole ? pool_take() : NULL; /* (its pages already filled) */
		if (!b && whole && rcn_huge_pages_pay() &&
		    posix_memalign((void **)&b, (size_t)2 << 20, ARENA_BLOCK) == 0) {
			rcn_big_pages(b, ARENA_BLOCK);
			rcn_populate(b, ARENA_BLOCK);
		} else if (!b) {
			b = rcn_xmalloc(sizeof(*b) + size);
			rcn_populate(b, sizeof(*b) + size); /* every block is filled, but the last */
		}
		b->used = 0;
		b->size = size;
		b->next = a->head;
		a->head = b;
		at = 0;
	}
	b->used = at + n;
	return b->data + at;
}

void *rcn_arena_alloc(rcn_arena *a, size_t n)
{
	return arena_take(a, n, 16);
}

/* Strings are packed byte to byte: ids of 28 or 32 characters would waste a
 * fifth of their room on alignment. */
const char *rcn_arena_strndup(rcn_arena *a, const char *s, size_t n)
{
	if (n == 0)
		return "";
	char *p = arena_take(a, n + 1, 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *rcn_arena_strdup(rcn_arena *a, const char *s)
{
	return rcn_arena_strndup(a, s, strlen(s));
}

void rcn_arena_strdups(rcn_arena *a, size_t n, const char *const *in, const char **out)
{
	size_t len[8], total = 0;
	assert(n <= 8);
	for (size_t i = 0; i < n; i++) {
		len[i] = in[i] ? strlen(in[i]) : 0;
		total += len[i] ? len[i] + 1 : 0;
	}
	char *p = total ? arena_take(a, total, 1) : NULL;
	for (size_t i = 0; i < n; i++) {
		if (!len[i]) {
			out[i] = "";
			continue;
		}
		memcpy(p, in[i], len[i]);
		p[len[i]] = '\0';
		out[i] = p;
		p += len[i] + 1;
	}
}

void rcn_arena_adopt(rcn_arena *dst, rcn_arena *src)
{
	if (!src->head)
		return;
	rcn_arena_block *tail = src->head;
	while (tail->next)
		tail = tail->next;
	/* src's blocks go behind dst's current block, which keeps serving allocations */
	if (dst->head) {
		tail->next = dst->head->next;
		dst->head->next = src->head;
	} else {
		dst->head = src->head;
	}
	src->head = NULL;
}

/* ---- capped buffer ---- */

void rcn_buf_init(rcn_buf *b, size_t limit)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->limit = limit;
}

void rcn_buf_free(rcn_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void rcn_buf_reset(rcn_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

rcn_rc rcn_buf_append(rcn_buf *b, const void *data, size_t n)
{
	if (b->len + n > b->limit)
		return RCN_ELIMIT;
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (c < b->len + n + 1)
			c *= 2;
		b->data = rcn_xrealloc(b->data, c);
		b->cap = c;
	}
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return RCN_OK;
}

void rcn_buf_reserve(rcn_buf *b, size_t n)
{
	if (n + 1 > b->cap) {
		b->data = rcn_xrealloc(b->data, n + 1);
		b->cap = n + 1;
		b->data[b->len] = '\0';
	}
}

rcn_rc rcn_buf_printf(rcn_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return RCN_EFORMAT;
	if ((size_t)n < sizeof(small))
		return rcn_buf_append(b, small, (size_t)n);
	char *big = rcn_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rcn_rc rc = rcn_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

/* ---- string map (open addressing, linear probing) ---- */

/* 8 bytes at a time, each mixed by a multiply and a rotate, then a final
 * avalanche (the murmur3 finaliser): fast on 20-40 byte ids, and the low bits
 * used as the slot index depend on every byte. The last 1-7 bytes are read
 * with two overlapping fixed-size loads (or three bytes), not a memcpy of
 * variable length, which is a library call; the length is in the seed. */
static uint32_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h = (h << 31) | (h >> 33);
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w;
		if (n >= 4) {
			uint32_t lo, hi;
			memcpy(&lo, s, 4);
			memcpy(&hi, s + n - 4, 4);
			w = (uint64_t)hi << 32 | lo;
		} else {
			w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
			    (uint64_t)(unsigned char)s[n - 1] << 16;
		}
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

uint32_t rcn_hash(const char *s, size_t n)
{
	return hash_bytes(s, n);
}

/* Hash tables of a big night are hundreds of MiB read in random order: with
 * 4 KiB pages nearly every probe also misses the TLB. Asks for 2 MiB pages
 * for them only (THP "madvise" mode, Debian's default): for the row arrays
 * and string arenas, which are filled in order, the kernel's compaction for
 * huge pages cost more than it saved (A/B at 1 M rows: a third more system
 * time). Only a hint: errors are ignored. */
static void huge_pages(void *p, size_t n)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1), end = ((uintptr_t)p + n) & ~(huge - 1);
	if (n >= 8 * huge && end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels answer EINVAL */
#endif

void rcn_populate(void *p, size_t n)
{
	long size = sysconf(_SC_PAGESIZE);
	const uintptr_t page = size > 0 ? (uintptr_t)size : 4096;
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1), end = ((uintptr_t)p + n) & ~(page - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

#define POPULATE_STEP ((size_t)4 << 20)

void rcn_populate_grow(void *base, size_t used, size_t cap, size_t *mark)
{
	size_t from = *mark, to = used + POPULATE_STEP;
	if (to > cap)
		to = cap;
	if (to > from)
		rcn_populate((char *)base + from, to - from);
	*mark = to;
}

void rcn_strmap_init(rcn_strmap *m, size_t expected)
{
	size_t cap = 16;
	while (cap < expected + expected / 2)
		cap *= 2;
	m->slots = rcn_xcalloc(cap, sizeof(*m->slots));
	huge_pages(m->slots, cap * sizeof(*m->slots));
	m->cap = cap;
	m->count = 0;
}

void rcn_strmap_free(rcn_strmap *m)
{
	rcn_xfree(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t find_slot(const rcn_strmap *m, const char *key, size_t len, uint32_t h)
{
	size_t mask = m->cap - 1;
	size_t i = h & mask;
	for (;;) {
		const rcn_strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && memcmp(s->key, key, len) == 0 && s->key[len] == '\0'))
			return i;
		i = (i + 1) & mask;
	}
}

static void resize(rcn_strmap *m, size_t cap)
{
	size_t mask = cap - 1;
	rcn_strmap_slot *slots = rcn_xcalloc(cap, sizeof(*slots));
	huge_pages(slots, cap * sizeof(*slots));
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		size_t j = m->slots[i].hash & mask;
		while (slots[j].key)
			j = (j + 1) & mask;
		slots[j] = m->slots[i];
	}
	rcn_xfree(m->slots);
	m->slots = slots;
	m->cap = cap;
}

void rcn_strmap_reserve(rcn_strmap *m, size_t count)
{
	size_t cap = m->cap ? m->cap : 16;
	while (count * 4 > cap * 3)
		cap *= 2;
	if (cap > m->cap)
		resize(m, cap);
}

bool rcn_strmap_put_hashed(rcn_strmap *m, const char *key, size_t len, uint32_t hash, uint32_t val, uint32_t *existing)
{
	if ((m->count + 1) * 4 > m->cap * 3)
		resize(m, m->cap * 2);
	size_t i = find_slot(m, key, len, hash);
	if (m->slots[i].key) {
		if (existing)
			*existing = m->slots[i].val;
		return false;
	}
	m->slots[i] = (rcn_strmap_slot){key, hash, val};
	m->count++;
	return true;
}

bool rcn_strmap_put(rcn_strmap *m, const char *key, size_t len, uint32_t val, uint32_t *existing)
{
	return rcn_strmap_put_hashed(m, key, len, hash_bytes(key, len), val, existing);
}

void rcn_strmap_prefetch_hashed(const rcn_strmap *m, uint32_t hash)
{
	if (m->cap)
		__builtin_prefetch(&m->slots[hash & (m->cap - 1)]);
}

bool rcn_strmap_get_hashed(const rcn_strmap *m, const char *key, size_t len, uint32_t hash, uint32_t *out)
{
	if (!m->cap)
		return false;
	size_t i = find_slot(m, key, len, hash);
	if (!m->slots[i].key)
		return false;
	*out = m->slots[i].val;
	return true;
}

bool rcn_strmap_get(const rcn_strmap *m, const char *key, size_t len, uint32_t *out)
{
	return m->cap && rcn_strmap_get_hashed(m, key, len, hash_bytes(key, len), out);
}

/* ---- tasks and clocks ---- */

void rcn_ring_init(rcn_ring *r, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->filled, NULL);
	pthread_cond_init(&r->freed, NULL);
}

void rcn_ring_destroy(rcn_ring *r)
{
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->filled);
	pthread_cond_destroy(&r->freed);
}

size_t rcn_ring_free_slot(rcn_ring *r)
{
	pthread_mutex_lock(&r->mu);
	while (r->count == r->n && !r->closed)
		pthread_cond_wait(&r->freed, &r->mu);
	/* the slot after the filled ones stays put while the consumer moves on */
	size_t at = r->closed ? SIZE_MAX : (r->out + r->count) % r->n;
	pthread_mutex_unlock(&r->mu);
	return at;
}

void rcn_ring_put(rcn_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->count++;
	pthread_cond_signal(&r->filled);
	pthread_mutex_unlock(&r->mu);
}

size_t rcn_ring_full_slot(rcn_ring *r)
{
	pthread_mutex_lock(&r->mu);
	while (r->count == 0 && !r->closed)
		pthread_cond_wait(&r->filled, &r->mu);
	size_t at = r->count ? r->out : SIZE_MAX;
	pthread_mutex_unlock(&r->mu);
	return at;
}

void rcn_ring_done(rcn_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->out = (r->out + 1) % r->n;
	r->count--;
	pthread_cond_signal(&r->freed);
	pthread_mutex_unlock(&r->mu);
}

void rcn_ring_wait_empty(rcn_ring *r)
{
	pthread_mutex_lock(&r->mu);
	while (r->count)
		pthread_cond_wait(&r->freed, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

void rcn_ring_close(rcn_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->closed = true;
	pthread_cond_broadcast(&r->filled);
	pthread_cond_broadcast(&r->freed);
	pthread_mutex_unlock(&r->mu);
}

double rcn_clock_seconds(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

size_t rcn_phys_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 0;
}

bool rcn_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

/* ---- report files ---- */

enum { FLUSH_AFTER = 8 << 20 };

typedef struct {
	int fd;
	off_t written, flushed; /* bytes written; handed to the disk */
} report_file;

static ssize_t report_write(void *cookie, const char *buf, size_t n)
{
	report_file *r = cookie;
	size_t at = 0;
	while (at < n) {
		ssize_t k = write(r->fd, buf + at, n - at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = ENOSPC;
			return at ? (ssize_t)at : -1;
		}
		at += (size_t)k;
	}
	r->written += (off_t)n;
	if (r->written - r->flushed >= FLUSH_AFTER) { /* started, not waited for: only a hint */
		(void)sync_file_range(r->fd, r->flushed, r->written - r->flushed, SYNC_FILE_RANGE_WRITE);
		r->flushed = r->written;
	}
	return (ssize_t)n;
}

static int report_close(void *cookie)
{
	report_file *r = cookie;
	int rc = fsync(r->fd);
	int saved = errno;
	/* read in the morning, not by this night: its pages, clean now, would
	 * only push the database's out of the page cache */
	if (rc == 0)
		(void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_DONTNEED);
	if (close(r->fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	free(r);
	errno = saved;
	return rc;
}

FILE *rcn_fopen_report(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	report_file *r = rcn_xmalloc(sizeof(*r));
	*r = (report_file){.fd = fd};
	FILE *f = fopencookie(r, "wb", (cookie_io_functions_t){.write = report_write, .close = report_close});
	if (!f) {
		int saved = errno;
		close(fd);
		free(r);
		errno = saved;
	}
	return f;
}
