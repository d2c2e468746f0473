/* The fixture server's Alipay side (FORMATS.md §2): POST /gateway.do answers
 * alipay.data.dataservice.bill.downloadurl.query after verifying the request's
 * RSA2 sign with our app's public key, signs its answer with Alipay's private
 * key, and GET /alipay/bill serves the zip. Written apart from the client's
 * code (own form decoding and sign string) so that a shared bug cannot agree
 * with itself. Behaviour by scenario: ok, bad_signature, flaky, stall, 401,
 * no_bill, truncated, html, expired, biz_error, and http_url, http_only,
 * http_foreign for http:// download URLs (bill_origin). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch/sign.h"
#include "alipay_answer.h"
#include "handlers_util.h"
#include "recon/common.h"

#define RESPONSE_KEY ALIPAY_RESPONSE_KEY
#define BILL_TOKEN   "fx-alipay-download-token-7f3a" /* stands in for the URL's own credentials */

/* Key files under <state>/keys, made by server.sh. */
#define FX_ALIPAY_APP_PUBLIC  "alipay_app_public.pem" /* our app's public key: verifies requests */
#define FX_ALIPAY_APP_PRIVATE "alipay_app.key"	      /* our app's private key: a signature Alipay never makes */
#define FX_ALIPAY_PRIVATE     "alipay_private.key"    /* Alipay's: signs answers */

/* Alipay's request sign string: every parameter but sign, sorted, raw values. */
static void sign_content(rcn_buf *out, const fx_params *ps)
{
	fx_params_sorted_text(out, ps, "sign");
}

/* Alipay's signed answer (alipay_answer.h) with obj signed by key_file
 * (Alipay's private key, or another one for bad_signature). */
static void reply_signed(fx_response *r, const fx_ctx *ctx, const char *obj, const char *key_file)
{
	char sig[1024];
	if (!fx_sign_or_fail(sig, sizeof(sig), r, ctx, key_file, obj))
		return;
	rcn_buf b;
	alipay_signed_answer(&b, obj, sig);
	fx_status(r, 200);
	fx_header(r, "Content-Type", "application/json;charset=utf-8");
	fx_body(r, b.data, b.len);
	rcn_buf_free(&b);
}

/* The gateway refusing the call itself: unsigned, like Alipay's. */
static void reply_gateway_error(fx_response *r, const char *code, const char *msg, const char *sub_code,
				const char *sub_msg)
{
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"error_response\":{\"code\":\"%s\",\"msg\":\"%s\",\"sub_code\":\"%s\",\"sub_msg\":\"%s\"}}", code,
		 msg, sub_code, sub_msg);
	fx_reply_text(r, 200, "application/json;charset=utf-8", body);
}

static bool verify_request(const fx_params *ps, const fx_ctx *ctx)
{
	const char *sig = fx_params_get(ps, "sign");
	char path[4096];
	snprintf(path, sizeof(path), "%s/keys/%s", ctx->state_dir, FX_ALIPAY_APP_PUBLIC);
	rcn_key *key = NULL;
	rcn_err err;
	rcn_buf text;
	rcn_buf_init(&text, 1 << 20);
	sign_content(&text, ps);
	bool ok = sig && rcn_key_load_public(&key, path, &err) == RCN_OK &&
		  rcn_verify_rsa_sha256(key, text.data, text.len, sig, &err) == RCN_OK;
	rcn_key_free(key);
	rcn_buf_free(&text);
	return ok;
}

/* The value of "name":"..." in biz_content (a flat object of plain strings). */
static bool biz_field(char *out, size_t n, const char *biz, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", name);
	const char *p = biz ? strstr(biz, pat) : NULL;
	if (!p)
		return false;
	p += strlen(pat);
	size_t len = strcspn(p, "\"");
	if (len + 1 > n)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

/* Alipay refuses a timestamp far from its own clock. */
static bool timestamp_fresh(const char *ts)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!ts || strlen(ts) != 19)
		return false;
	const char *end = strptime(ts, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end || *end)
		return false;
	long long sent = (long long)timegm(&tm) - 8 * 3600;
	long long now = (long long)time(NULL);
	return sent > now - 900 && sent < now + 900;
}

