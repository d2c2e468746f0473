/* The fixture server's WeChat Pay side (FORMATS.md §1 "Download protocol"):
 * checks each request the way WeChat does (v3 Authorization with keys/merchant.pem,
 * v2 sign with keys/wechat_v2.key), signs v3 answers with keys/platform.key, and
 * serves fixtures/fetch/wechat/ bills for merchant 1601959334 on 2021-01-28.
 * Scenarios (a word, or the word and "-anything" for counters of one's own):
 * ok, bad_signature, digest_mismatch, flaky, stall, 401, no_bill, truncated,
 * html, expired, and for the answer's signer and date (signed_json)
 * timestamp-<T>, unknown_serial, no_serial, rotated, pubkey. Any other date
 * answers "no bill". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch/sign.h"
#include "handlers_util.h"
#include "recon/common.h"

#define MCHID	       "1601959334"
#define BILL_DAY       "2021-01-28"
#define MOCK_HASH      "dcd7ceb3d382a1181798368bb15d8437de46c00f" /* gunsluo's mock value: matches no file */
#define STALL_S	       30					  /* the server gives up when the client does */
#define UNKNOWN_SERIAL "7B3F0A2C9E1D4B5A6C7D8E9F0A1B2C3D4E5F6A7B" /* no key of the fixture's */
#define PUB_KEY_ID     "PUB_KEY_ID_0116019593342021012800000000000001"

typedef struct {
	const char *token; /* names the bill in download_url */
	const char *file;  /* in fixtures/fetch/wechat/ */
	const char *sha1;  /* of the decompressed file (sha1sum of the .csv) */
} bill;

static const bill trade_bill = {"trade", "tradebill_ALL_20210128.csv.gz", "b18b51eb64422040e5ad738d47b358a40b1a7997"};
static const bill fundflow_bill = {"fundflow", "fundflowbill_BASIC_20210128.csv.gz",
				   "0d4e4e2518a94c053f58e0db78d62ccc6e46ac34"};

/* ---- files ---- */

/* A bill from <state>/wechat/ when a test put one there, else from the source tree. */
static char *read_bill(const fx_ctx *ctx, const bill *b, size_t *n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/wechat/%s", ctx->state_dir, b->file);
	char *data = fx_read_file(path, n);
	if (data)
		return data;
	snprintf(path, sizeof(path), "wechat/%s", b->file);
	char fixture[4096];
	fx_fixture_path(fixture, sizeof(fixture), path);
	return fx_read_file(fixture, n);
}

/* A 200 answer with the bill's bytes (freed here); scenario "stall" stops
 * after a third of them, "truncated" closes after half. */
static void reply_bill(fx_response *resp, const fx_ctx *ctx, char *data, size_t n)
{
	fx_status(resp, 200);
	fx_header(resp, "Content-Type", "application/octet-stream");
	fx_body(resp, data, n);
	if (fx_scenario_is(ctx, "stall"))
		fx_cut(resp, n / 3, STALL_S);
	else if (fx_scenario_is(ctx, "truncated"))
		fx_cut(resp, n / 2, 0);
	free(data);
}

/* ---- answers ---- */

static void json(fx_response *r, int status, const char *body)
{
	fx_reply_text(r, status, "application/json", body);
}

static void json_error(fx_response *r, int status, const char *code, const char *message)
{
	char body[1024];
	snprintf(body, sizeof(body), "{\"code\":\"%s\",\"message\":\"%s\"}", code, message);
	json(r, status, body);
}

static void html(fx_response *r)
{
	static const char page[] = "<!DOCTYPE html>\r\n<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
				   "<body><center><h1>502 Bad Gateway</h1></center><hr><center>stgw</center></body>\r\n"
				   "</html>\r\n";
	fx_status(r, 200);
	fx_header(r, "Content-Type", "text/html");
	fx_body(r, page, sizeof(page) - 1);
}

/* The platform signs "<timestamp>\n<nonce>\n<body>\n"; bad_signature signs
 * another body. Who signs and when, by scenario: timestamp-<T> dates the
 * answer T (Unix seconds); unknown_serial names a serial no key has;
 * no_serial names none; rotated signs with the rotated certificate
 * (platform_new); pubkey names the 微信支付公钥 id PUB_KEY_ID instead of the
 * certificate's serial. */
