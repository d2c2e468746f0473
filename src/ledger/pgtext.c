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
