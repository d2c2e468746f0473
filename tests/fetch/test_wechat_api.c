/* fetch: the WeChat Pay clients. Without a server: the v3 signing string and
 * Authorization layout, the v2 sign of WeChat's documented example, the JSON
 * and XML readers, configuration errors. Against the fixture server: every
 * scenario for v3 and v2, with the exact message (and no secret in it), the
 * attempts made, no_bill, the digest check and the bytes returned. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fetch/api.h"
#include "fetch/sign.h"
#include "fetch/wechat_api.h"
#include "fetch_test_util.h"
#include "test_util.h"
#include "recon/date.h"
#include "recon/fetch.h"

#define BILL_GZ	    FIXTURES_DIR "/fetch/wechat/tradebill_ALL_20210128.csv.gz"
#define FUNDFLOW_GZ FIXTURES_DIR "/fetch/wechat/fundflowbill_BASIC_20210128.csv.gz"
#define BILL_SHA1   "b18b51eb64422040e5ad738d47b358a40b1a7997" /* sha1sum of the gunzipped sample */
#define FLOW_SHA1   "0d4e4e2518a94c053f58e0db78d62ccc6e46ac34"
#define MOCK_HASH   "dcd7ceb3d382a1181798368bb15d8437de46c00f"
#define MCHID	    "1601959334"
/* WeChat's signing example (wechatpay-api-v3 docs, 签名生成) */
#define DOC_NONCE "593BEC0C930BF1AFEB40B4A08C8FB242"
#define DOC_TS	  1554208460LL

#define UNKNOWN_SERIAL "7B3F0A2C9E1D4B5A6C7D8E9F0A1B2C3D4E5F6A7B" /* handlers_wechat.c */
#define PUB_KEY_ID     "PUB_KEY_ID_0116019593342021012800000000000001"

static char tmpdir[256];
static char merchant_serial[128], platform_serial[128], platform_new_serial[128], v2_key[128];

/* ---- helpers ---- */

/* No message may carry what signs a request or unlocks a download: the API
 * key, the Authorization, a nonce (32 alphanumerics), a signature (a long
 * base64 run) or a download token. */
static void assert_no_secret(const char *text)
{
	/* certificate serials and key ids are public, and messages name them */
	char msg[1200];
	snprintf(msg, sizeof(msg), "%s", text);
	const char *public_ids[] = {platform_serial, platform_new_serial,
				    merchant_serial, UNKNOWN_SERIAL,
				    PUB_KEY_ID,	     "PUB_KEY_ID_0000000000000000000000000000000009"};
	for (size_t i = 0; i < sizeof(public_ids) / sizeof(public_ids[0]); i++)
		for (char *p = public_ids[i][0] ? strstr(msg, public_ids[i]) : NULL; p; p = strstr(p, public_ids[i]))
			memset(p, '.', strlen(public_ids[i]));
	if (v2_key[0])
		assert_null(strstr(msg, v2_key));
	TU_HAS_NONE(msg, "WECHATPAY2", "Authorization", "nonce_str", "token=", "<sign>", "PRIVATE KEY");
	size_t alnum = 0, b64 = 0;
	for (const char *p = msg; *p; p++) {
		alnum = isalnum((unsigned char)*p) ? alnum + 1 : 0;
		b64 = isalnum((unsigned char)*p) || *p == '+' || *p == '/' || *p == '=' ? b64 + 1 : 0;
		assert_true(alnum < 32);
		assert_true(b64 < 60);
	}
}

static void expect_error(rcn_rc rc, const rcn_err *err, rcn_rc code, const char *want)
{
	char buf[1200];
	rcn_err_format(err, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "got:  %s\nwant: %s\n", buf, want);
	assert_int_equal(rc, code);
	assert_string_equal(buf, want);
	assert_null(strchr(buf, '\n'));
	assert_no_secret(buf);
}

/* ---- without a server ---- */

static void test_url_path(void **state)
{
	(void)state;
	assert_string_equal(rcn_wechat_url_path("https://api.mch.weixin.qq.com/v3/bill/tradebill?bill_date=2021-01-28"),
			    "/v3/bill/tradebill?bill_date=2021-01-28");
	assert_string_equal(rcn_wechat_url_path("https://127.0.0.1:8443/v3/billdownload/file?token=a&x=b"),
			    "/v3/billdownload/file?token=a&x=b");
	assert_string_equal(rcn_wechat_url_path("https://127.0.0.1:8443"), "/");
	assert_string_equal(rcn_wechat_url_path("https://host?q=/x"), "/");
}

static void test_v3_message(void **state)
{
	(void)state;
	rcn_buf b;
	rcn_buf_init(&b, 4096);
	rcn_wechat_v3_message(&b, "GET", "/v3/bill/tradebill?bill_date=2021-01-28&bill_type=ALL&tar_type=GZIP", DOC_TS,
			      DOC_NONCE, "");
	assert_string_equal(b.data, "GET\n/v3/bill/tradebill?bill_date=2021-01-28&bill_type=ALL&tar_type=GZIP\n"
				    "1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n");
	rcn_buf_reset(&b);
	rcn_wechat_v3_message(&b, "POST", "/v3/x", 1, "N", "{\"a\":1}");
	assert_string_equal(b.data, "POST\n/v3/x\n1\nN\n{\"a\":1}\n");
	rcn_buf_free(&b);
}

/* The header layout, and its signature checked with OpenSSL directly over
 * the literal signing string (PKCS#1 v1.5 signatures are deterministic). */
