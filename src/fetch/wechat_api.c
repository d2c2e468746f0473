/* WeChat Pay statement download (FORMATS.md §1 "Download protocol"): API v3
 * tradebill/fundflowbill (signed GET, platform-signed JSON answer, then the
 * gzip from download_url checked by SHA-1 over its decompressed bytes) and the
 * v2 XML downloadbill. Keys and the API key live only for the call. The
 * signing is wechat_sign.c's, the answers' JSON and XML readers
 * wechat_answer.c's. */
#include "fetch/wechat_api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch/api.h"
#include "fetch/http.h"
#include "recon/input.h"

#define WECHAT_API_BASE "https://api.mch.weixin.qq.com"
#define USER_AGENT	"User-Agent: recon/" RECON_VERSION
#define NONCE_LEN	32  /* nonce_str: WeChat allows up to 32 characters */
#define QUOTE_MAX	200 /* bytes of server text quoted in a message */
#define ID_MAX		64  /* mchid, appid, serial: short and plain */
#define DEFAULT_SKEW_S	300 /* the SDKs' MAXIMUM_CLOCK_OFFSET */

/* ---- shared helpers ---- */

/* Server text made safe for a one-line message: control characters become
 * spaces, at most QUOTE_MAX bytes, never a cut UTF-8 sequence. */
static void quote_text(char *out, size_t n, const char *s)
{
	size_t k = 0, cap = n - 1 < QUOTE_MAX ? n - 1 : QUOTE_MAX;
	for (; *s && k < cap; s++) {
		unsigned char c = (unsigned char)*s;
		out[k++] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
	}
	if (((unsigned char)*s & 0xC0) == 0x80) {
		while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)out[k - 1] >= 0xC0)
			k--;
	}
	out[k] = '\0';
}

/* Plain identifiers only: they go into a header and a signed string. */
static rcn_rc check_id(const char *value, const char *what, bool required, rcn_err *err)
{
	if (!value || !value[0])
		return required ? rcn_err_set(err, RCN_EUSAGE, "", 0, "%s is not set", what) : RCN_OK;
	size_t n = strlen(value);
	bool ok = n <= ID_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)value[i]) || value[i] == '_' || value[i] == '-';
	return ok ? RCN_OK
		  : rcn_err_set(err, RCN_EUSAGE, "", 0, "%s must be up to %d letters and digits", what, ID_MAX);
}

static bool is_gzip(const rcn_buf *b)
{
	return b->len >= 2 && (unsigned char)b->data[0] == 0x1F && (unsigned char)b->data[1] == 0x8B;
}

