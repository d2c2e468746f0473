/* fetch transport against the fixture server: success, 500 twice then
 * success, 401 not retried, a stalled transfer, a truncated body, a body over
 * the cap, an untrusted certificate, the per-channel cap, and URLs in
 * messages without their query. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "test_main.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch/http.h"
#include "fetch_test_util.h"

static int setup(void **state)
{
	(void)state;
	return fx_server_env(0);
}

static void settings(rcn_fetch_settings *s)
{
	fx_settings(s, 5);
}

static rcn_rc get(const char *path, const rcn_fetch_settings *s, rcn_http_response *resp, rcn_err *err)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", fx_url, path);
	return fx_http_get(url, "test request", s, resp, err);
}

/* A GET of path answered with status after `attempts` requests; the
 * response is the caller's to check further and free. */
static void get_answered(const char *path, const rcn_fetch_settings *s, long status, int attempts, rcn_http_response *r)
{
	rcn_err err;
	assert_int_equal(get(path, s, r, &err), RCN_OK);
	assert_int_equal(r->status, status);
	assert_int_equal(r->attempts, attempts);
}

/* A GET of path that fails after `attempts` requests with exactly "test
 * request: <server><path without its query>: <reason> after N attempt(s)",
 * no secret of the query in it and no body kept; the response is the
 * caller's to check further and free. */
static void get_fails(const char *path, const rcn_fetch_settings *s, int attempts, const char *reason,
		      rcn_http_response *r)
{
	rcn_err err;
	char want[512];
	assert_int_equal(get(path, s, r, &err), RCN_EIO);
	assert_int_equal(r->attempts, attempts);
	snprintf(want, sizeof(want), "test request: %s%.*s: %s after %d attempt%s", fx_url, (int)strcspn(path, "?#"),
		 path, reason, attempts, attempts == 1 ? "" : "s");
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, RCN_EIO);
	assert_null(strstr(err.msg, "SECRET"));
	assert_null(r->body.data);
}

static void test_ok(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	rcn_http_response r;
	get_answered("/test/ok", &s, 200, 1, &r);
	assert_int_equal(r.body.len, 5);
	assert_string_equal(r.body.data, "hello");
	assert_string_equal(rcn_http_header(&r, "Content-Type"), "text/plain");
	assert_string_equal(rcn_http_header(&r, "content-length"), "5");
	assert_null(rcn_http_header(&r, "X-Missing"));
	for (size_t i = 0; i < r.n_headers; i++)
		assert_null(strchr(r.headers[i], '\r'));
	rcn_http_response_free(&r);
}

static void test_500_twice_then_ok(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	fx_scenario("flaky");
	rcn_http_response r;
	get_answered("/test/flaky", &s, 200, 3, &r);
	assert_string_equal(r.body.data, "hello");
	rcn_http_response_free(&r);

	/* With two attempts the second 500 is the answer. */
	fx_scenario("flaky2");
	s.attempts = 2;
	get_fails("/test/flaky", &s, 2, "HTTP 500", &r);
	assert_int_equal(r.status, 500);
	rcn_http_response_free(&r);
}

