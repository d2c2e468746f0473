/* decode: a small zip reader (FORMATS.md §2, §3): stored and deflate entries,
 * names in UTF-8 or GBK (converted), and the limits that keep a hostile
 * archive from taking the process down. Reads the central directory; no zip64. */
#ifndef RECON_ZIP_H
#define RECON_ZIP_H

#include "recon/common.h"

/* A zero field takes its default. */
typedef struct {
	size_t max_entries;	  /* default 64 */
	uint64_t max_entry_bytes; /* inflated size of one entry, default 4 GiB */
	uint64_t max_total_bytes; /* inflated size of all entries, default 16 GiB */
	uint32_t max_ratio;	  /* inflated/compressed above this (and above 1 MiB) is a bomb, default 1000 */
} rcn_zip_limits;

#define RCN_ZIP_LIMITS_DEFAULT                                                                                         \
	{                                                                                                              \
		64, (uint64_t)4 << 30, (uint64_t)16 << 30, 1000                                                        \
	}

typedef struct {
	const char *name;  /* UTF-8, borrowed from the archive handle */
	const char *shown; /* name for a one-line message: control bytes as '?', long names cut; borrowed */
	uint64_t compressed_size;
	uint64_t size; /* declared inflated size */
	int method;    /* 0 stored, 8 deflate */
} rcn_zip_entry;

typedef struct rcn_zip rcn_zip;

/* Opens an archive from a file or from memory (data is borrowed and must
 * outlive the handle). `label` names the archive in errors. Refuses: not a
 * zip ("not a zip archive"), more entries than max_entries, an entry name
 * with "..", a leading "/" or "\\", or a drive letter, two entries of the
 * same name (which one a reader takes is anyone's guess), encrypted entries,
 * other compression methods, zip64, and declared sizes that add up to more than
 * max_total_bytes. Errors name the archive by label (the path when NULL;
 * "zip" for memory). */
rcn_rc rcn_zip_open_file(rcn_zip **out, const char *path, const char *label, const rcn_zip_limits *lim, rcn_err *err);
rcn_rc rcn_zip_open_mem(rcn_zip **out, const void *data, size_t n, const char *label, const rcn_zip_limits *lim,
			rcn_err *err);
size_t rcn_zip_count(const rcn_zip *z);
const rcn_zip_entry *rcn_zip_entry_at(const rcn_zip *z, size_t i);

/* Streams entry i's inflated bytes to sink in chunks of at most 64 KiB, never
 * holding the whole entry; verifies the CRC-32 and the declared size, and the
 * limits (error names "archive:entry"). A sink error stops the read and is
 * returned as the sink set it. */
typedef rcn_rc (*rcn_bytes_sink)(void *ctx, const char *buf, size_t n, rcn_err *err);
rcn_rc rcn_zip_read(rcn_zip *z, size_t i, rcn_bytes_sink sink, void *ctx, rcn_err *err);
void rcn_zip_close(rcn_zip *z);

/* True if the first bytes look like a zip archive ("PK\3\4" or an empty "PK\5\6"). */
bool rcn_zip_magic(const void *head, size_t n);

#endif
