/* fetch: what the Alipay and UnionPay gateway clients share (FORMATS.md §2,
 * §3): form parameters and the sorted "k=v&k=v" string both channels sign, a
 * small JSON member finder that hands back a value's raw text (Alipay signs
 * the bytes it sent, so they must not be re-serialized), and the markup check.
 * Declared here rather than in api.h so that the unit tests can reach them. */
#ifndef RECON_FETCH_GATEWAY_H
#define RECON_FETCH_GATEWAY_H

#include "recon/common.h"
#include "recon/date.h"
#include "fetch/sign.h"
#include "fetch/api.h"
#include "fetch/http.h"
#include "recon/fetch.h"

typedef struct {
	char *key;
	char *value;
} rcn_form_param;

/* A list of parameters; owns copies of its keys and values. */
typedef struct {
	rcn_form_param *p;
	size_t n, cap;
} rcn_form;

void rcn_form_init(rcn_form *f);
void rcn_form_free(rcn_form *f);
void rcn_form_add(rcn_form *f, const char *key, const char *value);
/* The value of key (borrowed from f), or NULL. */
const char *rcn_form_get(const rcn_form *f, const char *key);
/* The string both gateways sign: the parameters sorted by key (byte order),
 * leaving out `skip` (the signature's own name) and empty values, joined as
 * "k=v&k=v" with the raw, not URL-encoded, values. Appends to out. */
void rcn_form_sign_string(rcn_buf *out, const rcn_form *f, const char *skip);
/* A request body: "k=v&..." in the order added, keys and values
 * percent-encoded (all but A-Z a-z 0-9 - . _ ~). Appends to out. */
void rcn_form_encode(rcn_buf *out, const rcn_form *f);
/* Parses a form-encoded answer "k=v&k=v" into out (which must be empty):
 * %XX sequences are decoded, '+' is kept as is (UnionPay sends base64
 * unencoded in practice, and '+' is part of it). A bad %XX, a key without
 * '=' or a duplicate key is RCN_EFORMAT. */
rcn_rc rcn_form_parse(rcn_form *out, const char *s, size_t n);

/* Finds the member `key` of the JSON object text s[0..n) (only its own
 * members, not nested ones) and points *val at the raw text of its value, as
 * sent, *val_n bytes, borrowed from s. Absent: RCN_OK with *val = NULL. Text
 * that is not one well-formed object, or holds the key twice, is RCN_EFORMAT. */
rcn_rc rcn_json_member(const char *s, size_t n, const char *key, const char **val, size_t *val_n);
/* Decodes the raw text of a JSON string value (with its quotes) into UTF-8,
 * appended to out; RCN_EFORMAT if it is not a string. Control characters
 * (a one-line message must stay one line) become spaces. */
rcn_rc rcn_json_string(rcn_buf *out, const char *raw, size_t n);

/* True if the bytes start (after a UTF-8 BOM and white space) with '<': an
 * HTML or XML page, a proxy's or a gateway's error page. */
bool rcn_gateway_is_markup(const void *data, size_t n);
/* True if s is a plain file name: 1 to 200 characters of A-Z a-z 0-9 and
 * "._-", not starting with '.' (so no "..", no '/', nothing hidden). */
bool rcn_gateway_safe_name(const char *s);

