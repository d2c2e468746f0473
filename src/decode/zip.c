/* decode: a zip reader for channel downloads (FORMATS.md §2 Alipay, §3 UnionPay). Finds the end record,
 * reads the central directory, and streams stored or deflate entries to a sink in 64 KiB chunks with
 * CRC, size and bomb checks. Owns the FILE (or borrows the caller's buffer), the entry table and names. */
#define ZLIB_CONST
#include "recon/zip.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <zlib.h>

#include "recon/charset.h"
#include "recon/input.h"

#define CHUNK	      ((size_t)64 * 1024)
#define EOCD_SIZE     22u
#define EOCD_SEARCH   (65535u + EOCD_SIZE) /* the end record plus the longest comment */
#define ZIP64_LOC     20u		   /* zip64 end locator, just before the end record */
#define CDH_SIZE      46u
#define LFH_SIZE      30u
#define BOMB_FLOOR    ((uint64_t)1 << 20) /* the ratio check starts past 1 MiB of output */
#define FLAG_ENCRYPT  0x0001u
#define FLAG_UTF8     0x0800u
#define SHOWN_NAME    200u /* bytes of an entry name quoted in a message */
#define SIG_LOCAL     0x04034b50u
#define SIG_CENTRAL   0x02014b50u
#define SIG_END	      0x06054b50u
#define SIG_ZIP64_LOC 0x07064b50u

typedef struct {
	rcn_zip_entry pub;
	uint32_t crc;
	uint32_t local_off;
	char shown[SHOWN_NAME + 4]; /* printable, shortened name for messages */
} entry;

struct rcn_zip {
	FILE *fp;		  /* NULL for an archive in memory */
	const unsigned char *mem; /* borrowed */
	uint64_t size;
	uint64_t cd_off; /* entry data must end before the central directory */
	char *label;
	rcn_zip_limits lim;
	entry *entries;
	size_t count;
	rcn_arena names;
};

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A name as it may appear in a one-line message: control bytes become '?',
 * and a long name is cut at a character boundary and ends in "...". */