static void signed_json(fx_response *r, const fx_ctx *ctx, const char *body)
{
	char keyfile[4096], nonce[33], ts[24], serial[128], sig[1024];
	rcn_key *key = NULL;
	rcn_err err;
	bool rotated = fx_scenario_is(ctx, "rotated");
	snprintf(keyfile, sizeof(keyfile), "%s/keys/%s", ctx->state_dir, rotated ? "platform_new.key" : "platform.key");
	if (rcn_key_load_private(&key, keyfile, &err) != RCN_OK) {
		json_error(r, 500, "FIXTURE", "cannot load keys/platform.key");
		return;
	}
	rcn_nonce(nonce, sizeof(nonce));
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (fx_scenario_is(ctx, "timestamp"))
		snprintf(ts, sizeof(ts), "%lld", strtoll(ctx->scenario + strlen("timestamp-"), NULL, 10));
	rcn_buf msg;
	rcn_buf_init(&msg, SIZE_MAX);
	rcn_buf_printf(&msg, "%s\n%s\n%s\n", ts, nonce, body);
	if (fx_scenario_is(ctx, "bad_signature"))
		rcn_buf_printf(&msg, " "); /* the answer changed after it was signed */
	rcn_rc rc = rcn_sign_rsa_sha256(sig, sizeof(sig), key, msg.data, msg.len, &err);
	rcn_buf_free(&msg);
	rcn_key_free(key);
	if (rc != RCN_OK) {
		json_error(r, 500, "FIXTURE", "cannot sign with keys/platform.key");
		return;
	}
	fx_key_line(serial, sizeof(serial), ctx, rotated ? "platform_new.serial" : "platform.serial");
	if (fx_scenario_is(ctx, "unknown_serial"))
		snprintf(serial, sizeof(serial), "%s", UNKNOWN_SERIAL);
	else if (fx_scenario_is(ctx, "pubkey"))
		snprintf(serial, sizeof(serial), "%s", PUB_KEY_ID);
	fx_header(r, "Request-ID", "08F78BB5AF0610D302A7A4C2E8E1C1D5");
	fx_header(r, "Wechatpay-Nonce", nonce);
	fx_header(r, "Wechatpay-Signature", sig);
	fx_header(r, "Wechatpay-Timestamp", ts);
	if (!fx_scenario_is(ctx, "no_serial"))
		fx_header(r, "Wechatpay-Serial", serial);
	json(r, 200, body);
}

/* ---- checking requests ---- */

/* The value of key="value" in an Authorization parameter list, into out. */
static bool auth_param(char *out, size_t n, const char *params, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = params; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *eq = strchr(p, '=');
		if (!eq || eq[1] != '"')
			return false;
		const char *end = strchr(eq + 2, '"');
		if (!end)
			return false;
		if ((size_t)(eq - p) == kl && strncmp(p, key, kl) == 0) {
			if ((size_t)(end - eq - 2) >= n)
				return false;
			snprintf(out, n, "%.*s", (int)(end - eq - 2), eq + 2);
			return true;
		}
		p = end + 1;
	}
	return false;
}

/* WeChat's own check of a v3 request: merchant, certificate serial, a fresh
 * timestamp and the signature over "METHOD\nTARGET\nTS\nNONCE\nBODY\n". */