/* The fixture archive "<PID>0156_<yyyymmdd>.csv.zip" for a day, if any:
 * fixtures/fetch/alipay holds one per merchant and day. */
static bool find_bill(char *out, size_t n, const char *bill_date)
{
	char ymd[9], suffix[32];
	if (strlen(bill_date) != 10)
		return false;
	snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", bill_date, bill_date + 5, bill_date + 8);
	snprintf(suffix, sizeof(suffix), "_%s.csv.zip", ymd);
	char dir[4096];
	fx_fixture_path(dir, sizeof(dir), "alipay");
	DIR *d = opendir(dir);
	bool found = false;
	for (struct dirent *e; d && !found && (e = readdir(d));) {
		size_t len = strlen(e->d_name), sl = strlen(suffix);
		if (len > sl && strcmp(e->d_name + len - sl, suffix) == 0 && e->d_name[0] != '.') {
			snprintf(out, n, "%s", e->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* Where bill_download_url points: this server over https, or as Alipay's
 * real answers do, over http:// — http_url: this https port named http://
 * (fetched as https it works), http_only: the plain listener (https to it
 * fails), http_foreign: the plain listener under the name localhost. */
static void bill_origin(char *out, size_t n, const fx_ctx *ctx)
{
	const char *http_port = strrchr(ctx->http_base_url, ':');
	if (fx_scenario_is(ctx, "http_url"))
		snprintf(out, n, "http://%s", ctx->base_url + strlen("https://"));
	else if (fx_scenario_is(ctx, "http_only"))
		snprintf(out, n, "%s", ctx->http_base_url);
	else if (fx_scenario_is(ctx, "http_foreign"))
		snprintf(out, n, "http://localhost%s", http_port ? http_port : "");
	else
		snprintf(out, n, "%s", ctx->base_url);
}

static void gateway(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	fx_params ps = {.n = 0};
	const char *type = fx_req_header(req, "Content-Type");
	if (fx_reply_flaky(r, ctx))
		return;
	if (fx_scenario_is(ctx, "401")) {
		fx_reply_text(r, 401, "application/json", "{\"error\":\"unauthorized\"}");
		return;
	}
	if (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0) {
		reply_gateway_error(r, "40001", "Missing Required Arguments", "isv.missing-content-type", "not a form");
		return;
	}
	fx_params_parse(&ps, req->body, req->body_len);
	const char *method = fx_params_get(&ps, "method"), *biz = fx_params_get(&ps, "biz_content");
	char bill_type[32], bill_date[16], file[256];
	if (!method || strcmp(method, "alipay.data.dataservice.bill.downloadurl.query") != 0) {
		reply_gateway_error(r, "40002", "Invalid Arguments", "isv.invalid-method", "unknown method");
	} else if (!fx_params_get(&ps, "app_id") || !fx_params_get(&ps, "format") ||
		   strcmp(fx_params_get(&ps, "format"), "JSON") != 0 || !fx_params_get(&ps, "charset") ||
		   strcmp(fx_params_get(&ps, "charset"), "utf-8") != 0 || !fx_params_get(&ps, "sign_type") ||
		   strcmp(fx_params_get(&ps, "sign_type"), "RSA2") != 0 || !fx_params_get(&ps, "version") ||
		   strcmp(fx_params_get(&ps, "version"), "1.0") != 0) {
		reply_gateway_error(r, "40001", "Missing Required Arguments", "isv.missing-parameter",
				    "app_id, format, charset, sign_type or version");
	} else if (!timestamp_fresh(fx_params_get(&ps, "timestamp"))) {
		reply_gateway_error(r, "40002", "Invalid Arguments", "isv.invalid-timestamp", "bad timestamp");
	} else if (!verify_request(&ps, ctx)) {
		reply_gateway_error(r, "40002", "Invalid Arguments", "isv.invalid-signature",
				    "\\u9a8c\\u7b7e\\u51fa\\u9519"); /* 验签出错 */
	} else if (!biz_field(bill_type, sizeof(bill_type), biz, "bill_type") ||
		   !biz_field(bill_date, sizeof(bill_date), biz, "bill_date") ||
		   (strcmp(bill_type, "trade") != 0 && strcmp(bill_type, "signcustomer") != 0)) {
		reply_gateway_error(r, "40002", "Invalid Arguments", "isv.invalid-biz-content", "bad biz_content");
	} else if (fx_scenario_is(ctx, "biz_error")) {
		/* 系统繁忙, escaped as Alipay does: the signed text keeps the escapes */
		reply_signed(r, ctx,
			     "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":\"isp.unknow-error\","
			     "\"sub_msg\":\"\\u7cfb\\u7edf\\u7e41\\u5fd9\"}",
			     FX_ALIPAY_PRIVATE);
	} else if (fx_scenario_is(ctx, "no_bill") || !find_bill(file, sizeof(file), bill_date)) {
		reply_signed(r, ctx,
			     "{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":\"isp.bill_not_exist\","
			     "\"sub_msg\":\"\\u8d26\\u5355\\u4e0d\\u5b58\\u5728\"}",
			     FX_ALIPAY_PRIVATE);
	} else {
		char obj[2048], url[1024], origin[128];
		bill_origin(origin, sizeof(origin), ctx);
		snprintf(url, sizeof(url), "%s/alipay/bill?file=%s&bill_type=%s&token=%s", origin, file, bill_type,
			 BILL_TOKEN);
		rcn_buf esc;
		rcn_buf_init(&esc, sizeof(url) * 2);
		for (const char *c = url; *c; c++)
			rcn_buf_printf(&esc, *c == '/' ? "\\/" : "%c", *c);
		snprintf(obj, sizeof(obj), "{\"code\":\"10000\",\"msg\":\"Success\",\"bill_download_url\":\"%s\"}",
			 esc.data);
		rcn_buf_free(&esc);
		/* bad_signature: signed, but not by Alipay */
		reply_signed(r, ctx, obj,
			     fx_scenario_is(ctx, "bad_signature") ? FX_ALIPAY_APP_PRIVATE : FX_ALIPAY_PRIVATE);
	}
	fx_params_free(&ps);
}

static void bill(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	fx_params q = {.n = 0};
	fx_params_parse(&q, req->query, strlen(req->query));
	const char *file = fx_params_get(&q, "file"), *token = fx_params_get(&q, "token");
	char path[4096];
	if (fx_scenario_is(ctx, "expired")) {
		fx_reply_text(r, 403, "application/xml",
			      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
			      "<Message>Request has expired.</Message></Error>\n");
	} else if (fx_scenario_is(ctx, "html")) {
		fx_reply_text(r, 200, "text/html;charset=utf-8",
			      "<!DOCTYPE html>\n<html><head><title>\xe6\x94\xaf\xe4\xbb\x98\xe5\xae\x9d</title></head>"
			      "<body>\xe7\xb3\xbb\xe7\xbb\x9f\xe7\xb9\x81\xe5\xbf\x99</body></html>\n");
	} else if (!token || strcmp(token, BILL_TOKEN) != 0 || !file || strchr(file, '/') || file[0] == '.') {
		fx_reply_text(r, 403, "text/plain", "forbidden\n");
	} else {
		char rel[300];
		snprintf(rel, sizeof(rel), "alipay/%.200s", file);
		fx_fixture_path(path, sizeof(path), rel);
		FILE *f = fopen(path, "rb");
		if (!f) {
			fx_reply_text(r, 404, "text/plain", "no such bill\n");
		} else {
			char buf[65536];
			size_t n, total = 0;
			fx_status(r, 200);
			fx_header(r, "Content-Type", "application/zip");
			while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
				fx_body(r, buf, n);
				total += n;
			}
			fclose(f);
			if (fx_scenario_is(ctx, "truncated"))
				fx_cut(r, total / 2, 0);
			else if (fx_scenario_is(ctx, "stall"))
				fx_cut(r, 64, 30);
		}
	}
	fx_params_free(&q);
}

const fx_route fx_alipay_routes[] = {
	{"POST", "/gateway.do", gateway},
	{"GET", "/alipay/bill", bill},
	{NULL, NULL, NULL},
};
