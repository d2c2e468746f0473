/* Small helpers every statement parser needs, in one place: exact header
 * names, sums that must not overflow, the digit-only counts of summary rows,
 * WeChat's backtick-prefixed values and a file's rejection. */
#ifndef RECON_PARSE_UTIL_H
#define RECON_PARSE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "recon/parse.h"

/* A header cell s[0..n) is exactly `name`. */
static inline bool is_name(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(s, name, n) == 0;
}

/* *acc += v unless that overflows int64 (then *acc is unspecified and false). */
static inline bool checked_add(int64_t *acc, int64_t v)
{
	return !__builtin_add_overflow(*acc, v, acc);
}

/* A count of 1 to 18 digits, nothing else. */
static inline bool parse_count(int64_t *out, const char *s, size_t n)
{
	int64_t v = 0;
	if (n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* A WeChat value s[0..*n) without the backtick the bills put before every
 * value (tolerated when missing). */
static inline const char *strip_backtick(const char *s, size_t *n)
{
	if (*n > 0 && s[0] == '`') {
		(*n)--;
		return s + 1;
	}
	return s;
}

/* What a parser's feed returns: its fatal error so far (copied to *err when
 * err is not NULL), or RCN_OK when there is none (fatal NULL). */
static inline rcn_rc feed_result(const rcn_err *fatal, rcn_err *err)
{
	if (!fatal)
		return RCN_OK;
	if (err)
		*err = *fatal;
	return fatal->code;
}

/* The whole file is rejected, for this reason. */
static inline void reject(rcn_stmt_result *res, const rcn_err *why)
{
	res->rejected = true;
	res->reason = *why;
}

#endif
