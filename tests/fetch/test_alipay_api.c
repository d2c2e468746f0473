/* fetch: the Alipay bill-query client. Pure tests first (the sign string of a
 * fixed parameter set, the form body, finding the raw response object to
 * verify through tricky escaping, reading signed answers), then every
 * scenario against the fixture server: exact one-line messages with nothing
 * secret in them, no_bill, attempts, and bytes equal to the fixture zip. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "fetch/api.h"
#include "fetch/gateway.h"
#include "fetch/sign.h"
#include "alipay_answer.h"
#include "fetch_test_util.h"

#define RESPONSE_KEY ALIPAY_RESPONSE_KEY
#define MERCHANT     "20880211096256330156"
#define FIXTURE_ZIP  FIXTURES_DIR "/fetch/alipay/" MERCHANT "_20260302.csv.zip"
#define BILL_TOKEN   "fx-alipay-download-token-7f3a" /* handlers_alipay.c */

static char tmpdir[256];

/* ---- pure: request ---- */

static void test_sign_string(void **state)
{
	(void)state;
	rcn_form f;
	rcn_buf b;
	rcn_form_init(&f);
	rcn_buf_init(&b, 1 << 20);
	rcn_alipay_query_form(&f, "2021000000000001", "trade", rcn_date_from_ymd(2026, 3, 2), "2026-03-03 02:00:05");
	rcn_form_add(&f, "sign", "must-not-be-signed");
	rcn_form_sign_string(&b, &f, "sign");
	assert_string_equal(b.data, "app_id=2021000000000001"
				    "&biz_content={\"bill_type\":\"trade\",\"bill_date\":\"2026-03-02\"}"
				    "&charset=utf-8&format=JSON&method=alipay.data.dataservice.bill.downloadurl.query"
				    "&sign_type=RSA2&timestamp=2026-03-03 02:00:05&version=1.0");
	rcn_buf_reset(&b);
	rcn_form_encode(&b, &f);
	assert_string_equal(b.data, "app_id=2021000000000001&method=alipay.data.dataservice.bill.downloadurl.query"
				    "&format=JSON&charset=utf-8&sign_type=RSA2&timestamp=2026-03-03%2002%3A00%3A05"
				    "&version=1.0&biz_content=%7B%22bill_type%22%3A%22trade%22%2C%22bill_date%22%3A%22"
				    "2026-03-02%22%7D&sign=must-not-be-signed");
	rcn_buf_free(&b);
	rcn_form_free(&f);

	/* byte order (upper case first), empty values left out, account is signcustomer */
	rcn_form_init(&f);
	rcn_buf_init(&b, 1 << 20);
	rcn_form_add(&f, "b", "2");
	rcn_form_add(&f, "B", "1");
	rcn_form_add(&f, "a", "");
	rcn_form_add(&f, "a_b", "x y+z&");
	rcn_form_sign_string(&b, &f, "sign");
	assert_string_equal(b.data, "B=1&a_b=x y+z&&b=2");
	rcn_buf_reset(&b);
	rcn_form_encode(&b, &f);
	assert_string_equal(b.data, "b=2&B=1&a=&a_b=x%20y%2Bz%26");
	rcn_buf_free(&b);
	rcn_form_free(&f);
	assert_string_equal(rcn_alipay_bill_type(NULL), "trade");
	assert_string_equal(rcn_alipay_bill_type("trade"), "trade");
	assert_string_equal(rcn_alipay_bill_type("account"), "signcustomer");
	assert_null(rcn_alipay_bill_type("fundflow"));
}

/* ---- pure: the raw response object ---- */

static void expect_member(const char *json, const char *key, const char *want)
{
	const char *v;
	size_t n;
	assert_int_equal(rcn_json_member(json, strlen(json), key, &v, &n), RCN_OK);
	if (!want) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(v, want, n);
}

static void expect_bad_json(const char *json)
{
	const char *v;
	size_t n;
	assert_int_equal(rcn_json_member(json, strlen(json), "sign", &v, &n), RCN_EFORMAT);
}

