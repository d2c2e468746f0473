/* Quoting untrusted bytes into messages and checking UTF-8 (see recon/text.h).
 * Owns nothing. */
#include "recon/text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 character at s[0..n) with its code point, or 0. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, v = c & 0x1Fu;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, v = c & 0x0Fu;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, v = c & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	/* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return 0;
	*cp = v;
	return len;
}

size_t rcn_utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = utf8_char(p + i, n - i, &cp);
		if (!len)
			return i;
		i += len;
	}
	return n;
}

/* A word of eight ASCII bytes with none below 0x20 and no DEL: the test is
 * exact for bytes below 0x80 (the caller checks the high bits first). */
static bool ascii_word_plain(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t below = (w - 0x20 * ones) & ~w & highs; /* a byte < 0x20 */
	uint64_t x = w ^ (0x7F * ones);
	uint64_t del = (x - ones) & ~x & highs; /* a byte == 0x7F */
	return !(below | del);
}

size_t rcn_text_check(const char *s, size_t n, rcn_text_fault *fault)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	*fault = RCN_TEXT_OK;
	while (i < n) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			/* the common case of Chinese text: a three-byte character that
			 * can be neither overlong (E0) nor a surrogate (ED) */
			if (c >= 0xE1 && c <= 0xEF && c != 0xED && i + 2 < n && (p[i + 1] & 0xC0) == 0x80 &&
			    (p[i + 2] & 0xC0) == 0x80) {
				i += 3;
				continue;
			}
			uint32_t cp;
			size_t len = utf8_char(p + i, n - i, &cp);
			if (!len || (cp >= 0x80 && cp <= 0x9F)) {
				*fault = len ? RCN_TEXT_CONTROL : RCN_TEXT_INVALID;
				return i;
			}
			i += len;
			continue;
		}
		if (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (!(w & 0x8080808080808080ull) && ascii_word_plain(w)) {
				i += 8;
				continue;
			}
		}
		if (c == 0) {
			*fault = RCN_TEXT_NUL;
			return i;
		}
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) {
			*fault = RCN_TEXT_CONTROL;
			return i;
		}
		i++;
	}
	return n;
}

const char *rcn_text_fault_name(rcn_text_fault fault)
{
	switch (fault) {
	case RCN_TEXT_NUL:
		return "a NUL byte";
	case RCN_TEXT_CONTROL:
		return "a control character";
	case RCN_TEXT_INVALID:
		return "invalid UTF-8";
	default:
		return "text";
	}
}

/* Characters a terminal or an editor acts on rather than shows. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0x200E ||
	       cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

const char *rcn_quote(char *out, size_t cap, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;
	if (cap == 0)
		return out;
	/* room for the longest escape, "..." and the NUL */
	while (i < n && i < max && o + 8 + 4 <= cap) {
		uint32_t cp;
		size_t len = utf8_char(p + i, n - i, &cp);
		if (len == 0) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (i + len > max)
			break; /* a character that does not fit whole is left out */
		if (cp == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (is_control(cp)) {
			o += (size_t)snprintf(out + o, cap - o, cp < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
		} else {
			memcpy(out + o, p + i, len);
			o += len;
		}
		i += len;
	}
	if (i < n && o + 4 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

void rcn_utf8_trim_tail(char *s)
{
	size_t n = strlen(s);
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned char c = (unsigned char)s[n - back];
		if ((c & 0xC0) == 0x80)
			continue;
		size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (need > back)
			s[n - back] = '\0';
		return;
	}
}

rcn_rc rcn_json_put(rcn_buf *b, const char *s)
{
	if (!s)
		return rcn_buf_append(b, "null", 4);
	rcn_rc rc = rcn_buf_append(b, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	while (*p && rc == RCN_OK) {
		uint32_t cp;
		size_t len = utf8_char(p, left, &cp);
		if (len == 0) {
			rc = rcn_buf_append(b, "\\ufffd", 6);
			len = 1;
		} else if (cp == '"' || cp == '\\') {
			char e[2] = {'\\', (char)cp};
			rc = rcn_buf_append(b, e, 2);
		} else if (cp == '\n' || cp == '\r' || cp == '\t') {
			rc = rcn_buf_append(b, cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : "\\t", 2);
		} else if (cp < 0x20 || cp == 0x7f) {
			rc = rcn_buf_printf(b, "\\u%04x", (unsigned)cp);
		} else {
			rc = rcn_buf_append(b, p, len);
		}
		p += len;
		left -= len;
	}
	return rc == RCN_OK ? rcn_buf_append(b, "\"", 1) : rc;
}

void rcn_hex(char *out, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *d = p;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}
