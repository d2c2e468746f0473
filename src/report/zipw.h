/* report: the smallest zip writer an xlsx needs. Entries are deflated into
 * memory as their bytes stream in (ISA-L's igzip, raw deflate), then written with
 * their sizes and CRC in the local header: no data descriptors, no zip64
 * (an entry stays below 4 GiB), a fixed time (1980-01-01 00:00) so the same
 * contents give the same bytes. */
#ifndef RECON_REPORT_ZIPW_H
#define RECON_REPORT_ZIPW_H

#include <stdio.h>

struct isal_zstream;

#include "recon/common.h"

/* One entry being compressed. Independent of any archive, so entries can be
 * compressed on several threads and added in a fixed order afterwards. */
typedef struct {
	char name[64];
	struct isal_zstream *zs; /* while compressing */
	unsigned char *level_buf;
	unsigned char *out; /* compressed bytes */
	size_t out_len, out_cap;
	uint32_t crc;
	uint64_t in_len;
	bool failed; /* too large for a zip without zip64 */
} rcn_zipw_entry;

/* Deflated at ISA-L level 1. */
void rcn_zipw_entry_init(rcn_zipw_entry *e, const char *name);
void rcn_zipw_entry_write(rcn_zipw_entry *e, const void *data, size_t n);
void rcn_zipw_entry_finish(rcn_zipw_entry *e);
void rcn_zipw_entry_free(rcn_zipw_entry *e);

/* Writes the archive: the entries in order, then the central directory. */
rcn_rc rcn_zipw_write(FILE *f, const char *path, const rcn_zipw_entry *entries, size_t n, rcn_err *err);

#endif