static bool v3_authorized(const fx_request *req, const fx_ctx *ctx, char *why, size_t wn)
{
	static const char scheme[] = "WECHATPAY2-SHA256-RSA2048 ";
	const char *auth = fx_req_header(req, "Authorization");
	char mchid[64], nonce[64], sig[1024], ts[32], serial[128], want_serial[128], pem[4096];
	if (!auth || strncmp(auth, scheme, sizeof(scheme) - 1) != 0) {
		snprintf(why, wn, "no WECHATPAY2-SHA256-RSA2048 Authorization");
		return false;
	}
	const char *params = auth + sizeof(scheme) - 1;
	if (!auth_param(mchid, sizeof(mchid), params, "mchid") ||
	    !auth_param(nonce, sizeof(nonce), params, "nonce_str") ||
	    !auth_param(sig, sizeof(sig), params, "signature") || !auth_param(ts, sizeof(ts), params, "timestamp") ||
	    !auth_param(serial, sizeof(serial), params, "serial_no")) {
		snprintf(why, wn, "Authorization lacks a parameter");
		return false;
	}
	fx_key_line(want_serial, sizeof(want_serial), ctx, "merchant.serial");
	long long t = strtoll(ts, NULL, 10), now = (long long)time(NULL);
	if (strcmp(mchid, MCHID) != 0) {
		snprintf(why, wn, "mchid is not " MCHID);
		return false;
	}
	if (strcasecmp(serial, want_serial) != 0) {
		snprintf(why, wn, "serial_no is not the merchant certificate's");
		return false;
	}
	if (strlen(nonce) != 32 || t < now - 300 || t > now + 300) {
		snprintf(why, wn, "nonce_str or timestamp out of range");
		return false;
	}
	rcn_buf msg;
	rcn_key *key = NULL;
	rcn_err err;
	rcn_buf_init(&msg, SIZE_MAX);
	rcn_buf_printf(&msg, "%s\n%s\n%s\n%s\n", req->method, req->target, ts, nonce);
	rcn_buf_append(&msg, req->body, req->body_len);
	rcn_buf_append(&msg, "\n", 1);
	snprintf(pem, sizeof(pem), "%s/keys/merchant.pem", ctx->state_dir);
	bool ok = rcn_key_load_public(&key, pem, &err) == RCN_OK &&
		  rcn_verify_rsa_sha256(key, msg.data, msg.len, sig, &err) == RCN_OK;
	rcn_key_free(key);
	rcn_buf_free(&msg);
	if (!ok)
		snprintf(why, wn, "the signature does not verify with merchant.pem");
	return ok;
}

/* The value of a query parameter as sent (not decoded), or "". */
static void query_value(char *out, size_t n, const char *query, const char *name)
{
	size_t len = 0;
	const char *v = fx_query_find(query, name, &len);
	snprintf(out, n, "%.*s", v ? (int)len : 0, v ? v : "");
}

/* Shared by every v3 route: flaky answers 500 twice, then the request must verify. */
static bool v3_gate(const fx_request *req, fx_response *resp, const fx_ctx *ctx)
{
	char why[200], msg[300];
	if (fx_scenario_is(ctx, "flaky") && ctx->count < 2) {
		json_error(resp, 500, "SYSTEM_ERROR", "系统错误");
		return false;
	}
	if (!v3_authorized(req, ctx, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "fixture: %s", why);
		json_error(resp, 401, "SIGN_ERROR", msg);
		return false;
	}
	return true;
}

/* ---- v3 ---- */

/* Step 1: tradebill or fundflowbill answers where to download, and the SHA-1. */
static void v3_ask(const fx_request *req, fx_response *resp, const fx_ctx *ctx, const bill *b)
{
	char date[32], type[32], tar[32], sub[64], nonce[17], body[2048];
	if (!v3_gate(req, resp, ctx))
		return;
	if (fx_scenario_is(ctx, "401")) {
		json_error(resp, 401, "SIGN_ERROR", "错误的签名，验签失败");
		return;
	}
	query_value(date, sizeof(date), req->query, "bill_date");
	query_value(type, sizeof(type), req->query, b == &trade_bill ? "bill_type" : "account_type");
	query_value(tar, sizeof(tar), req->query, "tar_type");
	query_value(sub, sizeof(sub), req->query, "sub_mchid");
	if (strlen(date) != 10 || strcmp(type, b == &trade_bill ? "ALL" : "BASIC") != 0 || strcmp(tar, "GZIP") != 0) {
		json_error(resp, 400, "PARAM_ERROR", "bill_date, bill_type/account_type or tar_type is wrong");
		return;
	}
	if (fx_scenario_is(ctx, "no_bill") || strcmp(date, BILL_DAY) != 0 ||
	    (sub[0] && strcmp(sub, "1900000109") != 0)) {
		json_error(resp, 400, "NO_STATEMENT_EXIST", "要查询的账单不存在");
		return;
	}
	rcn_nonce(nonce, sizeof(nonce));
	/* Escaped the way WeChat's JSON encoder writes it: \/ and \u0026. */
	snprintf(body, sizeof(body),
		 "{\"hash_type\":\"SHA1\",\"hash_value\":\"%s\",\"download_url\":\"%s\\/v3\\/billdownload\\/file?"
		 "token=%s-%s\\u0026tartype=gzip\"}",
		 fx_scenario_is(ctx, "digest_mismatch") ? MOCK_HASH : b->sha1, ctx->base_url, b->token, nonce);
	signed_json(resp, ctx, body);
}

