/* fetch: the UnionPay fileTransfer client. Pure tests first (the sign string
 * and its SHA-256 hex of a fixed request, parsing form answers, base64 and
 * inflating fileContent with its limits), then every scenario against the
 * fixture server: exact one-line messages with nothing secret in them,
 * no_bill, attempts, and bytes equal to the fixture zip. */
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

#include <zlib.h>

#include "fetch/api.h"
#include "fetch/gateway.h"
#include "fetch/sign.h"
#include "fetch_test_util.h"

#define MERCHANT    "898111148990001"
#define FIXTURE_ZIP FIXTURES_DIR "/fetch/unionpay/" MERCHANT "_20260302.zip"
#define SAMPLE_ZIP  FIXTURES_DIR "/fetch/unionpay/802310048993424_20150905.zip"

/* ---- pure ---- */

static void test_sign_digest(void **state)
{
	(void)state;
	rcn_form f;
	rcn_buf b;
	char hex[65];
	rcn_form_init(&f);
	rcn_buf_init(&b, 1 << 20);
	rcn_unionpay_request_form(&f, MERCHANT, "69629715588", rcn_date_from_ymd(2026, 3, 2), "20260303020000");
	rcn_form_add(&f, "signature", "left-out");
	rcn_form_sign_string(&b, &f, "signature");
	assert_string_equal(b.data, "accessType=0&bizType=000000&certId=69629715588&encoding=UTF-8&fileType=00"
				    "&merId=898111148990001&settleDate=0302&signMethod=01&txnSubType=01"
				    "&txnTime=20260303020000&txnType=76&version=5.1.0");
	rcn_unionpay_sign_digest(hex, &f);
	/* sha256 of the string above, lower-case hex: what signMethod 01 signs */
	assert_string_equal(hex, "6dc73a38223932c45323a74eadeabceb40b510998772a17348b7d0bf27d55456");
	rcn_buf_reset(&b);
	rcn_form_encode(&b, &f);
	assert_string_equal(b.data, "version=5.1.0&encoding=UTF-8&txnType=76&signMethod=01&txnSubType=01"
				    "&bizType=000000&accessType=0&merId=898111148990001&settleDate=0302"
				    "&txnTime=20260303020000&fileType=00&certId=69629715588&signature=left-out");
	rcn_buf_free(&b);
	rcn_form_free(&f);
	/* settleDate is MMDD of the business day, across a year end too */
	rcn_form_init(&f);
	rcn_unionpay_request_form(&f, MERCHANT, "1", rcn_date_from_ymd(2025, 12, 31), "20260101000001");
	assert_string_equal(rcn_form_get(&f, "settleDate"), "1231");
	rcn_form_free(&f);
}

static void test_form_parse(void **state)
{
	(void)state;
	rcn_form f;
	rcn_form_init(&f);
	static const char answer[] = "respCode=00&respMsg=%E6%88%90%E5%8A%9F%5B0000000%5D&fileContent=eJ+a/b==&"
				     "fileName=a%2Fb&empty=&&signature=x%3D";
	assert_int_equal(rcn_form_parse(&f, answer, strlen(answer)), RCN_OK);
	assert_int_equal(f.n, 6);
	assert_string_equal(rcn_form_get(&f, "respMsg"), "成功[0000000]");
	assert_string_equal(rcn_form_get(&f, "fileContent"), "eJ+a/b=="); /* '+' stays: base64 */
	assert_string_equal(rcn_form_get(&f, "fileName"), "a/b");
	assert_string_equal(rcn_form_get(&f, "empty"), "");
	assert_string_equal(rcn_form_get(&f, "signature"), "x=");
	assert_null(rcn_form_get(&f, "missing"));
	rcn_form_free(&f);
	static const char *const bad[] = {"a=1&a=2", "a=%4", "a=%zz", "novalue", "a=%00", "=x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rcn_form_init(&f);
		assert_int_equal(rcn_form_parse(&f, bad[i], strlen(bad[i])), RCN_EFORMAT);
		rcn_form_free(&f);
	}
}

/* base64(zlib(data[0..n))), cut to keep bytes of the compressed stream when keep > 0 */
static char *pack(const void *data, size_t n, size_t keep)
{
	uLongf packed_n = compressBound((uLong)n);
	unsigned char *packed = malloc(packed_n);
	assert_non_null(packed);
	assert_int_equal(compress2(packed, &packed_n, data, (uLong)n, 9), Z_OK);
	if (keep)
		packed_n = keep;
	rcn_buf b;
	rcn_buf_init(&b, SIZE_MAX);
	assert_int_equal(rcn_base64_encode(&b, packed, packed_n), RCN_OK);
	free(packed);
	return b.data;
}

