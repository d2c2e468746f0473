/* The fixture server's shared handler pieces (see handlers_util.h): files
 * and keys, plain replies, query and form parameters. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/sign.h"
#include "handlers_util.h"

void fx_fixture_path(char *out, size_t n, const char *rel)
{
#ifdef FIXTURES_DIR
	snprintf(out, n, "%s/fetch/%s", FIXTURES_DIR, rel);
#else
	const char *f = __FILE__, *t = strstr(f, "tests/fetch/");
	snprintf(out, n, "%.*sfixtures/fetch/%s", (int)(t ? t - f : 0), f, rel);
#endif
}

void fx_key_path(char *out, size_t n, const fx_ctx *ctx, const char *name)
{
	snprintf(out, n, "%s/keys/%s", ctx->state_dir, name);
}

char *fx_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	rcn_buf b;
	rcn_buf_init(&b, (size_t)64 << 20);
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (rcn_buf_append(&b, chunk, got) != RCN_OK)
			break;
	fclose(f);
	*n = b.len;
	return b.data ? b.data : rcn_xstrdup("");
}

void fx_key_line(char *out, size_t n, const fx_ctx *ctx, const char *name)
{
	char path[4096];
	size_t len = 0;
	fx_key_path(path, sizeof(path), ctx, name);
	out[0] = '\0';
	char *data = fx_read_file(path, &len);
	if (!data)
		return;
	snprintf(out, n, "%.*s", (int)strcspn(data, "\r\n"), data);
	free(data);
}

void fx_reply_text(fx_response *r, int status, const char *type, const char *text)
{
	fx_status(r, status);
	fx_header(r, "Content-Type", type);
	fx_body(r, text, strlen(text));
}

bool fx_reply_flaky(fx_response *r, const fx_ctx *ctx)
{
	if (!fx_scenario_is(ctx, "flaky") || ctx->count >= 2)
		return false;
	fx_reply_text(r, 500, "text/plain", "busy\n");
	return true;
}

bool fx_sign_or_fail(char *sig, size_t n, fx_response *r, const fx_ctx *ctx, const char *key_file, const char *text)
{
	rcn_key *key = NULL;
	rcn_err err;
	char path[4096];
	fx_key_path(path, sizeof(path), ctx, key_file);
	bool ok = rcn_key_load_private(&key, path, &err) == RCN_OK &&
		  rcn_sign_rsa_sha256(sig, n, key, text, strlen(text), &err) == RCN_OK;
	rcn_key_free(key);
	if (!ok)
		fx_reply_text(r, 500, "text/plain", "fixture: cannot sign the answer (keys missing?)\n");
	return ok;
}

void fx_reply_cut(fx_response *r, int stall_s)
{
	char body[100];
	memset(body, 'x', sizeof(body));
	fx_header(r, "Content-Type", "application/octet-stream");
	fx_body(r, body, sizeof(body));
	fx_cut(r, 10, stall_s);
}

const char *fx_query_find(const char *query, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = query; p && *p;) {
		size_t pl = strcspn(p, "&");
		if (pl > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			*len = pl - nl - 1;
			return p + nl + 1;
		}
		p += pl;
		if (*p)
			p++;
	}
	return NULL;
}

static int unhex(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* A form decoder as any web framework has: '+' is a space, %XX a byte. */
static char *form_decode(const char *s, size_t n)
{
	char *out = rcn_xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && unhex(s[i + 1]) >= 0 && unhex(s[i + 2]) >= 0) {
			*o++ = (char)(unhex(s[i + 1]) * 16 + unhex(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

void fx_params_parse(fx_params *ps, const char *s, size_t n)
{
	ps->n = 0;
	size_t i = 0;
	while (i < n && ps->n < FX_MAX_PARAMS) {
		size_t end = i;
		while (end < n && s[end] != '&')
			end++;
		size_t eq = i;
		while (eq < end && s[eq] != '=')
			eq++;
		if (eq < end) {
			ps->p[ps->n].key = form_decode(s + i, eq - i);
			ps->p[ps->n].value = form_decode(s + eq + 1, end - eq - 1);
			ps->n++;
		}
		i = end + 1;
	}
}

void fx_params_add(fx_params *ps, const char *key, const char *value)
{
	if (ps->n == FX_MAX_PARAMS)
		abort();
	ps->p[ps->n].key = rcn_xstrdup(key);
	ps->p[ps->n].value = rcn_xstrdup(value);
	ps->n++;
}

void fx_params_free(fx_params *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->p[i].key);
		free(ps->p[i].value);
	}
	ps->n = 0;
}

const char *fx_params_get(const fx_params *ps, const char *key)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, key) == 0)
			return ps->p[i].value;
	return NULL;
}

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const fx_param *)a)->key, ((const fx_param *)b)->key);
}

void fx_params_sorted_text(rcn_buf *out, const fx_params *ps, const char *skip)
{
	fx_param sorted[FX_MAX_PARAMS];
	size_t m = 0;
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, skip) != 0 && ps->p[i].value[0])
			sorted[m++] = ps->p[i];
	qsort(sorted, m, sizeof(sorted[0]), param_cmp);
	for (size_t i = 0; i < m; i++)
		rcn_buf_printf(out, "%s%s=%s", i ? "&" : "", sorted[i].key, sorted[i].value);
}