static void test_response_text(void **state)
{
	(void)state;
	/* plain, and with the sign first */
	expect_member("{\"r\":{\"code\":\"10000\"},\"sign\":\"abc\"}", "r", "{\"code\":\"10000\"}");
	expect_member("{\"sign\":\"abc\",\"r\":{\"code\":\"10000\"}}", "r", "{\"code\":\"10000\"}");
	expect_member("{\"sign\":\"abc\",\"r\":{\"code\":\"10000\"}}", "sign", "\"abc\"");
	/* a "sign" inside the response is not the answer's sign */
	expect_member("{\"r\":{\"sign\":\"in\",\"x\":{\"sign\":\"deeper\"}},\"sign\":\"out\"}", "sign", "\"out\"");
	expect_member("{\"r\":{\"sign\":\"in\",\"x\":{\"sign\":\"deeper\"}},\"sign\":\"out\"}", "r",
		      "{\"sign\":\"in\",\"x\":{\"sign\":\"deeper\"}}");
	/* braces, commas and ,"sign" inside strings */
	expect_member("{\"r\":{\"msg\":\"a}\\\"b{,\\\"sign\\\":\\\"q\"},\"sign\":\"z\"}", "r",
		      "{\"msg\":\"a}\\\"b{,\\\"sign\\\":\\\"q\"}");
	/* an escaped backslash ends the string at the next quote */
	expect_member("{\"r\":{\"msg\":\"c:\\\\\"},\"sign\":\"z\"}", "r", "{\"msg\":\"c:\\\\\"}");
	/* escapes are kept as sent: the signature covers them */
	expect_member("{\"r\":{\"u\":\"https:\\/\\/h\\/p\",\"m\":\"\\u4e1a\"},\"sign\":\"z\"}", "r",
		      "{\"u\":\"https:\\/\\/h\\/p\",\"m\":\"\\u4e1a\"}");
	/* white space around the value is not part of it; inside it is */
	expect_member("{ \"r\" :\n {\"a\": [1, 2.5e3, true, null]} ,\"sign\" : \"z\" }\n", "r",
		      "{\"a\": [1, 2.5e3, true, null]}");
	/* a key written with escapes is the same key */
	expect_member("{\"r\":{},\"\\u0073ign\":\"z\"}", "sign", "\"z\"");
	expect_member("{\"r\":{}}", "sign", NULL);
	expect_member("{}", "sign", NULL);
	/* two values for one key: which one was signed? */
	expect_bad_json("{\"sign\":\"a\",\"r\":{},\"sign\":\"b\"}");
	expect_bad_json("{\"r\":{},\"sign\":\"z\"} trailing");
	expect_bad_json("{\"r\":{\"a\":\"unterminated},\"sign\":\"z\"}");
	expect_bad_json("{\"r\":{\"a\":\"raw\nnewline\"},\"sign\":\"z\"}");
	expect_bad_json("{\"r\":{\"a\":\"\\x\"},\"sign\":\"z\"}");
	expect_bad_json("{\"r\":{\"a\":1,},\"sign\":\"z\"}");
	expect_bad_json("{\"r\":tru,\"sign\":\"z\"}");
	expect_bad_json("[\"sign\"]");
	expect_bad_json("");
	char deep[300];
	memset(deep, '[', sizeof(deep));
	memcpy(deep, "{\"r\":", 5);
	deep[sizeof(deep) - 1] = '\0';
	expect_bad_json(deep);

	rcn_buf b;
	rcn_buf_init(&b, 1024);
	static const char s1[] = "\"\\u7cfb\\u7edf\\ud83d\\ude00 a\\/b\\n\\\"q\\\"\"";
	assert_int_equal(rcn_json_string(&b, s1, strlen(s1)), RCN_OK);
	assert_string_equal(b.data, "系统\xf0\x9f\x98\x80 a/b \"q\"");
	rcn_buf_reset(&b);
	assert_int_equal(rcn_json_string(&b, "{}", 2), RCN_EFORMAT);
	rcn_buf_free(&b);
}

/* ---- pure: reading signed answers with keys made here ---- */

static void write_key_pair(const char *priv, const char *pub)
{
	EVP_PKEY_free(fx_write_rsa_key(priv, pub));
}

