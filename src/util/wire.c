/* recon/wire.h: little-endian integers, NUL-terminated strings. */
#include "recon/wire.h"

#include <string.h>

void rcn_wire_i64(rcn_buf *b, int64_t v)
{
	unsigned char x[8];
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(u >> (8 * i));
	(void)rcn_buf_append(b, x, sizeof x);
}

void rcn_wire_str(rcn_buf *b, const char *s)
{
	s = s ? s : "";
	(void)rcn_buf_append(b, s, strlen(s) + 1);
}

void rcn_wire_open(rcn_wire *w, const void *p, size_t n)
{
	*w = (rcn_wire){.p = p, .n = n};
}

int64_t rcn_wire_get_i64(rcn_wire *w)
{
	if (w->bad || w->n - w->at < 8) {
		w->bad = true;
		return 0;
	}
	uint64_t u = 0;
	for (int i = 0; i < 8; i++)
		u |= (uint64_t)(unsigned char)w->p[w->at + (size_t)i] << (8 * i);
	w->at += 8;
	return (int64_t)u;
}

size_t rcn_wire_get_count(rcn_wire *w, size_t min_bytes)
{
	int64_t v = rcn_wire_get_i64(w);
	if (w->bad || v < 0 || (min_bytes && (uint64_t)v > (w->n - w->at) / min_bytes)) {
		w->bad = true;
		return 0;
	}
	return (size_t)v;
}

const char *rcn_wire_get_str(rcn_wire *w)
{
	if (w->bad)
		return "";
	const char *s = w->p + w->at;
	const char *end = memchr(s, '\0', w->n - w->at);
	if (!end) {
		w->bad = true;
		return "";
	}
	w->at += (size_t)(end - s) + 1;
	return s;
}

void rcn_wire_bytes(rcn_buf *b, const void *p, size_t n)
{
	rcn_wire_i64(b, (int64_t)n);
	if (n)
		(void)rcn_buf_append(b, p, n);
}

const void *rcn_wire_get_bytes(rcn_wire *w, size_t *n)
{
	size_t k = rcn_wire_get_count(w, 1);
	*n = 0;
	if (w->bad)
		return NULL;
	const void *p = w->p + w->at;
	w->at += k;
	*n = k;
	return p;
}
