/* fetch: the pieces of the WeChat Pay clients (wechat_api.c) that the unit
 * tests check without a server: request signing (wechat_sign.c), the answer
 * parsers (wechat_answer.c). */
#ifndef RECON_FETCH_WECHAT_API_H
#define RECON_FETCH_WECHAT_API_H

#include "recon/common.h"
#include "fetch/sign.h"

/* The path and query of an absolute URL ("/v3/bill/tradebill?bill_date=..."),
 * a pointer into url; "/" when it has none. */
const char *rcn_wechat_url_path(const char *url);

/* The v3 signing message: "METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n" (body "" for GET). */
void rcn_wechat_v3_message(rcn_buf *out, const char *method, const char *path_query, long long timestamp,
			   const char *nonce, const char *body);

/* The v3 Authorization header value for a request to url:
 * WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"
 * signed with the merchant private key. Holds a signature: never log it. */
rcn_rc rcn_wechat_v3_authorization(char *out, size_t n, const rcn_key *key, const char *mchid, const char *serial,
				   const char *method, const char *url, const char *body, long long timestamp,
				   const char *nonce, rcn_err *err);

typedef struct {
	const char *name;
	const char *value;
} rcn_wechat_param;

/* The v2 string to sign: "a=1&b=2&...&key=API_KEY", parameters sorted by name
 * in ASCII order (params is sorted in place), empty values and "sign" left
 * out. Holds the API key: the caller wipes and frees out. */
void rcn_wechat_v2_sign_string(rcn_buf *out, rcn_wechat_param *params, size_t n, const char *api_key);
/* The v2 sign: upper-case hex HMAC-SHA256 (keyed with the API key) or MD5 of that string. */
void rcn_wechat_v2_sign(char out[65], rcn_wechat_param *params, size_t n, const char *api_key, bool md5);

/* The string value of a top-level member of a JSON object, unescaped (\uXXXX
 * and surrogate pairs become UTF-8) into out. Returns 1 when found, 0 when the
 * member is absent or not a string, -1 when the text is not a JSON object or
 * the value does not fit n. */
int rcn_wechat_json_string(char *out, size_t n, const char *json, size_t len, const char *name);

/* The text of the first <name>…</name> element of an XML document (CDATA
 * unwrapped, the five predefined entities decoded) into out. Returns 1 when
 * found, 0 when absent, -1 when it does not fit n. */
int rcn_wechat_xml_field(char *out, size_t n, const char *xml, size_t len, const char *name);

#endif
