/* Readers for WeChat Pay's answers: one string member of a JSON object (the
 * v3 answers: hash_value, download_url, an error's code and message) and one
 * element of an XML document (the v2 errors). Strict about well-formedness,
 * bounded by the caller's buffer; the unit tests check them without a server. */
#include "fetch/wechat_api.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A small JSON reader: enough to find one string member of the answer
 * object, rejecting anything that is not well-formed JSON. */
typedef struct {
	const char *p, *end;
} json_scan;

static void json_ws(json_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int json_hex4(json_scan *s, unsigned long *cp)
{
	*cp = 0;
	if (s->end - s->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)*s->p++;
		int v = isdigit(c)		 ? c - '0'
			: (c >= 'a' && c <= 'f') ? c - 'a' + 10
			: (c >= 'A' && c <= 'F') ? c - 'A' + 10
						 : -1;
		if (v < 0)
			return -1;
		*cp = *cp * 16 + (unsigned long)v;
	}
	return 0;
}

static size_t utf8_encode(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Reads the string at s->p (its opening quote) into out[0..n) when out is not
 * NULL. Returns 0, 1 when it did not fit (out holds a prefix), -1 when malformed. */
static int json_string(json_scan *s, char *out, size_t n)
{
	if (s->p >= s->end || *s->p != '"')
		return -1;
	s->p++;
	size_t k = 0;
	bool fits = true;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p++;
		char enc[4];
		size_t m = 1;
		enc[0] = (char)c;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (s->p >= s->end)
				return -1;
			char e = *s->p++;
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *at = e ? strchr(from, e) : NULL;
			unsigned long cp, lo;
			if (at) {
				enc[0] = to[at - from];
			} else if (e == 'u') {
				if (json_hex4(s, &cp) || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
					return -1;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
						return -1;
					s->p += 2;
					if (json_hex4(s, &lo) || lo < 0xDC00 || lo > 0xDFFF)
						return -1;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				}
				m = utf8_encode(enc, cp);
			} else {
				return -1;
			}
		}
		if (out && fits && k + m < n) {
			memcpy(out + k, enc, m);
			k += m;
		} else {
			fits = false;
		}
	}
	if (s->p >= s->end)
		return -1;
	s->p++;
	if (out && n)
		out[k] = '\0';
	return fits ? 0 : 1;
}

static int json_skip(json_scan *s, int depth)
{
	json_ws(s);
	if (s->p >= s->end)
		return -1;
	char open = *s->p;
	if (open == '"')
		return json_string(s, NULL, 0) < 0 ? -1 : 0;
	if (open == '{' || open == '[') {
		char close = open == '{' ? '}' : ']';
		if (depth > 32)
			return -1;
		s->p++;
		json_ws(s);
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return 0;
		}
		for (;;) {
			if (open == '{') {
				json_ws(s);
				if (json_string(s, NULL, 0) < 0)
					return -1;
				json_ws(s);
				if (s->p >= s->end || *s->p != ':')
					return -1;
				s->p++;
			}
			if (json_skip(s, depth + 1))
				return -1;
			json_ws(s);
			if (s->p >= s->end)
				return -1;
			if (*s->p == close) {
				s->p++;
				return 0;
			}
			if (*s->p++ != ',')
				return -1;
		}
	}
	const char *start = s->p; /* a number, true, false or null */
	while (s->p < s->end && (isalnum((unsigned char)*s->p) || *s->p == '-' || *s->p == '+' || *s->p == '.'))
		s->p++;
	return s->p > start ? 0 : -1;
}

int rcn_wechat_json_string(char *out, size_t n, const char *json, size_t len, const char *name)
{
	json_scan s = {json, json + len};
	int result = 0;
	if (n)
		out[0] = '\0';
	json_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return -1;
	s.p++;
	json_ws(&s);
	if (s.p < s.end && *s.p == '}') {
		s.p++;
	} else {
		for (;;) {
			char key[64];
			json_ws(&s);
			int k = json_string(&s, key, sizeof(key));
			if (k < 0)
				return -1;
			json_ws(&s);
			if (s.p >= s.end || *s.p != ':')
				return -1;
			s.p++;
			json_ws(&s);
			/* the first member of that name counts; the rest of the text must still be JSON */
			if (k == 0 && result == 0 && strcmp(key, name) == 0 && s.p < s.end && *s.p == '"') {
				int v = json_string(&s, out, n);
				if (v < 0)
					return -1;
				result = v == 0 ? 1 : -1;
			} else if (json_skip(&s, 0)) {
				return -1;
			}
			json_ws(&s);
			if (s.p >= s.end)
				return -1;
			if (*s.p == '}') {
				s.p++;
				break;
			}
			if (*s.p++ != ',')
				return -1;
		}
	}
	json_ws(&s);
	if (s.p != s.end)
		return -1;
	if (result < 0 && n)
		out[0] = '\0';
	return result;
}

int rcn_wechat_xml_field(char *out, size_t n, const char *xml, size_t len, const char *name)
{
	char open[80], close[80];
	int lo = snprintf(open, sizeof(open), "<%s>", name), lc = snprintf(close, sizeof(close), "</%s>", name);
	if (n)
		out[0] = '\0';
	if (lo < 0 || lc < 0 || (size_t)lc >= sizeof(close))
		return 0;
	const char *b = memmem(xml, len, open, (size_t)lo);
	if (!b)
		return 0;
	b += lo;
	const char *e = memmem(b, (size_t)(xml + len - b), close, (size_t)lc);
	if (!e)
		return 0;
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
	size_t k = 0;
	for (const char *p = b; p < e;) {
		const char *from = p;
		size_t m = 1;
		char c = *p;
		if (e - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
			const char *q = memmem(p + 9, (size_t)(e - p - 9), "]]>", 3);
			if (!q)
				return -1;
			from = p + 9;
			m = (size_t)(q - from);
			p = q + 3;
		} else {
			p++;
			for (size_t i = 0; c == '&' && i < sizeof(ents) / sizeof(ents[0]); i++) {
				size_t el = strlen(ents[i].ent);
				if ((size_t)(e - from) >= el && memcmp(from, ents[i].ent, el) == 0) {
					p = from + el;
					from = &ents[i].c;
					break;
				}
			}
		}
		if (k + m >= n)
			return -1;
		memcpy(out + k, from, m);
		k += m;
	}
	out[k] = '\0';
	return 1;
}