static void shown_name(char *out, size_t cap, const char *name)
{
	size_t n = strlen(name), k = 0;
	bool cut = n > cap - 4;
	if (cut) {
		n = cap - 4;
		while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		out[k++] = (char)(c < 0x20 || c == 0x7F ? '?' : c);
	}
	if (cut) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

/* Copies n bytes at offset off; callers have checked that they lie inside the archive. */
static rcn_rc read_at(rcn_zip *z, uint64_t off, void *dst, size_t n, rcn_err *err)
{
	assert(off <= z->size && n <= z->size - off);
	if (!z->fp) {
		memcpy(dst, z->mem + off, n);
		return RCN_OK;
	}
	if (fseeko(z->fp, (off_t)off, SEEK_SET) != 0 || fread(dst, 1, n, z->fp) != n)
		return rcn_err_set(err, RCN_EIO, z->label, 0, "read error at byte %" PRIu64 ": %s", off,
				   ferror(z->fp) ? strerror(errno) : "file shrank");
	return RCN_OK;
}

static bool starts_with_local_header(rcn_zip *z)
{
	unsigned char head[4];
	rcn_err ignored;
	return z->size >= 4 && read_at(z, 0, head, 4, &ignored) == RCN_OK && le32(head) == SIG_LOCAL;
}

/* True if a path component of name is "..", or name is absolute or has a drive letter:
 * extracting it would write outside the target directory. */
static bool escapes(const char *name)
{
	if (name[0] == '/' || name[0] == '\\')
		return true;
	if (((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')) && name[1] == ':')
		return true;
	for (const char *p = name; *p;) {
		size_t len = strcspn(p, "/\\");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

/* Names are UTF-8 when flagged (bit 11) or when they validate as UTF-8; otherwise they are GBK,
 * which is what Alipay writes (FORMATS.md §2). */
static rcn_rc decode_name(rcn_zip *z, const char *raw, size_t n, uint16_t flags, const char **out, rcn_err *err)
{
	if (memchr(raw, '\0', n))
		return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "entry name contains a NUL byte");
	if (rcn_utf8_valid(raw, n)) {
		*out = rcn_arena_strndup(&z->names, raw, n);
		return RCN_OK;
	}
	if (flags & FLAG_UTF8)
		return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "entry name is flagged UTF-8 but is not");
	size_t cap = 4 * n + 1; /* a GB18030 byte never needs more than 4 bytes of UTF-8 */
	char *utf8 = rcn_xmalloc(cap);
	rcn_err cerr;
	rcn_rc rc = rcn_charset_field(utf8, cap, raw, n, "GBK", &cerr);
	if (rc == RCN_OK)
		*out = rcn_arena_strdup(&z->names, utf8);
	else
		rc = rcn_err_set(err, RCN_EFORMAT, z->label, 0, "entry name is neither UTF-8 nor GBK");
	free(utf8);
	return rc;
}

static rcn_rc zip64_refused(const rcn_zip *z, rcn_err *err)
{
	return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "zip64 archives are not supported");
}

/* Parses central directory record i at cd[*pos..cd_size) into z->entries[i]. */
static rcn_rc parse_record(rcn_zip *z, const unsigned char *cd, size_t cd_size, size_t *pos, rcn_err *err)
{
	const unsigned char *p = cd + *pos;
	if (cd_size - *pos < CDH_SIZE || le32(p) != SIG_CENTRAL)
		return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "corrupt central directory: record %zu is damaged",
				   z->count + 1);
	uint16_t flags = le16(p + 8), method = le16(p + 10);
	uint32_t crc = le32(p + 16), csize = le32(p + 20), usize = le32(p + 24);
	size_t nlen = le16(p + 28), xlen = le16(p + 30), clen = le16(p + 32);
	uint32_t local_off = le32(p + 42);
	if (cd_size - *pos - CDH_SIZE < nlen + xlen + clen)
		return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "corrupt central directory: record %zu is damaged",
				   z->count + 1);
	if (csize == UINT32_MAX || usize == UINT32_MAX || local_off == UINT32_MAX)
		return zip64_refused(z, err);
	const char *name;
	rcn_rc rc = decode_name(z, (const char *)p + CDH_SIZE, nlen, flags, &name, err);
	if (rc != RCN_OK)
		return rc;
	entry *e = &z->entries[z->count];
	shown_name(e->shown, sizeof(e->shown), name);
	if (flags & FLAG_ENCRYPT)
		return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "entry \"%s\" is encrypted", e->shown);
	if (method != 0 && method != 8)
		return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "entry \"%s\" uses unsupported compression method %u",
				   e->shown, method);
	if (escapes(name))
		return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "entry name \"%s\" escapes the archive", e->shown);
	if ((uint64_t)local_off + LFH_SIZE + csize > z->cd_off)
		return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "entry \"%s\" runs into the central directory",
				   e->shown);
	for (size_t k = 0; k < z->count; k++)
		if (strcmp(z->entries[k].pub.name, name) == 0)
			return rcn_err_set(err, RCN_EFORMAT, z->label, 0, "two entries are named \"%s\"", e->shown);
	e->pub.name = name;
	e->pub.shown = e->shown;
	e->pub.compressed_size = csize;
	e->pub.size = usize;
	e->pub.method = method;
	e->crc = crc;
	e->local_off = local_off;
	z->count++;
	*pos += CDH_SIZE + nlen + xlen + clen;
	return RCN_OK;
}

