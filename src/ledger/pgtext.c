/* COPY FROM text format, array literals and JSON strings for the ledger module.
 * Formats: PostgreSQL docs "COPY" (File Formats, Text Format), "Arrays"
 * (Array Value Input) and RFC 8259 §7 strings. */
#include "ledger/pgtext.h"

#include <limits.h>
#include <string.h>

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
