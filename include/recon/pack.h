/* Files of packed records, written and read back by the same process (a
 * night in parts' spill, run/spill.h): millions of records, so every byte
 * counts — each is written to the page cache, perhaps to the disk, and read
 * back. A record is
 *
 *   [head: varint, its length << 1 | stands alone] [mask: varint]
 *   [integers: zigzag varints] [strings]
 *
 * The mask says, for each string field, that it is empty or the same as in
 * the file's record before, and neither is written; it is written as the
 * difference (xor) from the record before's mask, so a record shaped like
 * the one before spends one byte on it. A field the writer marks as
 * repeating is written against its value in the record before (front
 * coding: the length of the prefix the two share, then the rest), so ids
 * that follow each other — a channel's transaction ids, order numbers with
 * a date in front — cost a few bytes; it is read back into a buffer of its
 * own. Any other string is its length, its bytes and a NUL, read in place.
 * A record that stands alone (rcn_pack_mark) refers to none before it. A
 * file is written through a buffer of its own with write(2) and read back
 * in large blocks; every length is checked on reading, so a damaged file is
 * an error, never a crash. */
#ifndef RECON_PACK_H
#define RECON_PACK_H

#include "recon/common.h"

enum { RCN_PACK_MAX_STRS = 16, RCN_PACK_MAX_INTS = 12 };

/* A file being written: opened on its first record (path set beforehand). */
typedef struct {
	int fd; /* -1 until opened, and once closed */
	char *path;
	char *buf; /* what is not written yet */
	size_t len, cap;
	int err; /* errno of the first failed write, 0 */
	uint64_t bytes;
	uint32_t mask;		       /* the last record's */
	bool alone;		       /* the next record stands alone */
	char *prev[RCN_PACK_MAX_STRS]; /* each repeating field's value in the last record */
	size_t prev_len[RCN_PACK_MAX_STRS], prev_cap[RCN_PACK_MAX_STRS];
} rcn_pack_out;

/* A record to write: its integers and its strings, in order. */
typedef struct {
	int64_t ints[RCN_PACK_MAX_INTS];
	size_t n_ints;
	const char *s[RCN_PACK_MAX_STRS];
	size_t len[RCN_PACK_MAX_STRS], shared[RCN_PACK_MAX_STRS];
	bool repeats[RCN_PACK_MAX_STRS];
	size_t n_strs;
} rcn_pack_rec;

/* f for path, opened (created, truncated) when its first record comes; or,
 * path NULL, records kept in memory (f->buf, f->len: read them with
 * rcn_pack_in_open_mem; rcn_pack_close keeps them, rcn_pack_out_free frees). */
void rcn_pack_out_init(rcn_pack_out *f, const char *path);
static inline void rcn_pack_rec_init(rcn_pack_rec *r)
{
	r->n_ints = r->n_strs = 0;
}
static inline void rcn_pack_int(rcn_pack_rec *r, int64_t v)
{
	r->ints[r->n_ints++] = v;
}
static inline void rcn_pack_ints(rcn_pack_rec *r, const int64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rcn_pack_int(r, v[i]);
}
/* NULL is written as "". repeats: written against the last record's value
 * (left out when the same). */
static inline void rcn_pack_str(rcn_pack_rec *r, const char *s, bool repeats)
{
	r->s[r->n_strs] = s ? s : "";
	r->repeats[r->n_strs++] = repeats;
}
void rcn_pack_put(rcn_pack_out *f, rcn_pack_rec *r);
/* Makes the next record stand alone (no field "as in the record before"):
 * a reader may start there (rcn_pack_in_seek), at offset f->bytes. */
void rcn_pack_mark(rcn_pack_out *f);
/* Writes what is buffered and closes: false (f->err its errno) when a write
 * failed. The file stays. */
bool rcn_pack_close(rcn_pack_out *f);
/* Closes if open, and frees (the file stays: the caller removes it). */
void rcn_pack_out_free(rcn_pack_out *f);

/* A file read back, record by record. */
typedef struct {
	int fd;
	char *buf;
	size_t cap, have, at;
	bool eof, bad;
	bool mem;      /* buf is the caller's records (rcn_pack_in_open_mem) */
	uint64_t base; /* the file's offset of buf[0] */
	char *prev[RCN_PACK_MAX_STRS];
	size_t prev_len[RCN_PACK_MAX_STRS], prev_cap[RCN_PACK_MAX_STRS];
	uint32_t mask; /* the current record's (the last one's, between records) */
	/* the current record: its head's bytes, its body */
	const char *p;
	size_t head, n, pos, field;
} rcn_pack_in;

/* Opens path: false (errno set) when it cannot be. Read in blocks of 1 MiB,
 * or of buf bytes. */
bool rcn_pack_in_open(rcn_pack_in *in, const char *path);
bool rcn_pack_in_open_buf(rcn_pack_in *in, const char *path, size_t buf);
/* The offset of the record after the current one (where reading goes on). */
uint64_t rcn_pack_in_offset(const rcn_pack_in *in);
/* Reads the len bytes of records at data (borrowed), as a file. */
void rcn_pack_in_open_mem(rcn_pack_in *in, const char *data, size_t len);
/* Reads on from offset, where the writer marked a record (rcn_pack_mark):
 * false (in->bad) when it cannot. */
bool rcn_pack_in_seek(rcn_pack_in *in, uint64_t offset);
/* The next record: false at the end of the file, or when the file is
 * damaged (in->bad). Its fields are read in the order written, below; its
 * strings are valid until the next record. */
bool rcn_pack_next(rcn_pack_in *in);
uint64_t rcn_pack_get_varint_slow(rcn_pack_in *in);
const char *rcn_pack_get_str_slow(rcn_pack_in *in, bool repeats, size_t i);

/* The next integer field. Its common case (a one-byte varint) inline: a
 * spilled row has twenty fields, read by the million. */
static inline int64_t rcn_pack_get_int(rcn_pack_in *in)
{
	uint64_t z;
	if (in->pos < in->n && !in->bad && !((unsigned char)in->p[in->pos] & 0x80))
		z = (unsigned char)in->p[in->pos++];
	else
		z = rcn_pack_get_varint_slow(in);
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

/* The next string field (repeats as the writer gave it). Inline when it is
 * empty or the last record's value, the common cases. */
static inline const char *rcn_pack_get_str(rcn_pack_in *in, bool repeats)
{
	size_t i = in->field++;
	if (i < RCN_PACK_MAX_STRS && !in->bad) {
		uint32_t m = in->mask >> (2 * i) & 3;
		if (m == 2 && repeats && in->prev_len[i])
			return in->prev[i];
		if (m == 1)
			return "";
	}
	return rcn_pack_get_str_slow(in, repeats, i);
}
/* Whether the string field just read was the last record's value: then it
 * is the same pointer as then, and the same text. */
static inline bool rcn_pack_str_same(const rcn_pack_in *in)
{
	size_t i = in->field - 1;
	return in->field && i < RCN_PACK_MAX_STRS && !in->bad && (in->mask >> (2 * i) & 3) == 2;
}

/* Whether the record's every byte was read, and nothing was wrong: the
 * reader calls it after the record's last field. */
bool rcn_pack_done(rcn_pack_in *in);
void rcn_pack_in_close(rcn_pack_in *in);

#endif