/* What a body that is not a bill looks like, for the message. */
static const char *body_kind(const rcn_buf *b)
{
	size_t i = 0;
	if (!b->data || !b->len)
		return "an empty body";
	if (b->len >= 3 && memcmp(b->data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < b->len && isspace((unsigned char)b->data[i]))
		i++;
	const char *p = b->data + i;
	size_t left = b->len - i;
	if (!left)
		return "an empty body";
	if ((left >= 14 && strncasecmp(p, "<!doctype html", 14) == 0) || (left >= 5 && strncasecmp(p, "<html", 5) == 0))
		return "an HTML page";
	if (p[0] == '<')
		return "an XML document";
	if (p[0] == '{')
		return "a JSON document";
	return "data that is not gzip";
}

/* Gunzips gz as a stream (the decode module's caps and bomb guard apply);
 * with sha1 not NULL, the SHA-1 of the decompressed bytes, computed as they
 * stream by: the bill itself is never held inflated in memory. */
static rcn_rc gunzip_check(char *sha1, const rcn_buf *gz, const char *label, rcn_err *err)
{
	rcn_input *in = NULL;
	char chunk[65536];
	size_t got = 0;
	rcn_sha1 *digest = rcn_sha1_new();
	rcn_rc rc = rcn_input_open_mem(&in, gz->data, gz->len, label, 0, err);
	while (rc == RCN_OK && (rc = rcn_input_read(in, chunk, sizeof(chunk), &got, err)) == RCN_OK && got)
		rcn_sha1_update(digest, chunk, got);
	char hexd[41];
	rcn_sha1_final_hex(digest, hexd);
	if (rc == RCN_OK && sha1)
		memcpy(sha1, hexd, sizeof(hexd));
	if (in)
		rcn_input_close(in);
	return rc;
}

/* Puts "WHAT: " before err's message and folds its file into it. */
static rcn_rc reframe(rcn_err *err, rcn_rc rc, const char *what)
{
	char old[1100];
	if (!err)
		return rc;
	rcn_err_format(err, old, sizeof(old));
	return rcn_err_set(err, rc, "", 0, "%s: %s", what, old);
}

/* Every message names the source first. */
static rcn_rc name_source(rcn_err *err, rcn_rc rc, const char *source)
{
	char what[300];
	snprintf(what, sizeof(what), "[source %s]", source ? source : "?");
	return reframe(err, rc, what);
}

/* The "CODE: message" of a JSON error answer, or "" when it has none. */
static void json_error_text(char *out, size_t n, const rcn_buf *body)
{
	char code[128], msg[1024], qc[QUOTE_MAX + 1], qm[QUOTE_MAX + 1];
	out[0] = '\0';
	if (!body->data || rcn_wechat_json_string(code, sizeof(code), body->data, body->len, "code") != 1)
		return;
	quote_text(qc, sizeof(qc), code);
	if (rcn_wechat_json_string(msg, sizeof(msg), body->data, body->len, "message") == 1 && msg[0]) {
		quote_text(qm, sizeof(qm), msg);
		snprintf(out, n, "%s: %s", qc, qm);
	} else {
		snprintf(out, n, "%s", qc);
	}
}

static rcn_rc http_error(const rcn_http_response *r, const char *what, rcn_err *err)
{
	char text[QUOTE_MAX * 2 + 8];
	json_error_text(text, sizeof(text), &r->body);
	if (text[0])
		return rcn_err_set(err, RCN_EIO, "", 0, "%s: HTTP %ld %s", what, r->status, text);
	return rcn_err_set(err, RCN_EIO, "", 0, "%s: HTTP %ld (%s)", what, r->status, body_kind(&r->body));
}

/* ---- API v3 ---- */

typedef struct {
	const rcn_fetch_request *req;
	const rcn_fetch_settings *s;
	rcn_api_result *out;
	rcn_key *merchant; /* signs our requests */
	rcn_key *platform; /* verifies the answers */
	const char *kind;  /* "tradebill" or "fundflowbill" */
	char url[4096];	   /* step 1 */
	char hash[41];	   /* step 1 answer */
	char download_url[2048];
	char what[64];
	char signer[ID_MAX + 1]; /* whom answers must name in Wechatpay-Serial */
	bool pubkey;		 /* signer is a 微信支付公钥 id, not a certificate serial */
} v3_call;

/* A GET signed for url; the response is the caller's to free. */
static rcn_rc v3_get(v3_call *c, const char *url, const char *what, rcn_http_response *resp, rcn_err *err)
{
	char nonce[NONCE_LEN + 1], auth[2048], header[2100];
	rcn_nonce(nonce, sizeof(nonce));
	rcn_rc rc = rcn_wechat_v3_authorization(auth, sizeof(auth), c->merchant, c->req->merchant_id,
						c->req->cert_serial, "GET", url, "", (long long)time(NULL), nonce, err);
	if (rc)
		return rc;
	snprintf(header, sizeof(header), "Authorization: %s", auth);
	const char *headers[] = {"Accept: application/json", USER_AGENT, header, NULL};
	rcn_http_request hr = {.method = "GET",
			       .url = url,
			       .headers = headers,
			       .channel = c->req->channel ? c->req->channel : "wechat",
			       .what = what};
	memset(resp, 0, sizeof(*resp));
	rc = rcn_http_send(&hr, c->s, resp, err);
	c->out->attempts += resp->attempts;
	if (resp->status)
		c->out->http_status = resp->status;
	explicit_bzero(auth, sizeof(auth));
	explicit_bzero(header, sizeof(header));
	return rc;
}

/* The SDKs (wechatpay-go, wechatpay-axios-plugin, wechatpay-java) refuse an
 * answer dated more than 5 minutes either side of the local clock: a replayed
 * answer, or a clock out of step, which the operator must hear about. */
static rcn_rc v3_check_time(const v3_call *c, const char *ts, rcn_err *err)
{
	long skew = c->req->max_clock_skew_s > 0 ? c->req->max_clock_skew_s : DEFAULT_SKEW_S;
	size_t len = strspn(ts, "0123456789");
	if (!len || len > 12 || ts[len]) {
		char q[QUOTE_MAX + 1];
		quote_text(q, sizeof(q), ts);
		return rcn_err_set(err, RCN_EFORMAT, "", 0, "%s: Wechatpay-Timestamp '%s' is not a Unix time", c->what,
				   q);
	}
	long long t = strtoll(ts, NULL, 10), now = (long long)time(NULL);
	if (t >= now - skew && t <= now + skew)
		return RCN_OK;
	char when[40] = "?";
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	return rcn_err_set(err, RCN_EFORMAT, "", 0,
			   "%s: the answer is dated %s (Wechatpay-Timestamp %lld), more than %ld s %s this machine's "
			   "clock (max_clock_skew = %ld): a replayed answer, or a clock out of step",
			   c->what, when, t, skew, t < now ? "behind" : "ahead of", skew);
}

/* Certificate serials compare as numbers written in hex; public-key ids as text. */
static bool same_signer(const char *got, const char *want, bool pubkey)
{
	if (pubkey)
		return strcmp(got, want) == 0;
	while (*got == '0')
		got++;
	while (*want == '0')
		want++;
	return strcasecmp(got, want) == 0;
}

/* Wechatpay-Serial names the key that signed: the platform certificate's
 * serial, or in 微信支付公钥 mode the key's PUB_KEY_ID_…. An answer signed by
 * any other key is refused by name, before its signature is tried. */
static rcn_rc v3_check_serial(const v3_call *c, const char *serial, rcn_err *err)
{
	char q[QUOTE_MAX + 1];
	quote_text(q, sizeof(q), serial);
	bool got_pubkey = strncmp(serial, "PUB_KEY_ID_", 11) == 0;
	if (got_pubkey == c->pubkey && same_signer(serial, c->signer, c->pubkey))
		return RCN_OK;
	const char *got_kind = got_pubkey ? "platform public key" : "platform certificate";
	if (got_pubkey == c->pubkey)
		return rcn_err_set(err, RCN_EFORMAT, "", 0,
				   "WeChat answer signed by %s %s; configured: %s — the %s may have been rotated",
				   got_kind, q, c->signer, got_kind);
	if (got_pubkey)
		return rcn_err_set(
			err, RCN_EFORMAT, "", 0,
			"WeChat answer signed by platform public key %s; configured: platform certificate %s "
			"— WeChat Pay may have moved this merchant to a platform public key (微信支付公钥): "
			"set platform_cert to it and platform_key_id = %s",
			q, c->signer, q);
	return rcn_err_set(err, RCN_EFORMAT, "", 0,
			   "WeChat answer signed by platform certificate %s; configured: platform public key %s "
			   "— set platform_cert to that platform certificate and drop platform_key_id",
			   q, c->signer);
}

/* The platform signs "<timestamp>\n<nonce>\n<body>\n"; nothing in an answer
 * is believed before that verifies. Checked in the SDKs' order: the headers,
 * the time, the signer, the signature. */
static rcn_rc v3_verify_answer(const v3_call *c, const rcn_http_response *r, rcn_err *err)
{
	const char *ts = rcn_http_header(r, "Wechatpay-Timestamp");
	const char *nonce = rcn_http_header(r, "Wechatpay-Nonce");
	const char *sig = rcn_http_header(r, "Wechatpay-Signature");
	const char *serial = rcn_http_header(r, "Wechatpay-Serial");
	if (!ts || !nonce || !sig)
		return rcn_err_set(err, RCN_EFORMAT, "", 0,
				   "%s: the answer is not signed (%s without Wechatpay-Signature)", c->what,
				   body_kind(&r->body));
	if (!serial || !serial[0])
		return rcn_err_set(err, RCN_EFORMAT, "", 0,
				   "%s: the answer does not name its signer (no Wechatpay-Serial)", c->what);
	rcn_rc rc = v3_check_time(c, ts, err);
	if (rc == RCN_OK)
		rc = v3_check_serial(c, serial, err);
	if (rc)
		return rc;
	rcn_buf msg;
	rcn_err verr;
	rcn_buf_init(&msg, SIZE_MAX);
	rcn_buf_printf(&msg, "%s\n%s\n", ts, nonce);
	rcn_buf_append(&msg, r->body.data ? r->body.data : "", r->body.len);
	rcn_buf_append(&msg, "\n", 1);
	rc = rcn_verify_rsa_sha256(c->platform, msg.data, msg.len, sig, &verr);
	rcn_buf_free(&msg);
	if (rc)
		return rcn_err_set(err, RCN_EFORMAT, "", 0, "WeChat answer signature does not verify");
	return RCN_OK;
}

static bool all_hex(const char *s, size_t n)
{
	size_t i = 0;
	while (s[i] && isxdigit((unsigned char)s[i]))
		i++;
	return i == n && !s[i];
}

/* Step 1: ask for the bill; fills hash and download_url, or sets no_bill. */
static rcn_rc v3_ask(v3_call *c, rcn_err *err)
{
	rcn_http_response r;
	char hash_type[16];
	memset(&r, 0, sizeof(r));
	snprintf(c->what, sizeof(c->what), "WeChat %s request", c->kind);
	/* a failed query names the query in the manifest */
	rcn_http_safe_url(c->out->safe_url, sizeof(c->out->safe_url), c->url);
	rcn_rc rc = v3_get(c, c->url, c->what, &r, err);
	if (rc)
		goto cleanup;
	if (r.status != 200) {
		char code[128];
		if (r.status == 400 && r.body.data &&
		    rcn_wechat_json_string(code, sizeof(code), r.body.data, r.body.len, "code") == 1 &&
		    strcmp(code, "NO_STATEMENT_EXIST") == 0) {
			c->out->no_bill = true;
		} else {
			rc = http_error(&r, c->what, err);
		}
		goto cleanup;
	}
	rc = v3_verify_answer(c, &r, err);
	if (rc)
		goto cleanup;
	const char *b = r.body.data ? r.body.data : "";
	if (rcn_wechat_json_string(hash_type, sizeof(hash_type), b, r.body.len, "hash_type") != 1 ||
	    rcn_wechat_json_string(c->hash, sizeof(c->hash), b, r.body.len, "hash_value") != 1 ||
	    rcn_wechat_json_string(c->download_url, sizeof(c->download_url), b, r.body.len, "download_url") != 1) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0,
				 "%s: the answer is not JSON with hash_type, hash_value and download_url", c->what);
		goto cleanup;
	}
	if (strcasecmp(hash_type, "SHA1") != 0 || !all_hex(c->hash, 40)) {
		char q[QUOTE_MAX + 1];
		quote_text(q, sizeof(q), hash_type);
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0,
				 "%s: hash_type %s with a %zu-character hash_value is not SHA1", c->what, q,
				 strlen(c->hash));
		goto cleanup;
	}
	for (char *p = c->hash; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	/* the signed answer names where to download; it must still be a URL of our scheme */
	bool plain_http = strncmp(c->url, "http://", 7) == 0;
	if (strncmp(c->download_url, "https://", 8) != 0 &&
	    !(plain_http && strncmp(c->download_url, "http://", 7) == 0))
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "%s: download_url is not an https:// URL", c->what);
cleanup:
	rcn_http_response_free(&r);
	return rc;
}

