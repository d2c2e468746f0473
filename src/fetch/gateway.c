/* Form parameters, the sorted sign string, a raw-text JSON member finder and
 * the markup check shared by the Alipay and UnionPay clients (gateway.h).
 * Owns the copies held by an rcn_form; everything else borrows. */
#include "fetch/gateway.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JSON_MAX_DEPTH 64 /* nesting a bill-query answer never needs; keeps the scanner's recursion bounded */

void rcn_form_init(rcn_form *f)
{
	f->p = NULL;
	f->n = f->cap = 0;
}

void rcn_form_free(rcn_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->p[i].key);
		free(f->p[i].value);
	}
	free(f->p);
	rcn_form_init(f);
}

static void add_n(rcn_form *f, const char *key, size_t kn, const char *value, size_t vn)
{
	rcn_xreserve((void **)&f->p, &f->cap, f->n + 1, sizeof(*f->p));
	f->p[f->n].key = rcn_xstrndup(key, kn);
	f->p[f->n].value = rcn_xstrndup(value, vn);
	f->n++;
}

void rcn_form_add(rcn_form *f, const char *key, const char *value)
{
	add_n(f, key, strlen(key), value, strlen(value));
}

const char *rcn_form_get(const rcn_form *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->p[i].key, key) == 0)
			return f->p[i].value;
	return NULL;
}

static int by_key(const void *a, const void *b)
{
	const rcn_form_param *const *x = a, *const *y = b;
	return strcmp((*x)->key, (*y)->key);
}

/* Buffers here have no limit but memory: a failed append is a bug. */
static void put(rcn_buf *out, const void *data, size_t n)
{
	if (rcn_buf_append(out, data, n) != RCN_OK)
		abort();
}

void rcn_form_sign_string(rcn_buf *out, const rcn_form *f, const char *skip)
{
	const rcn_form_param **sorted = rcn_xmalloc((f->n ? f->n : 1) * sizeof(*sorted));
	size_t m = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->p[i].value[0] && !(skip && strcmp(f->p[i].key, skip) == 0))
			sorted[m++] = &f->p[i];
	if (m)
		qsort(sorted, m, sizeof(*sorted), by_key);
	for (size_t i = 0; i < m; i++) {
		if (i)
			put(out, "&", 1);
		put(out, sorted[i]->key, strlen(sorted[i]->key));
		put(out, "=", 1);
		put(out, sorted[i]->value, strlen(sorted[i]->value));
	}
	free(sorted);
}

static void percent_encode(rcn_buf *out, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			put(out, s, 1);
		} else {
			char esc[3] = {'%', digits[c >> 4], digits[c & 15]};
			put(out, esc, 3);
		}
	}
}

void rcn_form_encode(rcn_buf *out, const rcn_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (i)
			put(out, "&", 1);
		percent_encode(out, f->p[i].key);
		put(out, "=", 1);
		percent_encode(out, f->p[i].value);
	}
}

int rcn_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into a new string; NULL on a bad %XX or an embedded NUL. */
static char *percent_decode(const char *s, size_t n)
{
	char *out = rcn_xmalloc(n + 1);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[m++] = s[i];
			continue;
		}
		int hi = i + 2 < n ? rcn_hexval(s[i + 1]) : -1, lo = i + 2 < n ? rcn_hexval(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			free(out);
			return NULL;
		}
		out[m++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[m] = '\0';
	return out;
}

rcn_rc rcn_form_parse(rcn_form *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t end = amp ? (size_t)(amp - s) : n;
		if (end > i) {
			const char *eq = memchr(s + i, '=', end - i);
			if (!eq)
				return RCN_EFORMAT;
			char *key = percent_decode(s + i, (size_t)(eq - (s + i)));
			char *value = percent_decode(eq + 1, (size_t)(s + end - (eq + 1)));
			bool ok = key && value && key[0] && !rcn_form_get(out, key);
			if (ok)
				add_n(out, key, strlen(key), value, strlen(value));
			free(key);
			free(value);
			if (!ok)
				return RCN_EFORMAT;
		}
		i = end + 1;
	}
	return RCN_OK;
}

/* ---- JSON: just enough to find a member and keep its raw text ---- */

static void skip_ws(const char *s, size_t n, size_t *i)
{
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' || s[*i] == '\n'))
		(*i)++;
}

/* Steps over a string starting at s[*i] == '"'. */
static bool scan_string(const char *s, size_t n, size_t *i)
{
	if (*i >= n || s[*i] != '"')
		return false;
	for (size_t j = *i + 1; j < n; j++) {
		unsigned char c = (unsigned char)s[j];
		if (c == '"') {
			*i = j + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++j >= n)
				return false;
			if (s[j] == 'u') {
				for (int k = 0; k < 4; k++)
					if (++j >= n || rcn_hexval(s[j]) < 0)
						return false;
			} else if (!s[j] || !strchr("\"\\/bfnrt", s[j])) {
				return false;
			}
		}
	}
	return false;
}

