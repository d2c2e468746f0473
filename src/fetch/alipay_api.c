/* fetch: Alipay's alipay.data.dataservice.bill.downloadurl.query (FORMATS.md
 * §2): an RSA2-signed form POST to gateway.do, the answer's sign verified with
 * the Alipay public key over the raw response object, then the unsigned GET of
 * bill_download_url, which must deliver a zip. Owns nothing past the call. */
#include "fetch/api.h"
#include "fetch/gateway.h"
#include "fetch/http.h"
#include "fetch/sign.h"

#include "recon/zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ALIPAY_BASE  "https://openapi.alipay.com"
#define QUERY_METHOD "alipay.data.dataservice.bill.downloadurl.query"
#define RESPONSE_KEY "alipay_data_dataservice_bill_downloadurl_query_response"
#define ANSWER_MAX   ((uint64_t)1 << 20) /* the query's JSON answer is a few hundred bytes */
#define FIELD_MAX    4096		 /* longest answer field kept (the download URL) */

/* Where Alipay's answers send bills over http://: production and the sandbox. */
static const char *const alipay_bill_hosts[] = {"dwbillcenter.alipay.com", "dwbillcenter.alipaydev.com"};

bool rcn_alipay_https_upgrade(char *out, size_t n, const char *url, const char *const *hosts, size_t n_hosts)
{
	if (strncasecmp(url, "http://", 7) != 0)
		return false;
	const char *auth = url + 7;
	size_t auth_n = strcspn(auth, "/?#");
	/* a user name could make "alipay.com@elsewhere" look like a known host */
	if (memchr(auth, '@', auth_n) || !auth_n)
		return false;
	size_t host_n = auth[0] == '[' ? strcspn(auth, "]") + 1 : strcspn(auth, ":/?#");
	if (host_n > auth_n)
		return false;
	for (size_t i = 0; i < n_hosts; i++)
		if (strlen(hosts[i]) == host_n && strncasecmp(auth, hosts[i], host_n) == 0) {
			int w = snprintf(out, n, "https://%s", auth);
			return w > 0 && (size_t)w < n;
		}
	return false;
}

const char *rcn_alipay_bill_type(const char *bill)
{
	if (!bill || strcmp(bill, "trade") == 0)
		return "trade";
	if (strcmp(bill, "account") == 0)
		return "signcustomer";
	return NULL;
}

void rcn_alipay_query_form(rcn_form *out, const char *app_id, const char *bill_type, rcn_date day,
			   const char *timestamp)
{
	char date[11], biz[128];
	snprintf(biz, sizeof(biz), "{\"bill_type\":\"%s\",\"bill_date\":\"%s\"}", bill_type,
		 rcn_date_format(date, day));
	rcn_form_add(out, "app_id", app_id);
	rcn_form_add(out, "method", QUERY_METHOD);
	rcn_form_add(out, "format", "JSON");
	rcn_form_add(out, "charset", "utf-8");
	rcn_form_add(out, "sign_type", "RSA2");
	rcn_form_add(out, "timestamp", timestamp);
	rcn_form_add(out, "version", "1.0");
	rcn_form_add(out, "biz_content", biz);
}

/* A string member of a JSON object (decoded, capped), or false. */
static bool member_string(rcn_buf *out, const char *obj, size_t n, const char *key)
{
	const char *raw;
	size_t raw_n;
	rcn_buf_reset(out);
	return rcn_json_member(obj, n, key, &raw, &raw_n) == RCN_OK && raw &&
	       rcn_json_string(out, raw, raw_n) == RCN_OK && out->data;
}

/* "40004 Business Failed: isp.unknow-error 系统繁忙" from a response or error_response object. */
static rcn_rc answer_failure(const char *obj, size_t n, rcn_err *err)
{
	rcn_buf f[4];
	static const char *const keys[4] = {"code", "msg", "sub_code", "sub_msg"};
	for (int i = 0; i < 4; i++) {
		const char *raw;
		size_t raw_n;
		rcn_buf_init(&f[i], 200);
		rcn_buf_append(&f[i], "", 0);
		/* a long sub_msg is cut at the buffer's limit, not dropped */
		if (rcn_json_member(obj, n, keys[i], &raw, &raw_n) == RCN_OK && raw)
			rcn_json_string(&f[i], raw, raw_n);
	}
	rcn_rc rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "Alipay bill query: %s %s: %s %s", f[0].data, f[1].data,
				f[2].data, f[3].data);
	for (int i = 0; i < 4; i++)
		rcn_buf_free(&f[i]);
	return rc;
}