static void test_401_not_retried(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	rcn_http_response r;
	get_answered("/test/401", &s, 401, 1, &r);
	assert_non_null(strstr(r.body.data, "SIGN_ERROR"));
	rcn_http_response_free(&r);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_stall(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	s.stall_s = 2;
	s.attempts = 1;
	rcn_http_response r;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	get_fails("/test/stall?token=SECRET", &s, 1, "transfer stalled (no data for 2 s)", &r);
	double took = seconds_since(&t0);
	assert_true(took >= 1.9 && took < 3.0);
	rcn_http_response_free(&r);
}

static void test_truncated(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	s.attempts = 2;
	rcn_http_response r;
	/* a cut transfer is worth another try */
	get_fails("/test/truncated", &s, 2, "truncated body (got 10 of 100 bytes)", &r);
	rcn_http_response_free(&r);
}

static void test_too_big(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	s.max_bytes = 1 << 20;
	rcn_http_response r;
	get_fails("/test/big", &s, 1, "body exceeds 1048576 bytes", &r); /* it would be just as big again */
	rcn_http_response_free(&r);

	/* The same body under a big enough cap. */
	s.max_bytes = 2 << 20;
	get_answered("/test/big", &s, 200, 1, &r);
	assert_int_equal(r.body.len, 2 << 20);
	rcn_http_response_free(&r);
}

static void test_untrusted_certificate(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	s.ca_file = NULL; /* the system's store does not know the test CA */
	rcn_http_response r;
	rcn_err err;
	assert_int_equal(get("/test/ok?sign=SECRET", &s, &r, &err), RCN_EIO);
	assert_int_equal(r.attempts, 1);
	char want[512];
	snprintf(want, sizeof(want), "test request: %s/test/ok: TLS certificate verification failed: ", fx_url);
	assert_memory_equal(err.msg, want, strlen(want));
	assert_null(strstr(err.msg, "SECRET"));
	rcn_http_response_free(&r);

	/* A name the certificate does not carry is refused too. */
	char url[512];
	snprintf(url, sizeof(url), "https://localhost:%s/test/ok", strrchr(fx_url, ':') + 1);
	settings(&s);
	assert_int_equal(fx_http_get(url, "test request", &s, &r, &err), RCN_EIO);
	assert_non_null(strstr(err.msg, "TLS certificate verification failed: "));
	rcn_http_response_free(&r);
}

static void test_connection_refused(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	s.attempts = 2;
	rcn_http_response r;
	rcn_err err;
	assert_int_equal(fx_http_get("https://127.0.0.1:1/bill?key=SECRET", "test request", &s, &r, &err), RCN_EIO);
	assert_int_equal(r.attempts, 2);
	assert_memory_equal(err.msg, "test request: https://127.0.0.1:1/bill: ", 40);
	assert_non_null(strstr(err.msg, " after 2 attempts"));
	assert_null(strstr(err.msg, "SECRET"));
	rcn_http_response_free(&r);
}

static void test_post_and_query_not_logged(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	char url[512];
	snprintf(url, sizeof(url), "%s/no/such/route?signature=SECRET#frag", fx_url);
	const char *headers[] = {"Authorization: WECHATPAY2-SHA256-RSA2048 signature=\"SECRET\"", NULL};
	rcn_http_request req = {.method = "POST",
				.url = url,
				.headers = headers,
				.body = "<xml>SECRET</xml>",
				.body_len = 17,
				.channel = "test",
				.what = "test request"};
	rcn_http_response r;
	rcn_err err;
	assert_int_equal(rcn_http_send(&req, &s, &r, &err), RCN_OK);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body.data, "NOT_FOUND"));
	rcn_http_response_free(&r);
}

typedef struct {
	const rcn_fetch_settings *s;
	rcn_rc rc;
} slow_job;

static void *fetch_slow(void *p)
{
	slow_job *job = p;
	rcn_http_response r;
	rcn_err err;
	job->rc = get("/test/slow", job->s, &r, &err);
	rcn_http_response_free(&r);
	return NULL;
}

/* Three requests of a channel capped at one take turns: at least 3 × 300 ms. */
static void test_channel_cap(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	s.max_per_channel = 1;
	pthread_t t[3];
	slow_job jobs[3];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 3; i++) {
		jobs[i] = (slow_job){&s, RCN_EIO};
		assert_int_equal(pthread_create(&t[i], NULL, fetch_slow, &jobs[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].rc, RCN_OK);
	}
	assert_true(seconds_since(&t0) >= 0.89);
}

static void test_safe_url(void **state)
{
	(void)state;
	char out[256];
	rcn_http_safe_url(out, sizeof(out), "https://api.mch.weixin.qq.com/v3/bill/tradebill?bill_date=2021-01-28&x=1");
	assert_string_equal(out, "https://api.mch.weixin.qq.com/v3/bill/tradebill");
	rcn_http_safe_url(out, sizeof(out), "https://user:pa:ss@host.example:8443/a/b.csv#frag");
	assert_string_equal(out, "https://host.example:8443/a/b.csv");
	rcn_http_safe_url(out, sizeof(out), "sftp://bills@sftp.bank.example/out/20210128.zip");
	assert_string_equal(out, "sftp://sftp.bank.example/out/20210128.zip");
	rcn_http_safe_url(out, sizeof(out), "https://host?token=abc@def");
	assert_string_equal(out, "https://host");
	rcn_http_safe_url(out, sizeof(out), "file:///data/bills/x.csv?y");
	assert_string_equal(out, "file:///data/bills/x.csv");
	rcn_http_safe_url(out, sizeof(out), "/plain/path?q");
	assert_string_equal(out, "/plain/path");
	rcn_http_safe_url(out, 10, "https://host.example/long");
	assert_string_equal(out, "https://h");
}

RCN_TEST_MAIN_FIXTURE(setup, NULL, cmocka_unit_test(test_safe_url), cmocka_unit_test(test_ok),
		      cmocka_unit_test(test_500_twice_then_ok), cmocka_unit_test(test_401_not_retried),
		      cmocka_unit_test(test_stall), cmocka_unit_test(test_truncated), cmocka_unit_test(test_too_big),
		      cmocka_unit_test(test_untrusted_certificate), cmocka_unit_test(test_connection_refused),
		      cmocka_unit_test(test_post_and_query_not_logged), cmocka_unit_test(test_channel_cap))
