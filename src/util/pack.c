/* Files of packed records (recon/pack.h). */
#include "recon/pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { WRITE_BUF = 1 << 16, READ_BUF = 1 << 20 };

void rcn_pack_out_init(rcn_pack_out *f, const char *path)
{
	*f = (rcn_pack_out){.fd = -1, .path = path ? rcn_xstrdup(path) : NULL};
}

static void flush_out(rcn_pack_out *f)
{
	size_t at = 0;
	while (at < f->len && !f->err && f->fd >= 0) {
		ssize_t k = write(f->fd, f->buf + at, f->len - at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			f->err = k < 0 && errno ? errno : ENOSPC;
		else
			at += (size_t)k;
	}
	f->len = 0;
}

/* Room for n more bytes in f's buffer: the file opened on its first record,
 * the buffer flushed when full (and grown for a record larger than it). */
static char *room(rcn_pack_out *f, size_t n)
{
	if (!f->buf) {
		f->cap = WRITE_BUF;
		f->buf = rcn_xmalloc(f->cap);
		f->fd = f->path ? open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
		if (f->path && f->fd < 0)
			f->err = errno ? errno : EIO;
	}
	if (!f->path && f->len + n > f->cap) { /* in memory: the buffer grows */
		f->cap = f->len + n > 2 * f->cap ? f->len + n : 2 * f->cap;
		f->buf = rcn_xrealloc(f->buf, f->cap);
	}
	if (f->len + n > f->cap) {
		flush_out(f);
		if (n > f->cap) {
			f->cap = n;
			f->buf = rcn_xrealloc(f->buf, n);
		}
	}
	return f->buf + f->len;
}

static size_t put_varint(char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (char)v;
	return n;
}

static void forget(char **prev, size_t *prev_len)
{
	for (size_t i = 0; i < RCN_PACK_MAX_STRS; i++) {
		prev_len[i] = 0;
		if (prev[i])
			prev[i][0] = '\0';
	}
}

/* Frees the last record's values (a writer's or a reader's). */
static void drop_prev(char **prev, size_t *len, size_t *cap)
{
	for (size_t i = 0; i < RCN_PACK_MAX_STRS; i++) {
		free(prev[i]);
		prev[i] = NULL;
		len[i] = cap[i] = 0;
	}
}

/* The length of the prefix a and b share (each at least lim bytes long),
 * eight bytes at a time. */
static size_t shared_prefix(const char *a, const char *b, size_t lim)
{
	size_t k = 0;
	for (; k + 8 <= lim; k += 8) {
		uint64_t x, y;
		memcpy(&x, a + k, 8);
		memcpy(&y, b + k, 8);
		if (x != y)
			return k + (size_t)__builtin_ctzll(x ^ y) / 8; /* (little-endian) */
	}
	while (k < lim && a[k] == b[k])
		k++;
	return k;
}

/* A varint's length in bytes. */
static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

void rcn_pack_put(rcn_pack_out *f, rcn_pack_rec *r)
{
	bool alone = f->alone || f->bytes == 0;
	if (alone) {
		forget(f->prev, f->prev_len);
		f->mask = 0;
		f->alone = false;
	}
	uint32_t mask = 0; /* bit 2i: field i empty; bit 2i+1: as in the last record */
	size_t size = 5 + 5 + 10 * r->n_ints;
	for (size_t i = 0; i < r->n_strs; i++) {
		const char *v = r->s[i];
		if (!v[0]) {
			mask |= 1u << (2 * i);
			continue;
		}
		size_t was_len = f->prev_len[i];
		const char *was = f->prev[i];
		/* most repeating fields are the last record's value: one bounded compare, no strlen */
		if (r->repeats[i] && was_len && strncmp(v, was, was_len + 1) == 0) {
			mask |= 1u << (2 * i + 1);
			continue;
		}
		size_t n = strlen(v);
		r->len[i] = n;
		if (!r->repeats[i]) {
			size += 10 + n + 1;
			continue;
		}
		size_t shared = shared_prefix(v, was, n < was_len ? n : was_len);
		r->shared[i] = shared;
		size += 20 + n - shared;
		rcn_xreserve((void **)&f->prev[i], &f->prev_cap[i], n + 1, 1);
		memcpy(f->prev[i] + shared, v + shared, n - shared + 1);
		f->prev_len[i] = n;
	}
	/* the body written after a head of one byte (a body under 64 bytes); moved up when longer */
	char *p = room(f, size), *q = p + 1;
	q += put_varint(q, mask ^ f->mask);
	f->mask = mask;
	for (size_t i = 0; i < r->n_ints; i++) {
		int64_t v = r->ints[i];
		q += put_varint(q, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); /* zigzag */
	}
	for (size_t i = 0; i < r->n_strs; i++) {
		if (mask >> (2 * i) & 3)
			continue;
		size_t n = r->len[i];
		if (r->repeats[i]) {
			size_t shared = r->shared[i];
			q += put_varint(q, shared);
			q += put_varint(q, n - shared);
			memcpy(q, r->s[i] + shared, n - shared);
			q += n - shared;
		} else {
			q += put_varint(q, n);
			memcpy(q, r->s[i], n);
			q[n] = '\0';
			q += n + 1;
		}
	}
	size_t body = (size_t)(q - p - 1);
	uint64_t head = (uint64_t)body << 1 | (alone ? 1u : 0u);
	size_t h = varint_len(head);
	if (h > 1) /* (room has 5 bytes for the head) */
		memmove(p + h, p + 1, body);
	put_varint(p, head);
	f->len += h + body;
	f->bytes += h + body;
}

bool rcn_pack_close(rcn_pack_out *f)
{
	if (!f->path) /* in memory: the records stay, for rcn_pack_in_open_mem */
		return !f->err;
	if (f->fd >= 0) {
		flush_out(f);
		if (close(f->fd) != 0 && !f->err)
			f->err = errno ? errno : EIO;
		f->fd = -1;
	}
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
	drop_prev(f->prev, f->prev_len, f->prev_cap);
	return !f->err;
}

void rcn_pack_out_free(rcn_pack_out *f)
{
	if (f->path)
		(void)rcn_pack_close(f);
	free(f->buf); /* (in memory: the records) */
	f->buf = NULL;
	f->len = f->cap = 0;
	drop_prev(f->prev, f->prev_len, f->prev_cap);
	free(f->path);
	f->path = NULL;
}

void rcn_pack_in_open_mem(rcn_pack_in *in, const char *data, size_t len)
{
	*in = (rcn_pack_in){.fd = -1, .buf = (char *)data, .cap = len, .have = len, .eof = true, .mem = true};
}

bool rcn_pack_in_open(rcn_pack_in *in, const char *path)
{
	return rcn_pack_in_open_buf(in, path, READ_BUF);
}

bool rcn_pack_in_open_buf(rcn_pack_in *in, const char *path, size_t buf)
{
	*in = (rcn_pack_in){.fd = open(path, O_RDONLY | O_CLOEXEC)};
	if (in->fd < 0)
		return false;
	in->cap = buf > 64 ? buf : 64;
	in->buf = rcn_xmalloc(in->cap);
	return true;
}

void rcn_pack_mark(rcn_pack_out *f)
{
	f->alone = true;
}

uint64_t rcn_pack_in_offset(const rcn_pack_in *in)
{
	return in->base + in->at + in->head + in->n;
}

bool rcn_pack_in_seek(rcn_pack_in *in, uint64_t offset)
{
	forget(in->prev, in->prev_len);
	in->mask = 0;
	if (in->mem) {
		in->n = in->head = 0;
		in->at = offset <= in->have ? (size_t)offset : in->have;
		in->bad = in->bad || offset > in->have;
		return !in->bad;
	}
	in->have = in->at = in->n = in->head = 0;
	in->base = offset;
	in->eof = false;
	if (lseek(in->fd, (off_t)offset, SEEK_SET) < 0) {
		in->bad = true;
		return false;
	}
	return true;
}

static ssize_t read_full(int fd, char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* At least want bytes from in->at on in the buffer (the rest moved to the
 * front, the buffer grown when smaller): false when the file has fewer. */
static bool fill(rcn_pack_in *in, size_t want)
{
	if (in->have - in->at >= want)
		return true;
	if (in->eof)
		return false;
	memmove(in->buf, in->buf + in->at, in->have - in->at);
	in->have -= in->at;
	in->base += in->at;
	in->at = 0;
	if (want > in->cap) {
		in->cap = want;
		in->buf = rcn_xrealloc(in->buf, in->cap);
	}
	ssize_t k = read_full(in->fd, in->buf + in->have, in->cap - in->have);
	if (k < 0) {
		in->bad = true;
		return false;
	}
	in->eof = (size_t)k < in->cap - in->have;
	in->have += (size_t)k;
	return in->have - in->at >= want;
}

static uint64_t get_varint(rcn_pack_in *in);

bool rcn_pack_next(rcn_pack_in *in)
{
	in->at += in->head + in->n; /* past the last record */
	in->n = in->head = 0;
	if (in->bad || !fill(in, 1)) {
		if (in->have != in->at) /* a torn record */
			in->bad = true;
		return false;
	}
	(void)fill(in, 5); /* the head's at most 5 bytes (fewer at the file's end) */
	if (in->bad)
		return false;
	uint64_t head = 0;
	size_t h = 0;
	for (;;) {
		if (h == 5 || in->at + h >= in->have) {
			in->bad = true;
			return false;
		}
		unsigned char c = (unsigned char)in->buf[in->at + h];
		head |= (uint64_t)(c & 0x7F) << (7 * h);
		h++;
		if (!(c & 0x80))
			break;
	}
	uint64_t n = head >> 1;
	if (n < 1 || n > UINT32_MAX || !fill(in, h + (size_t)n)) {
		in->bad = true;
		return false;
	}
	if (head & 1) {
		forget(in->prev, in->prev_len);
		in->mask = 0;
	}
	in->p = in->buf + in->at + h;
	in->head = h;
	in->n = (size_t)n;
	in->pos = 0;
	in->field = 0;
	uint64_t d = get_varint(in);
	if (d > UINT32_MAX)
		in->bad = true;
	in->mask ^= (uint32_t)d;
	return !in->bad;
}

uint64_t rcn_pack_get_varint_slow(rcn_pack_in *in)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (in->bad || in->pos >= in->n)
			break;
		unsigned char c = (unsigned char)in->p[in->pos++];
		v |= (uint64_t)(c & 0x7F) << shift;
		if (!(c & 0x80))
			return v;
	}
	in->bad = true;
	return 0;
}

