/* COPY text format, array literals and JSON strings for the ledger module.
 * Formats: PostgreSQL docs "COPY" (File Formats, Text Format), "Arrays"
 * (Array Value Input) and RFC 8259 §7 strings. */
#include "ledger/pgtext.h"

#include <limits.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the escape after a backslash at row[*r] (COPY text format) and
 * advances *r past it. */
static char unescape(const char *row, size_t len, size_t *r)
{
	char e = row[(*r)++];
	switch (e) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'v':
		return '\v';
	case 'x': {
		if (*r >= len || hexval(row[*r]) < 0)
			return 'x';
		int v = hexval(row[(*r)++]);
		if (*r < len && hexval(row[*r]) >= 0)
			v = v * 16 + hexval(row[(*r)++]);
		return (char)v;
	}
	default:
		break;
	}
	if (e < '0' || e > '7')
		return e; /* \\ and any other escaped character stand for themselves */
	int v = e - '0';
	for (int k = 0; k < 2 && *r < len && row[*r] >= '0' && row[*r] <= '7'; k++)
		v = v * 8 + (row[(*r)++] - '0');
	return (char)v;
}

/* One byte of a row being cut at its tabs: a tab ends field [*start, at); a
 * backslash is fine only as a whole-field \N. False for any other backslash. */
static bool cut_at(char *row, size_t len, size_t at, size_t *start, const char **fields, int *n, int max, bool *over)
{
	if (row[at] == '\\')
		return at == *start && at + 1 < len && row[at + 1] == 'N' && (at + 2 == len || row[at + 2] == '\t');
	if (*n >= max) {
		*over = true;
		return true;
	}
	row[at] = '\0';
	fields[(*n)++] = at - *start == 2 && row[*start] == '\\' && row[*start + 1] == 'N' ? NULL : row + *start;
	*start = at + 1;
	return true;
}

/* The common row (no escapes but whole-field \N) in one pass, 16 bytes at a
 * time where SSE2 is there: cut in place at the tabs. -2 when the row has
 * another escape: its tabs are put back for the general path. A window is
 * millions of rows, and a memchr per field was most of their splitting. */
static int split_plain_row(char *row, size_t len, const char **fields, int max)
{
	int n = 0;
	size_t start = 0, i = 0;
	bool over = false;
#ifdef __SSE2__
	const __m128i tab = _mm_set1_epi8('\t'), bs = _mm_set1_epi8('\\');
	for (; i + 16 <= len && !over; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(row + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, bs)));
		for (; m && !over; m &= m - 1)
			if (!cut_at(row, len, i + (size_t)__builtin_ctz(m), &start, fields, &n, max, &over))
				goto escaped;
	}
#endif
	for (; i < len && !over; i++)
		if ((row[i] == '\t' || row[i] == '\\') && !cut_at(row, len, i, &start, fields, &n, max, &over))
			goto escaped;
	if (over || n >= max)
		return -1;
	fields[n++] = len - start == 2 && row[start] == '\\' && row[start + 1] == 'N' ? NULL : row + start;
	return n;
escaped:
	for (size_t k = 0; k < i + 16 && k < len; k++) /* no NUL comes from the server: every one was a tab */
		if (row[k] == '\0')
			row[k] = '\t';
	return -2;
}

int rcn_pgtext_split(char *row, size_t len, const char **fields, int max)
{
	if (len > 0 && row[len - 1] == '\n')
		len--;
	row[len] = '\0';
	int n = split_plain_row(row, len, fields, max);
	if (n != -2)
		return n;
	/* another escape somewhere: every field unescaped */
	n = 0;
	size_t r = 0, w = 0;
	for (;;) {
		if (n >= max)
			return -1;
		/* \N is NULL only as the whole field. */
		if (r + 1 < len && row[r] == '\\' && row[r + 1] == 'N' && (r + 2 == len || row[r + 2] == '\t')) {
			fields[n++] = NULL;
			r += 2;
		} else {
			size_t start = w;
			while (r < len && row[r] != '\t') {
				char c = row[r++];
				if (c == '\\' && r < len)
					c = unescape(row, len, &r);
				row[w++] = c;
			}
			row[w++] = '\0';
			fields[n++] = row + start;
		}
		if (r >= len)
			return n;
		r++; /* the tab */
	}
}

rcn_rc rcn_pgtext_put_field(rcn_buf *b, const char *s)
{
	if (!s)
		return rcn_buf_append(b, "\\N", 2);
	const char *run = s;
	for (const char *p = s; *p; p++) {
		const char *esc = NULL;
		switch (*p) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			break;
		}
		if (!esc)
			continue;
		rcn_rc rc = rcn_buf_append(b, run, (size_t)(p - run));
		if (rc == RCN_OK)
			rc = rcn_buf_append(b, esc, 2);
		if (rc != RCN_OK)
			return rc;
		run = p + 1;
	}
	return rcn_buf_append(b, run, strlen(run));
}

rcn_rc rcn_pgtext_put_array(rcn_buf *b, const char *const *v, size_t n)
{
	rcn_rc rc = rcn_buf_append(b, "{", 1);
	for (size_t i = 0; i < n && rc == RCN_OK; i++) {
		if (i > 0)
			rc = rcn_buf_append(b, ",", 1);
		if (rc == RCN_OK)
			rc = rcn_buf_append(b, "\"", 1);
		for (const char *p = v[i] ? v[i] : ""; *p && rc == RCN_OK; p++) {
			if (*p == '"' || *p == '\\')
				rc = rcn_buf_append(b, "\\", 1);
			if (rc == RCN_OK)
				rc = rcn_buf_append(b, p, 1);
		}
		if (rc == RCN_OK)
			rc = rcn_buf_append(b, "\"", 1);
	}
	if (rc == RCN_OK)
		rc = rcn_buf_append(b, "}", 1);
	return rc;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned min;
	unsigned cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1Fu;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0Fu;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

rcn_rc rcn_pgtext_put_json(rcn_buf *b, const char *s)
{
	rcn_rc rc = rcn_buf_append(b, "\"", 1);
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p && rc == RCN_OK) {
		if (*p == '"' || *p == '\\') {
			char e[2] = {'\\', (char)*p};
			rc = rcn_buf_append(b, e, 2);
			p++;
		} else if (*p < 0x20) {
			rc = rcn_buf_printf(b, "\\u%04x", (unsigned)*p);
			p++;
		} else {
			size_t n = utf8_len(p);
			if (n == 0) {
				rc = rcn_buf_append(b, "\\ufffd", 6);
				p++;
			} else {
				rc = rcn_buf_append(b, p, n);
				p += n;
			}
		}
	}
	if (rc == RCN_OK)
		rc = rcn_buf_append(b, "\"", 1);
	return rc;
}

bool rcn_pgtext_int64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	bool neg = *s == '-';
	if (neg)
		s++;
	if (!*s)
		return false;
	uint64_t v = 0;
	const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return true;
}