/* Step 2: download and check the bill; *expired when download_url had expired. */
static rcn_rc v3_download(v3_call *c, bool *expired, rcn_err *err)
{
	rcn_http_response r;
	char what[80], sha1[41] = "";
	int y, m, d;
	memset(&r, 0, sizeof(r));
	*expired = false;
	snprintf(what, sizeof(what), "WeChat %s download", c->kind);
	rcn_http_safe_url(c->out->safe_url, sizeof(c->out->safe_url), c->download_url);
	rcn_rc rc = v3_get(c, c->download_url, what, &r, err);
	if (rc)
		goto cleanup;
	if (r.status != 200) {
		char code[128] = "", msg[1024] = "";
		if (r.body.data) {
			rcn_wechat_json_string(code, sizeof(code), r.body.data, r.body.len, "code");
			rcn_wechat_json_string(msg, sizeof(msg), r.body.data, r.body.len, "message");
		}
		/* the code is documented loosely: DOWNLOAD_URL_EXPIRED, or a message saying so (过期) */
		if (r.status >= 400 && r.status < 500 &&
		    (strcasestr(code, "EXPIRED") || strcasestr(msg, "expired") || strstr(msg, "过期"))) {
			*expired = true;
			rc = rcn_err_set(err, RCN_EIO, "", 0, "WeChat download_url expired");
		} else {
			rc = http_error(&r, what, err);
		}
		goto cleanup;
	}
	if (!is_gzip(&r.body)) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "%s: %s instead of the bill", what, body_kind(&r.body));
		goto cleanup;
	}
	rcn_date_to_ymd(c->req->day, &y, &m, &d);
	snprintf(c->out->filename, sizeof(c->out->filename), "%s_%s_%04d%02d%02d.csv.gz", c->kind,
		 strcmp(c->kind, "tradebill") == 0 ? "ALL" : "BASIC", y, m, d);
	snprintf(c->out->channel_digest, sizeof(c->out->channel_digest), "%s", c->hash);
	rc = gunzip_check(sha1, &r.body, c->out->filename, err);
	if (rc) {
		rc = reframe(err, rc, what);
		goto cleanup;
	}
	if (strcmp(sha1, c->hash) != 0) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0,
				 "WeChat %s: SHA-1 of the bill does not match hash_value (file discarded)", c->kind);
		goto cleanup;
	}
	c->out->digest_ok = true;
	c->out->data = r.body;
	memset(&r.body, 0, sizeof(r.body));
