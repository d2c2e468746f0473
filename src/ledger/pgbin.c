/* Binary COPY rows and timestamp values (see pgbin.h). */
#include "ledger/pgbin.h"

#include <string.h>

#include "recon/date.h"
#include "recon/pq.h"

static uint32_t be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

const char RCN_PGBIN_HEADER[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

size_t rcn_pgbin_header(const char *data, size_t len)
{
	if (len < 19 || memcmp(data, RCN_PGBIN_HEADER, 11) != 0) /* the signature */
		return 0;
	/* bits 0-15 are critical format issues, 16 the OIDs recon does not read */
	if (be32(data + 11) & 0x1ffffu)
		return 0;
	uint32_t ext = be32(data + 15);
	return ext <= len - 19 ? 19 + (size_t)ext : 0;
}

size_t rcn_pgbin_missing(const char *data, size_t len, bool first)
{
	size_t at = 0;
	if (first) {
		if (len < 19)
			return 19 - len;
		uint32_t ext = be32(data + 15);
		if (ext > len - 19)
			return ext - (len - 19);
		at = 19 + ext;
		if (at == len)
			return 0; /* the header alone */
	}
	if (len - at < 2)
		return 2 - (len - at);
	int n = (int16_t)((unsigned char)data[at] << 8 | (unsigned char)data[at + 1]);
	at += 2;
	if (n < 0)
		return 0; /* the trailer, or malformed */
	for (int i = 0; i < n; i++) {
		if (len - at < 4)
			return 4 - (len - at);
		uint32_t l = be32(data + at);
		at += 4;
		if (l == UINT32_MAX)
			continue;
		if (l > INT32_MAX)
			return 0; /* malformed */
		if (l > len - at)
			return l - (len - at);
		at += l;
	}
	return 0;
}

int rcn_pgbin_split(char *row, size_t len, const char **fields, int *lens, int max)
{
	if (len < 2)
		return -1;
	int n = (int16_t)((unsigned char)row[0] << 8 | (unsigned char)row[1]);
	if (n == -1)
		return len == 2 ? 0 : -1;
	if (n < 0 || n > max)
		return -1;
	size_t at = 2;
	for (int i = 0; i < n; i++) {
		if (len - at < 4)
			return -1;
		uint32_t l = be32(row + at);
		at += 4;
		if (l == UINT32_MAX) {
			fields[i] = NULL;
			lens[i] = -1;
			continue;
		}
		if (l > len - at || l > INT32_MAX)
			return -1;
		fields[i] = row + at;
		lens[i] = (int)l;
		at += l;
	}
	if (at != len)
		return -1;
	for (int i = 0; i < n; i++)
		if (fields[i])
			row[fields[i] - row + lens[i]] = '\0';
	return n;
}

int64_t rcn_pgbin_int8(const char *value)
{
	return (int64_t)((uint64_t)be32(value) << 32 | be32(value + 4));
}

#define PG_TS_NOBEGIN INT64_MIN
#define PG_TS_NOEND   INT64_MAX
#define USECS	      1000000

/* Microseconds since 2000-01-01 00:00:00 on the zone's clock to seconds
 * since 1970 on it, the fraction dropped (1999-12-31 23:59:59.5 is still
 * 23:59:59, as the value's text would be cut after its seconds). */
static bool local_seconds(rcn_time *out, int64_t t)
{
	if (t == PG_TS_NOBEGIN || t == PG_TS_NOEND)
		return false;
	int64_t secs = t / USECS - (t % USECS < 0);
	secs += (int64_t)RCN_PGBIN_EPOCH_DAYS * RCN_SECS_PER_DAY;
	if (secs < RCN_TIME_MIN || secs > RCN_TIME_MAX)
		return false;
	*out = secs;
	return true;
}

bool rcn_pgbin_timestamp(rcn_time *out, const char *value)
{
	return local_seconds(out, rcn_pgbin_int8(value));
}

bool rcn_pgbin_timestamptz(rcn_time *out, const char *value, const rcn_pgbin_zone *zone)
{
	int64_t t = rcn_pgbin_int8(value);
	if (zone->n == 0 || t < zone->seg[0].from || t >= zone->end)
		return false; /* infinity too: never inside a span */
	size_t i = 0;
	while (i + 1 < zone->n && zone->seg[i + 1].from <= t)
		i++;
	return local_seconds(out, t + (int64_t)zone->seg[i].offset * USECS);
}

/* ---- writing: COPY ... FROM STDIN (FORMAT binary) (recon/pq.h) ---- */

static rcn_rc put_be(rcn_buf *b, uint64_t v, size_t n)
{
	unsigned char d[8];
	for (size_t k = 0; k < n; k++)
		d[k] = (unsigned char)(v >> (8 * (n - 1 - k)));
	return rcn_buf_append(b, d, n);
}

rcn_rc rcn_pq_bin_header(rcn_buf *b)
{
	return rcn_buf_append(b, RCN_PGBIN_HEADER, sizeof RCN_PGBIN_HEADER);
}

rcn_rc rcn_pq_bin_fields(rcn_buf *b, int n)
{
	return put_be(b, (uint16_t)n, 2);
}

rcn_rc rcn_pq_bin_trailer(rcn_buf *b)
{
	return put_be(b, 0xFFFF, 2); /* -1 fields */
}

rcn_rc rcn_pq_bin_null(rcn_buf *b)
{
	return put_be(b, UINT32_MAX, 4); /* length -1 */
}

rcn_rc rcn_pq_bin_text(rcn_buf *b, const char *s, bool empty_is_null)
{
	size_t n = s ? strlen(s) : 0;
	if (!s || (!n && empty_is_null))
		return rcn_pq_bin_null(b);
	if (n > INT32_MAX)
		return RCN_ELIMIT;
	rcn_rc rc = put_be(b, n, 4);
	return rc == RCN_OK ? rcn_buf_append(b, s, n) : rc;
}

rcn_rc rcn_pq_bin_bytes(rcn_buf *b, const void *data, size_t n)
{
	if (n > INT32_MAX)
		return RCN_ELIMIT;
	rcn_rc rc = put_be(b, n, 4);
	return rc == RCN_OK ? rcn_buf_append(b, data, n) : rc;
}

rcn_rc rcn_pq_bin_int8(rcn_buf *b, bool has, int64_t v)
{
	if (!has)
		return rcn_pq_bin_null(b);
	rcn_rc rc = put_be(b, 8, 4);
	return rc == RCN_OK ? put_be(b, (uint64_t)v, 8) : rc;
}

rcn_rc rcn_pq_bin_int4(rcn_buf *b, int32_t v)
{
	rcn_rc rc = put_be(b, 4, 4);
	return rc == RCN_OK ? put_be(b, (uint32_t)v, 4) : rc;
}

rcn_rc rcn_pq_bin_date(rcn_buf *b, bool has, rcn_date d)
{
	return has ? rcn_pq_bin_int4(b, (int32_t)(d - RCN_PGBIN_EPOCH_DAYS)) : rcn_pq_bin_null(b);
}

rcn_rc rcn_pq_bin_bool(rcn_buf *b, bool v)
{
	rcn_rc rc = put_be(b, 1, 4);
	return rc == RCN_OK ? put_be(b, v, 1) : rc;
}
