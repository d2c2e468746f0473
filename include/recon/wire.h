/* A plain binary record format for what one process hands another through
 * the database (a shard's outcome, recon merge): little-endian integers and
 * NUL-terminated strings, read back with every length checked, so a damaged
 * blob is an error naming the byte, never a crash. Strings are read in place:
 * they live as long as the bytes. */
#ifndef RECON_WIRE_H
#define RECON_WIRE_H

#include "recon/common.h"

void rcn_wire_i64(rcn_buf *b, int64_t v);
void rcn_wire_str(rcn_buf *b, const char *s);		  /* NULL is written as "" */
void rcn_wire_bytes(rcn_buf *b, const void *p, size_t n); /* n, then the n bytes */

typedef struct {
	const char *p;
	size_t n, at;
	bool bad; /* a read ran past the end or found no string: every later read gives 0 / "" */
} rcn_wire;

void rcn_wire_open(rcn_wire *w, const void *p, size_t n);
int64_t rcn_wire_get_i64(rcn_wire *w);
/* A count of things at least min_bytes each: bad when the rest cannot hold them. */
size_t rcn_wire_get_count(rcn_wire *w, size_t min_bytes);
const char *rcn_wire_get_str(rcn_wire *w);
/* The n bytes rcn_wire_bytes wrote (*n their count), in place; NULL when bad. */
const void *rcn_wire_get_bytes(rcn_wire *w, size_t *n);

#endif
