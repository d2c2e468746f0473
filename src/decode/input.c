/* decode: reads a statement file (or a borrowed buffer) in 64 KiB chunks, inflates it when it is
 * gzip (by magic bytes, concatenated members allowed) with a cap on the decoded size and a guard
 * against gzip bombs, and digests the raw stored bytes with SHA-256. Owns the FILE and the inflate
 * state. Gzip is inflated by ISA-L's igzip, which checks the header and the CRC-32 and ISIZE
 * trailer itself and inflates the night's biggest files at over twice zlib's speed (README). */
#include "recon/input.h"
#include "util/err.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <isa-l/igzip_lib.h>

#define RAW_CHUNK ((size_t)64 * 1024)

struct rcn_input {
	FILE *fp;		  /* NULL when reading a borrowed buffer */
	const unsigned char *mem; /* borrowed: mem[mem_pos..mem_len) is not read yet */
	size_t mem_len, mem_pos;
	char *path;
	bool gzip;
	bool raw_eof;
	bool in_member;		  /* inside a gzip member: end of file here is a truncation */
	struct inflate_state *zs; /* gzip only */
	uint32_t hdr_seen;	  /* bytes of the member's header that went past, up to its FLG byte */
	unsigned char *raw;	  /* the file's chunk buffer */
	const unsigned char *cur; /* the current raw chunk: raw or a slice of mem */
	size_t raw_len, raw_pos;  /* plain input is served from cur[raw_pos..raw_len) */
	EVP_MD_CTX *md;
	uint64_t raw_bytes, out_bytes, max_bytes;
	bool failed; /* a read error is sticky: later reads repeat it */
	rcn_err fail_err;
};

static rcn_rc fail(rcn_input *in, rcn_err *err, rcn_rc code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static rcn_rc fail(rcn_input *in, rcn_err *err, rcn_rc code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_err_vset(&in->fail_err, NULL, code, in->path, 0, 400, fmt, ap);
	va_end(ap);
	in->failed = true;
	if (err)
		*err = in->fail_err;
	return code;
}

/* Reads the next raw chunk and digests it; sets raw_eof at end of file. */
static rcn_rc fill_raw(rcn_input *in, rcn_err *err)
{
	size_t got;
	if (in->fp) {
		got = fread(in->raw, 1, RAW_CHUNK, in->fp);
		if (got < RAW_CHUNK) {
			if (ferror(in->fp))
				return fail(in, err, RCN_EIO, "read error: %s", strerror(errno));
			in->raw_eof = true;
		}
		in->cur = in->raw;
	} else {
		got = in->mem_len - in->mem_pos;
		if (got > RAW_CHUNK)
			got = RAW_CHUNK;
		in->cur = in->mem + in->mem_pos;
		in->mem_pos += got;
		in->raw_eof = in->mem_pos == in->mem_len;
	}
	if (got > 0 && EVP_DigestUpdate(in->md, in->cur, got) != 1)
		return fail(in, err, RCN_EIO, "SHA-256 update failed");
	in->raw_bytes += got;
	in->raw_len = got;
	in->raw_pos = 0;
	return RCN_OK;
}

void rcn_input_close(rcn_input *in)
{
	if (!in)
		return;
	free(in->zs);
	if (in->fp) {
		/* a statement is read once a night: its pages are not kept in the
		 * page cache at the database's expense */
		(void)posix_fadvise(fileno(in->fp), 0, 0, POSIX_FADV_DONTNEED);
		fclose(in->fp);
	}
	EVP_MD_CTX_free(in->md);
	free(in->raw);
	free(in->path);
	free(in);
}

static rcn_input *input_new(const char *label, uint64_t max_bytes)
{
	rcn_input *in = rcn_xcalloc(1, sizeof(*in));
	in->path = rcn_xstrdup(label);
	in->max_bytes = max_bytes ? max_bytes : RCN_INPUT_DEFAULT_MAX;
	in->md = EVP_MD_CTX_new();
	if (!in->md)
		abort(); /* allocation failure aborts (STYLE.md) */
	return in;
}

/* Reads the first chunk and sets up inflate when it starts with the gzip magic. */
static rcn_rc input_start(rcn_input *in, rcn_err *err)
{
	if (EVP_DigestInit_ex(in->md, EVP_sha256(), NULL) != 1)
		return rcn_err_set(err, RCN_EIO, in->path, 0, "SHA-256 unavailable");
	rcn_rc rc = fill_raw(in, err);
	if (rc != RCN_OK)
		return rc;
	/* By content, not by name: WeChat serves gzip for tar_type=GZIP whatever the file is called. */
	if (in->raw_len >= 2 && in->cur[0] == 0x1f && in->cur[1] == 0x8b) {
		in->zs = rcn_xmalloc(sizeof(*in->zs));
		isal_inflate_init(in->zs);
		in->zs->crc_flag = ISAL_GZIP;
		in->gzip = true;
		in->in_member = true;
		in->zs->next_in = (uint8_t *)in->cur;
		in->zs->avail_in = (uint32_t)in->raw_len;
	}
	return RCN_OK;
}

rcn_rc rcn_input_open_mem(rcn_input **out, const void *data, size_t n, const char *label, uint64_t max_bytes,
			  rcn_err *err)
{
	rcn_input *in = input_new(label ? label : "input", max_bytes);
	in->mem = n ? data : (const unsigned char *)"";
	in->mem_len = n;
	rcn_rc rc = input_start(in, err);
	if (rc != RCN_OK) {
		rcn_input_close(in);
		return rc;
	}
	*out = in;
	return RCN_OK;
}

static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m)   ? "a FIFO (named pipe)"
	       : S_ISDIR(m)  ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
			     : "not a file";
}