rcn_rc rcn_alipay_read_answer(char **url, bool *no_bill, const char *body, size_t n, const rcn_key *alipay_key,
			      rcn_err *err)
{
	const char *resp, *sign_raw;
	size_t resp_n, sign_n;
	rcn_buf sign, field;
	rcn_buf_init(&sign, FIELD_MAX);
	rcn_buf_init(&field, FIELD_MAX);
	rcn_rc rc = RCN_OK;
	*url = NULL;
	*no_bill = false;
	if (rcn_json_member(body, n, RESPONSE_KEY, &resp, &resp_n) != RCN_OK ||
	    rcn_json_member(body, n, "sign", &sign_raw, &sign_n) != RCN_OK) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "Alipay bill query: the answer is not a JSON object");
		goto cleanup;
	}
	if (!resp) {
		/* the gateway refused the call itself (bad app_id, bad request signature): unsigned */
		const char *e;
		size_t e_n;
		if (rcn_json_member(body, n, "error_response", &e, &e_n) == RCN_OK && e && e[0] == '{')
			rc = answer_failure(e, e_n, err);
		else
			rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "Alipay bill query: the answer has no %s",
					 RESPONSE_KEY);
		goto cleanup;
	}
	if (!sign_raw || rcn_json_string(&sign, sign_raw, sign_n) != RCN_OK || !sign.data || !sign.data[0]) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "Alipay answer is not signed");
		goto cleanup;
	}
	/* the signature covers the response object's bytes exactly as sent */
	rcn_err ignored;
	if (rcn_verify_rsa_sha256(alipay_key, resp, resp_n, sign.data, &ignored) != RCN_OK) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "Alipay answer signature does not verify");
		goto cleanup;
	}
	if (resp[0] != '{') {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "Alipay bill query: the response is not a JSON object");
		goto cleanup;
	}
	if (!member_string(&field, resp, resp_n, "code") || strcmp(field.data, "10000") != 0) {
		if (member_string(&field, resp, resp_n, "sub_code") && strcmp(field.data, "isp.bill_not_exist") == 0)
			*no_bill = true;
		else
			rc = answer_failure(resp, resp_n, err);
		goto cleanup;
	}
	if (!member_string(&field, resp, resp_n, "bill_download_url") || !field.data[0]) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "Alipay bill query: the answer has no bill_download_url");
		goto cleanup;
	}
	/* an https URL, or Alipay's own http:// one (its documented sample and live
	 * answers name http://dwbillcenter.alipay.com/…), which the caller upgrades;
	 * file: and anything else is refused, whoever sent it */
	if (strncmp(field.data, "https://", 8) != 0 && strncmp(field.data, "http://", 7) != 0) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "Alipay bill query: bill_download_url is not an https URL");
		goto cleanup;
	}
	*url = rcn_xstrdup(field.data);
cleanup:
	rcn_buf_free(&sign);
	rcn_buf_free(&field);
	return rc;
}

static void base_url(char *out, size_t n, const rcn_fetch_request *req, const char *path)
{
	const char *base = req->api_base && req->api_base[0] ? req->api_base : ALIPAY_BASE;
	size_t len = strlen(base);
	while (len && base[len - 1] == '/')
		len--;
	snprintf(out, n, "%.*s%s", (int)len, base, path);
}

static rcn_rc check_request(const rcn_fetch_request *req, rcn_err *err)
{
	if (!rcn_alipay_bill_type(req->bill))
		return rcn_gateway_fail(err, req->source, RCN_EUSAGE, "Alipay has no '%s' bill (trade or account)",
					req->bill);
	static const char *const keys[] = {"app_id", "private_key_file", "platform_cert_file", "merchant_id"};
	const char *values[] = {req->app_id, req->private_key_file, req->platform_cert_file, req->merchant_id};
	return rcn_gateway_require(err, req->source, "alipay", keys, values, 4, req->merchant_id);
}