/* Finds the end record in the last 64 KiB + 22 bytes and loads the central directory. */
static rcn_rc load(rcn_zip *z, rcn_err *err)
{
	rcn_rc rc = RCN_OK;
	size_t tail = z->size < EOCD_SEARCH ? (size_t)z->size : EOCD_SEARCH;
	unsigned char *buf = rcn_xmalloc(tail ? tail : 1), *cd = NULL;
	rc = read_at(z, z->size - tail, buf, tail, err);
	if (rc != RCN_OK)
		goto cleanup;
	size_t at = SIZE_MAX;
	/* From the back: the record whose comment length reaches no further than the end of the file. */
	for (size_t i = tail >= EOCD_SIZE ? tail - EOCD_SIZE + 1 : 0; i-- > 0;) {
		if (le32(buf + i) == SIG_END && (size_t)le16(buf + i + 20) <= tail - i - EOCD_SIZE) {
			at = i;
			break;
		}
	}
	if (at == SIZE_MAX) {
		if (starts_with_local_header(z))
			rc = rcn_err_set(err, RCN_EFORMAT, z->label, 0,
					 "truncated zip archive: no end of central directory record");
		else
			rc = rcn_err_set(err, RCN_EFORMAT, z->label, 0, "not a zip archive");
		goto cleanup;
	}
	const unsigned char *end = buf + at;
	uint64_t end_off = z->size - tail + at;
	uint16_t disk = le16(end + 4), cd_disk = le16(end + 6), on_disk = le16(end + 8), total = le16(end + 10);
	uint32_t cd_size = le32(end + 12), cd_off = le32(end + 16);
	if (total == UINT16_MAX || cd_size == UINT32_MAX || cd_off == UINT32_MAX ||
	    (at >= ZIP64_LOC && le32(end - ZIP64_LOC) == SIG_ZIP64_LOC)) {
		rc = zip64_refused(z, err);
		goto cleanup;
	}
	if (disk != 0 || cd_disk != 0 || on_disk != total) {
		rc = rcn_err_set(err, RCN_EFORMAT, z->label, 0, "multi-disk archives are not supported");
		goto cleanup;
	}
	if (total > z->lim.max_entries) {
		rc = rcn_err_set(err, RCN_ELIMIT, z->label, 0, "%u entries exceed the limit of %zu", total,
				 z->lim.max_entries);
		goto cleanup;
	}
	if ((uint64_t)cd_off + cd_size > end_off) {
		rc = rcn_err_set(err, RCN_EFORMAT, z->label, 0,
				 "truncated zip archive: central directory lies past the end record");
		goto cleanup;
	}
	/* Each record is at most 46 bytes plus three 64 KiB fields: a larger directory lies. */
	if (cd_size > (uint64_t)total * (CDH_SIZE + 3 * 65535u)) {
		rc = rcn_err_set(err, RCN_EFORMAT, z->label, 0,
				 "corrupt central directory: %" PRIu32 " bytes for %u entries", cd_size, total);
		goto cleanup;
	}
	z->cd_off = cd_off;
	cd = rcn_xmalloc(cd_size ? cd_size : 1);
	rc = read_at(z, cd_off, cd, cd_size, err);
	if (rc != RCN_OK)
		goto cleanup;
	z->entries = rcn_xcalloc(total ? total : 1, sizeof(*z->entries));
	size_t pos = 0;
	uint64_t declared = 0;
	while (z->count < total) {
		rc = parse_record(z, cd, cd_size, &pos, err);
		if (rc != RCN_OK)
			goto cleanup;
		declared += z->entries[z->count - 1].pub.size;
	}
	if (pos != cd_size) {
		rc = rcn_err_set(err, RCN_EFORMAT, z->label, 0,
				 "corrupt central directory: %zu bytes left after %u records", cd_size - pos, total);
		goto cleanup;
	}
	/* Entries are checked against their declared sizes as they inflate, so the declared sum bounds the work. */
	if (declared > z->lim.max_total_bytes)
		rc = rcn_err_set(err, RCN_ELIMIT, z->label, 0,
				 "entries inflate to %" PRIu64 " bytes in total, more than the limit of %" PRIu64,
				 declared, z->lim.max_total_bytes);
cleanup:
	free(cd);
	free(buf);
	return rc;
}

void rcn_zip_close(rcn_zip *z)
{
	if (!z)
		return;
	if (z->fp)
		fclose(z->fp);
	rcn_arena_free(&z->names);
	free(z->entries);
	free(z->label);
	free(z);
}

static rcn_zip *zip_new(const char *label, const rcn_zip_limits *lim)
{
	static const rcn_zip_limits defaults = RCN_ZIP_LIMITS_DEFAULT;
	rcn_zip *z = rcn_xcalloc(1, sizeof(*z));
	z->label = rcn_xstrdup(label);
	z->lim = lim ? *lim : defaults;
	if (!z->lim.max_entries)
		z->lim.max_entries = defaults.max_entries;
	if (!z->lim.max_entry_bytes)
		z->lim.max_entry_bytes = defaults.max_entry_bytes;
	if (!z->lim.max_total_bytes)
		z->lim.max_total_bytes = defaults.max_total_bytes;
	if (!z->lim.max_ratio)
		z->lim.max_ratio = defaults.max_ratio;
	rcn_arena_init(&z->names);
	return z;
}