static bool scan_value(const char *s, size_t n, size_t *i, int depth);

/* Steps over an object or array starting at s[*i]. */
static bool scan_container(const char *s, size_t n, size_t *i, int depth)
{
	char close = s[*i] == '{' ? '}' : ']';
	bool object = close == '}';
	if (depth >= JSON_MAX_DEPTH)
		return false;
	(*i)++;
	skip_ws(s, n, i);
	if (*i < n && s[*i] == close) {
		(*i)++;
		return true;
	}
	for (;;) {
		skip_ws(s, n, i);
		if (object) {
			if (!scan_string(s, n, i))
				return false;
			skip_ws(s, n, i);
			if (*i >= n || s[*i] != ':')
				return false;
			(*i)++;
		}
		if (!scan_value(s, n, i, depth + 1))
			return false;
		skip_ws(s, n, i);
		if (*i < n && s[*i] == ',') {
			(*i)++;
			continue;
		}
		if (*i < n && s[*i] == close) {
			(*i)++;
			return true;
		}
		return false;
	}
}

static bool scan_value(const char *s, size_t n, size_t *i, int depth)
{
	skip_ws(s, n, i);
	if (*i >= n)
		return false;
	char c = s[*i];
	if (c == '"')
		return scan_string(s, n, i);
	if (c == '{' || c == '[')
		return scan_container(s, n, i, depth);
	/* numbers and true/false/null: a run of their characters */
	size_t start = *i;
	while (*i < n && s[*i] && strchr("0123456789+-.eEtruefalsn", s[*i]))
		(*i)++;
	if (*i == start)
		return false;
	size_t len = *i - start;
	const char *w = s + start;
	if (c == 't')
		return len == 4 && memcmp(w, "true", 4) == 0;
	if (c == 'f')
		return len == 5 && memcmp(w, "false", 5) == 0;
	if (c == 'n')
		return len == 4 && memcmp(w, "null", 4) == 0;
	return c == '-' || (c >= '0' && c <= '9');
}

rcn_rc rcn_json_member(const char *s, size_t n, const char *key, const char **val, size_t *val_n)
{
	size_t i = 0;
	const char *found = NULL;
	size_t found_n = 0;
	rcn_buf name;
	rcn_buf_init(&name, 1024);
	rcn_rc rc = RCN_EFORMAT;
	*val = NULL;
	*val_n = 0;
	skip_ws(s, n, &i);
	if (i >= n || s[i] != '{')
		goto cleanup;
	i++;
	skip_ws(s, n, &i);
	if (i < n && s[i] == '}') {
		i++;
	} else {
		for (;;) {
			skip_ws(s, n, &i);
			size_t kstart = i;
			if (!scan_string(s, n, &i))
				goto cleanup;
			rcn_buf_reset(&name);
			/* a name too long for the buffer is not one we look for */
			bool named = rcn_json_string(&name, s + kstart, i - kstart) == RCN_OK && name.data &&
				     strcmp(name.data, key) == 0;
			skip_ws(s, n, &i);
			if (i >= n || s[i] != ':')
				goto cleanup;
			i++;
			skip_ws(s, n, &i);
			size_t vstart = i;
			if (!scan_value(s, n, &i, 1))
				goto cleanup;
			if (named) {
				if (found) /* two values: which one was signed? */
					goto cleanup;
				found = s + vstart;
				found_n = i - vstart;
			}
			skip_ws(s, n, &i);
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (i < n && s[i] == '}') {
				i++;
				break;
			}
			goto cleanup;
		}
	}
	skip_ws(s, n, &i);
	if (i != n)
		goto cleanup;
	*val = found;
	*val_n = found_n;
	rc = RCN_OK;
cleanup:
	rcn_buf_free(&name);
	return rc;
}

static rcn_rc put_utf8(rcn_buf *out, uint32_t cp)
{
	unsigned char u[4];
	size_t k;
	if (cp < 0x20)
		cp = ' ';
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		k = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		k = 4;
	}
	return rcn_buf_append(out, u, k);
}

static uint32_t hex4(const char *p)
{
	uint32_t v = 0;
	for (int k = 0; k < 4; k++)
		v = v * 16 + (uint32_t)rcn_hexval(p[k]);
	return v;
}

