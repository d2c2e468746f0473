/* Exact decimal money parsing and formatting on int64 minor units. */
#include "recon/money.h"
#include "recon/text.h"

#include <stdio.h>
#include <string.h>

static const int64_t pow10_tab[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

/* The largest value that still fits once multiplied by pow10_tab[k]. */
static const int64_t fits_tab[] = {INT64_MAX,	      INT64_MAX / 10,	  INT64_MAX / 100,    INT64_MAX / 1000,
				   INT64_MAX / 10000, INT64_MAX / 100000, INT64_MAX / 1000000};

/* Bytes of the (possibly invalid) UTF-8 character at s[0..n), to quote one character. */
static size_t char_len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return len < n ? len : n;
}

/* Every check, with the message of the first one that fails. */
static rcn_rc parse_checked(int64_t *out, const char *s, size_t n, int scale, rcn_err *err)
{
	size_t i = 0;
	bool neg = false, dot = false, digit = false;
	int decimals = 0;
	int64_t v = 0;

	if (n == 0)
		return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid amount \"\": empty");
	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	int digits = 0;
	for (; i < n; i++) {
		char c = s[i];
		unsigned d = (unsigned)(c - '0');
		if (d < 10) { /* digits first: they are nearly every byte */
			if (dot && ++decimals > scale)
				return rcn_err_set(err, RCN_EFORMAT, NULL, 0,
						   "invalid amount \"%s\": more than %d decimals", RCN_QUOTE(s, n),
						   scale);
			/* 18 digits always fit; past them every digit is checked */
			if (++digits > 18 && v > (INT64_MAX - (int64_t)d) / 10)
				return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid amount \"%s\": too large",
						   RCN_QUOTE(s, n));
			v = v * 10 + (int64_t)d;
			continue;
		}
		if (c != '.')
			return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid amount \"%s\": unexpected '%s'",
					   RCN_QUOTE(s, n), RCN_QUOTE(s + i, char_len(s + i, n - i)));
		if (dot)
			return rcn_err_set(err, RCN_EFORMAT, NULL, 0,
					   "invalid amount \"%s\": more than one decimal point", RCN_QUOTE(s, n));
		dot = true;
	}
	digit = digits > 0;
	if (!digit)
		return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid amount \"%s\": no digits", RCN_QUOTE(s, n));
	if (v > fits_tab[scale - decimals])
		return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid amount \"%s\": too large", RCN_QUOTE(s, n));
	v *= pow10_tab[scale - decimals];
	*out = neg ? -v : v;
	return RCN_OK;
}

rcn_rc rcn_money_parse(int64_t *out, const char *s, size_t n, int scale, rcn_err *err)
{
	/* A statement has millions of amounts, nearly all a few digits and a
	 * point: one pass with a single test per byte. At most 18 characters
	 * always fit before scaling; anything else (a bad amount, the int64
	 * edge) takes the checked path, which has the error messages. */
	if (n > 0 && n <= 18) {
		/* "0", "0.00", "0.00000": most of a bill's amount columns on
		 * most rows, told apart without the loop below */
		if (s[0] == '0' && (n == 1 || (s[1] == '.' && n - 2 <= (size_t)scale))) {
			size_t z = 2;
			while (z < n && s[z] == '0')
				z++;
			if (z >= n) {
				*out = 0;
				return RCN_OK;
			}
		}
		size_t neg = s[0] == '-', i = neg, dot = SIZE_MAX;
		uint64_t v = 0;
		for (; i < n; i++) {
			unsigned d = (unsigned)(unsigned char)s[i] - '0';
			if (d < 10)
				v = v * 10 + d;
			else if (s[i] == '.' && dot == SIZE_MAX)
				dot = i;
			else
				break;
		}
		size_t decimals = dot == SIZE_MAX ? 0 : n - dot - 1;
		size_t digits = n - neg - (dot != SIZE_MAX);
		if (i == n && digits > 0 && decimals <= (size_t)scale &&
		    (int64_t)v <= fits_tab[(size_t)scale - decimals]) {
			int64_t r = (int64_t)v * pow10_tab[(size_t)scale - decimals];
			*out = neg ? -r : r;
			return RCN_OK;
		}
	}
	return parse_checked(out, s, n, scale, err);
}

const char *rcn_money_format(char *buf, size_t n, int64_t v, int scale)
{
	/* digits from the right, the point before the scale-th; no printf: a
	 * night's reports format millions of amounts */
	char tmp[48];
	size_t i = sizeof(tmp);
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int k = 0;
	do {
		if (scale > 0 && k == scale)
			tmp[--i] = '.';
		tmp[--i] = (char)('0' + a % 10);
		a /= 10;
		k++;
	} while (a || k <= scale);
	if (v < 0)
		tmp[--i] = '-';
	if (n > 0) {
		size_t len = sizeof(tmp) - i < n - 1 ? sizeof(tmp) - i : n - 1;
		memcpy(buf, tmp + i, len);
		buf[len] = '\0';
	}
	return buf;
}

rcn_rc rcn_rate_parse(int64_t *out_ppm, const char *s, size_t n, rcn_err *err)
{
	if (n < 2 || s[n - 1] != '%')
		return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid rate \"%s\": expected a percentage like 0.60%%",
				   RCN_QUOTE(s, n));
	int64_t v;
	rcn_err e;
	if (rcn_money_parse(&v, s, n - 1, 4, &e) != RCN_OK || v < 0 || v > 1000000)
		return rcn_err_set(err, RCN_EFORMAT, NULL, 0,
				   "invalid rate \"%s\": expected 0%% to 100%% with at most 4 decimals",
				   RCN_QUOTE(s, n));
	*out_ppm = v; /* percent with 4 decimals == parts per million */
	return RCN_OK;
}

int64_t rcn_fee_half_up(int64_t amount_fen, int64_t ppm)
{
	int64_t a = amount_fen < 0 ? -amount_fen : amount_fen;
	/* a * ppm fits: amounts below 9.2e12 fen (92 billion yuan) at 100% */
	int64_t fee = (a * ppm + 500000) / 1000000;
	return amount_fen < 0 ? -fee : fee;
}