cleanup:
	rcn_http_response_free(&r);
	return rc;
}

static rcn_rc v3_setup(v3_call *c, rcn_err *err)
{
	const rcn_fetch_request *req = c->req;
	char day[11];
	rcn_rc rc;
	if (!req->bill || strcmp(req->bill, "trade") == 0)
		c->kind = "tradebill";
	else if (strcmp(req->bill, "fundflow") == 0)
		c->kind = "fundflowbill";
	else
		return rcn_err_set(err, RCN_EUSAGE, "", 0,
				   "api = wechat-v3 downloads bill = trade or fundflow, not %.64s", req->bill);
	if ((rc = check_id(req->merchant_id, "merchant_id", true, err)) ||
	    (rc = check_id(req->cert_serial, "cert_serial", true, err)) ||
	    (rc = check_id(req->sub_merchant_id, "sub_mchid", false, err)))
		return rc;
	if (!req->private_key_file || !req->platform_cert_file)
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "api = wechat-v3 needs private_key and platform_cert");
	if ((rc = check_id(req->platform_key_id, "platform_key_id", false, err)) ||
	    (rc = rcn_key_load_private(&c->merchant, req->private_key_file, err)) ||
	    (rc = rcn_key_load_public_serial(&c->platform, c->signer, sizeof(c->signer), req->platform_cert_file, err)))
		return rc;
	/* the signer answers must name: the certificate's serial, or the public key's configured id */
	c->pubkey = req->platform_key_id && req->platform_key_id[0];
	if (c->pubkey && c->signer[0])
		return rcn_err_set(err, RCN_EUSAGE, req->platform_cert_file, 0,
				   "platform_key_id is set, but platform_cert is a certificate (serial %s): give the "
				   "platform public key (微信支付公钥) file, or drop platform_key_id",
				   c->signer);
	if (!c->pubkey && !c->signer[0])
		return rcn_err_set(err, RCN_EUSAGE, req->platform_cert_file, 0,
				   "platform_cert is a public key (微信支付公钥): set platform_key_id to its id "
				   "(PUB_KEY_ID_…), which answers name in Wechatpay-Serial");
	if (c->pubkey)
		snprintf(c->signer, sizeof(c->signer), "%s", req->platform_key_id);
	const char *base = req->api_base && req->api_base[0] ? req->api_base : WECHAT_API_BASE;
	int blen = (int)strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	rcn_date_format(day, req->day);
	int w = strcmp(c->kind, "tradebill") == 0
			? snprintf(c->url, sizeof(c->url),
				   "%.*s/v3/bill/tradebill?bill_date=%s&bill_type=ALL&tar_type=GZIP", blen, base, day)
			: snprintf(c->url, sizeof(c->url),
				   "%.*s/v3/bill/fundflowbill?bill_date=%s&account_type=BASIC&tar_type=GZIP", blen,
				   base, day);
	if (w > 0 && (size_t)w < sizeof(c->url) && req->sub_merchant_id && req->sub_merchant_id[0])
		w += snprintf(c->url + w, sizeof(c->url) - (size_t)w, "&sub_mchid=%s", req->sub_merchant_id);
	if (w < 0 || (size_t)w >= sizeof(c->url))
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "api_base is too long");
	return RCN_OK;
}

