/* PostgreSQL's binary wire format as the ledger module reads it: rows of
 * COPY ... TO STDOUT (FORMAT binary) and timestamp values (a binary COPY
 * row's, or a binary PGresult's). Pure functions over caller-owned
 * buffers, so they are unit-testable. Format: PostgreSQL docs "COPY"
 * (File Formats, Binary Format); timestamp_send in the server's source. */
#ifndef RECON_LEDGER_PGBIN_H
#define RECON_LEDGER_PGBIN_H

#include "recon/common.h"
#include "recon/date.h"

/* The file header recon writes (signature, no flags, no extension) and
 * the day the format counts dates and timestamps from, 2000-01-01, as
 * days after 1970-01-01 (rcn_date's origin). */
extern const char RCN_PGBIN_HEADER[19];
#define RCN_PGBIN_EPOCH_DAYS 10957

/* The 19-byte file header's length when data[0..len) starts with the
 * signature, flags without the OIDs bit and an extension area (skipped),
 * else 0. */
size_t rcn_pgbin_header(const char *data, size_t len);

/* Splits one binary COPY tuple in place: row[0..len) is a 16-bit field
 * count, then per field a 32-bit length (-1: NULL) and its bytes; row[len]
 * must be writable (libpq's buffers have a NUL there). Every value is
 * NUL-terminated in place (the NUL overwrites the next length, already
 * read), so text values are C strings; fields[i] is NULL for SQL NULL and
 * lens[i] the value's length (-1 for NULL). Returns the number of fields,
 * 0 for the trailer (a count of -1), or -1 for more than max fields or a
 * row whose lengths do not add up to len. */
int rcn_pgbin_split(char *row, size_t len, const char **fields, int *lens, int max);

/* How many more bytes the start of one binary COPY message, data[0..len),
 * needs before its tuple is whole (each message is one tuple, the first
 * one led by the file header; the trailer is a count of -1): 0 when it is
 * whole or cannot be (malformed, left to rcn_pgbin_split), else how many
 * more it needs at least, known from the lengths read so far. */
size_t rcn_pgbin_missing(const char *data, size_t len, bool first);

/* An int8 value: 8 bytes, big-endian. */
int64_t rcn_pgbin_int8(const char *value);

/* A timestamp (without time zone) value, 8 bytes: microseconds since
 * 2000-01-01 00:00:00, big-endian, as a local rcn_time (the fraction
 * dropped, as the value's text would be cut after its seconds); false for
 * ±infinity and years outside 1..9999. */
bool rcn_pgbin_timestamp(rcn_time *out, const char *value);

/* A time zone's offsets from UTC over a span of time, as the server states
 * them (ledger_load.c asks it): offset[i] holds from from[i] (microseconds
 * since 2000-01-01 00:00:00 UTC; from[0] is the span's start, the rest
 * ascending) up to the next, the last up to end. */
typedef struct {
	int64_t from;
	int32_t offset; /* seconds east of UTC */
} rcn_pgbin_offset;
typedef struct {
	const rcn_pgbin_offset *seg;
	size_t n;
	int64_t end;
} rcn_pgbin_zone;

/* A timestamptz value (8 bytes: microseconds since 2000-01-01 00:00:00 UTC,
 * big-endian) as the zone's local time, as rcn_pgbin_timestamp; false also
 * outside the zone's span. Converting on the server (::timestamp) was a
 * quarter of a 10 M window's server time. */
bool rcn_pgbin_timestamptz(rcn_time *out, const char *value, const rcn_pgbin_zone *zone);

#endif