static void path_in(char *out, size_t n, const char *dir, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* {"<key>":obj,"sign":"<sig of obj>"}: sig by the key at priv, '/' written as "\/". */
static char *signed_answer(const char *obj, const char *priv)
{
	rcn_key *k = NULL;
	rcn_err err;
	char sig[1024];
	assert_int_equal(rcn_key_load_private(&k, priv, &err), RCN_OK);
	assert_int_equal(rcn_sign_rsa_sha256(sig, sizeof(sig), k, obj, strlen(obj), &err), RCN_OK);
	rcn_key_free(k);
	rcn_buf b;
	alipay_signed_answer(&b, obj, sig);
	return b.data;
}

static rcn_rc read_answer(const char *body, const char *pub, char **url, bool *no_bill, rcn_err *err)
{
	rcn_key *k = NULL;
	assert_int_equal(rcn_key_load_public(&k, pub, err), RCN_OK);
	rcn_err_clear(err);
	rcn_rc rc = rcn_alipay_read_answer(url, no_bill, body, strlen(body), k, err);
	rcn_key_free(k);
	return rc;
}

static void test_read_answer(void **state)
{
	(void)state;
	char priv[512], pub[512], other[512], other_pub[512];
	path_in(priv, sizeof(priv), tmpdir, "alipay.key");
	path_in(pub, sizeof(pub), tmpdir, "alipay.pem");
	path_in(other, sizeof(other), tmpdir, "other.key");
	path_in(other_pub, sizeof(other_pub), tmpdir, "other.pem");
	write_key_pair(priv, pub);
	write_key_pair(other, other_pub);
	char *url = NULL;
	bool no_bill = true;
	rcn_err err;

	static const char ok[] = "{\"code\":\"10000\",\"msg\":\"Success\","
				 "\"bill_download_url\":\"https:\\/\\/dl.example\\/b?x=1&token=T\"}";
	char *body = signed_answer(ok, priv);
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_OK);
	assert_false(no_bill);
	assert_string_equal(url, "https://dl.example/b?x=1&token=T");
	free(url);
	/* one byte changed in the signed text */
	char *p = strstr(body, "dl.example");
	*p = 'D';
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay answer signature does not verify");
	assert_null(url);
	free(body);
	/* signed by someone else */
	body = signed_answer(ok, other);
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay answer signature does not verify");
	free(body);
	/* not signed at all */
	char unsigned_body[512];
	snprintf(unsigned_body, sizeof(unsigned_body), "{\"%s\":%s}", RESPONSE_KEY, ok);
	assert_int_equal(read_answer(unsigned_body, pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay answer is not signed");
	snprintf(unsigned_body, sizeof(unsigned_body), "{\"%s\":%s,\"sign\":\"bm90IGEgc2lnbmF0dXJl\"}", RESPONSE_KEY,
		 ok);
	assert_int_equal(read_answer(unsigned_body, pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay answer signature does not verify");

	/* no bill that day: verified, then an empty day */
	body = signed_answer("{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":\"isp.bill_not_exist\","
			     "\"sub_msg\":\"\\u8d26\\u5355\\u4e0d\\u5b58\\u5728\"}",
			     priv);
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_OK);
	assert_true(no_bill);
	assert_null(url);
	free(body);
	/* other business failures name code, msg, sub_code and sub_msg */
	body = signed_answer("{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":\"isp.unknow-error\","
			     "\"sub_msg\":\"\\u7cfb\\u7edf\\u7e41\\u5fd9\\n\"}",
			     priv);
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay bill query: 40004 Business Failed: isp.unknow-error 系统繁忙 ");
	assert_false(no_bill);
	free(body);
	/* a no-bill answer that does not verify is not an empty day */
	body = signed_answer("{\"code\":\"40004\",\"msg\":\"Business Failed\",\"sub_code\":\"isp.bill_not_exist\"}",
			     other);
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay answer signature does not verify");
	assert_false(no_bill);
	free(body);
	/* the gateway's own refusal */
	assert_int_equal(read_answer("{\"error_response\":{\"code\":\"40002\",\"msg\":\"Invalid Arguments\","
				     "\"sub_code\":\"isv.invalid-signature\",\"sub_msg\":\"bad\"}}",
				     pub, &url, &no_bill, &err),
			 RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay bill query: 40002 Invalid Arguments: isv.invalid-signature bad");
	assert_int_equal(read_answer("{\"other\":1}", pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay bill query: the answer has no " RESPONSE_KEY);
	assert_int_equal(read_answer("<html>", pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay bill query: the answer is not a JSON object");
	/* success without a URL, or with one that is not https */
	body = signed_answer("{\"code\":\"10000\",\"msg\":\"Success\"}", priv);
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay bill query: the answer has no bill_download_url");
	free(body);
	body = signed_answer("{\"code\":\"10000\",\"bill_download_url\":\"file:\\/\\/\\/etc\\/passwd\"}", priv);
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_EFORMAT);
	assert_string_equal(err.msg, "Alipay bill query: bill_download_url is not an https URL");
	free(body);
	/* Alipay's own answers name http:// (the API's sample, the SDK's live test): read, for the caller to upgrade */
	body = signed_answer(
		"{\"code\":\"10000\",\"msg\":\"Success\",\"bill_download_url\":\"http:\\/\\/"
		"dwbillcenter.alipay.com\\/downloadBillFile.resource?bizType=trade&userId=X&fileType=csv.zip"
		"\"}",
		priv);
	assert_int_equal(read_answer(body, pub, &url, &no_bill, &err), RCN_OK);
	assert_string_equal(
		url,
		"http://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&userId=X&fileType=csv.zip");
	free(url);
	free(body);
}

/* Which http:// URLs are fetched as https: only on a listed host, whatever the case or port. */
static void test_https_upgrade(void **state)
{
	(void)state;
	static const char *const hosts[] = {"dwbillcenter.alipay.com", "dwbillcenter.alipaydev.com"};
	char out[256];
	assert_true(rcn_alipay_https_upgrade(
		out, sizeof(out), "http://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&x=1", hosts,
		2));
	assert_string_equal(out, "https://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&x=1");
	assert_true(
		rcn_alipay_https_upgrade(out, sizeof(out), "HTTP://DWBillCenter.AlipayDev.com:8080/d?a=b", hosts, 2));
	assert_string_equal(out, "https://DWBillCenter.AlipayDev.com:8080/d?a=b");
	assert_true(rcn_alipay_https_upgrade(out, sizeof(out), "http://dwbillcenter.alipay.com", hosts, 2));
	assert_string_equal(out, "https://dwbillcenter.alipay.com");
	static const char *const refused[] = {
		"https://dwbillcenter.alipay.com/d",		/* already https: nothing to upgrade */
		"http://evil.example/d",			/* another host */
		"http://dwbillcenter.alipay.com.evil.example/", /* a suffix is not the host */
		"http://evil.dwbillcenter.alipay.com/",		/* nor is a sub-domain */
		"http://dwbillcenter.alipay.com@evil.example/", /* a user name in front of another host */
		"http://evil.example/@dwbillcenter.alipay.com", /* a path that names it */
		"http:///d",					/* no host */
		"ftp://dwbillcenter.alipay.com/d",		/* another scheme */
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_false(rcn_alipay_https_upgrade(out, sizeof(out), refused[i], hosts, 2));
	assert_false(rcn_alipay_https_upgrade(out, sizeof(out), "http://dwbillcenter.alipay.com/d", hosts, 0));
	/* too long for out: refused, not cut */
	assert_false(rcn_alipay_https_upgrade(out, 20, "http://dwbillcenter.alipay.com/d", hosts, 2));
}

static void test_markup_and_names(void **state)
{
	(void)state;
	assert_true(rcn_gateway_is_markup("\xef\xbb\xbf \r\n<!DOCTYPE html>", 20));
	assert_true(rcn_gateway_is_markup("<?xml version", 13));
	assert_false(rcn_gateway_is_markup("PK\3\4", 4));
	assert_false(rcn_gateway_is_markup("  ", 2));
	assert_true(rcn_gateway_safe_name(MERCHANT "_20260302.csv.zip"));
	assert_false(rcn_gateway_safe_name(""));
	assert_false(rcn_gateway_safe_name("../x.zip"));
	assert_false(rcn_gateway_safe_name("a..b"));
	assert_false(rcn_gateway_safe_name("a/b.zip"));
	assert_false(rcn_gateway_safe_name(".hidden"));
	assert_false(rcn_gateway_safe_name("a b.zip"));
}

/* ---- against the fixture server ---- */

static int server_setup(void **state)
{
	(void)state;
	return fx_server_env(FX_NEED_KEYS | FX_NEED_HTTP);
}

/* Nothing from a key file, a signature or the download token in a message. */
static void assert_no_secret(const char *msg)
{
	static const char *const files[] = {"alipay_app.key", "alipay_private.key"};
	assert_null(strstr(msg, BILL_TOKEN));
	assert_null(strstr(msg, "token="));
	assert_null(strstr(msg, "sign="));
	fx_assert_no_key_text(msg, files, sizeof(files) / sizeof(files[0]));
}

static void setup_call(fx_call *c)
{
	memset(c, 0, sizeof(*c));
	path_in(c->key, sizeof(c->key), fx_keys, "alipay_app.key");
	path_in(c->cert, sizeof(c->cert), fx_keys, "alipay_public.pem");
	c->req.source = "ali";
	c->req.channel = "alipay";
	c->req.bill = "trade";
	c->req.api = RCN_API_ALIPAY;
	c->req.api_base = fx_url;
	c->req.merchant_id = MERCHANT;
	c->req.app_id = "2021000000000001";
	c->req.private_key_file = c->key;
	c->req.platform_cert_file = c->cert;
	c->req.day = rcn_date_from_ymd(2026, 3, 2);
	fx_settings(&c->s, 1);
	c->s.attempts = 3;
	c->api = rcn_api_alipay;
	c->assert_no_secret = assert_no_secret;
}

static void expect_fixture(const fx_call *c)
{
	fx_expect_zip(c, FIXTURE_ZIP, MERCHANT "_20260302.csv.zip");
}

static void test_ok(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	fx_expect_fetched(&c, "ok", FIXTURE_ZIP, MERCHANT "_20260302.csv.zip", 2);
	fx_expect_safe_url(&c, "/alipay/bill");

	/* the 账务明细 (account) bill is the same call with bill_type signcustomer */
	c.req.bill = "account";
	assert_int_equal(fx_call_run(&c), RCN_OK);
	expect_fixture(&c);
	rcn_buf_free(&c.out.data);
}

/* Scenarios that end in an error: the exact message, attempts, HTTP status. */
static const fx_error_case error_cases[] = {
	{"bad_signature", RCN_EFORMAT, "[source ali]: Alipay answer signature does not verify", NULL, 1, -1, 0},
	{"stall", RCN_EIO, "[source ali]: Alipay bill download: ",
	 "/alipay/bill: transfer stalled (no data for 1 s) after 2 attempts", 3, -1, 2},
	{"401", RCN_EIO, "[source ali]: Alipay bill query: HTTP 401", NULL, 1, 401, 0},
	{"html", RCN_EFORMAT, "[source ali]: Alipay bill download: an HTML page instead of the bill", NULL, 2, -1, 0},
	{"expired", RCN_EIO, "[source ali]: Alipay bill download: HTTP 403: bill_download_url expired or refused", NULL,
	 2, 403, 0},
	{"biz_error", RCN_EFORMAT, "[source ali]: Alipay bill query: 40004 Business Failed: isp.unknow-error 系统繁忙",
	 NULL, -1, -1, 0},
};

static void test_error_scenarios(void **state)
{
	(void)state;
	fx_expect_error_cases(setup_call, error_cases, sizeof(error_cases) / sizeof(error_cases[0]));
}

static void test_flaky(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	/* 500, 500, the answer, the zip */
	fx_expect_fetched(&c, "flaky", FIXTURE_ZIP, MERCHANT "_20260302.csv.zip", 4);
}

static void test_no_bill(void **state)
{
	(void)state;
	fx_expect_no_bill(setup_call);
}

static void test_truncated(void **state)
{
	(void)state;
	fx_call c;
	char msg[512];
	setup_call(&c);
	fx_scenario("truncated");
	size_t n;
	free(fx_slurp(FIXTURE_ZIP, &n));
	snprintf(msg, sizeof(msg),
		 "[source ali]: Alipay bill download: %s/alipay/bill: truncated body (got %zu of %zu bytes) after 3 "
		 "attempts",
		 fx_url, n / 2, n);
	fx_expect_error(&c, RCN_EIO, msg);
	assert_int_equal(c.out.attempts, 4);
}

static void test_request_refused(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	fx_scenario("ok");
	/* signed with a key the gateway does not know for this app */
	path_in(c.key, sizeof(c.key), fx_keys, "alipay_private.key");
	fx_expect_error(&c, RCN_EFORMAT,
			"[source ali]: Alipay bill query: 40002 Invalid Arguments: isv.invalid-signature 验签出错");
}

static const char *const loopback_hosts[] = {"127.0.0.1"};

/* setup_call, with the fixture server's host as the one bill host. */
static void setup_loopback_call(fx_call *c)
{
	setup_call(c);
	c->req.bill_hosts = loopback_hosts;
	c->req.n_bill_hosts = 1;
}

/* bill_download_url on a known bill host but http://: fetched as https://,
 * and nothing else changes. Alipay's own hosts are the default list, so the
 * loopback one is named in bill_hosts, as a test configuration does. */
static void test_http_url_upgraded(void **state)
{
	(void)state;
	fx_call c;
	char want[600];
	setup_loopback_call(&c);
	fx_scenario("http_url");
	assert_int_equal(fx_call_run(&c), RCN_OK);
	expect_fixture(&c);
	assert_true(c.out.upgraded_https);
	assert_false(c.out.plain_http);
	assert_string_equal(c.out.warning, "");
	fx_expect_safe_url(&c, "/alipay/bill");
	rcn_buf_free(&c.out.data);

	/* with the default list (Alipay's hosts), 127.0.0.1 over http is refused */
	setup_call(&c);
	c.req.allow_http_download = true;
	fx_scenario("http_url");
	snprintf(
		want, sizeof(want),
		"[source ali]: Alipay bill query: bill_download_url http://%s/alipay/bill is plain http to a host that "
		"is not an Alipay bill host (bill_hosts): refused",
		fx_url + strlen("https://"));
	fx_expect_error(&c, RCN_EFORMAT, want);
	assert_int_equal(c.out.attempts, 1);
}

/* https to the bill host fails: refused unless allow_http_download, then
 * fetched over plain http with a warning. Another host over http stays refused. */
static void test_http_fallback(void **state)
{
	(void)state;
	fx_call c;
	char want[600];
	setup_loopback_call(&c);
	fx_scenario("http_only");
	assert_int_equal(fx_call_run(&c), RCN_EIO);
	snprintf(want, sizeof(want),
		 "[source ali]: Alipay bill download: bill_download_url is plain http and https failed (https://%s/"
		 "alipay/bill: ",
		 fx_http_url + strlen("http://"));
	if (strncmp(c.err.msg, want, strlen(want)) != 0)
		fprintf(stderr, "got:  %s\nwant: %s...\n", c.err.msg, want);
	assert_memory_equal(c.err.msg, want, strlen(want));
	const char *tail = "); plain http is refused (allow_http_download = yes in [source ali] accepts it)";
	assert_true(strlen(c.err.msg) > strlen(tail));
	assert_string_equal(c.err.msg + strlen(c.err.msg) - strlen(tail), tail);
	assert_int_equal(c.out.data.len, 0);
	assert_string_equal(c.out.filename, "");
	assert_false(c.out.plain_http);
	rcn_buf_free(&c.out.data);

	setup_loopback_call(&c);
	c.req.allow_http_download = true;
	fx_scenario("http_only");
	assert_int_equal(fx_call_run(&c), RCN_OK);
	expect_fixture(&c);
	assert_true(c.out.plain_http);
	assert_false(c.out.upgraded_https);
	snprintf(want, sizeof(want), "%s/alipay/bill", fx_http_url);
	assert_string_equal(c.out.safe_url, want);
	snprintf(want, sizeof(want), "bill downloaded over plain http (%s/alipay/bill) after https failed (https://%s/",
		 fx_http_url, fx_http_url + strlen("http://"));
	assert_memory_equal(c.out.warning, want, strlen(want));
	assert_non_null(strstr(c.out.warning, "): allow_http_download = yes accepts it; no TLS vouches for the file, "
					      "only its own control totals"));
	assert_no_secret(c.out.warning);
	rcn_buf_free(&c.out.data);

	/* plain http to a host not listed: refused, allowed or not */
	fx_scenario("http_foreign");
	snprintf(
		want, sizeof(want),
		"[source ali]: Alipay bill query: bill_download_url http://localhost:%s/alipay/bill is plain http to a "
		"host that is not an Alipay bill host (bill_hosts): refused",
		strrchr(fx_http_url, ':') + 1);
	fx_expect_error(&c, RCN_EFORMAT, want);
	assert_int_equal(c.out.attempts, 1);
}

/* The manifest at path records the bill's URL (base, then /alipay/bill),
 * whether the download was upgraded to https or went over plain http, and
 * the warning that starts with `warning` (NULL: no warning); it holds no
 * secret. */
static void assert_http_manifest(const char *path, const char *base, bool upgraded, bool plain, const char *warning)
{
	char want[700];
	char *m = fx_slurp(path, NULL);
	snprintf(want, sizeof(want), "\"url\": \"%s/alipay/bill\"", base);
	assert_non_null(strstr(m, want));
	assert_non_null(strstr(m, upgraded ? "\"upgraded_https\": true" : "\"upgraded_https\": false"));
	assert_non_null(strstr(m, plain ? "\"plain_http\": true" : "\"plain_http\": false"));
	if (warning == NULL) {
		assert_null(strstr(m, "\"warning\""));
	} else {
		snprintf(want, sizeof(want), "\"warning\": \"%s", warning);
		assert_non_null(strstr(m, want));
	}
	assert_no_secret(m);
	free(m);
}

/* Through the orchestrator: the manifest records an upgrade and a plain-http download. */
static void test_http_manifest(void **state)
{
	(void)state;
	fx_call c;
	char spool[512], path[700];
	setup_loopback_call(&c);
	path_in(spool, sizeof(spool), tmpdir, "spool_http");
	c.req.spool_dir = spool;
	c.req.refetch = true;
	snprintf(path, sizeof(path), "%s/2026-03-02/ali/manifest.json", spool);
	rcn_fetch_result res;

	fx_scenario("http_url");
	assert_int_equal(rcn_fetch(&c.req, &c.s, &res, &c.err), RCN_OK);
	assert_true(res.upgraded_https);
	assert_false(res.plain_http);
	assert_http_manifest(path, fx_url, true, false, NULL);

	c.req.allow_http_download = true;
	fx_scenario("http_only");
	assert_int_equal(rcn_fetch(&c.req, &c.s, &res, &c.err), RCN_OK);
	assert_true(res.plain_http);
	assert_memory_equal(res.warning, "bill downloaded over plain http", 31);
	assert_http_manifest(path, fx_http_url, false, true, "bill downloaded over plain http");
	/* reused from the spool, the file still carries its warning */
	c.req.refetch = false;
	fx_scenario("http_only");
	assert_int_equal(rcn_fetch(&c.req, &c.s, &res, &c.err), RCN_OK);
	assert_true(res.from_spool);
	assert_int_equal(res.attempts, 0);
	assert_true(res.plain_http);
	assert_memory_equal(res.warning, "bill downloaded over plain http", 31);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", spool);
	assert_int_equal(system(cmd), 0);
}

/* Through the orchestrator: the zip lands in the spool under Alipay's name,
 * and neither it nor the manifest holds the download token or a key. */
static void test_spooled(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	fx_scenario("ok");
	char spool[512], dir[600], want_path[700];
	path_in(spool, sizeof(spool), tmpdir, "spool");
	c.req.spool_dir = spool;
	c.req.refetch = true;
	rcn_fetch_result res;
	memset(&res, 0, sizeof(res));
	rcn_err_clear(&c.err);
	assert_int_equal(rcn_fetch(&c.req, &c.s, &res, &c.err), RCN_OK);
	snprintf(dir, sizeof(dir), "%s/2026-03-02/ali", spool);
	snprintf(want_path, sizeof(want_path), "%s/%s_20260302.csv.zip", dir, MERCHANT);
	assert_string_equal(res.path, want_path);
	assert_false(res.no_bill);
	assert_int_equal(res.attempts, 2);
	size_t n, m;
	char *want = fx_slurp(FIXTURE_ZIP, &n), *got = fx_slurp(res.path, &m);
	assert_int_equal(m, n);
	assert_memory_equal(got, want, n);
	free(want);
	free(got);
	DIR *d = opendir(dir);
	assert_non_null(d);
	int files = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char p[1024];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		char *text = fx_slurp(p, &m);
		/* a zip may hold NUL bytes: check the text up to each one */
		for (size_t i = 0; i < m; i += strlen(text + i) + 1)
			assert_no_secret(text + i);
		free(text);
		unlink(p);
		files++;
	}
	closedir(d);
	assert_int_equal(files, 2); /* the zip and manifest.json */
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/2026-03-02", spool);
	rmdir(dir);
	rmdir(spool);
}

static void test_config_errors(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	/* a private key others can read is refused before anything is sent */
	char loose[512];
	size_t n;
	path_in(loose, sizeof(loose), tmpdir, "loose.key");
	char *pem = fx_slurp(c.key, &n);
	FILE *f = fopen(loose, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(pem, 1, n, f), n);
	fclose(f);
	free(pem);
	assert_int_equal(chmod(loose, 0644), 0);
	c.req.private_key_file = loose;
	fx_expect_error(&c, RCN_EUSAGE,
			"[source ali]: private key is readable by group or others (mode 0644): chmod 600 it");
	assert_string_equal(c.err.file, loose);
	assert_int_equal(c.out.attempts, 0);

	setup_call(&c);
	c.req.bill = "fundflow";
	fx_expect_error(&c, RCN_EUSAGE, "[source ali]: Alipay has no 'fundflow' bill (trade or account)");
	setup_call(&c);
	c.req.app_id = NULL;
	fx_expect_error(&c, RCN_EUSAGE, "[source ali]: api = alipay needs app_id");
	setup_call(&c);
	c.req.merchant_id = "../x";
	fx_expect_error(&c, RCN_EUSAGE, "[source ali]: merchant_id '../x' is not a plain id");
}

static int make_tmpdir(void **state)
{
	(void)state;
	return fx_make_tmpdir(tmpdir, sizeof(tmpdir), "test_alipay_api");
}

static int remove_tmpdir(void **state)
{
	(void)state;
	static const char *const names[] = {"alipay.key", "alipay.pem", "other.key", "other.pem", "loose.key"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[512];
		path_in(p, sizeof(p), tmpdir, names[i]);
		unlink(p);
	}
	rmdir(tmpdir);
	return 0;
}

RCN_TEST_GROUP(alipay_api_pure, NULL, NULL, cmocka_unit_test(test_sign_string), cmocka_unit_test(test_response_text),
	       cmocka_unit_test(test_read_answer), cmocka_unit_test(test_https_upgrade),
	       cmocka_unit_test(test_markup_and_names))

RCN_TEST_GROUP(alipay_api_served, server_setup, NULL, cmocka_unit_test(test_ok), cmocka_unit_test(test_flaky),
	       cmocka_unit_test(test_no_bill), cmocka_unit_test(test_truncated), cmocka_unit_test(test_error_scenarios),
	       cmocka_unit_test(test_request_refused), cmocka_unit_test(test_http_url_upgraded),
	       cmocka_unit_test(test_http_fallback), cmocka_unit_test(test_http_manifest),
	       cmocka_unit_test(test_spooled), cmocka_unit_test(test_config_errors))

int main(void)
{
	if (make_tmpdir(NULL) != 0)
		return 1;
	int failed = alipay_api_pure();
	failed += alipay_api_served();
	remove_tmpdir(NULL);
	return failed;
}