/* A varint: one byte, the common case, without a call. */
static inline __attribute__((always_inline)) uint64_t get_varint(rcn_pack_in *in)
{
	if (in->pos < in->n && !in->bad) {
		unsigned char c = (unsigned char)in->p[in->pos];
		if (!(c & 0x80)) {
			in->pos++;
			return c;
		}
	}
	return rcn_pack_get_varint_slow(in);
}

/* rcn_pack_get_str past its inline cases: field i (already counted). */
const char *rcn_pack_get_str_slow(rcn_pack_in *in, bool repeats, size_t i)
{
	if (in->bad || i >= RCN_PACK_MAX_STRS)
		goto bad;
	uint32_t m = in->mask >> (2 * i) & 3;
	if (m == 1)
		return "";
	if (m == 2) {
		if (!repeats || !in->prev_len[i])
			goto bad;
		return in->prev[i];
	}
	if (m) /* empty and the same */
		goto bad;
	if (repeats) { /* the prefix it shares with the last value, then the rest */
		uint64_t shared = get_varint(in), rest = get_varint(in);
		if (in->bad || shared > in->prev_len[i] || rest > in->n - in->pos || shared + rest == 0)
			goto bad;
		size_t n = (size_t)(shared + rest);
		if (n + 1 > in->prev_cap[i])
			rcn_xreserve((void **)&in->prev[i], &in->prev_cap[i], n + 1, 1);
		memcpy(in->prev[i] + shared, in->p + in->pos, (size_t)rest);
		in->prev[i][n] = '\0';
		in->prev_len[i] = n;
		in->pos += (size_t)rest;
		return in->prev[i];
	}
	uint64_t n = get_varint(in);
	if (in->bad || in->n - in->pos < n + 1 || in->p[in->pos + n] != '\0')
		goto bad;
	const char *s = in->p + in->pos;
	in->pos += (size_t)n + 1;
	return s;
bad:
	in->bad = true;
	return "";
}

bool rcn_pack_done(rcn_pack_in *in)
{
	if (in->pos != in->n)
		in->bad = true;
	return !in->bad;
}

void rcn_pack_in_close(rcn_pack_in *in)
{
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
	if (!in->mem)
		free(in->buf);
	in->buf = NULL;
	drop_prev(in->prev, in->prev_len, in->prev_cap);
}
