/* The fixture server's UnionPay side (FORMATS.md §3): POST
 * /gateway/api/fileTransRequest.do answers fileTransfer (ACP 5.1.0) after
 * checking the request's fields, certId and signature (RSA-SHA256 over the hex
 * SHA-256 of the sorted parameters, merchant certificate), with a form answer
 * signed by the "UnionPay" key whose fileContent is base64 of the zlib-deflated
 * zip. Written apart from the client's code so that a shared bug cannot agree
 * with itself. Behaviour by scenario: ok, bad_signature, flaky, stall, 401,
 * no_bill, truncated, html, biz_error. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "fetch/sign.h"
#include "fixture_server.h"
#include "recon/common.h"

/* Files under <state>/keys, made by server.sh. */
#define FX_UP_MERCHANT_CERT   "unionpay_merchant.pem"	 /* verifies requests */
#define FX_UP_MERCHANT_CERTID "unionpay_merchant.certid" /* the certId requests must carry */
#define FX_UP_MERCHANT_KEY    "unionpay_merchant.key"	 /* bad_signature: a key UnionPay never signs with */
#define FX_UP_PLATFORM_KEY    "unionpay_platform.key"	 /* signs answers */
#define FX_UP_PLATFORM_CERTID "unionpay_platform.certid"
#define MAX_PARAMS	      48

typedef struct {
	char *key, *value;
} param;

typedef struct {
	param p[MAX_PARAMS];
	size_t n;
} params;

static void fixture_path(char *out, size_t n, const char *rel)
{
#ifdef FIXTURES_DIR
	snprintf(out, n, "%s/fetch/%s", FIXTURES_DIR, rel);
#else
	const char *f = __FILE__, *t = strstr(f, "tests/fetch/");
	snprintf(out, n, "%.*sfixtures/fetch/%s", (int)(t ? t - f : 0), f, rel);
#endif
}

static int unhex(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

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

static void params_parse(params *ps, const char *s, size_t n)
{
	ps->n = 0;
	size_t i = 0;
	while (i < n && ps->n < MAX_PARAMS) {
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

static void params_add(params *ps, const char *key, const char *value)
{
	if (ps->n == MAX_PARAMS)
		abort();
	ps->p[ps->n].key = rcn_xstrdup(key);
	ps->p[ps->n].value = rcn_xstrdup(value);
	ps->n++;
}

static void params_free(params *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->p[i].key);
		free(ps->p[i].value);
	}
	ps->n = 0;
}

static const char *params_get(const params *ps, const char *key)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, key) == 0)
			return ps->p[i].value;
	return NULL;
}

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const param *)a)->key, ((const param *)b)->key);
}

/* signMethod 01: hex SHA-256 of "k=v&..." (sorted, signature left out). */
static void digest_of(char out[65], const params *ps)
{
	param sorted[MAX_PARAMS];
	size_t m = 0;
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, "signature") != 0 && ps->p[i].value[0])
			sorted[m++] = ps->p[i];
	qsort(sorted, m, sizeof(sorted[0]), param_cmp);
	rcn_buf text;
	rcn_buf_init(&text, (size_t)64 << 20);
	for (size_t i = 0; i < m; i++)
		rcn_buf_printf(&text, "%s%s=%s", i ? "&" : "", sorted[i].key, sorted[i].value);
	rcn_sha256_hex(out, text.data ? text.data : "", text.len);
	rcn_buf_free(&text);
}

static void key_path(char *out, size_t n, const fx_ctx *ctx, const char *name)
{
	snprintf(out, n, "%s/keys/%s", ctx->state_dir, name);
}

static void read_line(char *out, size_t n, const fx_ctx *ctx, const char *name)
{
	char path[4096];
	key_path(path, sizeof(path), ctx, name);
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(out, (int)n, f))
			out[0] = '\0';
		fclose(f);
	}
	out[strcspn(out, "\r\n")] = '\0';
}

static void reply_text(fx_response *r, int status, const char *type, const char *text)
{
	fx_status(r, status);
	fx_header(r, "Content-Type", type);
	fx_body(r, text, strlen(text));
}

static void put_encoded(rcn_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			rcn_buf_printf(b, "%c", c);
		else
			rcn_buf_printf(b, "%%%02X", c);
	}
}