rcn_rc rcn_json_string(rcn_buf *out, const char *raw, size_t n)
{
	size_t end = 0;
	if (!scan_string(raw, n, &end) || end != n)
		return RCN_EFORMAT;
	rcn_rc rc = rcn_buf_append(out, "", 0);
	for (size_t i = 1; rc == RCN_OK && i + 1 < n; i++) {
		char c = raw[i];
		if (c != '\\') {
			rc = rcn_buf_append(out, &c, 1);
			continue;
		}
		c = raw[++i];
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/     ";
			rc = rcn_buf_append(out, &to[strchr(from, c) - from], 1);
			continue;
		}
		uint32_t cp = hex4(raw + i + 1);
		i += 4;
		if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < n && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
			uint32_t lo = hex4(raw + i + 3);
			if (lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
		}
		if (cp >= 0xD800 && cp < 0xE000)
			cp = 0xFFFD; /* a lone surrogate */
		rc = put_utf8(out, cp);
	}
	return rc;
}

bool rcn_gateway_is_markup(const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i = 0;
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i < n && p[i] == '<';
}

bool rcn_gateway_safe_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

rcn_rc rcn_gateway_fail(rcn_err *err, const char *source, rcn_rc code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rcn_err_set(err, code, "", 0, "[source %.100s]: %s", source, msg);
}

rcn_rc rcn_gateway_name_source(rcn_err *err, const char *source)
{
	char msg[sizeof(err->msg)];
	memcpy(msg, err->msg, sizeof(msg));
	msg[sizeof(msg) - 1] = '\0';
	int k = snprintf(err->msg, sizeof(err->msg), "[source %.100s]: ", source);
	size_t used = k > 0 ? (size_t)k : 0, room = sizeof(err->msg) - used - 1, n = strlen(msg);
	if (n > room)
		n = room;
	memcpy(err->msg + used, msg, n);
	err->msg[used + n] = '\0';
	return err->code;
}

rcn_rc rcn_gateway_require(rcn_err *err, const char *source, const char *api, const char *const *keys,
			   const char *const *values, size_t n, const char *merchant_id)
{
	for (size_t i = 0; i < n; i++)
		if (!values[i] || !values[i][0])
			return rcn_gateway_fail(err, source, RCN_EUSAGE, "api = %s needs %s", api, keys[i]);
	if (!rcn_gateway_safe_name(merchant_id))
		return rcn_gateway_fail(err, source, RCN_EUSAGE, "merchant_id '%.64s' is not a plain id", merchant_id);
	return RCN_OK;
}

void rcn_gateway_shanghai_now(char *out, size_t n, bool compact)
{
	time_t t = time(NULL) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, compact ? "%Y%m%d%H%M%S" : "%Y-%m-%d %H:%M:%S", &tm);
}

rcn_rc rcn_gateway_load_keys(const rcn_fetch_request *req, rcn_key **private_key, rcn_key **channel_key, rcn_err *err)
{
	rcn_rc rc = rcn_key_load_private(private_key, req->private_key_file, err);
	if (rc == RCN_OK)
		rc = rcn_key_load_public(channel_key, req->platform_cert_file, err);
	return rc ? rcn_gateway_name_source(err, req->source) : RCN_OK;
}

rcn_rc rcn_gateway_send(const rcn_fetch_request *req, const rcn_http_request *hr, const rcn_fetch_settings *s,
			rcn_http_response *r, rcn_api_result *out, rcn_err *err)
{
	rcn_rc rc = rcn_http_send(hr, s, r, err);
	out->attempts += r->attempts;
	out->http_status = r->status;
	return rc ? rcn_gateway_name_source(err, req->source) : RCN_OK;
}

rcn_rc rcn_gateway_post(const rcn_fetch_request *req, const char *channel, const char *what, const char *url,
			const char *const *headers, const rcn_buf *body, const rcn_fetch_settings *s,
			rcn_http_response *r, rcn_api_result *out, rcn_err *err)
{
	rcn_http_request hr = {.method = "POST",
			       .url = url,
			       .headers = headers,
			       .body = body->data,
			       .body_len = body->len,
			       .channel = channel,
			       .what = what};
	return rcn_gateway_send(req, &hr, s, r, out, err);
}

rcn_rc rcn_gateway_expect(const rcn_fetch_request *req, const rcn_http_response *r, const char *what,
			  const char *instead_of, rcn_err *err)
{
	if (r->status != 200)
		return rcn_gateway_fail(err, req->source, RCN_EIO, "%s: HTTP %ld", what, r->status);
	if (instead_of && rcn_gateway_is_markup(r->body.data, r->body.len))
		return rcn_gateway_fail(err, req->source, RCN_EFORMAT, "%s: an HTML page instead of %s", what,
					instead_of);
	return RCN_OK;
}