static rcn_rc unpack(rcn_buf *out, size_t limit, const char *b64, rcn_err *err)
{
	rcn_buf_init(out, limit);
	rcn_err_clear(err);
	return rcn_unionpay_file_content(out, b64, strlen(b64), err);
}

/* Unpacking b64 within limit fails with code and exactly msg. */
static void expect_unpack_error(size_t limit, const char *b64, rcn_rc code, const char *msg)
{
	rcn_buf out;
	rcn_err err;
	assert_int_equal(unpack(&out, limit, b64, &err), code);
	assert_string_equal(err.msg, msg);
	rcn_buf_free(&out);
}

static void test_file_content(void **state)
{
	(void)state;
	size_t n;
	char *zip = fx_slurp(FIXTURE_ZIP, &n);
	rcn_buf out;
	rcn_err err;
	char *b64 = pack(zip, n, 0);
	assert_int_equal(unpack(&out, 1 << 20, b64, &err), RCN_OK);
	assert_int_equal(out.len, n);
	assert_memory_equal(out.data, zip, n);
	rcn_buf_free(&out);
	/* the inflated size is capped */
	expect_unpack_error(100, b64, RCN_ELIMIT, "UnionPay fileContent inflates past 100 bytes");
	free(b64);
	/* and so is the compressed size, before anything is inflated */
	unsigned char noise[4096];
	uint64_t x = 88172645463325252u;
	for (size_t i = 0; i < sizeof(noise); i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		noise[i] = (unsigned char)(x >> 56);
	}
	char *big = pack(noise, sizeof(noise), 0);
	expect_unpack_error(100, big, RCN_ELIMIT, "UnionPay fileContent exceeds 1124 bytes");
	free(big);
	/* a stream cut short */
	b64 = pack(zip, n, 300);
	expect_unpack_error(1 << 20, b64, RCN_EFORMAT, "UnionPay fileContent is cut short");
	free(b64);
	/* bytes that are not zlib */
	expect_unpack_error(1 << 20, "UEsDBAoAAAAAAA==", RCN_EFORMAT,
			    "UnionPay fileContent does not inflate (incorrect header check)");
	/* zlib of something that is not a zip */
	b64 = pack("<html>busy</html>", 17, 0);
	expect_unpack_error(1 << 20, b64, RCN_EFORMAT, "UnionPay fileContent is not a zip archive");
	free(b64);
	expect_unpack_error(1 << 20, "not base64!", RCN_EFORMAT, "UnionPay fileContent is not base64");
	expect_unpack_error(1 << 20, "", RCN_EFORMAT, "UnionPay fileContent is empty");
	free(zip);
}

/* ---- against the fixture server ---- */

static int server_setup(void **state)
{
	(void)state;
	return fx_server_env(FX_NEED_KEYS);
}

static void assert_no_secret(const char *msg)
{
	static const char *const files[] = {"unionpay_merchant.key", "unionpay_platform.key"};
	assert_null(strstr(msg, "signature="));
	fx_assert_no_key_text(msg, files, sizeof(files) / sizeof(files[0]));
}

static void setup_call(fx_call *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->key, sizeof(c->key), "%s/unionpay_merchant.key", fx_keys);
	snprintf(c->cert, sizeof(c->cert), "%s/unionpay_platform.pem", fx_keys);
	char path[512];
	snprintf(path, sizeof(path), "%s/unionpay_merchant.certid", fx_keys);
	fx_first_line(c->cert_id, sizeof(c->cert_id), path);
	c->req.source = "up";
	c->req.channel = "unionpay";
	c->req.bill = "trade";
	c->req.api = RCN_API_UNIONPAY;
	c->req.api_base = fx_url;
	c->req.merchant_id = MERCHANT;
	c->req.cert_serial = c->cert_id;
	c->req.private_key_file = c->key;
	c->req.platform_cert_file = c->cert;
	c->req.day = rcn_date_from_ymd(2026, 3, 2);
	fx_settings(&c->s, 1);
	c->s.attempts = 3;
	c->api = rcn_api_unionpay;
	c->assert_no_secret = assert_no_secret;
}

