/* fetch: UnionPay's fileTransfer (全渠道 ACP 5.1.0, FORMATS.md §3): a form POST
 * signed with the merchant key (signMethod 01: RSA-SHA256 over the hex SHA-256
 * of the sorted parameters), the form answer's signature verified with
 * UnionPay's certificate, and fileContent base64-decoded and inflated to the
 * zip. Owns nothing past the call. */
#include "fetch/api.h"
#include "fetch/gateway.h"
#include "fetch/http.h"
#include "fetch/sign.h"

#include "recon/zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#define UNIONPAY_BASE "https://filedownload.95516.com"
#define TRANS_PATH    "/gateway/api/fileTransRequest.do"
#define NO_FILE_CODE  "98" /* 文件不存在: no transactions that day */

void rcn_unionpay_request_form(rcn_form *out, const char *mer_id, const char *cert_id, rcn_date day,
			       const char *txn_time)
{
	char date[11], mmdd[5];
	rcn_date_format(date, day);
	snprintf(mmdd, sizeof(mmdd), "%.2s%.2s", date + 5, date + 8);
	rcn_form_add(out, "version", "5.1.0");
	rcn_form_add(out, "encoding", "UTF-8");
	rcn_form_add(out, "txnType", "76");
	rcn_form_add(out, "signMethod", "01");
	rcn_form_add(out, "txnSubType", "01");
	rcn_form_add(out, "bizType", "000000");
	rcn_form_add(out, "accessType", "0");
	rcn_form_add(out, "merId", mer_id);
	rcn_form_add(out, "settleDate", mmdd);
	rcn_form_add(out, "txnTime", txn_time);
	rcn_form_add(out, "fileType", "00");
	rcn_form_add(out, "certId", cert_id);
}

void rcn_unionpay_sign_digest(char out[65], const rcn_form *f)
{
	rcn_buf text;
	rcn_buf_init(&text, SIZE_MAX);
	rcn_form_sign_string(&text, f, "signature");
	rcn_sha256_hex(out, text.data ? text.data : "", text.len);
	rcn_buf_free(&text);
}

rcn_rc rcn_unionpay_file_content(rcn_buf *out, const char *b64, size_t n, rcn_err *err)
{
	rcn_buf packed;
	z_stream zs;
	unsigned char chunk[65536];
	bool zs_ready = false;
	/* deflate may grow incompressible bytes a little (zlib's compressBound) */
	size_t packed_limit = out->limit > SIZE_MAX / 2 ? out->limit : out->limit + (out->limit >> 12) + 1024;
	rcn_buf_init(&packed, packed_limit);
	rcn_rc rc = rcn_base64_decode(&packed, b64, n, err);
	if (rc) {
		rc = rc == RCN_ELIMIT ? rcn_err_set(err, RCN_ELIMIT, "", 0, "UnionPay fileContent exceeds %zu bytes",
						    packed_limit)
				      : rcn_err_set(err, RCN_EFORMAT, "", 0, "UnionPay fileContent is not base64");
		goto cleanup;
	}
	if (packed.len == 0) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "UnionPay fileContent is empty");
		goto cleanup;
	}
	memset(&zs, 0, sizeof(zs));
	/* 15 + 32: a zlib stream as Java's Deflater writes it, or gzip */
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
		abort();
	zs_ready = true;
	zs.next_in = (unsigned char *)packed.data;
	zs.avail_in = (uInt)packed.len;
	int z = Z_OK;
	while (z != Z_STREAM_END) {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		z = inflate(&zs, Z_NO_FLUSH);
		if (z != Z_OK && z != Z_STREAM_END) {
			if (z == Z_BUF_ERROR && zs.avail_in == 0)
				rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "UnionPay fileContent is cut short");
			else
				rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "UnionPay fileContent does not inflate (%s)",
						 zs.msg ? zs.msg : "zlib error");
			goto cleanup;
		}
		if (rcn_buf_append(out, chunk, sizeof(chunk) - zs.avail_out) != RCN_OK) {
			rc = rcn_err_set(err, RCN_ELIMIT, "", 0, "UnionPay fileContent inflates past %zu bytes",
					 out->limit);
			goto cleanup;
		}
		if (z == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
			rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "UnionPay fileContent is cut short");
			goto cleanup;
		}
	}
	if (!rcn_zip_magic(out->data, out->len)) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "UnionPay fileContent is not a zip archive");
		goto cleanup;
	}