rcn_rc rcn_zip_open_file(rcn_zip **out, const char *path, const char *label, const rcn_zip_limits *lim, rcn_err *err)
{
	rcn_rc rc = RCN_OK;
	rcn_zip *z = zip_new(label ? label : path, lim);
	z->fp = rcn_input_fopen(path, z->label, err);
	if (!z->fp) {
		rc = err ? err->code : RCN_EIO;
		goto cleanup;
	}
	off_t size;
	if (fseeko(z->fp, 0, SEEK_END) != 0 || (size = ftello(z->fp)) < 0) {
		rc = rcn_err_set(err, RCN_EIO, z->label, 0, "cannot seek: %s", strerror(errno));
		goto cleanup;
	}
	z->size = (uint64_t)size;
	rc = load(z, err);
cleanup:
	if (rc != RCN_OK) {
		rcn_zip_close(z);
		return rc;
	}
	*out = z;
	return RCN_OK;
}

rcn_rc rcn_zip_open_mem(rcn_zip **out, const void *data, size_t n, const char *label, const rcn_zip_limits *lim,
			rcn_err *err)
{
	rcn_zip *z = zip_new(label ? label : "zip", lim);
	z->mem = n ? data : (const unsigned char *)"";
	z->size = n;
	rcn_rc rc = load(z, err);
	if (rc != RCN_OK) {
		rcn_zip_close(z);
		return rc;
	}
	*out = z;
	return RCN_OK;
}

size_t rcn_zip_count(const rcn_zip *z)
{
	return z->count;
}

const rcn_zip_entry *rcn_zip_entry_at(const rcn_zip *z, size_t i)
{
	assert(i < z->count);
	return &z->entries[i].pub;
}

bool rcn_zip_magic(const void *head, size_t n)
{
	const unsigned char *p = head;
	return n >= 4 && (le32(p) == SIG_LOCAL || le32(p) == SIG_END);
}

/* State of one entry being streamed out. */
typedef struct {
	rcn_zip *z;
	const entry *e;
	char where[512]; /* "archive:entry" */
	rcn_bytes_sink sink;
	void *ctx;
	uint64_t produced;
	uint32_t crc;
} reader;

/* Hands out[0..n) to the sink unless it passes the declared size or looks like a bomb;
 * consumed is the compressed bytes used so far. */
static rcn_rc emit(reader *r, const unsigned char *out, size_t n, uint64_t consumed, rcn_err *err)
{
	uint64_t produced = r->produced + n;
	if (produced > r->e->pub.size)
		return rcn_err_set(err, RCN_EFORMAT, r->where, 0,
				   "inflated data exceeds the declared size of %" PRIu64 " bytes", r->e->pub.size);
	if (produced > BOMB_FLOOR && produced / r->z->lim.max_ratio > consumed)
		return rcn_err_set(err, RCN_ELIMIT, r->where, 0,
				   "inflated/compressed ratio exceeds %" PRIu32 " (zip bomb?)", r->z->lim.max_ratio);
	r->produced = produced;
	r->crc = (uint32_t)crc32(r->crc, out, (uInt)n);
	return r->sink(r->ctx, (const char *)out, n, err);
}

static rcn_rc stream_stored(reader *r, uint64_t data_off, unsigned char *in, rcn_err *err)
{
	uint64_t left = r->e->pub.compressed_size, done = 0;
	while (left > 0) {
		size_t k = left < CHUNK ? (size_t)left : CHUNK;
		rcn_rc rc = read_at(r->z, data_off + done, in, k, err);
		if (rc == RCN_OK)
			rc = emit(r, in, k, done + k, err);
		if (rc != RCN_OK)
			return rc;
		done += k;
		left -= k;
	}
	return RCN_OK;
}