FILE *rcn_input_fopen(const char *path, const char *label, rcn_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rcn_err_set(err, RCN_EIO, label, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		rcn_err_set(err, RCN_EIO, label, 0, "cannot stat: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		rcn_err_set(err, RCN_EIO, label, 0, "not a regular file: %s", file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	/* a regular file's reads never block anyway: back to plain reads */
	int fl = fcntl(fd, F_GETFL);
	FILE *f = fl == -1 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1 ? NULL : fdopen(fd, "rb");
	if (!f) {
		rcn_err_set(err, RCN_EIO, label, 0, "cannot open: %s", strerror(errno));
		close(fd);
	}
	return f;
}

rcn_rc rcn_input_open(rcn_input **out, const char *path, uint64_t max_bytes, rcn_err *err)
{
	rcn_rc rc = RCN_OK;
	rcn_input *in = input_new(path, max_bytes);
	in->raw = rcn_xmalloc(RAW_CHUNK);
	in->fp = rcn_input_fopen(path, path, err);
	if (!in->fp) {
		rc = err ? err->code : RCN_EIO;
		goto cleanup;
	}
	rc = input_start(in, err);
cleanup:
	if (rc != RCN_OK) {
		rcn_input_close(in);
		return rc;
	}
	*out = in;
	return RCN_OK;
}

static rcn_rc read_plain(rcn_input *in, char *buf, size_t n, size_t *got, rcn_err *err)
{
	if (in->raw_pos == in->raw_len && !in->raw_eof) {
		rcn_rc rc = fill_raw(in, err);
		if (rc != RCN_OK)
			return rc;
	}
	size_t k = in->raw_len - in->raw_pos;
	if (k > n)
		k = n;
	if (k > in->max_bytes - in->out_bytes)
		return fail(in, err, RCN_ELIMIT, "file size exceeds %" PRIu64 " bytes", in->max_bytes);
	memcpy(buf, in->cur + in->raw_pos, k);
	in->raw_pos += k;
	in->out_bytes += k;
	*got = k;
	return RCN_OK;
}

/* ISA-L's errors in the words zlib used for them. */
static const char *isal_error(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid block type";
	case ISAL_INVALID_SYMBOL:
		return "invalid code";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:
		return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	default:
		return "undecodable data";
	}
}

/* The next member of a concatenated stream starts with the input left over. */
static void next_member(struct inflate_state *zs)
{
	uint8_t *next = zs->next_in;
	uint32_t avail = zs->avail_in;
	isal_inflate_reset(zs);
	zs->crc_flag = ISAL_GZIP;
	zs->next_in = next;
	zs->avail_in = avail;
}

static rcn_rc read_gzip(rcn_input *in, char *buf, size_t n, size_t *got, rcn_err *err)
{
	/* Ask for at most one byte past the cap: enough to notice it is passed. */
	uint64_t room = in->max_bytes - in->out_bytes + 1;
	size_t want = n;
	if ((uint64_t)want > room)
		want = (size_t)room;
	if (want > UINT32_MAX)
		want = UINT32_MAX;
	struct inflate_state *zs = in->zs;
	zs->next_out = (uint8_t *)buf;
	zs->avail_out = (uint32_t)want;
	for (;;) {
		if (zs->avail_in == 0 && !in->raw_eof) {
			rcn_rc rc = fill_raw(in, err);
			if (rc != RCN_OK)
				return rc;
			zs->next_in = (uint8_t *)in->cur;
			zs->avail_in = (uint32_t)in->raw_len;
			continue;
		}
		if (!in->in_member) {
			if (zs->avail_in == 0)
				break; /* end of the last member */
			/* More bytes after a member's trailer: the next member of a concatenated stream. */
			next_member(zs);
			in->in_member = true;
			in->hdr_seen = 0;
		}
		/* RFC 1952 has a decompressor refuse reserved FLG bits; igzip does not look at them. */
		if (in->hdr_seen < 4 && zs->avail_in > 3 - in->hdr_seen && (zs->next_in[3 - in->hdr_seen] & 0xE0))
			return fail(in, err, RCN_EFORMAT, "corrupt gzip data: unknown header flags set");
		/* Called even without input left: igzip may still hold bits and output of its own. */
		uint32_t in0 = zs->avail_in, out0 = zs->avail_out;
		int zr = isal_inflate(zs);
		if (in->hdr_seen < 4)
			in->hdr_seen += in0 - zs->avail_in < 4 - in->hdr_seen ? in0 - zs->avail_in : 4 - in->hdr_seen;
		if (zr < 0)
			return fail(in, err, RCN_EFORMAT, "corrupt gzip data: %s", isal_error(zr));
		if (zs->block_state == ISAL_BLOCK_FINISH)
			in->in_member = false;
		else if (zs->avail_in == in0 && zs->avail_out == out0) {
			if (zs->avail_in == 0) /* and at end of file */
				return fail(in, err, RCN_EFORMAT, "truncated gzip stream");
			if (zs->avail_out > 0)
				return fail(in, err, RCN_EFORMAT, "corrupt gzip data: no progress");
		}
		if (zs->avail_out < want)
			break;
	}
	size_t k = want - zs->avail_out;
	in->out_bytes += k;
	if (in->out_bytes > in->max_bytes)
		return fail(in, err, RCN_ELIMIT, "inflated size exceeds %" PRIu64 " bytes", in->max_bytes);
	/* Text compresses maybe 10:1; 1000:1 is runs of one byte, which no statement is made of. */
	uint64_t used = in->raw_bytes - zs->avail_in;
	if (in->out_bytes > RCN_INPUT_BOMB_FLOOR && in->out_bytes / RCN_INPUT_BOMB_RATIO > used)
		return fail(in, err, RCN_ELIMIT, "inflated/compressed ratio exceeds %d (gzip bomb?)",
			    RCN_INPUT_BOMB_RATIO);
	*got = k;
	return RCN_OK;
}

rcn_rc rcn_input_read(rcn_input *in, char *buf, size_t n, size_t *got, rcn_err *err)
{
	assert(n > 0);
	*got = 0;
	if (in->failed) {
		if (err)
			*err = in->fail_err;
		return in->fail_err.code;
	}
	return in->gzip ? read_gzip(in, buf, n, got, err) : read_plain(in, buf, n, got, err);
}

bool rcn_input_is_gzip(const rcn_input *in)
{
	return in->gzip;
}

void rcn_input_sha256_hex(const rcn_input *in, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *tmp = EVP_MD_CTX_new();
	if (!tmp)
		abort();
	/* Finalize a copy so the running digest can still take more bytes. */
	if (EVP_MD_CTX_copy_ex(tmp, in->md) != 1 || EVP_DigestFinal_ex(tmp, d, &len) != 1 || len != 32)
		abort(); /* cannot fail for an initialized SHA-256 context */
	EVP_MD_CTX_free(tmp);
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < len; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

uint64_t rcn_input_raw_bytes(const rcn_input *in)
{
	return in->raw_bytes;
}
