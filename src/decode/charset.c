/* GBK (read as GB18030, its superset) to UTF-8 with glibc's iconv, as a
 * stream: a multibyte sequence cut by a chunk boundary waits for the next
 * chunk. UTF-8 input is validated and passed through. */
#include "recon/charset.h"

#include <errno.h>
#include <stdio.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rcn_charset {
	iconv_t cd;   /* (iconv_t)-1 for UTF-8 pass-through */
	char tail[8]; /* incomplete sequence kept from the previous chunk */
	size_t tail_len;
	uint64_t consumed; /* input bytes fully converted, for error offsets */
	char from[16];
};

/* Length of the longest valid UTF-8 prefix of s[0..n) that ends on a character boundary. */
static size_t utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		unsigned char c = *p;
		size_t len;
		uint32_t cp;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2, cp = c & 0x1Fu;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, cp = c & 0x0Fu;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, cp = c & 0x07u;
		} else {
			break;
		}
		if ((size_t)(end - p) < len)
			break;
		size_t i = 1;
		for (; i < len && (p[i] & 0xC0) == 0x80; i++)
			cp = (cp << 6) | (p[i] & 0x3Fu);
		if (i < len)
			break;
		/* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			break;
		p += len;
	}
	return (size_t)(p - (const unsigned char *)s);
}

bool rcn_utf8_valid(const char *s, size_t n)
{
	return utf8_valid_prefix(s, n) == n;
}

/* Length of an incomplete UTF-8 sequence at the end of s[0..n), 0 if none. */
static size_t utf8_incomplete_tail(const char *s, size_t n)
{
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned char c = (unsigned char)s[n - back];
		if ((c & 0xC0) == 0x80)
			continue; /* continuation byte: look further back */
		size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
		return need > back ? back : 0;
	}
	return 0;
}

rcn_rc rcn_charset_open(rcn_charset **out, const char *from, rcn_err *err)
{
	rcn_charset *c = rcn_xcalloc(1, sizeof(*c));
	c->cd = (iconv_t)-1;
	if (strcasecmp(from, "UTF-8") == 0 || strcasecmp(from, "UTF8") == 0) {
		snprintf(c->from, sizeof(c->from), "UTF-8");
	} else if (strcasecmp(from, "GBK") == 0 || strcasecmp(from, "GB18030") == 0 ||
		   strcasecmp(from, "GB2312") == 0) {
		snprintf(c->from, sizeof(c->from), "GBK");
		c->cd = iconv_open("UTF-8", "GB18030");
		if (c->cd == (iconv_t)-1) {
			free(c);
			return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "GB18030 conversion is not available: %s",
					   strerror(errno));
		}
	} else {
		free(c);
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "unsupported encoding '%s' (use GBK or UTF-8)", from);
	}
	*out = c;
	return RCN_OK;
}

static rcn_rc bad_bytes(const rcn_charset *c, uint64_t at, rcn_err *err)
{
	return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid %s byte sequence at byte %llu", c->from,
			   (unsigned long long)at);
}

/* Converts buf[0..n); leaves an incomplete trailing sequence in c->tail. */
static rcn_rc convert_block(rcn_charset *c, const char *buf, size_t n, rcn_buf *out, rcn_err *err)
{
	if (c->cd == (iconv_t)-1) {
		size_t keep = utf8_incomplete_tail(buf, n);
		size_t ok = utf8_valid_prefix(buf, n - keep);
		if (ok < n - keep) {
			/* the text before the bad bytes is passed on, as iconv does below */
			if (rcn_buf_append(out, buf, ok))
				return rcn_err_set(err, RCN_ELIMIT, NULL, 0, "converted text exceeds %zu bytes",
						   out->limit);
			return bad_bytes(c, c->consumed + ok, err);
		}
		if (rcn_buf_append(out, buf, n - keep))
			return rcn_err_set(err, RCN_ELIMIT, NULL, 0, "converted text exceeds %zu bytes", out->limit);
		memcpy(c->tail, buf + n - keep, keep);
		c->tail_len = keep;
		c->consumed += n - keep;
		return RCN_OK;
	}
	char *in = (char *)buf;
	size_t left = n;
	while (left > 0) {
		char tmp[4096];
		char *o = tmp;
		size_t room = sizeof(tmp);
		size_t before = left;
		size_t r = iconv(c->cd, &in, &left, &o, &room);
		int e = errno;
		c->consumed += before - left;
		if (rcn_buf_append(out, tmp, (size_t)(o - tmp)))
			return rcn_err_set(err, RCN_ELIMIT, NULL, 0, "converted text exceeds %zu bytes", out->limit);
		if (r != (size_t)-1)
			break;
		if (e == E2BIG)
			continue;
		if (e == EINVAL && left <= sizeof(c->tail)) { /* incomplete sequence at the end */
			memcpy(c->tail, in, left);
			c->tail_len = left;
			return RCN_OK;
		}
		return bad_bytes(c, c->consumed, err);
	}
	c->tail_len = 0;
	return RCN_OK;
}

rcn_rc rcn_charset_convert(rcn_charset *c, const char *in, size_t n, rcn_buf *out, rcn_err *err)
{
	if (!c->tail_len)
		return convert_block(c, in, n, out, err);
	/* a sequence was cut by the previous chunk: convert it together with this one */
	char *joined = rcn_xmalloc(c->tail_len + n);
	memcpy(joined, c->tail, c->tail_len);
	memcpy(joined + c->tail_len, in, n);
	size_t total = c->tail_len + n;
	c->tail_len = 0;
	rcn_rc rc = convert_block(c, joined, total, out, err);
	free(joined);
	return rc;
}

rcn_rc rcn_charset_finish(rcn_charset *c, rcn_buf *out, rcn_err *err)
{
	(void)out;
	if (c->tail_len)
		return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "truncated %s byte sequence at the end (byte %llu)",
				   c->from, (unsigned long long)c->consumed);
	return RCN_OK;
}

void rcn_charset_close(rcn_charset *c)
{
	if (!c)
		return;
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	free(c);
}

rcn_rc rcn_charset_field(char *out, size_t cap, const char *s, size_t n, const char *from, rcn_err *err)
{
	rcn_charset *c;
	rcn_buf b;
	rcn_rc rc = rcn_charset_open(&c, from, err);
	if (rc)
		return rc;
	rcn_buf_init(&b, cap ? cap - 1 : 0);
	rc = rcn_charset_convert(c, s, n, &b, err);
	if (!rc)
		rc = rcn_charset_finish(c, &b, err);
	if (!rc && cap) {
		memcpy(out, b.data ? b.data : "", b.len);
		out[b.len] = '\0';
	}
	rcn_buf_free(&b);
	rcn_charset_close(c);
	return rc;
}