static rcn_rc stream_deflate(reader *r, z_stream *zs, uint64_t data_off, unsigned char *in, unsigned char *out,
			     rcn_err *err)
{
	uint64_t left = r->e->pub.compressed_size, fed = 0;
	for (;;) {
		if (zs->avail_in == 0 && left > 0) {
			size_t k = left < CHUNK ? (size_t)left : CHUNK;
			rcn_rc rc = read_at(r->z, data_off + fed, in, k, err);
			if (rc != RCN_OK)
				return rc;
			zs->next_in = in;
			zs->avail_in = (uInt)k;
			fed += k;
			left -= k;
		}
		zs->next_out = out;
		zs->avail_out = (uInt)CHUNK;
		int zr = inflate(zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return rcn_err_set(err, RCN_EFORMAT, r->where, 0, "corrupt deflate data: %s",
					   zs->msg ? zs->msg : zError(zr));
		size_t got = CHUNK - zs->avail_out;
		if (got > 0) {
			rcn_rc rc = emit(r, out, got, fed - zs->avail_in, err);
			if (rc != RCN_OK)
				return rc;
		}
		if (zr == Z_STREAM_END) {
			if (zs->avail_in > 0 || left > 0)
				return rcn_err_set(err, RCN_EFORMAT, r->where, 0,
						   "deflate data ends before the declared compressed size");
			return RCN_OK;
		}
		/* Room left for output and no input left: inflate has nothing more to give. */
		if (zs->avail_in == 0 && left == 0 && zs->avail_out > 0)
			return rcn_err_set(err, RCN_EFORMAT, r->where, 0, "truncated deflate data");
	}
}

rcn_rc rcn_zip_read(rcn_zip *z, size_t i, rcn_bytes_sink sink, void *ctx, rcn_err *err)
{
	assert(i < z->count && sink);
	rcn_rc rc = RCN_OK;
	reader r = {.z = z, .e = &z->entries[i], .sink = sink, .ctx = ctx};
	const rcn_zip_entry *pub = &r.e->pub;
	unsigned char *in = NULL, *out = NULL;
	z_stream zs;
	bool inflating = false;
	snprintf(r.where, sizeof(r.where), "%s:%s", z->label, r.e->shown);
	r.crc = (uint32_t)crc32(0, NULL, 0);

	/* Refuse on the declared sizes first; emit() holds the actual bytes to them. */
	if (pub->size > z->lim.max_entry_bytes) {
		rc = rcn_err_set(err, RCN_ELIMIT, r.where, 0, "inflated size exceeds %" PRIu64 " bytes",
				 z->lim.max_entry_bytes);
		goto cleanup;
	}
	if (pub->size > BOMB_FLOOR && pub->size / z->lim.max_ratio > pub->compressed_size) {
		rc = rcn_err_set(err, RCN_ELIMIT, r.where, 0,
				 "inflated/compressed ratio exceeds %" PRIu32 " (zip bomb?)", z->lim.max_ratio);
		goto cleanup;
	}
	if (pub->method == 0 && pub->compressed_size != pub->size) {
		rc = rcn_err_set(err, RCN_EFORMAT, r.where, 0,
				 "stored entry declares %" PRIu64 " compressed and %" PRIu64 " inflated bytes",
				 pub->compressed_size, pub->size);
		goto cleanup;
	}
	unsigned char lfh[LFH_SIZE];
	rc = read_at(z, r.e->local_off, lfh, LFH_SIZE, err); /* inside the archive: checked at open */
	if (rc != RCN_OK)
		goto cleanup;
	if (le32(lfh) != SIG_LOCAL) {
		rc = rcn_err_set(err, RCN_EFORMAT, r.where, 0, "corrupt local header");
		goto cleanup;
	}
	uint64_t data_off = (uint64_t)r.e->local_off + LFH_SIZE + le16(lfh + 26) + le16(lfh + 28);
	if (data_off + pub->compressed_size > z->cd_off) {
		rc = rcn_err_set(err, RCN_EFORMAT, r.where, 0, "entry data runs into the central directory");
		goto cleanup;
	}
	in = rcn_xmalloc(CHUNK);
	if (pub->method == 0) {
		rc = stream_stored(&r, data_off, in, err);
	} else {
		memset(&zs, 0, sizeof(zs));
		if (inflateInit2(&zs, -15) != Z_OK) {
			rc = rcn_err_set(err, RCN_EIO, r.where, 0, "cannot initialize zlib");
			goto cleanup;
		}
		inflating = true;
		out = rcn_xmalloc(CHUNK);
		rc = stream_deflate(&r, &zs, data_off, in, out, err);
	}
	if (rc != RCN_OK)
		goto cleanup;
	if (r.produced != pub->size)
		rc = rcn_err_set(err, RCN_EFORMAT, r.where, 0,
				 "inflated data is shorter than the declared size of %" PRIu64 " bytes", pub->size);
	else if (r.crc != r.e->crc)
		rc = rcn_err_set(err, RCN_EFORMAT, r.where, 0, "CRC mismatch");
cleanup:
	if (inflating)
		inflateEnd(&zs);
	free(out);
	free(in);
	return rc;
}