/* Signs ans with key_name and replies "k=v&..." with URL-encoded values. */
static void reply_form(fx_response *r, const fx_ctx *ctx, params *ans, const char *key_name)
{
	char path[4096], digest[65], sig[1024];
	rcn_key *key = NULL;
	rcn_err err;
	digest_of(digest, ans);
	key_path(path, sizeof(path), ctx, key_name);
	if (rcn_key_load_private(&key, path, &err) != RCN_OK ||
	    rcn_sign_rsa_sha256(sig, sizeof(sig), key, digest, strlen(digest), &err) != RCN_OK) {
		rcn_key_free(key);
		reply_text(r, 500, "text/plain", "fixture: cannot sign the answer (keys missing?)\n");
		return;
	}
	rcn_key_free(key);
	params_add(ans, "signature", sig);
	rcn_buf b;
	rcn_buf_init(&b, (size_t)256 << 20);
	for (size_t i = 0; i < ans->n; i++) {
		rcn_buf_printf(&b, "%s%s=", i ? "&" : "", ans->p[i].key);
		put_encoded(&b, ans->p[i].value);
	}
	fx_status(r, 200);
	fx_header(r, "Content-Type", "application/x-www-form-urlencoded;charset=UTF-8");
	fx_body(r, b.data, b.len);
	rcn_buf_free(&b);
}

static bool verify_request(const params *ps, const fx_ctx *ctx)
{
	char path[4096], digest[65], certid[64];
	const char *sig = params_get(ps, "signature"), *cert_id = params_get(ps, "certId");
	read_line(certid, sizeof(certid), ctx, FX_UP_MERCHANT_CERTID);
	if (!sig || !cert_id || !certid[0] || strcmp(cert_id, certid) != 0)
		return false;
	key_path(path, sizeof(path), ctx, FX_UP_MERCHANT_CERT);
	digest_of(digest, ps);
	rcn_key *key = NULL;
	rcn_err err;
	bool ok = rcn_key_load_public(&key, path, &err) == RCN_OK &&
		  rcn_verify_rsa_sha256(key, digest, strlen(digest), sig, &err) == RCN_OK;
	rcn_key_free(key);
	return ok;
}

