/* Shared basics of librecon: return codes, the caller-owned error struct,
 * aborting allocators, a bump arena for interned strings, capped buffers. */
#ifndef RECON_COMMON_H
#define RECON_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define RECON_VERSION "0.1.0"

typedef enum {
	RCN_OK = 0,
	RCN_EIO = -1,	  /* file or network I/O failed */
	RCN_EFORMAT = -2, /* input is not what it claims to be */
	RCN_ETOTALS = -3, /* control totals do not add up */
	RCN_ELIMIT = -4,  /* a size limit was exceeded */
	RCN_EDB = -5,	  /* database failure */
	RCN_EUSAGE = -6,  /* bad command line or configuration */
	RCN_EBUSY = -7	  /* another run holds the lock */
} rcn_rc;

/* Caller-owned error: where it happened and a one-line message. */
typedef struct {
	rcn_rc code;
	char file[512]; /* "" when not about a file */
	long line;	/* 0 when not about a line */
	char msg[512];	/* message without the file:line prefix */
} rcn_err;

void rcn_err_clear(rcn_err *err);
/* Sets err (if not NULL) and returns code, so callers can `return rcn_err_set(...)`. */
rcn_rc rcn_err_set(rcn_err *err, rcn_rc code, const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* "file:line: msg", "file: msg" or "msg" into buf; returns buf. */
const char *rcn_err_format(const rcn_err *err, char *buf, size_t n);

/* Allocation failure aborts: callers never check for NULL. */
void *rcn_xmalloc(size_t n);
void *rcn_xcalloc(size_t count, size_t n);
void *rcn_xrealloc(void *p, size_t n);
/* free(p), or, while a pool of arrays is kept (rcn_array_pool_keep) and p
 * is a big allocation of rcn_xmalloc, rcn_xcalloc or rcn_xrealloc, p kept
 * for the next of them that asks for about as much. */
void rcn_xfree(void *p);
/* From now on keep up to `bytes` of the big arrays rcn_xfree is given (0:
 * none, and the kept ones freed). For a night in parts, whose parts each
 * free the arrays the part after next asks for again; process-wide. */
void rcn_array_pool_keep(size_t bytes);
char *rcn_xstrdup(const char *s);
char *rcn_xstrndup(const char *s, size_t n);
/* Grows *vec (element size elem) so that it holds at least need elements. */
void rcn_xreserve(void **vec, size_t *cap, size_t need, size_t elem);

/* Bump arena: everything allocated from it is freed at once by rcn_arena_free. */
typedef struct rcn_arena_block rcn_arena_block;
typedef struct {
	rcn_arena_block *head;
} rcn_arena;

void rcn_arena_init(rcn_arena *a);
void rcn_arena_free(rcn_arena *a);
/* From now on keep up to `bytes` of the blocks arenas give back, for the
 * next arenas to take, instead of handing them to the kernel (0: none, and
 * the kept ones freed). For a night in parts, whose parts each free as many
 * blocks as the next takes; process-wide. */
void rcn_arena_pool_keep(size_t bytes);
void *rcn_arena_alloc(rcn_arena *a, size_t n);
/* NUL-terminated copy of s[0..n); an empty string is returned for n == 0. */
const char *rcn_arena_strndup(rcn_arena *a, const char *s, size_t n);
const char *rcn_arena_strdup(rcn_arena *a, const char *s);
/* Copies the n strings of in (NULL is taken as "") back to back in one
 * allocation, out[i] the copy of in[i] ("" for an empty one): a record's
 * strings for the price of one. n is at most 8. */
void rcn_arena_strdups(rcn_arena *a, size_t n, const char *const *in, const char **out);
/* Moves every allocation of src into dst (src is left empty): pointers stay valid. */
void rcn_arena_adopt(rcn_arena *dst, rcn_arena *src);

/* Growable byte buffer with a hard cap (curl's dynbuf). */
typedef struct {
	char *data; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t limit; /* rcn_buf_append fails with RCN_ELIMIT past this */
} rcn_buf;

void rcn_buf_init(rcn_buf *b, size_t limit);
void rcn_buf_free(rcn_buf *b);
void rcn_buf_reset(rcn_buf *b);
rcn_rc rcn_buf_append(rcn_buf *b, const void *data, size_t n);
/* Makes room for n bytes of contents (and the terminator) at once. */
void rcn_buf_reserve(rcn_buf *b, size_t n);
rcn_rc rcn_buf_printf(rcn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Open-addressing map from a borrowed string key to a uint32 value.
 * Keys are not copied: they must outlive the map (intern them in an arena),
 * and a stored key must be NUL-terminated at its length. Each slot holds the
 * key's 32-bit hash, so a probe touches the key's bytes only when the hashes
 * agree, and growing never rehashes a string. */
typedef struct {
	const char *key; /* NULL: empty */
	uint32_t hash;
	uint32_t val;
} rcn_strmap_slot;

typedef struct {
	rcn_strmap_slot *slots;
	size_t cap; /* power of two */
	size_t count;
} rcn_strmap;

/* The map's hash of n bytes, for callers that group keys themselves. */
uint32_t rcn_hash(const char *s, size_t n);
void rcn_strmap_init(rcn_strmap *m, size_t expected);
void rcn_strmap_free(rcn_strmap *m);
/* Inserts key -> val unless present; returns true if inserted, false (and
 * *existing set) if the key was already there. */
bool rcn_strmap_put(rcn_strmap *m, const char *key, size_t len, uint32_t val, uint32_t *existing);
bool rcn_strmap_get(const rcn_strmap *m, const char *key, size_t len, uint32_t *out);
/* Grows the map once so that `count` keys fit without growing again. */
void rcn_strmap_reserve(rcn_strmap *m, size_t count);

/* A clock's reading in seconds (CLOCK_MONOTONIC for wall time,
 * CLOCK_THREAD_CPUTIME_ID for a thread's CPU time). */
double rcn_clock_seconds(clockid_t clock);

/* The machine's physical memory in bytes (0 when unknown). */
size_t rcn_phys_memory(void);

/* fsync of a directory, so that names created or renamed in it are on disk
 * (a file's own fsync does not cover its name). False if it cannot be opened or synced. */
bool rcn_sync_dir(const char *path);

/* A report file, created (truncated) for writing through stdio: its pages
 * are handed to the disk as it is written (every 8 MiB, without waiting:
 * sync_file_range), and fclose makes it durable (fsync) and fails, errno
 * set, when any of it did not reach the disk. A night's reports are
 * gigabytes on a big night: written all at once at the end, they would pass
 * the kernel's dirty-page limits and wait in fsync for the disk while
 * nothing else is left to do. NULL (errno set) when it cannot be created. */
FILE *rcn_fopen_report(const char *path);

#endif