/* POSTs the signed query; *url gets the bill's download URL unless no bill exists. */
static rcn_rc query(char **url, const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out,
		    rcn_err *err)
{
	rcn_key *app_key = NULL, *alipay_key = NULL;
	rcn_form form;
	rcn_buf text, body;
	rcn_http_response r;
	char stamp[20], endpoint[1024], sig[1024];
	rcn_form_init(&form);
	rcn_buf_init(&text, SIZE_MAX);
	rcn_buf_init(&body, SIZE_MAX);
	memset(&r, 0, sizeof(r));
	rcn_rc rc = rcn_gateway_load_keys(req, &app_key, &alipay_key, err);
	if (rc)
		goto cleanup;

	rcn_gateway_shanghai_now(stamp, sizeof(stamp), false);
	rcn_alipay_query_form(&form, req->app_id, rcn_alipay_bill_type(req->bill), req->day, stamp);
	rcn_form_sign_string(&text, &form, "sign");
	rc = rcn_sign_rsa_sha256(sig, sizeof(sig), app_key, text.data, text.len, err);
	if (rc) {
		rcn_gateway_name_source(err, req->source);
		goto cleanup;
	}
	rcn_form_add(&form, "sign", sig);
	rcn_form_encode(&body, &form);

	base_url(endpoint, sizeof(endpoint), req, "/gateway.do");
	static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded;charset=utf-8",
					      "Accept: application/json", NULL};
	rcn_fetch_settings small = *s;
	if (small.max_bytes > ANSWER_MAX)
		small.max_bytes = ANSWER_MAX;
	rc = rcn_gateway_post(req, "alipay", "Alipay bill query", endpoint, headers, &body, &small, &r, out, err);
	rcn_http_safe_url(out->safe_url, sizeof(out->safe_url), endpoint);
	if (rc || (rc = rcn_gateway_expect(req, &r, "Alipay bill query", "the answer", err)))
		goto cleanup;
	rc = rcn_alipay_read_answer(url, &out->no_bill, r.body.data ? r.body.data : "", r.body.len, alipay_key, err);
	if (rc)
		rcn_gateway_name_source(err, req->source);
cleanup:
	rcn_http_response_free(&r);
	rcn_key_free(app_key);
	rcn_key_free(alipay_key);
	rcn_form_free(&form);
	/* the sign string holds no secret, but the body carries the signature */
	rcn_buf_free(&text);
	rcn_buf_free(&body);
	return rc;
}

/* GETs the zip from the (short-lived, unsigned) download URL into out->data. */
static rcn_rc download(const char *url, const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out,
		       rcn_err *err)
{
	rcn_http_response r;
	rcn_zip *zip = NULL;
	memset(&r, 0, sizeof(r));
	rcn_http_safe_url(out->safe_url, sizeof(out->safe_url), url);
	rcn_http_request hr = {.method = "GET", .url = url, .channel = "alipay", .what = "Alipay bill download"};
	rcn_rc rc = rcn_gateway_send(req, &hr, s, &r, out, err);
	if (rc)
		goto cleanup;
	if (r.status == 403 || r.status == 404 || r.status == 410) {
		/* the URL is valid for about 30 s: a slow retry finds it gone */
		rc = rcn_gateway_fail(err, req->source, RCN_EIO,
				      "Alipay bill download: HTTP %ld: bill_download_url expired or refused", r.status);
		goto cleanup;
	}
	if ((rc = rcn_gateway_expect(req, &r, "Alipay bill download", "the bill", err)))
		goto cleanup;
	if (!rcn_zip_magic(r.body.data, r.body.len)) {
		rc = rcn_gateway_fail(err, req->source, RCN_EFORMAT, "Alipay bill download: not a zip archive");
		goto cleanup;
	}
	rcn_zip_limits lim = RCN_ZIP_LIMITS_DEFAULT;
	rc = rcn_zip_open_mem(&zip, r.body.data, r.body.len, out->filename, &lim, err);
	if (rc) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		rc = rcn_gateway_fail(err, req->source, rc, "Alipay bill download: %s", msg);
		goto cleanup;
	}
	/* the body becomes the result: hand the buffer over */
	out->data = r.body;
	rcn_buf_init(&r.body, 0);
cleanup:
	rcn_zip_close(zip);
	rcn_http_response_free(&r);
	return rc;
}