/* download_url is valid for minutes only: when it has expired by the time we
 * use it (a slow retry, a stalled queue), ask once more for a fresh one. */
rcn_rc rcn_api_wechat_v3(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err)
{
	v3_call c;
	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.req = req;
	c.s = s;
	c.out = out;
	out->digest_ok = true;
	rcn_rc rc = v3_setup(&c, err);
	for (int round = 0; rc == RCN_OK && round < 2; round++) {
		bool expired = false;
		rc = v3_ask(&c, err);
		if (rc || out->no_bill)
			break;
		rc = v3_download(&c, &expired, err);
		if (rc == RCN_OK || !expired || round == 1)
			break;
		rcn_err_clear(err);
		rc = RCN_OK;
		out->channel_digest[0] = '\0';
	}
	if (rc) {
		out->digest_ok = out->digest_ok && !out->channel_digest[0];
		rcn_buf_free(&out->data);
		name_source(err, rc, req->source);
	}
	rcn_key_free(c.merchant);
	rcn_key_free(c.platform);
	return rc;
}

/* ---- API v2 ---- */

/* Errors come back as XML even when GZIP was asked for; "No Bill Exist"
 * (error_code 20002) means an empty day. */
static rcn_rc v2_xml_answer(rcn_api_result *out, const rcn_buf *body, rcn_err *err)
{
	char msg[1024], code[64], q[QUOTE_MAX + 1], qc[QUOTE_MAX + 1];
	if (rcn_wechat_xml_field(msg, sizeof(msg), body->data, body->len, "return_msg") != 1)
		msg[0] = '\0';
	if (rcn_wechat_xml_field(code, sizeof(code), body->data, body->len, "error_code") != 1)
		code[0] = '\0';
	if (strcasestr(msg, "No Bill Exist") || strcmp(code, "20002") == 0) {
		out->no_bill = true;
		return RCN_OK;
	}
	if (!msg[0])
		return rcn_err_set(err, RCN_EFORMAT, "", 0, "WeChat downloadbill: an XML document without return_msg");
	quote_text(q, sizeof(q), msg);
	if (!code[0])
		return rcn_err_set(err, RCN_EIO, "", 0, "WeChat downloadbill: %s", q);
	quote_text(qc, sizeof(qc), code);
	return rcn_err_set(err, RCN_EIO, "", 0, "WeChat downloadbill: %s (error_code %s)", q, qc);
}