cleanup:
	if (zs_ready)
		inflateEnd(&zs);
	rcn_buf_free(&packed);
	return rc;
}

static rcn_rc check_request(const rcn_fetch_request *req, rcn_err *err)
{
	static const char *const keys[] = {"merchant_id", "cert_serial", "private_key_file", "platform_cert_file"};
	const char *values[] = {req->merchant_id, req->cert_serial, req->private_key_file, req->platform_cert_file};
	return rcn_gateway_require(err, req->source, "unionpay", keys, values, 4, req->merchant_id);
}

/* Verifies and reads the form answer: out->no_bill, or the zip in out->data. */
static rcn_rc read_answer(const rcn_http_response *r, const rcn_form *sent, const rcn_key *unionpay_key,
			  const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err)
{
	rcn_form ans;
	char digest[65];
	rcn_err ignored;
	rcn_form_init(&ans);
	rcn_rc rc = RCN_OK;
	if (rcn_gateway_is_markup(r->body.data, r->body.len)) {
		rc = rcn_gateway_fail(err, req->source, RCN_EFORMAT,
				      "UnionPay fileTransfer: an HTML page instead of the answer");
		goto cleanup;
	}
	if (rcn_form_parse(&ans, r->body.data ? r->body.data : "", r->body.len) != RCN_OK ||
	    !rcn_form_get(&ans, "respCode")) {
		rc = rcn_gateway_fail(err, req->source, RCN_EFORMAT,
				      "UnionPay fileTransfer: the answer is not a UnionPay form");
		goto cleanup;
	}
	const char *sig = rcn_form_get(&ans, "signature");
	if (!sig || !sig[0]) {
		rc = rcn_gateway_fail(err, req->source, RCN_EFORMAT, "UnionPay answer is not signed");
		goto cleanup;
	}
	rcn_unionpay_sign_digest(digest, &ans);
	if (rcn_verify_rsa_sha256(unionpay_key, digest, strlen(digest), sig, &ignored) != RCN_OK) {
		rc = rcn_gateway_fail(err, req->source, RCN_EFORMAT, "UnionPay answer signature does not verify");
		goto cleanup;
	}
	/* a signed answer for another merchant or day is still the wrong file */
	static const char *const echoed[] = {"merId", "settleDate", "txnType", "fileType"};
	for (size_t i = 0; i < sizeof(echoed) / sizeof(echoed[0]); i++) {
		const char *got = rcn_form_get(&ans, echoed[i]), *want = rcn_form_get(sent, echoed[i]);
		if (got && strcmp(got, want) != 0) {
			rc = rcn_gateway_fail(err, req->source, RCN_EFORMAT,
					      "UnionPay fileTransfer: the answer is for %s %.40s, not %s", echoed[i],
					      got, want);
			goto cleanup;
		}
	}
	const char *code = rcn_form_get(&ans, "respCode");
	if (strcmp(code, NO_FILE_CODE) == 0) {
		out->no_bill = true;
		goto cleanup;
	}
	if (strcmp(code, "00") != 0) {
		const char *msg = rcn_form_get(&ans, "respMsg");
		char clean[201];
		snprintf(clean, sizeof(clean), "%s", msg ? msg : "");
		for (char *p = clean; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		rc = rcn_gateway_fail(err, req->source, RCN_EFORMAT, "UnionPay fileTransfer: respCode %.8s %s", code,
				      clean);
		goto cleanup;
	}
	const char *content = rcn_form_get(&ans, "fileContent");
	if (!content || !content[0]) {
		rc = rcn_gateway_fail(err, req->source, RCN_EFORMAT,
				      "UnionPay fileTransfer: the answer has no fileContent");
		goto cleanup;
	}
	rcn_buf_init(&out->data, s->max_bytes < SIZE_MAX ? (size_t)s->max_bytes : SIZE_MAX);
	rc = rcn_unionpay_file_content(&out->data, content, strlen(content), err);
	if (rc) {
		rcn_gateway_name_source(err, req->source);
		goto cleanup;
	}
	const char *name = rcn_form_get(&ans, "fileName");
	if (name && rcn_gateway_safe_name(name))
		snprintf(out->filename, sizeof(out->filename), "%s", name);
	rcn_zip *zip = NULL;
	rcn_zip_limits lim = RCN_ZIP_LIMITS_DEFAULT;
	rc = rcn_zip_open_mem(&zip, out->data.data, out->data.len, out->filename, &lim, err);
	rcn_zip_close(zip);
	if (rc) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		rc = rcn_gateway_fail(err, req->source, rc, "UnionPay fileContent: %s", msg);
	}
cleanup:
	rcn_form_free(&ans);
	return rc;
}