static void v3_tradebill(const fx_request *req, fx_response *resp, const fx_ctx *ctx)
{
	v3_ask(req, resp, ctx, &trade_bill);
}

static void v3_fundflowbill(const fx_request *req, fx_response *resp, const fx_ctx *ctx)
{
	v3_ask(req, resp, ctx, &fundflow_bill);
}

/* Step 2: the gzip itself (not signed: the SHA-1 covers it). */
static void v3_download(const fx_request *req, fx_response *resp, const fx_ctx *ctx)
{
	char token[128];
	size_t n = 0;
	if (!v3_gate(req, resp, ctx))
		return;
	if (fx_scenario_is(ctx, "expired")) {
		json_error(resp, 403, "DOWNLOAD_URL_EXPIRED", "download_url expired");
		return;
	}
	query_value(token, sizeof(token), req->query, "token");
	const bill *b = strncmp(token, "trade-", 6) == 0      ? &trade_bill
			: strncmp(token, "fundflow-", 9) == 0 ? &fundflow_bill
							      : NULL;
	if (!b) {
		json_error(resp, 400, "PARAM_ERROR", "unknown token");
		return;
	}
	if (fx_scenario_is(ctx, "html")) {
		html(resp);
		return;
	}
	char *data = read_bill(ctx, b, &n);
	if (!data) {
		json_error(resp, 404, "FIXTURE", "bill file missing from fixtures/fetch/wechat");
		return;
	}
	reply_bill(resp, ctx, data, n);
}

/* ---- v2 ---- */

typedef struct {
	char name[64];
	char value[256];
} xml_field;

/* The children of <xml>…</xml> as name/value pairs (CDATA unwrapped). */
static size_t xml_fields(xml_field *out, size_t max, const char *xml)
{
	size_t n = 0;
	const char *p = strstr(xml, "<xml>");
	if (!p)
		return 0;
	p += 5;
	while (n < max) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '<' || p[1] == '/')
			break;
		const char *name = p + 1, *gt = strchr(name, '>');
		if (!gt)
			break;
		snprintf(out[n].name, sizeof(out[n].name), "%.*s", (int)(gt - name), name);
		char close[80];
		snprintf(close, sizeof(close), "</%.63s>", out[n].name);
		const char *end = strstr(gt + 1, close);
		if (!end)
			break;
		const char *v = gt + 1;
		size_t vl = (size_t)(end - v);
		if (vl >= 12 && strncmp(v, "<![CDATA[", 9) == 0 && strncmp(end - 3, "]]>", 3) == 0) {
			v += 9;
			vl -= 12;
		}
		snprintf(out[n].value, sizeof(out[n].value), "%.*s", (int)vl, v);
		n++;
		p = end + strlen(close);
	}
	return n;
}

static const char *field(const xml_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return f[i].value;
	return "";
}

static int field_cmp(const void *a, const void *b)
{
	return strcmp(((const xml_field *)a)->name, ((const xml_field *)b)->name);
}

static void v2_fail(fx_response *r, const char *msg, const char *code)
{
	char body[1024];
	snprintf(body, sizeof(body),
		 "<xml>\n<return_code><![CDATA[FAIL]]></return_code>\n<return_msg><![CDATA[%s]]></return_msg>\n"
		 "<error_code><![CDATA[%s]]></error_code>\n</xml>",
		 msg, code);
	fx_status(r, 200);
	fx_header(r, "Content-Type", "text/plain");
	fx_body(r, body, strlen(body));
}