/* Sets err to "[source NAME]: <message>" and returns code. */
rcn_rc rcn_gateway_fail(rcn_err *err, const char *source, rcn_rc code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The [source] keys an API needs (keys[i] names values[i]) and a plain
 * merchant_id: "api = NAME needs KEY" for the first one missing. */
rcn_rc rcn_gateway_require(rcn_err *err, const char *source, const char *api, const char *const *keys,
			   const char *const *values, size_t n, const char *merchant_id);
/* The merchant's private key and the channel's public key (or certificate)
 * a request names; an error says which source and file. */
rcn_rc rcn_gateway_load_keys(const rcn_fetch_request *req, rcn_key **private_key, rcn_key **channel_key, rcn_err *err);
/* Sends hr for req's source: out's attempts (added up) and HTTP status are
 * set whatever happens; a transport failure names the source. */
rcn_rc rcn_gateway_send(const rcn_fetch_request *req, const rcn_http_request *hr, const rcn_fetch_settings *s,
			rcn_http_response *r, rcn_api_result *out, rcn_err *err);
/* POSTs body (an encoded form, sent with headers) to url as channel's
 * request WHAT, through rcn_gateway_send. */
rcn_rc rcn_gateway_post(const rcn_fetch_request *req, const char *channel, const char *what, const char *url,
			const char *const *headers, const rcn_buf *body, const rcn_fetch_settings *s,
			rcn_http_response *r, rcn_api_result *out, rcn_err *err);
/* The answer must be a 200 ("WHAT: HTTP N" otherwise) and, when instead_of is
 * given, not an HTML page ("WHAT: an HTML page instead of INSTEAD_OF"). */
rcn_rc rcn_gateway_expect(const rcn_fetch_request *req, const rcn_http_response *r, const char *what,
			  const char *instead_of, rcn_err *err);
/* Now on the channels' clock (Asia/Shanghai, UTC+8 all year):
 * "YYYY-MM-DD HH:MM:SS" (out[20]), or "YYYYMMDDHHMMSS" (out[15]) when compact. */
void rcn_gateway_shanghai_now(char *out, size_t n, bool compact);

/* Prefixes err's message (from the transport or a helper, which do not know
 * the source) with "[source NAME]: ", cutting the end if it must; returns err->code. */
rcn_rc rcn_gateway_name_source(rcn_err *err, const char *source);

/* ---- Alipay (alipay_api.c), FORMATS.md §2 ---- */

/* The bill_type Alipay knows for a recon bill: "trade" (also for NULL) or
 * "signcustomer" for "account"; NULL for any other bill. */
const char *rcn_alipay_bill_type(const char *bill);
/* The query's parameters, sign left out, in the order they are sent;
 * timestamp is "YYYY-MM-DD HH:MM:SS" Asia/Shanghai. */
void rcn_alipay_query_form(rcn_form *out, const char *app_id, const char *bill_type, rcn_date day,
			   const char *timestamp);
/* Reads the gateway's answer: verifies its sign with alipay_key over the raw
 * text of the response object, then either sets *no_bill (isp.bill_not_exist)
 * or *url to a new string (caller frees): an https:// or http:// URL, never
 * another scheme. Messages do not name the source. */
rcn_rc rcn_alipay_read_answer(char **url, bool *no_bill, const char *body, size_t n, const rcn_key *alipay_key,
			      rcn_err *err);

/* For an http:// URL on one of hosts (compared without case; any port, no
 * user name): the same URL with https:// into out, and true. False for any
 * other URL, or when out is too small. */
bool rcn_alipay_https_upgrade(char *out, size_t n, const char *url, const char *const *hosts, size_t n_hosts);

/* ---- UnionPay (unionpay_api.c), FORMATS.md §3 ---- */

/* The fileTransfer request's parameters, signature left out; txn_time is
 * "YYYYMMDDhhmmss" Asia/Shanghai. */
void rcn_unionpay_request_form(rcn_form *out, const char *mer_id, const char *cert_id, rcn_date day,
			       const char *txn_time);
/* What UnionPay signs (signMethod 01): the lower-case hex SHA-256 of the
 * sign string of every parameter but "signature". */
void rcn_unionpay_sign_digest(char out[65], const rcn_form *f);
/* fileContent: base64 of zlib-compressed bytes, inflated and appended to out,
 * whose limit caps the inflated size. Messages do not name the source. */
rcn_rc rcn_unionpay_file_content(rcn_buf *out, const char *b64, size_t n, rcn_err *err);

/* The value of one hex digit (either case), -1 for any other character. */
int rcn_hexval(char c);

#endif
