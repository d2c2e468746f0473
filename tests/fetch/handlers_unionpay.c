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
#include "handlers_util.h"
#include "recon/common.h"

/* Files under <state>/keys, made by server.sh. */
#define FX_UP_MERCHANT_CERT   "unionpay_merchant.pem"	 /* verifies requests */
#define FX_UP_MERCHANT_CERTID "unionpay_merchant.certid" /* the certId requests must carry */
#define FX_UP_MERCHANT_KEY    "unionpay_merchant.key"	 /* bad_signature: a key UnionPay never signs with */
#define FX_UP_PLATFORM_KEY    "unionpay_platform.key"	 /* signs answers */
#define FX_UP_PLATFORM_CERTID "unionpay_platform.certid"

/* signMethod 01: hex SHA-256 of "k=v&..." (sorted, signature left out). */
static void digest_of(char out[65], const fx_params *ps)
{
	rcn_buf text;
	rcn_buf_init(&text, (size_t)64 << 20);
	fx_params_sorted_text(&text, ps, "signature");
	rcn_sha256_hex(out, text.data ? text.data : "", text.len);
	rcn_buf_free(&text);
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
static void reply_form(fx_response *r, const fx_ctx *ctx, fx_params *ans, const char *key_name)
{
	char digest[65], sig[1024];
	digest_of(digest, ans);
	if (!fx_sign_or_fail(sig, sizeof(sig), r, ctx, key_name, digest))
		return;
	fx_params_add(ans, "signature", sig);
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

static bool verify_request(const fx_params *ps, const fx_ctx *ctx)
{
	char path[4096], digest[65], certid[64];
	const char *sig = fx_params_get(ps, "signature"), *cert_id = fx_params_get(ps, "certId");
	fx_key_line(certid, sizeof(certid), ctx, FX_UP_MERCHANT_CERTID);
	if (!sig || !cert_id || !certid[0] || strcmp(cert_id, certid) != 0)
		return false;
	fx_key_path(path, sizeof(path), ctx, FX_UP_MERCHANT_CERT);
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
	fx_fixture_path(dir, sizeof(dir), "unionpay");
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
	fx_fixture_path(path, sizeof(path), rel);
	size_t raw_n;
	char *raw = fx_read_file(path, &raw_n);
	if (!raw)
		return false;
	uLongf packed_n = compressBound((uLong)raw_n);
	unsigned char *packed = rcn_xmalloc(packed_n);
	bool ok = compress2(packed, &packed_n, (const unsigned char *)raw, (uLong)raw_n, Z_BEST_COMPRESSION) == Z_OK &&
		  rcn_base64_encode(out, packed, packed_n) == RCN_OK;
	free(packed);
	free(raw);
	return ok;
}

static void file_trans(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	static const char *const fixed[][2] = {{"version", "5.1.0"}, {"encoding", "UTF-8"}, {"txnType", "76"},
					       {"signMethod", "01"}, {"txnSubType", "01"},  {"bizType", "000000"},
					       {"accessType", "0"},  {"fileType", "00"}};
	if (fx_reply_flaky(r, ctx))
		return;
	if (fx_scenario_is(ctx, "401")) {
		fx_reply_text(r, 401, "text/plain", "unauthorized\n");
		return;
	}
	if (fx_scenario_is(ctx, "html")) {
		fx_reply_text(r, 200, "text/html;charset=UTF-8",
			      "<html><head><title>\xe9\x93\xb6\xe8\x81\x94</title></head><body>"
			      "\xe7\xb3\xbb\xe7\xbb\x9f\xe7\xbb\xb4\xe6\x8a\xa4</body></html>\n");
		return;
	}
	fx_params ps = {.n = 0}, ans = {.n = 0};
	fx_params_parse(&ps, req->body, req->body_len);
	const char *type = fx_req_header(req, "Content-Type");
	const char *mer_id = fx_params_get(&ps, "merId"), *settle = fx_params_get(&ps, "settleDate");
	const char *txn_time = fx_params_get(&ps, "txnTime");
	bool fields_ok = type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0 && mer_id &&
			 mer_id[0] && settle && strlen(settle) == 4 && strspn(settle, "0123456789") == 4 && txn_time &&
			 strlen(txn_time) == 14 && strspn(txn_time, "0123456789") == 14;
	for (size_t i = 0; fields_ok && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		const char *v = fx_params_get(&ps, fixed[i][0]);
		fields_ok = v && strcmp(v, fixed[i][1]) == 0;
	}
	char platform_certid[64], name[256];
	fx_key_line(platform_certid, sizeof(platform_certid), ctx, FX_UP_PLATFORM_CERTID);
	/* echoed as UnionPay does */
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		fx_params_add(&ans, fixed[i][0], fixed[i][1]);
	fx_params_add(&ans, "certId", platform_certid);
	if (mer_id)
		fx_params_add(&ans, "merId", mer_id);
	if (settle)
		fx_params_add(&ans, "settleDate", settle);
	if (txn_time)
		fx_params_add(&ans, "txnTime", txn_time);

	if (!fields_ok) {
		fx_params_add(&ans, "respCode", "30");
		fx_params_add(&ans, "respMsg",
			      "\xe6\x8a\xa5\xe6\x96\x87\xe6\xa0\xbc\xe5\xbc\x8f\xe9\x94\x99"
			      "\xe8\xaf\xaf"); /* 报文格式错误 */
	} else if (!verify_request(&ps, ctx)) {
		fx_params_add(&ans, "respCode", "11");
		fx_params_add(&ans, "respMsg",
			      "\xe9\xaa\x8c\xe8\xaf\x81\xe7\xad\xbe\xe5\x90\x8d\xe5\xa4\xb1\xe8\xb4"
			      "\xa5"); /* 验证签名失败 */
	} else if (fx_scenario_is(ctx, "biz_error")) {
		fx_params_add(&ans, "respCode", "31");
		fx_params_add(&ans, "respMsg",
			      "\xe5\x95\x86\xe6\x88\xb7\xe7\x8a\xb6\xe6\x80\x81\xe4\xb8\x8d\xe6\xad"
			      "\xa3\xe7\xa1\xae"); /* 商户状态不正确 */
	} else if (fx_scenario_is(ctx, "no_bill") || !find_file(name, sizeof(name), mer_id, settle)) {
		fx_params_add(&ans, "respCode", "98");
		fx_params_add(&ans, "respMsg",
			      "\xe6\x96\x87\xe4\xbb\xb6\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8"); /* 文件不存在 */
	} else {
		rcn_buf content;
		rcn_buf_init(&content, (size_t)128 << 20);
		if (!file_content(&content, name)) {
			rcn_buf_free(&content);
			fx_params_free(&ps);
			fx_params_free(&ans);
			fx_reply_text(r, 500, "text/plain", "fixture: cannot read the bill\n");
			return;
		}
		fx_params_add(&ans, "respCode", "00");
		fx_params_add(&ans, "respMsg", "\xe6\x88\x90\xe5\x8a\x9f[0000000]"); /* 成功[0000000] */
		fx_params_add(&ans, "fileName", name);
		fx_params_add(&ans, "fileContent", content.data);
		rcn_buf_free(&content);
	}
	/* bad_signature: signed, but not by UnionPay */
	reply_form(r, ctx, &ans, fx_scenario_is(ctx, "bad_signature") ? FX_UP_MERCHANT_KEY : FX_UP_PLATFORM_KEY);
	if (fx_scenario_is(ctx, "truncated"))
		fx_cut(r, 200, 0);
	else if (fx_scenario_is(ctx, "stall"))
		fx_cut(r, 64, 30);
	fx_params_free(&ps);
	fx_params_free(&ans);
}

const fx_route fx_unionpay_routes[] = {
	{"POST", "/gateway/api/fileTransRequest.do", file_trans},
	{NULL, NULL, NULL},
};
