/* WeChat Pay request signing (FORMATS.md §1 "Download protocol"): the v3
 * Authorization header (RSA-SHA256 over METHOD, path, time, nonce and body,
 * with the merchant key) and the v2 sign (HMAC-SHA256 or MD5 over the sorted
 * parameters and the API key). Pure functions of their inputs, checked by the
 * unit tests; the download itself is wechat_api.c's. */
#include "fetch/wechat_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rcn_wechat_url_path(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	p += strcspn(p, "/?#");
	return *p == '/' ? p : "/";
}

void rcn_wechat_v3_message(rcn_buf *out, const char *method, const char *path_query, long long timestamp,
			   const char *nonce, const char *body)
{
	rcn_buf_printf(out, "%s\n%s\n%lld\n%s\n%s\n", method, path_query, timestamp, nonce, body ? body : "");
}

rcn_rc rcn_wechat_v3_authorization(char *out, size_t n, const rcn_key *key, const char *mchid, const char *serial,
				   const char *method, const char *url, const char *body, long long timestamp,
				   const char *nonce, rcn_err *err)
{
	rcn_buf msg;
	char sig[1024];
	rcn_buf_init(&msg, SIZE_MAX);
	rcn_wechat_v3_message(&msg, method, rcn_wechat_url_path(url), timestamp, nonce, body);
	rcn_rc rc = rcn_sign_rsa_sha256(sig, sizeof(sig), key, msg.data, msg.len, err);
	rcn_buf_free(&msg);
	if (rc)
		return rc;
	int w = snprintf(out, n,
			 "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\",signature=\"%s\","
			 "timestamp=\"%lld\",serial_no=\"%s\"",
			 mchid, nonce, sig, timestamp, serial);
	explicit_bzero(sig, sizeof(sig));
	if (w < 0 || (size_t)w >= n)
		return rcn_err_set(err, RCN_ELIMIT, "", 0, "the Authorization header does not fit its buffer");
	return RCN_OK;
}

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const rcn_wechat_param *)a)->name, ((const rcn_wechat_param *)b)->name);
}

void rcn_wechat_v2_sign_string(rcn_buf *out, rcn_wechat_param *params, size_t n, const char *api_key)
{
	if (n)
		qsort(params, n, sizeof(*params), param_cmp);
	for (size_t i = 0; i < n; i++)
		if (params[i].value && params[i].value[0] && strcmp(params[i].name, "sign") != 0)
			rcn_buf_printf(out, "%s=%s&", params[i].name, params[i].value);
	rcn_buf_printf(out, "key=%s", api_key);
}

void rcn_wechat_v2_sign(char out[65], rcn_wechat_param *params, size_t n, const char *api_key, bool md5)
{
	rcn_buf s;
	rcn_buf_init(&s, SIZE_MAX);
	rcn_wechat_v2_sign_string(&s, params, n, api_key);
	if (md5)
		rcn_md5_upper_hex(out, s.data, s.len);
	else
		rcn_hmac_sha256_upper_hex(out, api_key, s.data, s.len);
	explicit_bzero(s.data, s.len);
	rcn_buf_free(&s);
}