static void test_ok(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	fx_expect_fetched(&c, "ok", FIXTURE_ZIP, MERCHANT "_20260302.zip", 1);
	fx_expect_safe_url(&c, "/gateway/api/fileTransRequest.do");

	/* the official sample archive, for its merchant and day */
	c.req.merchant_id = "802310048993424";
	c.req.day = rcn_date_from_ymd(2015, 9, 5);
	assert_int_equal(fx_call_run(&c), RCN_OK);
	fx_expect_zip(&c, SAMPLE_ZIP, "802310048993424_20150905.zip");
	rcn_buf_free(&c.out.data);
}

/* Scenarios that end in an error: the exact message, attempts, HTTP status. */
static const fx_error_case error_cases[] = {
	{"bad_signature", RCN_EFORMAT, "[source up]: UnionPay answer signature does not verify", NULL, 1, -1, 0},
	{"stall", RCN_EIO, "[source up]: UnionPay fileTransfer: ",
	 "/gateway/api/fileTransRequest.do: transfer stalled (no data for 1 s) after 2 attempts", 2, -1, 2},
	{"401", RCN_EIO, "[source up]: UnionPay fileTransfer: HTTP 401", NULL, 1, 401, 0},
	{"html", RCN_EFORMAT, "[source up]: UnionPay fileTransfer: an HTML page instead of the answer", NULL, 1, -1, 0},
	{"biz_error", RCN_EFORMAT, "[source up]: UnionPay fileTransfer: respCode 31 商户状态不正确", NULL, -1, -1, 0},
};

static void test_error_scenarios(void **state)
{
	(void)state;
	fx_expect_error_cases(setup_call, error_cases, sizeof(error_cases) / sizeof(error_cases[0]));
}

static void test_no_bill(void **state)
{
	(void)state;
	fx_expect_no_bill(setup_call);
}

static void test_flaky(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	fx_expect_fetched(&c, "flaky", FIXTURE_ZIP, MERCHANT "_20260302.zip", 3);
}

static void test_truncated(void **state)
{
	(void)state;
	fx_call c;
	char head[512];
	setup_call(&c);
	fx_scenario("truncated");
	assert_int_equal(fx_call_run(&c), RCN_EIO);
	snprintf(head, sizeof(head),
		 "[source up]: UnionPay fileTransfer: %s/gateway/api/fileTransRequest.do: truncated body (got 200 of ",
		 fx_url);
	assert_memory_equal(c.err.msg, head, strlen(head));
	const char *tail = " bytes) after 3 attempts";
	size_t len = strlen(c.err.msg);
	assert_true(len > strlen(head) + strlen(tail));
	assert_string_equal(c.err.msg + len - strlen(tail), tail);
	assert_int_equal(c.out.attempts, 3);
	assert_int_equal(c.out.data.len, 0);
	assert_string_equal(c.out.filename, "");
}

/* A certId UnionPay does not know for the merchant: its signature check fails. */
static void test_unknown_cert_id(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	fx_scenario("ok");
	c.req.cert_serial = "12345";
	fx_expect_error(&c, RCN_EFORMAT, "[source up]: UnionPay fileTransfer: respCode 11 验证签名失败");
}

static void test_config_errors(void **state)
{
	(void)state;
	fx_call c;
	setup_call(&c);
	c.req.cert_serial = NULL;
	fx_expect_error(&c, RCN_EUSAGE, "[source up]: api = unionpay needs cert_serial");
	assert_int_equal(c.out.attempts, 0);
	setup_call(&c);
	c.req.merchant_id = "../x";
	fx_expect_error(&c, RCN_EUSAGE, "[source up]: merchant_id '../x' is not a plain id");
	/* answers checked against a certificate that is not UnionPay's */
	setup_call(&c);
	fx_scenario("ok");
	snprintf(c.cert, sizeof(c.cert), "%s/unionpay_merchant.pem", fx_keys);
	fx_expect_error(&c, RCN_EFORMAT, "[source up]: UnionPay answer signature does not verify");
}

RCN_TEST_GROUP(unionpay_api_pure, NULL, NULL, cmocka_unit_test(test_sign_digest), cmocka_unit_test(test_form_parse),
	       cmocka_unit_test(test_file_content))

RCN_TEST_GROUP(unionpay_api_served, server_setup, NULL, cmocka_unit_test(test_ok),
	       cmocka_unit_test(test_error_scenarios), cmocka_unit_test(test_flaky), cmocka_unit_test(test_no_bill),
	       cmocka_unit_test(test_truncated), cmocka_unit_test(test_unknown_cert_id),
	       cmocka_unit_test(test_config_errors))

int main(void)
{
	return unionpay_api_pure() + unionpay_api_served();
}