/* "<merId>_<yyyy><settleDate>.zip" under fixtures/fetch/unionpay (any year). */
static bool find_file(char *name, size_t n, const char *mer_id, const char *mmdd)
{
	char dir[4096], suffix[16];
	fixture_path(dir, sizeof(dir), "unionpay");
	snprintf(suffix, sizeof(suffix), "%.4s.zip", mmdd);
	size_t ml = strlen(mer_id);
	DIR *d = opendir(dir);
	bool found = false;
	for (struct dirent *e; d && !found && (e = readdir(d));) {
		const char *s = e->d_name;
		if (strlen(s) == ml + 1 + 8 + 4 && strncmp(s, mer_id, ml) == 0 && s[ml] == '_' &&
		    strcmp(s + ml + 5, suffix) == 0) {
			snprintf(name, n, "%s", s);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* base64(zlib(file)), as UnionPay's fileContent. */
static bool file_content(rcn_buf *out, const char *name)
{
	char rel[512], path[4096];
	snprintf(rel, sizeof(rel), "unionpay/%.200s", name);
	fixture_path(path, sizeof(path), rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	rcn_buf raw;
	rcn_buf_init(&raw, (size_t)64 << 20);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		rcn_buf_append(&raw, buf, n);
	fclose(f);
	uLongf packed_n = compressBound((uLong)raw.len);
	unsigned char *packed = rcn_xmalloc(packed_n);
	bool ok = compress2(packed, &packed_n, (const unsigned char *)(raw.data ? raw.data : ""), (uLong)raw.len,
			    Z_BEST_COMPRESSION) == Z_OK &&
		  rcn_base64_encode(out, packed, packed_n) == RCN_OK;
	free(packed);
	rcn_buf_free(&raw);
	return ok;
}

static void file_trans(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	static const char *const fixed[][2] = {{"version", "5.1.0"}, {"encoding", "UTF-8"}, {"txnType", "76"},
					       {"signMethod", "01"}, {"txnSubType", "01"},  {"bizType", "000000"},
					       {"accessType", "0"},  {"fileType", "00"}};
	if (fx_scenario_is(ctx, "flaky") && ctx->count < 2) {
		reply_text(r, 500, "text/plain", "busy\n");
		return;
	}
	if (fx_scenario_is(ctx, "401")) {
		reply_text(r, 401, "text/plain", "unauthorized\n");
		return;
	}
	if (fx_scenario_is(ctx, "html")) {
		reply_text(r, 200, "text/html;charset=UTF-8",
			   "<html><head><title>\xe9\x93\xb6\xe8\x81\x94</title></head><body>"
			   "\xe7\xb3\xbb\xe7\xbb\x9f\xe7\xbb\xb4\xe6\x8a\xa4</body></html>\n");
		return;
	}
	params ps = {.n = 0}, ans = {.n = 0};
	params_parse(&ps, req->body, req->body_len);
	const char *type = fx_req_header(req, "Content-Type");
	const char *mer_id = params_get(&ps, "merId"), *settle = params_get(&ps, "settleDate");
	const char *txn_time = params_get(&ps, "txnTime");
	bool fields_ok = type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0 && mer_id &&
			 mer_id[0] && settle && strlen(settle) == 4 && strspn(settle, "0123456789") == 4 && txn_time &&
			 strlen(txn_time) == 14 && strspn(txn_time, "0123456789") == 14;
	for (size_t i = 0; fields_ok && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		const char *v = params_get(&ps, fixed[i][0]);
		fields_ok = v && strcmp(v, fixed[i][1]) == 0;
	}
	char platform_certid[64], name[256];
	read_line(platform_certid, sizeof(platform_certid), ctx, FX_UP_PLATFORM_CERTID);
	/* echoed as UnionPay does */
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		params_add(&ans, fixed[i][0], fixed[i][1]);
	params_add(&ans, "certId", platform_certid);
	if (mer_id)
		params_add(&ans, "merId", mer_id);
	if (settle)
		params_add(&ans, "settleDate", settle);
	if (txn_time)
		params_add(&ans, "txnTime", txn_time);

	if (!fields_ok) {
		params_add(&ans, "respCode", "30");
		params_add(&ans, "respMsg",
			   "\xe6\x8a\xa5\xe6\x96\x87\xe6\xa0\xbc\xe5\xbc\x8f\xe9\x94\x99"
			   "\xe8\xaf\xaf"); /* 报文格式错误 */
	} else if (!verify_request(&ps, ctx)) {
		params_add(&ans, "respCode", "11");
		params_add(&ans, "respMsg",
			   "\xe9\xaa\x8c\xe8\xaf\x81\xe7\xad\xbe\xe5\x90\x8d\xe5\xa4\xb1\xe8\xb4"
			   "\xa5"); /* 验证签名失败 */
	} else if (fx_scenario_is(ctx, "biz_error")) {
		params_add(&ans, "respCode", "31");
		params_add(&ans, "respMsg",
			   "\xe5\x95\x86\xe6\x88\xb7\xe7\x8a\xb6\xe6\x80\x81\xe4\xb8\x8d\xe6\xad"
			   "\xa3\xe7\xa1\xae"); /* 商户状态不正确 */
	} else if (fx_scenario_is(ctx, "no_bill") || !find_file(name, sizeof(name), mer_id, settle)) {
		params_add(&ans, "respCode", "98");
		params_add(&ans, "respMsg",
			   "\xe6\x96\x87\xe4\xbb\xb6\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8"); /* 文件不存在 */
	} else {
		rcn_buf content;
		rcn_buf_init(&content, (size_t)128 << 20);
		if (!file_content(&content, name)) {
			rcn_buf_free(&content);
			params_free(&ps);
			params_free(&ans);
			reply_text(r, 500, "text/plain", "fixture: cannot read the bill\n");
			return;
		}
		params_add(&ans, "respCode", "00");
		params_add(&ans, "respMsg", "\xe6\x88\x90\xe5\x8a\x9f[0000000]"); /* 成功[0000000] */
		params_add(&ans, "fileName", name);
		params_add(&ans, "fileContent", content.data);
		rcn_buf_free(&content);
	}
	/* bad_signature: signed, but not by UnionPay */
	reply_form(r, ctx, &ans, fx_scenario_is(ctx, "bad_signature") ? FX_UP_MERCHANT_KEY : FX_UP_PLATFORM_KEY);
	if (fx_scenario_is(ctx, "truncated"))
		fx_cut(r, 200, 0);
	else if (fx_scenario_is(ctx, "stall"))
		fx_cut(r, 64, 30);
	params_free(&ps);
	params_free(&ans);
}

const fx_route fx_unionpay_routes[] = {
	{"POST", "/gateway/api/fileTransRequest.do", file_trans},
	{NULL, NULL, NULL},
};