rcn_rc rcn_api_unionpay(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err)
{
	rcn_key *merchant_key = NULL, *unionpay_key = NULL;
	rcn_form form;
	rcn_buf body;
	rcn_http_response r;
	char stamp[15], endpoint[1024], digest[65], sig[1024], date[11];
	memset(out, 0, sizeof(*out));
	rcn_buf_init(&out->data, 0);
	out->digest_ok = true; /* UnionPay states no digest */
	rcn_form_init(&form);
	rcn_buf_init(&body, SIZE_MAX);
	memset(&r, 0, sizeof(r));
	rcn_rc rc = check_request(req, err);
	if (rc)
		goto cleanup;
	rcn_date_format(date, req->day);
	snprintf(out->filename, sizeof(out->filename), "%.200s_%.4s%.2s%.2s.zip", req->merchant_id, date, date + 5,
		 date + 8);
	rc = rcn_gateway_load_keys(req, &merchant_key, &unionpay_key, err);
	if (rc)
		goto cleanup;

	rcn_gateway_shanghai_now(stamp, sizeof(stamp), true);
	rcn_unionpay_request_form(&form, req->merchant_id, req->cert_serial, req->day, stamp);
	rcn_unionpay_sign_digest(digest, &form);
	rc = rcn_sign_rsa_sha256(sig, sizeof(sig), merchant_key, digest, strlen(digest), err);
	if (rc) {
		rcn_gateway_name_source(err, req->source);
		goto cleanup;
	}
	rcn_form_add(&form, "signature", sig);
	rcn_form_encode(&body, &form);

	const char *base = req->api_base && req->api_base[0] ? req->api_base : UNIONPAY_BASE;
	size_t len = strlen(base);
	while (len && base[len - 1] == '/')
		len--;
	snprintf(endpoint, sizeof(endpoint), "%.*s%s", (int)len, base, TRANS_PATH);
	rcn_http_safe_url(out->safe_url, sizeof(out->safe_url), endpoint);
	static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded;charset=UTF-8", NULL};
	rc = rcn_gateway_post(req, "unionpay", "UnionPay fileTransfer", endpoint, headers, &body, s, &r, out, err);
	if (rc || (rc = rcn_gateway_expect(req, &r, "UnionPay fileTransfer", NULL, err)))
		goto cleanup;
	rc = read_answer(&r, &form, unionpay_key, req, s, out, err);
cleanup:
	if (rc || out->no_bill) {
		rcn_buf_free(&out->data);
		out->filename[0] = '\0';
	}
	rcn_http_response_free(&r);
	rcn_key_free(merchant_key);
	rcn_key_free(unionpay_key);
	rcn_form_free(&form);
	rcn_buf_free(&body);
	return rc;
}