/* s into out[0..n), cut if it must be on a character boundary. */
static void copy_cut(char *out, size_t n, const char *s)
{
	size_t k = strlen(s);
	if (k >= n) {
		k = n - 1;
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
	}
	memcpy(out, s, k);
	out[k] = '\0';
}

/* err's message without "[source NAME]: " and "Alipay bill download: ", cut to fit out. */
static void reason_of(char *out, size_t n, const rcn_err *err, const char *source)
{
	char prefix[128];
	const char *m = err->msg;
	snprintf(prefix, sizeof(prefix), "[source %.100s]: ", source);
	if (strncmp(m, prefix, strlen(prefix)) == 0)
		m += strlen(prefix);
	if (strncmp(m, "Alipay bill download: ", 22) == 0)
		m += 22;
	copy_cut(out, n, m);
}

/* An https URL is fetched as it is. An http:// one on a known bill host
 * (bill_hosts, Alipay's own by default) is fetched as https:// first; when
 * that fails, over plain http only if the operator said allow_http_download
 * = yes, and then with a warning: no TLS vouches for the file, only its own
 * control totals. Plain http to any other host is refused. */
static rcn_rc fetch_bill(const char *url, const rcn_fetch_request *req, const rcn_fetch_settings *s,
			 rcn_api_result *out, rcn_err *err)
{
	char https[FIELD_MAX + 16], safe[1024], why[141], https_why[141];
	if (strncmp(url, "https://", 8) == 0)
		return download(url, req, s, out, err);
	const char *const *hosts = req->bill_hosts ? req->bill_hosts : alipay_bill_hosts;
	size_t n_hosts = req->bill_hosts ? req->n_bill_hosts : sizeof(alipay_bill_hosts) / sizeof(alipay_bill_hosts[0]);
	rcn_http_safe_url(safe, sizeof(safe), url);
	if (!rcn_alipay_https_upgrade(https, sizeof(https), url, hosts, n_hosts)) {
		snprintf(out->safe_url, sizeof(out->safe_url), "%s", safe);
		return rcn_gateway_fail(
			err, req->source, RCN_EFORMAT,
			"Alipay bill query: bill_download_url %.200s is plain http to a host that is not "
			"an Alipay bill host (bill_hosts): refused",
			safe);
	}
	rcn_rc rc = download(https, req, s, out, err);
	if (rc == RCN_OK) {
		out->upgraded_https = true;
		return rc;
	}
	reason_of(why, sizeof(why), err, req->source);
	if (!req->allow_http_download)
		return rcn_gateway_fail(
			err, req->source, rc,
			"Alipay bill download: bill_download_url is plain http and https failed (%s); "
			"plain http is refused (allow_http_download = yes in [source %.60s] accepts it)",
			why, req->source);
	memcpy(https_why, why, sizeof(why));
	rc = download(url, req, s, out, err);
	if (rc) {
		reason_of(why, sizeof(why), err, req->source);
		return rcn_gateway_fail(err, req->source, rc,
					"Alipay bill download: https failed (%s), and plain http too (%s)", https_why,
					why);
	}
	out->plain_http = true;
	snprintf(out->warning, sizeof(out->warning),
		 "bill downloaded over plain http (%.160s) after https failed (%s): allow_http_download = yes "
		 "accepts it; no TLS vouches for the file, only its own control totals",
		 out->safe_url, https_why);
	return RCN_OK;
}

rcn_rc rcn_api_alipay(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err)
{
	char *url = NULL;
	memset(out, 0, sizeof(*out));
	rcn_buf_init(&out->data, 0);
	out->digest_ok = true; /* Alipay states no digest */
	rcn_rc rc = check_request(req, err);
	if (rc)
		return rc;
	char date[11];
	rcn_date_format(date, req->day);
	/* "<merchant_id>_<yyyymmdd>.csv.zip", the name Alipay gives the archive */
	snprintf(out->filename, sizeof(out->filename), "%.200s_%.4s%.2s%.2s.csv.zip", req->merchant_id, date, date + 5,
		 date + 8);
	rc = query(&url, req, s, out, err);
	if (rc == RCN_OK && !out->no_bill)
		rc = fetch_bill(url, req, s, out, err);
	if (rc || out->no_bill)
		out->filename[0] = '\0';
	free(url);
	return rc;
}