/* WeChat's check: sort by name, leave out sign and empty values, append &key=,
 * MD5 (the default) or HMAC-SHA256 keyed with the API key, upper-case hex. */
static bool v2_sign_ok(xml_field *f, size_t n, const char *key)
{
	rcn_buf s;
	char want[65], type[32], got[300];
	/* copies: sorting moves the values */
	snprintf(type, sizeof(type), "%.31s", field(f, n, "sign_type"));
	snprintf(got, sizeof(got), "%s", field(f, n, "sign"));
	qsort(f, n, sizeof(*f), field_cmp);
	rcn_buf_init(&s, SIZE_MAX);
	for (size_t i = 0; i < n; i++)
		if (f[i].value[0] && strcmp(f[i].name, "sign") != 0)
			rcn_buf_printf(&s, "%s=%s&", f[i].name, f[i].value);
	rcn_buf_printf(&s, "key=%s", key);
	bool md5 = !type[0] || strcmp(type, "MD5") == 0;
	if (md5)
		rcn_md5_upper_hex(want, s.data, s.len);
	else if (strcmp(type, "HMAC-SHA256") == 0)
		rcn_hmac_sha256_upper_hex(want, key, s.data, s.len);
	else
		want[0] = '\0';
	rcn_buf_free(&s);
	return want[0] && strcmp(want, got) == 0;
}

static void v2_downloadbill(const fx_request *req, fx_response *resp, const fx_ctx *ctx)
{
	xml_field f[32];
	char key[128], msg[200];
	size_t n = 0, len = 0;
	if (fx_scenario_is(ctx, "flaky") && ctx->count < 2) {
		fx_status(resp, 500);
		fx_body(resp, "System Error", 12);
		return;
	}
	const char *type = fx_req_header(req, "Content-Type");
	n = xml_fields(f, sizeof(f) / sizeof(f[0]), req->body);
	fx_key_line(key, sizeof(key), ctx, "wechat_v2.key");
	if (!type || strncmp(type, "text/xml", 8) != 0 || !n) {
		v2_fail(resp, "fixture: not a text/xml <xml> body", "20001");
		return;
	}
	if (!field(f, n, "appid")[0] || strcmp(field(f, n, "mch_id"), MCHID) != 0 ||
	    strlen(field(f, n, "nonce_str")) != 32 || strcmp(field(f, n, "bill_type"), "ALL") != 0 ||
	    strcmp(field(f, n, "tar_type"), "GZIP") != 0) {
		v2_fail(resp, "fixture: appid, mch_id, nonce_str, bill_type or tar_type is wrong", "20001");
		return;
	}
	char date[300];
	snprintf(date, sizeof(date), "%s", field(f, n, "bill_date"));
	if (!key[0] || !v2_sign_ok(f, n, key)) {
		snprintf(msg, sizeof(msg), "SIGNERROR: fixture: the sign does not verify with keys/wechat_v2.key");
		v2_fail(resp, msg, "20001");
		return;
	}
	if (fx_scenario_is(ctx, "401")) {
		v2_fail(resp, "SIGNERROR", "20001");
		return;
	}
	if (fx_scenario_is(ctx, "no_bill") || strcmp(date, "20210128") != 0) {
		v2_fail(resp, "No Bill Exist", "20002");
		return;
	}
	if (fx_scenario_is(ctx, "html")) {
		html(resp);
		return;
	}
	char *data = read_bill(ctx, &trade_bill, &len);
	if (!data) {
		v2_fail(resp, "fixture: bill file missing from fixtures/fetch/wechat", "20007");
		return;
	}
	reply_bill(resp, ctx, data, len);
}

const fx_route fx_wechat_routes[] = {{"GET", "/v3/bill/tradebill", v3_tradebill},
				     {"GET", "/v3/bill/fundflowbill", v3_fundflowbill},
				     {"GET", "/v3/billdownload/file", v3_download},
				     {"POST", "/pay/downloadbill", v2_downloadbill},
				     {NULL, NULL, NULL}};