static void test_v3_authorization(void **state)
{
	(void)state;
	char path[300], auth[2048], sig[1024];
	snprintf(path, sizeof(path), "%s/merchant.key", tmpdir);
	EVP_PKEY *pkey = fx_write_rsa_key(path, NULL);

	rcn_key *key = NULL;
	rcn_err err;
	assert_int_equal(rcn_key_load_private(&key, path, &err), RCN_OK);
	const char *url = "https://api.mch.weixin.qq.com/v3/bill/tradebill?bill_date=2021-01-28&bill_type=ALL"
			  "&tar_type=GZIP";
	assert_int_equal(rcn_wechat_v3_authorization(auth, sizeof(auth), key, MCHID,
						     "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", "GET", url, "", DOC_TS,
						     DOC_NONCE, &err),
			 RCN_OK);
	const char *head = "WECHATPAY2-SHA256-RSA2048 mchid=\"1601959334\",nonce_str=\"" DOC_NONCE "\",signature=\"";
	const char *tail = "\",timestamp=\"1554208460\",serial_no=\"5157F09EFDC096DE15EBE81A47057A7232F1B8E1\"";
	size_t hl = strlen(head), tl = strlen(tail), al = strlen(auth);
	assert_true(al > hl + tl);
	assert_memory_equal(auth, head, hl);
	assert_string_equal(auth + al - tl, tail);
	snprintf(sig, sizeof(sig), "%.*s", (int)(al - hl - tl), auth + hl);

	const char *msg = "GET\n/v3/bill/tradebill?bill_date=2021-01-28&bill_type=ALL&tar_type=GZIP\n"
			  "1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n";
	unsigned char raw[512], b64[1024];
	size_t rawlen = sizeof(raw);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey), 1);
	assert_int_equal(EVP_DigestSign(md, raw, &rawlen, (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);
	EVP_EncodeBlock(b64, raw, (int)rawlen);
	assert_string_equal(sig, (const char *)b64);

	/* a header that does not fit is an error, not a cut signature */
	assert_int_equal(
		rcn_wechat_v3_authorization(auth, 100, key, MCHID, "01", "GET", url, "", DOC_TS, DOC_NONCE, &err),
		RCN_ELIMIT);
	rcn_key_free(key);
	EVP_PKEY_free(pkey);
}

/* WeChat Pay v2 "安全规范" example: the documented string and both signs
 * (MD5 9A0A8659…, HMAC-SHA256 6A9AE165…; also checked with md5sum and
 * `openssl dgst -sha256 -hmac`). Order given, empty values and "sign" must not matter. */
static void test_v2_sign(void **state)
{
	(void)state;
	const char *key = "192006250b4c09247ec02edce69f6a2d";
	rcn_wechat_param p[] = {{"nonce_str", "ibuaiVcKdpRxkhJA"},
				{"mch_id", "10000100"},
				{"sign", "XYZ"},
				{"body", "test"},
				{"device_info", "1000"},
				{"attach", ""},
				{"appid", "wxd930ea5d5a258f4f"}};
	size_t n = sizeof(p) / sizeof(p[0]);
	rcn_buf s;
	rcn_buf_init(&s, 4096);
	rcn_wechat_v2_sign_string(&s, p, n, key);
	assert_string_equal(s.data, "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&"
				    "nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d");
	rcn_buf_free(&s);
	char sign[65];
	rcn_wechat_v2_sign(sign, p, n, key, true);
	assert_string_equal(sign, "9A0A8659F005D6984697E2CA0A9CF3B7");
	rcn_wechat_v2_sign(sign, p, n, key, false);
	assert_string_equal(sign, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6");

	/* the downloadbill parameter set: names sort in ASCII order (sign_type < sub_mch_id < tar_type) */
	rcn_wechat_param d[] = {{"tar_type", "GZIP"},
				{"sub_mch_id", ""},
				{"sign_type", "HMAC-SHA256"},
				{"nonce_str", "N"},
				{"mch_id", MCHID},
				{"bill_type", "ALL"},
				{"bill_date", "20210128"},
				{"appid", "wx8888888888888888"}};
	rcn_buf_init(&s, 4096);
	rcn_wechat_v2_sign_string(&s, d, sizeof(d) / sizeof(d[0]), "K");
	assert_string_equal(s.data, "appid=wx8888888888888888&bill_date=20210128&bill_type=ALL&mch_id=1601959334&"
				    "nonce_str=N&sign_type=HMAC-SHA256&tar_type=GZIP&key=K");
	char want[65];
	rcn_hmac_sha256_upper_hex(want, "K", s.data, s.len);
	rcn_buf_free(&s);
	rcn_wechat_v2_sign(sign, d, sizeof(d) / sizeof(d[0]), "K", false);
	assert_string_equal(sign, want);
}

static int json(char *out, size_t n, const char *text, const char *name)
{
	return rcn_wechat_json_string(out, n, text, strlen(text), name);
}

static void test_json_string(void **state)
{
	(void)state;
	char v[64];
	const char *answer = "{\"hash_type\":\"SHA1\",\"hash_value\":\"" BILL_SHA1 "\",\"download_url\":\"https:\\/\\/"
			     "h\\/v3\\/billdownload\\/file?token=t\\u0026tartype=gzip\"}";
	assert_int_equal(json(v, sizeof(v), answer, "download_url"), 1);
	assert_string_equal(v, "https://h/v3/billdownload/file?token=t&tartype=gzip");
	assert_int_equal(json(v, sizeof(v), answer, "hash_value"), 1);
	assert_string_equal(v, BILL_SHA1);
	assert_int_equal(json(v, sizeof(v), answer, "hash"), 0);
	assert_string_equal(v, "");

	/* escapes, surrogate pairs, other value kinds skipped, nested names not top-level */
	const char *t = " {\"n\": 1.5e3, \"o\": {\"code\": \"inner\", \"a\": [1, \"x\\\"]\", {}]}, \"t\": true,"
			"\n \"code\" : \"A\\\"B\\\\C\\/\\n\\t\\u00e9\\u4e2d\\ud83d\\ude00\", \"code\": \"second\"} ";
	assert_int_equal(json(v, sizeof(v), t, "code"), 1);
	assert_string_equal(v, "A\"B\\C/\n\t\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80");
	assert_int_equal(json(v, sizeof(v), t, "n"), 0);
	assert_int_equal(json(v, sizeof(v), t, "a"), 0);
	assert_int_equal(json(v, sizeof(v), "{}", "a"), 0);

	/* too long for out */
	assert_int_equal(json(v, 4, "{\"a\":\"abcd\"}", "a"), -1);
	assert_string_equal(v, "");
	assert_int_equal(json(v, 5, "{\"a\":\"abcd\"}", "a"), 1);

	/* not JSON */
	const char *bad[] = {"",
			     "<html>",
			     "[\"a\"]",
			     "{\"a\":\"b\"",
			     "{\"a\":\"b\"} x",
			     "{\"a\" \"b\"}",
			     "{\"a\":\"b\",}",
			     "{\"a\":\"b\\x\"}",
			     "{\"a\":\"\\ud83d\"}",
			     "{\"a\":\"\\ude00\"}",
			     "{\"a\":\"\\u00\"}",
			     "{\"a\":\"\\u0000\"}",
			     "{\"a\":\"tab\there\"}",
			     "{\"a\":[1,2}",
			     "{\"a\":}",
			     "{\"x\":\"unterminated}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(json(v, sizeof(v), bad[i], "a"), -1);
	/* deep nesting is refused, not recursed into without end */
	char deep[200];
	memset(deep, '[', sizeof(deep));
	memcpy(deep, "{\"x\":", 5);
	deep[sizeof(deep) - 1] = '\0';
	assert_int_equal(json(v, sizeof(v), deep, "a"), -1);
	/* length-bounded: no read past len */
	assert_int_equal(rcn_wechat_json_string(v, sizeof(v), "{\"a\":\"b\"}garbage", 9, "a"), 1);
	assert_string_equal(v, "b");
}

static void test_xml_field(void **state)
{
	(void)state;
	char v[32];
	const char *x = "<xml>\n<return_code><![CDATA[FAIL]]></return_code>\n<return_msg><![CDATA[No Bill "
			"Exist]]></return_msg>\n<error_code>20002</error_code><m>a &lt;b&gt; &amp; &quot;c&apos; "
			"&x;</m></xml>";
	assert_int_equal(rcn_wechat_xml_field(v, sizeof(v), x, strlen(x), "return_msg"), 1);
	assert_string_equal(v, "No Bill Exist");
	assert_int_equal(rcn_wechat_xml_field(v, sizeof(v), x, strlen(x), "error_code"), 1);
	assert_string_equal(v, "20002");
	assert_int_equal(rcn_wechat_xml_field(v, sizeof(v), x, strlen(x), "m"), 1);
	assert_string_equal(v, "a <b> & \"c' &x;");
	assert_int_equal(rcn_wechat_xml_field(v, sizeof(v), x, strlen(x), "err_code"), 0);
	assert_int_equal(rcn_wechat_xml_field(v, 5, x, strlen(x), "return_msg"), -1);
	assert_int_equal(rcn_wechat_xml_field(v, sizeof(v), "<a>open", 7, "a"), 0);
	assert_int_equal(rcn_wechat_xml_field(v, sizeof(v), "<a><![CDATA[x</a>", 17, "a"), -1);
}

static rcn_fetch_request base_request(bool v3)
{
	rcn_fetch_request r;
	memset(&r, 0, sizeof(r));
	r.source = v3 ? "wx" : "wx2";
	r.channel = "wechat";
	r.bill = "trade";
	r.api = v3 ? RCN_API_WECHAT_V3 : RCN_API_WECHAT_V2;
	r.api_base = fx_url ? fx_url : "https://127.0.0.1:9";
	r.merchant_id = MCHID;
	r.app_id = "wx8888888888888888";
	r.day = rcn_date_from_ymd(2021, 1, 28);
	return r;
}

static void settings(rcn_fetch_settings *s)
{
	fx_settings(s, 1);
	s->attempts = 3;
}

/* Configuration mistakes fail before any request is made. */
static void test_config_errors(void **state)
{
	(void)state;
	char key[300], cert[300], loose[300], want[800];
	rcn_fetch_settings s;
	rcn_api_result res;
	rcn_err err;
	settings(&s);
	snprintf(key, sizeof(key), "%s/merchant.key", tmpdir); /* written by test_v3_authorization */
	snprintf(cert, sizeof(cert), "%s/missing.pem", tmpdir);
	snprintf(loose, sizeof(loose), "%s/loose.key", tmpdir);

	rcn_fetch_request r = base_request(true);
	r.private_key_file = key;
	r.cert_serial = "01";
	r.platform_cert_file = cert;
	r.bill = "account";
	expect_error(rcn_api_wechat_v3(&r, &s, &res, &err), &err, RCN_EUSAGE,
		     "[source wx]: api = wechat-v3 downloads bill = trade or fundflow, not account");
	r.bill = "trade";
	r.merchant_id = "16019\"59334";
	expect_error(rcn_api_wechat_v3(&r, &s, &res, &err), &err, RCN_EUSAGE,
		     "[source wx]: merchant_id must be up to 64 letters and digits");
	r.merchant_id = MCHID;
	r.cert_serial = NULL;
	expect_error(rcn_api_wechat_v3(&r, &s, &res, &err), &err, RCN_EUSAGE, "[source wx]: cert_serial is not set");
	r.cert_serial = "01";
	snprintf(want, sizeof(want), "[source wx]: %s: cannot read certificate: No such file or directory", cert);
	expect_error(rcn_api_wechat_v3(&r, &s, &res, &err), &err, RCN_EUSAGE, want);
	fx_write_file(loose, "not a key\n", 0644);
	r.private_key_file = loose;
	snprintf(want, sizeof(want),
		 "[source wx]: %s: private key is readable by group or others (mode 0644): chmod 600 it", loose);
	expect_error(rcn_api_wechat_v3(&r, &s, &res, &err), &err, RCN_EUSAGE, want);
	assert_int_equal(res.attempts, 0);
	assert_null(res.data.data);

	rcn_fetch_request r2 = base_request(false);
	r2.api_key_file = loose;
	r2.bill = "fundflow";
	expect_error(rcn_api_wechat_v2(&r2, &s, &res, &err), &err, RCN_EUSAGE,
		     "[source wx2]: api = wechat-v2 downloads bill = trade only, not fundflow");
	r2.bill = NULL;
	r2.sign_type = "SHA1";
	expect_error(rcn_api_wechat_v2(&r2, &s, &res, &err), &err, RCN_EUSAGE,
		     "[source wx2]: sign_type must be MD5 or HMAC-SHA256, not SHA1");
	r2.sign_type = "MD5";
	snprintf(want, sizeof(want),
		 "[source wx2]: %s: API key file is readable by group or others (mode 0644): chmod 600 it", loose);
	expect_error(rcn_api_wechat_v2(&r2, &s, &res, &err), &err, RCN_EUSAGE, want);
	r2.app_id = NULL;
	expect_error(rcn_api_wechat_v2(&r2, &s, &res, &err), &err, RCN_EUSAGE, "[source wx2]: app_id is not set");
	assert_int_equal(res.attempts, 0);
}

/* ---- against the fixture server ---- */

static char bill_path[300], flow_path[300];

static int setup_server(void **state)
{
	(void)state;
	if (fx_server_env(FX_NEED_KEYS) != 0)
		return -1;
	char path[4096];
	snprintf(path, sizeof(path), "%s/merchant.serial", fx_keys);
	fx_first_line(merchant_serial, sizeof(merchant_serial), path);
	snprintf(path, sizeof(path), "%s/platform.serial", fx_keys);
	fx_first_line(platform_serial, sizeof(platform_serial), path);
	snprintf(path, sizeof(path), "%s/platform_new.serial", fx_keys);
	fx_first_line(platform_new_serial, sizeof(platform_new_serial), path);
	snprintf(path, sizeof(path), "%s/wechat_v2.key", fx_keys);
	fx_first_line(v2_key, sizeof(v2_key), path);
	snprintf(bill_path, sizeof(bill_path), "%s", BILL_GZ);
	snprintf(flow_path, sizeof(flow_path), "%s", FUNDFLOW_GZ);
	return 0;
}

/* A scenario word no earlier run used, so the server's per-scenario counters start at 0. */
static char key_path[3][4096];

static const char *key_file(int i, const char *name)
{
	snprintf(key_path[i], sizeof(key_path[i]), "%s/%s", fx_keys, name);
	return key_path[i];
}

static rcn_fetch_request v3_request(void)
{
	rcn_fetch_request r = base_request(true);
	r.private_key_file = key_file(0, "merchant.key");
	r.platform_cert_file = key_file(1, "platform.pem");
	r.cert_serial = merchant_serial;
	return r;
}

static rcn_fetch_request v2_request(void)
{
	rcn_fetch_request r = base_request(false);
	r.api_key_file = key_file(2, "wechat_v2.key");
	return r;
}

static rcn_rc run(const rcn_fetch_request *r, const char *word, rcn_api_result *res, rcn_err *err)
{
	rcn_fetch_settings s;
	settings(&s);
	fx_scenario(word);
	rcn_err_clear(err);
	return r->api == RCN_API_WECHAT_V3 ? rcn_api_wechat_v3(r, &s, res, err) : rcn_api_wechat_v2(r, &s, res, err);
}

static void assert_bill(const rcn_api_result *res, const char *path)
{
	size_t n;
	char *want = fx_slurp(path, &n);
	assert_int_equal(res->data.len, n);
	assert_memory_equal(res->data.data, want, n);
	free(want);
	assert_false(res->no_bill);
	assert_int_equal(res->http_status, 200);
}

static void assert_nothing(rcn_api_result *res)
{
	assert_int_equal(res->data.len, 0);
	assert_false(res->no_bill);
	assert_string_equal(res->filename, "");
	rcn_buf_free(&res->data);
}

static void want_url(char *out, size_t n, const char *path)
{
	snprintf(out, n, "%s%s", fx_url, path);
}

/* Each case returns nothing (fx_error_case: tries is not used here). */
static void expect_error_cases(rcn_fetch_request (*make)(void), const fx_error_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rcn_fetch_request r = make();
		rcn_api_result res;
		rcn_err err;
		char want[600];
		fx_error_case_message(want, sizeof(want), &cases[i]);
		expect_error(run(&r, cases[i].scenario, &res, &err), &err, cases[i].code, want);
		assert_int_equal(res.attempts, cases[i].attempts);
		if (cases[i].http_status >= 0)
			assert_int_equal(res.http_status, cases[i].http_status);
		assert_nothing(&res);
	}
}

static const fx_error_case v3_error_cases[] = {
	{"stall", RCN_EIO, "[source wx]: WeChat tradebill download: ",
	 "/v3/billdownload/file: transfer stalled (no data for 1 s) after 3 attempts", 4, -1, 0},
	{"truncated", RCN_EIO, "[source wx]: WeChat tradebill download: ",
	 "/v3/billdownload/file: truncated body (got 294 of 588 bytes) after 3 attempts", 4, -1, 0},
	{"html", RCN_EFORMAT, "[source wx]: WeChat tradebill download: an HTML page instead of the bill", NULL, 2, 200,
	 0},
	/* an expired download_url is asked for again once, then given up */
	{"expired", RCN_EIO, "[source wx]: WeChat download_url expired", NULL, 4, 403, 0},
};

static const fx_error_case v2_error_cases[] = {
	{"stall", RCN_EIO, "[source wx2]: WeChat downloadbill request: ",
	 "/pay/downloadbill: transfer stalled (no data for 1 s) after 3 attempts", 3, -1, 0},
	{"truncated", RCN_EIO, "[source wx2]: WeChat downloadbill request: ",
	 "/pay/downloadbill: truncated body (got 294 of 588 bytes) after 3 attempts", 3, -1, 0},
	{"html", RCN_EFORMAT, "[source wx2]: WeChat downloadbill: an HTML page instead of the bill", NULL, 1, -1, 0},
};

static void test_v3_error_scenarios(void **state)
{
	(void)state;
	expect_error_cases(v3_request, v3_error_cases, sizeof(v3_error_cases) / sizeof(v3_error_cases[0]));
}

static void test_v3_ok(void **state)
{
	(void)state;
	rcn_fetch_request r = v3_request();
	rcn_api_result res;
	rcn_err err;
	char url[300];
	assert_int_equal(run(&r, "ok", &res, &err), RCN_OK);
	assert_bill(&res, bill_path);
	assert_string_equal(res.filename, "tradebill_ALL_20210128.csv.gz");
	assert_string_equal(res.channel_digest, BILL_SHA1);
	assert_true(res.digest_ok);
	assert_int_equal(res.attempts, 2);
	want_url(url, sizeof(url), "/v3/billdownload/file");
	assert_string_equal(res.safe_url, url);
	rcn_buf_free(&res.data);

	/* fund flow, and a service provider's sub-merchant (its query is signed too) */
	r.bill = "fundflow";
	r.sub_merchant_id = "1900000109";
	assert_int_equal(run(&r, "ok", &res, &err), RCN_OK);
	assert_bill(&res, flow_path);
	assert_string_equal(res.filename, "fundflowbill_BASIC_20210128.csv.gz");
	assert_string_equal(res.channel_digest, FLOW_SHA1);
	assert_true(res.digest_ok);
	rcn_buf_free(&res.data);

	/* a trailing slash on api_base changes nothing */
	char base[300];
	snprintf(base, sizeof(base), "%s/", fx_url);
	r = v3_request();
	r.api_base = base;
	assert_int_equal(run(&r, "ok", &res, &err), RCN_OK);
	assert_bill(&res, bill_path);
	rcn_buf_free(&res.data);
}

static void test_v3_no_bill(void **state)
{
	(void)state;
	rcn_fetch_request r = v3_request();
	rcn_api_result res;
	rcn_err err;
	char url[300];
	assert_int_equal(run(&r, "no_bill", &res, &err), RCN_OK);
	assert_true(res.no_bill);
	assert_int_equal(res.data.len, 0);
	assert_int_equal(res.attempts, 1);
	assert_int_equal(res.http_status, 400);
	assert_string_equal(res.channel_digest, "");
	want_url(url, sizeof(url), "/v3/bill/tradebill");
	assert_string_equal(res.safe_url, url);
	/* the server has bills for 2021-01-28 only */
	r.day = rcn_date_from_ymd(2021, 1, 29);
	assert_int_equal(run(&r, "ok", &res, &err), RCN_OK);
	assert_true(res.no_bill);
	r.day = rcn_date_from_ymd(2021, 1, 28);
	r.sub_merchant_id = "1900000999";
	assert_int_equal(run(&r, "ok", &res, &err), RCN_OK);
	assert_true(res.no_bill);
}

static void test_v3_bad_signature(void **state)
{
	(void)state;
	rcn_fetch_request r = v3_request();
	rcn_api_result res;
	rcn_err err;
	expect_error(run(&r, "bad_signature", &res, &err), &err, RCN_EFORMAT,
		     "[source wx]: WeChat answer signature does not verify");
	assert_int_equal(res.attempts, 1);
	assert_nothing(&res);
	/* a good answer checked against another key that claims the signer's id fails the same way */
	r.platform_cert_file = key_file(1, "alipay_public.pem");
	r.platform_key_id = PUB_KEY_ID;
	expect_error(run(&r, "pubkey", &res, &err), &err, RCN_EFORMAT,
		     "[source wx]: WeChat answer signature does not verify");
	assert_nothing(&res);
}

/* Wechatpay-Timestamp: more than max_clock_skew (300 s unless configured)
 * either side of our clock is refused, naming the answer's time and the skew;
 * within it the answer is taken. */
static void test_v3_clock(void **state)
{
	(void)state;
	rcn_fetch_request r = v3_request();
	rcn_api_result res;
	rcn_err err;
	char word[64], want[600], when[40];
	long long now = (long long)time(NULL);
	struct {
		long long t;
		long skew;
		const char *side;
	} refused[] = {{now - 3600, 0, "behind"},
		       {now + 3600, 0, "ahead of"},
		       {now - 400, 0, "behind"},
		       {now + 120, 60, "ahead of"}};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		time_t t = (time_t)refused[i].t;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		long skew = refused[i].skew ? refused[i].skew : 300;
		snprintf(
			want, sizeof(want),
			"[source wx]: WeChat tradebill request: the answer is dated %s (Wechatpay-Timestamp %lld), "
			"more than %ld s %s this machine's clock (max_clock_skew = %ld): a replayed answer, or a clock "
			"out of step",
			when, refused[i].t, skew, refused[i].side, skew);
		snprintf(word, sizeof(word), "timestamp-%lld", refused[i].t);
		r.max_clock_skew_s = refused[i].skew;
		expect_error(run(&r, word, &res, &err), &err, RCN_EFORMAT, want);
		assert_int_equal(res.attempts, 1);
		assert_nothing(&res);
	}
	/* fresh answers, either side, within the default and a configured skew */
	long long fresh[][2] = {{now - 240, 0}, {now + 240, 0}, {now - 3000, 3600}};
	for (size_t i = 0; i < sizeof(fresh) / sizeof(fresh[0]); i++) {
		snprintf(word, sizeof(word), "timestamp-%lld", fresh[i][0]);
		r.max_clock_skew_s = (long)fresh[i][1];
		assert_int_equal(run(&r, word, &res, &err), RCN_OK);
		assert_bill(&res, bill_path);
		rcn_buf_free(&res.data);
	}
}

/* Wechatpay-Serial must name the configured signer: the platform
 * certificate's serial, or in 微信支付公钥 mode the configured key id. */
static void test_v3_serial(void **state)
{
	(void)state;
	rcn_fetch_request r = v3_request();
	rcn_api_result res;
	rcn_err err;
	char want[1600], path[600];
	/* a serial no key has, with a signature that verifies */
	snprintf(want, sizeof(want),
		 "[source wx]: WeChat answer signed by platform certificate " UNKNOWN_SERIAL "; configured: %s — the "
		 "platform certificate may have been rotated",
		 platform_serial);
	expect_error(run(&r, "unknown_serial", &res, &err), &err, RCN_EFORMAT, want);
	assert_int_equal(res.attempts, 1);
	assert_nothing(&res);
	/* WeChat rotated its certificate: named, and the new one configured works */
	snprintf(want, sizeof(want),
		 "[source wx]: WeChat answer signed by platform certificate %s; configured: %s — the platform "
		 "certificate may have been rotated",
		 platform_new_serial, platform_serial);
	expect_error(run(&r, "rotated", &res, &err), &err, RCN_EFORMAT, want);
	assert_nothing(&res);
	r.platform_cert_file = key_file(1, "platform_new.pem");
	assert_int_equal(run(&r, "rotated", &res, &err), RCN_OK);
	assert_bill(&res, bill_path);
	rcn_buf_free(&res.data);
	/* ... while answers of the old certificate are now refused */
	snprintf(want, sizeof(want),
		 "[source wx]: WeChat answer signed by platform certificate %s; configured: %s — the platform "
		 "certificate may have been rotated",
		 platform_serial, platform_new_serial);
	expect_error(run(&r, "ok", &res, &err), &err, RCN_EFORMAT, want);
	assert_nothing(&res);
	/* no Wechatpay-Serial at all */
	r = v3_request();
	expect_error(
		run(&r, "no_serial", &res, &err), &err, RCN_EFORMAT,
		"[source wx]: WeChat tradebill request: the answer does not name its signer (no Wechatpay-Serial)");
	assert_nothing(&res);

	/* 微信支付公钥: the bare public key and its id */
	r.platform_cert_file = key_file(1, "platform_public.pem");
	r.platform_key_id = PUB_KEY_ID;
	assert_int_equal(run(&r, "pubkey", &res, &err), RCN_OK);
	assert_bill(&res, bill_path);
	rcn_buf_free(&res.data);
	r.platform_key_id = "PUB_KEY_ID_0000000000000000000000000000000009";
	expect_error(run(&r, "pubkey", &res, &err), &err, RCN_EFORMAT,
		     "[source wx]: WeChat answer signed by platform public key " PUB_KEY_ID
		     "; configured: PUB_KEY_ID_0000000000000000000000000000000009 — the platform public key may have "
		     "been rotated");
	assert_nothing(&res);
	/* the answer is signed by the certificate while a public key is configured, and the other way round */
	r.platform_key_id = PUB_KEY_ID;
	snprintf(want, sizeof(want),
		 "[source wx]: WeChat answer signed by platform certificate %s; configured: platform public "
		 "key " PUB_KEY_ID " — set platform_cert to that platform certificate and drop platform_key_id",
		 platform_serial);
	expect_error(run(&r, "ok", &res, &err), &err, RCN_EFORMAT, want);
	r = v3_request();
	snprintf(want, sizeof(want),
		 "[source wx]: WeChat answer signed by platform public key " PUB_KEY_ID
		 "; configured: platform certificate %s — WeChat Pay may have moved this merchant to a platform public "
		 "key (微信支付公钥): set platform_cert to it and platform_key_id = " PUB_KEY_ID,
		 platform_serial);
	expect_error(run(&r, "pubkey", &res, &err), &err, RCN_EFORMAT, want);
	assert_nothing(&res);

	/* configurations that cannot say whom to expect fail before any request */
	r.platform_cert_file = key_file(1, "platform_public.pem");
	snprintf(path, sizeof(path), "%s/platform_public.pem", fx_keys);
	snprintf(want, sizeof(want),
		 "[source wx]: %s: platform_cert is a public key (微信支付公钥): set platform_key_id to its id "
		 "(PUB_KEY_ID_…), which answers name in Wechatpay-Serial",
		 path);
	expect_error(run(&r, "ok", &res, &err), &err, RCN_EUSAGE, want);
	assert_int_equal(res.attempts, 0);
	r = v3_request();
	r.platform_key_id = PUB_KEY_ID;
	snprintf(path, sizeof(path), "%s/platform.pem", fx_keys);
	snprintf(want, sizeof(want),
		 "[source wx]: %s: platform_key_id is set, but platform_cert is a certificate (serial %s): give the "
		 "platform public key (微信支付公钥) file, or drop platform_key_id",
		 path, platform_serial);
	expect_error(run(&r, "ok", &res, &err), &err, RCN_EUSAGE, want);
	assert_int_equal(res.attempts, 0);
}

static void test_v3_digest_mismatch(void **state)
{
	(void)state;
	rcn_fetch_request r = v3_request();
	rcn_api_result res;
	rcn_err err;
	expect_error(run(&r, "digest_mismatch", &res, &err), &err, RCN_EFORMAT,
		     "[source wx]: WeChat tradebill: SHA-1 of the bill does not match hash_value (file discarded)");
	assert_string_equal(res.channel_digest, MOCK_HASH);
	assert_false(res.digest_ok);
	assert_int_equal(res.attempts, 2);
	assert_int_equal(res.data.len, 0);
	rcn_buf_free(&res.data);
}

static void test_v3_flaky(void **state)
{
	(void)state;
	rcn_fetch_request r = v3_request();
	rcn_api_result res;
	rcn_err err;
	/* both steps answer 500 twice: three tries each */
	assert_int_equal(run(&r, "flaky", &res, &err), RCN_OK);
	assert_bill(&res, bill_path);
	assert_true(res.digest_ok);
	assert_int_equal(res.attempts, 6);
	rcn_buf_free(&res.data);
}

static void test_v3_401(void **state)
{
	(void)state;
	rcn_fetch_request r = v3_request();
	rcn_api_result res;
	rcn_err err;
	char url[300];
	expect_error(run(&r, "401", &res, &err), &err, RCN_EIO,
		     "[source wx]: WeChat tradebill request: HTTP 401 SIGN_ERROR: 错误的签名，验签失败");
	assert_int_equal(res.attempts, 1);
	assert_int_equal(res.http_status, 401);
	/* a failed query names the query URL (for the manifest) */
	want_url(url, sizeof(url), "/v3/bill/tradebill");
	assert_string_equal(res.safe_url, url);
	assert_nothing(&res);
	/* the server really checks: a request signed with another key is refused */
	r.private_key_file = key_file(0, "platform.key");
	expect_error(run(&r, "ok", &res, &err), &err, RCN_EIO,
		     "[source wx]: WeChat tradebill request: HTTP 401 SIGN_ERROR: fixture: the signature does not "
		     "verify with merchant.pem");
	assert_nothing(&res);
	r = v3_request();
	r.cert_serial = "0123456789ABCDEF";
	expect_error(run(&r, "ok", &res, &err), &err, RCN_EIO,
		     "[source wx]: WeChat tradebill request: HTTP 401 SIGN_ERROR: fixture: serial_no is not the "
		     "merchant certificate's");
	assert_nothing(&res);
}

static void test_v2_ok(void **state)
{
	(void)state;
	rcn_fetch_request r = v2_request();
	rcn_api_result res;
	rcn_err err;
	char url[300];
	want_url(url, sizeof(url), "/pay/downloadbill");
	const char *types[] = {NULL, "HMAC-SHA256", "MD5"};
	for (int i = 0; i < 3; i++) {
		r.sign_type = types[i];
		assert_int_equal(run(&r, "ok", &res, &err), RCN_OK);
		assert_bill(&res, bill_path);
		assert_string_equal(res.filename, "downloadbill_ALL_20210128.csv.gz");
		assert_string_equal(res.channel_digest, "");
		assert_true(res.digest_ok);
		assert_int_equal(res.attempts, 1);
		assert_string_equal(res.safe_url, url);
		rcn_buf_free(&res.data);
	}
}

static void test_v2_no_bill(void **state)
{
	(void)state;
	rcn_fetch_request r = v2_request();
	rcn_api_result res;
	rcn_err err;
	assert_int_equal(run(&r, "no_bill", &res, &err), RCN_OK);
	assert_true(res.no_bill);
	assert_int_equal(res.data.len, 0);
	assert_int_equal(res.attempts, 1);
	r.day = rcn_date_from_ymd(2021, 2, 1);
	assert_int_equal(run(&r, "ok", &res, &err), RCN_OK);
	assert_true(res.no_bill);
}

static void test_v2_sign_error(void **state)
{
	(void)state;
	rcn_fetch_request r = v2_request();
	rcn_api_result res;
	rcn_err err;
	char wrong[300];
	expect_error(run(&r, "401", &res, &err), &err, RCN_EIO,
		     "[source wx2]: WeChat downloadbill: SIGNERROR (error_code 20001)");
	assert_int_equal(res.attempts, 1);
	assert_nothing(&res);
	/* the server really checks the sign: another API key is refused */
	snprintf(wrong, sizeof(wrong), "%s/wrong_v2.key", tmpdir);
	fx_write_file(wrong, "0123456789abcdef0123456789abcdef\n", 0600);
	r.api_key_file = wrong;
	r.sign_type = "MD5";
	expect_error(run(&r, "ok", &res, &err), &err, RCN_EIO,
		     "[source wx2]: WeChat downloadbill: SIGNERROR: fixture: the sign does not verify with "
		     "keys/wechat_v2.key (error_code 20001)");
	assert_nothing(&res);
}

static void test_v2_transport(void **state)
{
	(void)state;
	rcn_fetch_request r = v2_request();
	rcn_api_result res;
	rcn_err err;
	assert_int_equal(run(&r, "flaky", &res, &err), RCN_OK);
	assert_bill(&res, bill_path);
	assert_int_equal(res.attempts, 3);
	rcn_buf_free(&res.data);
	expect_error_cases(v2_request, v2_error_cases, sizeof(v2_error_cases) / sizeof(v2_error_cases[0]));
}

/* Through the orchestrator: a bill whose digest does not match leaves only the
 * manifest in the spool (and no secret in it); a good one is spooled as delivered. */
static void test_spool(void **state)
{
	(void)state;
	char spool[300], dir[400], path[600], want[800];
	rcn_fetch_settings s;
	rcn_fetch_result out;
	rcn_err err;
	size_t n;
	settings(&s);
	snprintf(spool, sizeof(spool), "%s/spool", tmpdir);
	snprintf(dir, sizeof(dir), "%s/2021-01-28/wx", spool);
	rcn_fetch_request r = v3_request();
	r.spool_dir = spool;

	/* a failed query: the manifest names the query's URL, not "" */
	fx_scenario("401");
	expect_error(rcn_fetch(&r, &s, &out, &err), &err, RCN_EIO,
		     "[source wx]: WeChat tradebill request: HTTP 401 SIGN_ERROR: 错误的签名，验签失败");
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	char *failed = fx_slurp(path, &n);
	snprintf(want, sizeof(want), "\"url\": \"%s/v3/bill/tradebill\"", fx_url);
	if (!strstr(failed, want))
		fprintf(stderr, "manifest: %s\n", failed);
	assert_non_null(strstr(failed, want));
	assert_non_null(strstr(failed, "\"error\": \"[source wx]: WeChat tradebill request: HTTP 401"));
	free(failed);

	fx_scenario("digest_mismatch");
	expect_error(rcn_fetch(&r, &s, &out, &err), &err, RCN_EFORMAT,
		     "[source wx]: WeChat tradebill: SHA-1 of the bill does not match hash_value (file discarded)");
	assert_string_equal(out.path, "");
	assert_false(out.digest_ok);
	assert_string_equal(out.channel_digest, MOCK_HASH);
	snprintf(path, sizeof(path), "%s/tradebill_ALL_20210128.csv.gz", dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	char *manifest = fx_slurp(path, &n);
	assert_non_null(strstr(manifest, "\"digest_ok\": false"));
	assert_non_null(strstr(manifest, "\"channel_digest\": \"" MOCK_HASH "\""));
	assert_non_null(strstr(manifest, "SHA-1 of the bill does not match hash_value"));
	snprintf(want, sizeof(want), "\"url\": \"%s/v3/billdownload/file\"", fx_url);
	assert_non_null(strstr(manifest, want));
	assert_null(strstr(manifest, "token"));
	assert_null(strstr(manifest, "WECHATPAY2"));
	assert_null(strstr(manifest, v2_key));
	free(manifest);

	fx_scenario("ok");
	assert_int_equal(rcn_fetch(&r, &s, &out, &err), RCN_OK);
	snprintf(path, sizeof(path), "%s/tradebill_ALL_20210128.csv.gz", dir);
	assert_string_equal(out.path, path);
	assert_true(out.digest_ok);
	assert_string_equal(out.channel_digest, BILL_SHA1);
	/* sha256sum of the gzip as delivered */
	assert_string_equal(out.sha256, "3acbd916ad4c8f8421ab1c9be423bf4b094f10a00dcc9f08ade348a5047739fd");
	assert_int_equal(out.attempts, 2);
	char *got = fx_slurp(out.path, &n), *expect;
	size_t m;
	expect = fx_slurp(bill_path, &m);
	assert_int_equal(n, m);
	assert_memory_equal(got, expect, n);
	free(got);
	free(expect);

	/* v2 and an empty day */
	rcn_fetch_request r2 = v2_request();
	r2.spool_dir = spool;
	fx_scenario("ok");
	assert_int_equal(rcn_fetch(&r2, &s, &out, &err), RCN_OK);
	snprintf(path, sizeof(path), "%s/2021-01-28/wx2/downloadbill_ALL_20210128.csv.gz", spool);
	assert_string_equal(out.path, path);
	assert_true(out.digest_ok);
	assert_string_equal(out.channel_digest, "");
	r2.day = rcn_date_from_ymd(2021, 1, 30);
	assert_int_equal(rcn_fetch(&r2, &s, &out, &err), RCN_OK);
	assert_true(out.no_bill);
	assert_string_equal(out.path, "");
}

RCN_TEST_GROUP(wechat_api, NULL, NULL, cmocka_unit_test(test_url_path), cmocka_unit_test(test_v3_message),
	       cmocka_unit_test(test_v3_authorization), cmocka_unit_test(test_v2_sign),
	       cmocka_unit_test(test_json_string), cmocka_unit_test(test_xml_field),
	       cmocka_unit_test(test_config_errors))

RCN_TEST_GROUP(wechat_api_served, setup_server, NULL, cmocka_unit_test(test_v3_ok), cmocka_unit_test(test_v3_no_bill),
	       cmocka_unit_test(test_v3_bad_signature), cmocka_unit_test(test_v3_clock),
	       cmocka_unit_test(test_v3_serial), cmocka_unit_test(test_v3_digest_mismatch),
	       cmocka_unit_test(test_v3_flaky), cmocka_unit_test(test_v3_401),
	       cmocka_unit_test(test_v3_error_scenarios), cmocka_unit_test(test_v2_ok),
	       cmocka_unit_test(test_v2_no_bill), cmocka_unit_test(test_v2_sign_error),
	       cmocka_unit_test(test_v2_transport), cmocka_unit_test(test_spool))

int main(void)
{
	if (fx_make_tmpdir(tmpdir, sizeof(tmpdir), "recon_test_wechat_api") != 0)
		return 1;
	int failed = wechat_api();
	failed += wechat_api_served();
	fx_remove_tree(tmpdir);
	return failed;
}