static rcn_rc v2_check(const rcn_fetch_request *req, bool *md5, rcn_err *err)
{
	rcn_rc rc;
	if (req->bill && strcmp(req->bill, "trade") != 0)
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "api = wechat-v2 downloads bill = trade only, not %.64s",
				   req->bill);
	*md5 = req->sign_type && strcasecmp(req->sign_type, "MD5") == 0;
	if (req->sign_type && !*md5 && strcasecmp(req->sign_type, "HMAC-SHA256") != 0)
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "sign_type must be MD5 or HMAC-SHA256, not %.64s",
				   req->sign_type);
	if ((rc = check_id(req->merchant_id, "merchant_id", true, err)) ||
	    (rc = check_id(req->app_id, "app_id", true, err)) ||
	    (rc = check_id(req->sub_merchant_id, "sub_mchid", false, err)))
		return rc;
	if (!req->api_key_file)
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "api = wechat-v2 needs api_key_file");
	return RCN_OK;
}

rcn_rc rcn_api_wechat_v2(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err)
{
	char api_key[256] = "", nonce[NONCE_LEN + 1], ymd[9], sign[65], url[4096];
	rcn_http_response r;
	rcn_buf xml;
	bool md5 = false;
	int y, m, d;
	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	rcn_buf_init(&xml, SIZE_MAX);
	out->digest_ok = true;
	rcn_rc rc = v2_check(req, &md5, err);
	if (rc == RCN_OK)
		rc = rcn_secret_load(api_key, sizeof(api_key), req->api_key_file, err);
	if (rc)
		goto cleanup;
	const char *base = req->api_base && req->api_base[0] ? req->api_base : WECHAT_API_BASE;
	int blen = (int)strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	int w = snprintf(url, sizeof(url), "%.*s/pay/downloadbill", blen, base);
	if (w < 0 || (size_t)w >= sizeof(url)) {
		rc = rcn_err_set(err, RCN_EUSAGE, "", 0, "api_base is too long");
		goto cleanup;
	}
	rcn_date_to_ymd(req->day, &y, &m, &d);
	snprintf(ymd, sizeof(ymd), "%04d%02d%02d", y, m, d);
	rcn_nonce(nonce, sizeof(nonce));
	rcn_wechat_param params[] = {{"appid", req->app_id},
				     {"bill_date", ymd},
				     {"bill_type", "ALL"},
				     {"mch_id", req->merchant_id},
				     {"nonce_str", nonce},
				     {"sign_type", md5 ? "MD5" : "HMAC-SHA256"},
				     {"sub_mch_id", req->sub_merchant_id},
				     {"tar_type", "GZIP"}};
	size_t n = sizeof(params) / sizeof(params[0]);
	rcn_wechat_v2_sign(sign, params, n, api_key, md5);
	explicit_bzero(api_key, sizeof(api_key));
	/* values are plain identifiers (check_id) or our own: nothing to escape */
	rcn_buf_printf(&xml, "<xml>");
	for (size_t i = 0; i < n; i++)
		if (params[i].value && params[i].value[0])
			rcn_buf_printf(&xml, "<%s>%s</%s>", params[i].name, params[i].value, params[i].name);
	rcn_buf_printf(&xml, "<sign>%s</sign></xml>", sign);
	const char *headers[] = {"Content-Type: text/xml", "Accept: */*", USER_AGENT, NULL};
	rcn_http_request hr = {.method = "POST",
			       .url = url,
			       .headers = headers,
			       .body = xml.data,
			       .body_len = xml.len,
			       .channel = req->channel ? req->channel : "wechat",
			       .what = "WeChat downloadbill request"};
	rcn_http_safe_url(out->safe_url, sizeof(out->safe_url), url);
	rc = rcn_http_send(&hr, s, &r, err);
	out->attempts = r.attempts;
	out->http_status = r.status;
	if (rc)
		goto cleanup;
	if (r.status == 200 && is_gzip(&r.body)) {
		snprintf(out->filename, sizeof(out->filename), "downloadbill_ALL_%s.csv.gz", ymd);
		rc = gunzip_check(NULL, &r.body, out->filename, err);
		if (rc) {
			rc = reframe(err, rc, "WeChat downloadbill");
			goto cleanup;
		}
		out->data = r.body;
		memset(&r.body, 0, sizeof(r.body));
		goto cleanup;
	}
	const char *kind = body_kind(&r.body);
	if (strcmp(kind, "an XML document") == 0)
		rc = v2_xml_answer(out, &r.body, err);
	else if (r.status != 200)
		rc = rcn_err_set(err, RCN_EIO, "", 0, "WeChat downloadbill: HTTP %ld (%s)", r.status, kind);
	else
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "WeChat downloadbill: %s instead of the bill", kind);
cleanup:
	explicit_bzero(api_key, sizeof(api_key));
	if (xml.data)
		explicit_bzero(xml.data, xml.len);
	rcn_buf_free(&xml);
	rcn_http_response_free(&r);
	if (rc) {
		out->filename[0] = '\0';
		rcn_buf_free(&out->data);
		name_source(err, rc, req->source);
	}
	return rc;
}
