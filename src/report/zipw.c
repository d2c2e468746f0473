/* The zip writer of the workbook (see zipw.h). Format: PKWARE APPNOTE 6.3,
 * sections 4.3.7 (local file header), 4.3.12 (central directory header) and
 * 4.3.16 (end of central directory record). */
#include "report/zipw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#define DOS_DATE_1980_01_01 0x0021 /* (1980-1980) << 9 | 1 << 5 | 1 */
#define ZIP32_MAX	    0xFFFFFFFFu

void rcn_zipw_entry_init(rcn_zipw_entry *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->zs = rcn_xmalloc(sizeof(*e->zs));
	isal_deflate_init(e->zs); /* raw deflate: the zip entry carries its own CRC */
	e->zs->level = 1;	  /* the fast level: the higher ones buy little on XML and are slower */
	e->level_buf = rcn_xmalloc(ISAL_DEF_LVL1_DEFAULT);
	e->zs->level_buf = e->level_buf;
	e->zs->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
}

static void deflate_some(rcn_zipw_entry *e, bool last)
{
	e->zs->end_of_stream = last;
	do {
		if (e->out_cap - e->out_len < 64 * 1024)
			rcn_xreserve((void **)&e->out, &e->out_cap, e->out_len + 256 * 1024, 1);
		e->zs->next_out = e->out + e->out_len;
		e->zs->avail_out = (uint32_t)(e->out_cap - e->out_len);
		if (isal_deflate(e->zs) != COMP_OK)
			abort(); /* only fails on a bad level or state, which init rules out */
		e->out_len = e->out_cap - e->zs->avail_out;
	} while (e->zs->avail_in > 0 || e->zs->avail_out == 0 || (last && e->zs->internal_state.state != ZSTATE_END));
}

void rcn_zipw_entry_write(rcn_zipw_entry *e, const void *data, size_t n)
{
	const unsigned char *p = data;
	while (n > 0) {
		uint32_t k = n > (1u << 30) ? (1u << 30) : (uint32_t)n;
		e->crc = crc32_gzip_refl(e->crc, p, k);
		e->in_len += k;
		e->zs->next_in = (uint8_t *)(uintptr_t)p;
		e->zs->avail_in = k;
		deflate_some(e, false);
		p += k;
		n -= k;
	}
	if (e->in_len > ZIP32_MAX)
		e->failed = true;
}

void rcn_zipw_entry_finish(rcn_zipw_entry *e)
{
	e->zs->next_in = NULL;
	e->zs->avail_in = 0;
	deflate_some(e, true);
	free(e->zs);
	free(e->level_buf);
	e->zs = NULL;
	e->level_buf = NULL;
	if (e->out_len > ZIP32_MAX)
		e->failed = true;
}

void rcn_zipw_entry_free(rcn_zipw_entry *e)
{
	free(e->zs); /* when never finished */
	free(e->level_buf);
	e->zs = NULL;
	e->level_buf = NULL;
	free(e->out);
	e->out = NULL;
}

static void le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xFF);
	p[1] = (unsigned char)((v >> 8) & 0xFF);
}

static void le32(unsigned char *p, uint32_t v)
{
	le16(p, v & 0xFFFF);
	le16(p + 2, v >> 16);
}

/* The fields local and central headers share, from "version needed" on. */
static void common_fields(unsigned char *p, const rcn_zipw_entry *e)
{
	le16(p, 20);	/* version needed: 2.0, deflate */
	le16(p + 2, 0); /* flags */
	le16(p + 4, 8); /* method: deflate */
	le16(p + 6, 0); /* time 00:00:00 */
	le16(p + 8, DOS_DATE_1980_01_01);
	le32(p + 10, e->crc);
	le32(p + 14, (uint32_t)e->out_len);
	le32(p + 18, (uint32_t)e->in_len);
	le16(p + 22, (unsigned)strlen(e->name));
	le16(p + 24, 0); /* extra field length */
}

rcn_rc rcn_zipw_write(FILE *f, const char *path, const rcn_zipw_entry *entries, size_t n, rcn_err *err)
{
	uint64_t offset = 0;
	uint32_t *offsets = rcn_xcalloc(n + 1, sizeof(uint32_t));
	bool ok = n < 0xFFFF;
	for (size_t i = 0; i < n && ok; i++) {
		const rcn_zipw_entry *e = &entries[i];
		unsigned char h[30];
		size_t name_len = strlen(e->name);
		if (e->failed || offset > ZIP32_MAX) {
			free(offsets);
			return rcn_err_set(err, RCN_ELIMIT, path, 0, "cannot write report: %s is larger than 4 GiB",
					   e->name);
		}
		offsets[i] = (uint32_t)offset;
		le32(h, 0x04034b50);
		common_fields(h + 4, e);
		ok = fwrite(h, 1, sizeof(h), f) == sizeof(h) && fwrite(e->name, 1, name_len, f) == name_len &&
		     fwrite(e->out, 1, e->out_len, f) == e->out_len;
		offset += sizeof(h) + name_len + e->out_len;
	}
	uint64_t cd_start = offset;
	for (size_t i = 0; i < n && ok; i++) {
		const rcn_zipw_entry *e = &entries[i];
		unsigned char h[46];
		size_t name_len = strlen(e->name);
		le32(h, 0x02014b50);
		le16(h + 4, 20); /* version made by: MS-DOS, 2.0 */
		common_fields(h + 6, e);
		le16(h + 32, 0); /* comment length */
		le16(h + 34, 0); /* disk number */
		le16(h + 36, 0); /* internal attributes */
		le32(h + 38, 0); /* external attributes */
		le32(h + 42, offsets[i]);
		ok = fwrite(h, 1, sizeof(h), f) == sizeof(h) && fwrite(e->name, 1, name_len, f) == name_len;
		offset += sizeof(h) + name_len;
	}
	free(offsets);
	if (ok && offset > ZIP32_MAX)
		return rcn_err_set(err, RCN_ELIMIT, path, 0, "cannot write report: the workbook is larger than 4 GiB");
	unsigned char end[22];
	le32(end, 0x06054b50);
	le16(end + 4, 0);
	le16(end + 6, 0);
	le16(end + 8, (unsigned)n);
	le16(end + 10, (unsigned)n);
	le32(end + 12, (uint32_t)(offset - cd_start));
	le32(end + 16, (uint32_t)cd_start);
	le16(end + 20, 0);
	if (!ok || fwrite(end, 1, sizeof(end), f) != sizeof(end))
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot write report: %s", strerror(errno ? errno : EIO));
	return RCN_OK;
}
