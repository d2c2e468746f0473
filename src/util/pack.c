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

void rcn_pack_put(rcn_pack_out *f, rcn_pack_rec *r)
{
	uint32_t mask = 0; /* bit 2i: field i empty; bit 2i+1: as in the last record */
	size_t size = 4 + 4 + 10 * r->n_ints;
	for (size_t i = 0; i < r->n_strs; i++) {
		const char *v = r->s[i];
		if (!v[0]) {
			mask |= 1u << (2 * i);
			continue;
		}
		if (r->repeats[i] && f->prev[i] && strcmp(f->prev[i], v) == 0) {
			mask |= 1u << (2 * i + 1);
			continue;
		}
		r->len[i] = strlen(v);
		size += 10 + r->len[i] + 1;
		if (r->repeats[i]) {
			free(f->prev[i]);
			f->prev[i] = rcn_xstrdup(v);
		}
	}
	char *p = room(f, size), *q = p + 4;
	memcpy(q, &mask, 4);
	q += 4;
	for (size_t i = 0; i < r->n_ints; i++) {
		int64_t v = r->ints[i];
		q += put_varint(q, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); /* zigzag */
	}
	for (size_t i = 0; i < r->n_strs; i++) {
		if (mask >> (2 * i) & 3)
			continue;
		q += put_varint(q, r->len[i]);
		memcpy(q, r->s[i], r->len[i]);
		q[r->len[i]] = '\0';
		q += r->len[i] + 1;
	}
	uint32_t len = (uint32_t)(q - p - 4);
	memcpy(p, &len, 4);
	f->len += (size_t)(q - p);
	f->bytes += (uint64_t)(q - p);
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
	for (size_t i = 0; i < RCN_PACK_MAX_STRS; i++) {
		free(f->prev[i]);
		f->prev[i] = NULL;
	}
	return !f->err;
}

void rcn_pack_out_free(rcn_pack_out *f)
{
	if (f->path)
		(void)rcn_pack_close(f);
	free(f->buf); /* (in memory: the records) */
	f->buf = NULL;
	f->len = f->cap = 0;
	for (size_t i = 0; i < RCN_PACK_MAX_STRS; i++) {
		free(f->prev[i]);
		f->prev[i] = NULL;
	}
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
	for (size_t i = 0; i < RCN_PACK_MAX_STRS; i++) {
		free(f->prev[i]);
		f->prev[i] = NULL;
	}
}

uint64_t rcn_pack_in_offset(const rcn_pack_in *in)
{
	return in->base + in->at + (in->n ? 4 + in->n : 0);
}

bool rcn_pack_in_seek(rcn_pack_in *in, uint64_t offset)
{
	if (in->mem) {
		in->n = 0;
		in->at = offset <= in->have ? (size_t)offset : in->have;
		in->bad = in->bad || offset > in->have;
		return !in->bad;
	}
	in->have = in->at = in->n = 0;
	in->base = offset;
	in->eof = false;
	for (size_t i = 0; i < RCN_PACK_MAX_STRS; i++)
		if (in->prev[i])
			in->prev[i][0] = '\0';
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

bool rcn_pack_next(rcn_pack_in *in)
{
	in->at += in->n ? 4 + in->n : 0; /* past the last record */
	in->n = 0;
	if (in->bad || !fill(in, 4)) {
		if (in->have != in->at) /* a torn length */
			in->bad = true;
		return false;
	}
	uint32_t n;
	memcpy(&n, in->buf + in->at, 4);
	if (n < 4 || !fill(in, 4 + (size_t)n)) {
		in->bad = true;
		return false;
	}
	in->p = in->buf + in->at + 4;
	in->n = n;
	memcpy(&in->mask, in->p, 4);
	in->pos = 4;
	in->field = 0;
	return true;
}

static uint64_t get_varint(rcn_pack_in *in)
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

int64_t rcn_pack_get_int(rcn_pack_in *in)
{
	uint64_t z = get_varint(in);
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

const char *rcn_pack_get_str(rcn_pack_in *in, bool repeats)
{
	size_t i = in->field++;
	if (in->bad || i >= RCN_PACK_MAX_STRS)
		goto bad;
	uint32_t m = in->mask >> (2 * i) & 3;
	if (m & 1)
		return "";
	if (m & 2) {
		if (!repeats || !in->prev[i])
			goto bad;
		return in->prev[i];
	}
	uint64_t n = get_varint(in);
	if (in->bad || in->n - in->pos < n + 1 || in->p[in->pos + n] != '\0')
		goto bad;
	const char *s = in->p + in->pos;
	in->pos += (size_t)n + 1;
	if (repeats) { /* kept for the records that leave it out */
		rcn_xreserve((void **)&in->prev[i], &in->prev_cap[i], (size_t)n + 1, 1);
		memcpy(in->prev[i], s, (size_t)n + 1);
	}
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
	for (size_t i = 0; i < RCN_PACK_MAX_STRS; i++) {
		free(in->prev[i]);
		in->prev[i] = NULL;
	}
}
