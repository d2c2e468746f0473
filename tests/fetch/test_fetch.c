/* rcn_fetch over URLs: the spool path, SHA-256 and manifest.json of a file://
 * and an https:// download, reuse of a verified spooled file (no request),
 * --refetch, a changed spooled file fetched again, and a failure that leaves
 * only the manifest's "error". */
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

#include "fetch/http.h"
#include "recon/fetch.h"
#include "fetch_test_util.h"
#include "test_util.h"

static char tmpdir[256], spool[300];

static int setup(void **state)
{
	(void)state;
	if (fx_server_env(0) != 0)
		return -1;
	return fx_make_spool_dir(tmpdir, sizeof(tmpdir), spool, sizeof(spool), "recon_test_fetch");
}

static int teardown(void **state)
{
	(void)state;
	return fx_remove_tree(tmpdir);
}

static void settings(rcn_fetch_settings *s)
{
	fx_settings(s, 5);
}

static long server_count(const char *path, const char *scenario)
{
	rcn_fetch_settings s;
	settings(&s);
	char url[512];
	snprintf(url, sizeof(url), "%s/test/count?path=%s&scenario=%s", fx_url, path, scenario);
	rcn_http_response r;
	rcn_err err;
	assert_int_equal(fx_http_get(url, "count", &s, &r, &err), RCN_OK);
	assert_int_equal(r.status, 200);
	long n = strtol(r.body.data, NULL, 10);
	rcn_http_response_free(&r);
	return n;
}

static rcn_fetch_request request(const char *source, const char *url)
{
	return fx_download_request(source, "bank", url, spool);
}

static void test_file_url(void **state)
{
	(void)state;
	char src[400], url[420], want_path[600], want_sha[65], manifest_path[600];
	snprintf(src, sizeof(src), "%s/bill_20210128.csv", tmpdir);
	snprintf(url, sizeof(url), "file://%s", src);
	const char *v1 = "id,amount\n1,100\n";
	fx_write_file(src, v1, 0);
	fx_sha256_hex(v1, strlen(v1), want_sha);

	rcn_fetch_settings s;
	settings(&s);
	rcn_fetch_request req = request("bankfile", url);
	rcn_fetch_result out;
	rcn_err err;
	rcn_err_clear(&err);
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	snprintf(want_path, sizeof(want_path), "%s/2021-01-28/bankfile/bill_20210128.csv", spool);
	assert_string_equal(out.path, want_path);
	assert_string_equal(out.sha256, want_sha);
	assert_int_equal(out.bytes, strlen(v1));
	assert_false(out.from_spool);
	assert_false(out.no_bill);
	assert_true(out.digest_ok);
	assert_int_equal(out.attempts, 1);
	char *got = fx_slurp(out.path, NULL);
	assert_string_equal(got, v1);
	free(got);

	snprintf(manifest_path, sizeof(manifest_path), "%s/2021-01-28/bankfile/manifest.json", spool);
	char *m = fx_slurp(manifest_path, NULL);
	char want[600];
	fx_assert_contains(m, "\"source\": \"bankfile\"");
	fx_assert_contains(m, "\"channel\": \"bank\"");
	snprintf(want, sizeof(want), "\"url\": \"%s\"", url);
	fx_assert_contains(m, want);
	fx_assert_contains(m, "\"fetched_at\": \"20");
	fx_assert_contains(m, "Z\",\n");
	fx_assert_contains(m, "\"http_status\": 0,");
	snprintf(want, sizeof(want), "\"bytes\": %zu,", strlen(v1));
	fx_assert_contains(m, want);
	snprintf(want, sizeof(want), "\"sha256\": \"%s\"", want_sha);
	fx_assert_contains(m, want);
	fx_assert_contains(m, "\"channel_digest\": \"\"");
	fx_assert_contains(m, "\"digest_ok\": true");
	fx_assert_contains(m, "\"no_bill\": false");
	fx_assert_contains(m, "\"attempts\": 1");
	fx_assert_contains(m, "\"file\": \"bill_20210128.csv\"");
	assert_null(strstr(m, "\"error\""));
	free(m);

	/* The source changes, but the verified spooled file is used. */
	const char *v2 = "id,amount\n1,100\n2,200\n";
	fx_write_file(src, v2, 0);
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_true(out.from_spool);
	assert_int_equal(out.attempts, 0);
	assert_string_equal(out.path, want_path);
	assert_string_equal(out.sha256, want_sha);
	assert_int_equal(out.bytes, strlen(v1));

	/* --refetch downloads again. */
	req.refetch = true;
	fx_sha256_hex(v2, strlen(v2), want_sha);
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_false(out.from_spool);
	assert_string_equal(out.sha256, want_sha);
	assert_int_equal(out.bytes, strlen(v2));

	/* A spooled file that no longer has its recorded digest is fetched again. */
	req.refetch = false;
	fx_write_file(want_path, "tampered\n", 0);
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_false(out.from_spool);
	assert_string_equal(out.sha256, want_sha);
	got = fx_slurp(out.path, NULL);
	assert_string_equal(got, v2);
	free(got);

	char names[512], dir[400];
	snprintf(dir, sizeof(dir), "%s/2021-01-28/bankfile", spool);
	fx_list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "bill_20210128.csv manifest.json");
}

static void test_https_url_and_reuse(void **state)
{
	(void)state;
	char scenario[128], url[512];
	fx_scenario_named(scenario, sizeof(scenario), "fetch");
	snprintf(url, sizeof(url), "%s/test/ok?token=SECRET", fx_url);
	rcn_fetch_settings s;
	settings(&s);
	rcn_fetch_request req = request("bankhttps", url);
	rcn_fetch_result out;
	rcn_err err;
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	char want[600], want_sha[65];
	snprintf(want, sizeof(want), "%s/2021-01-28/bankhttps/ok", spool);
	assert_string_equal(out.path, want);
	fx_sha256_hex("hello", 5, want_sha);
	assert_string_equal(out.sha256, want_sha);
	assert_int_equal(out.http_status, 200);
	assert_int_equal(out.bytes, 5);
	assert_int_equal(server_count("/test/ok", scenario), 1);

	snprintf(want, sizeof(want), "%s/2021-01-28/bankhttps/manifest.json", spool);
	char *m = fx_slurp(want, NULL);
	snprintf(want, sizeof(want), "\"url\": \"%s/test/ok\",", fx_url);
	fx_assert_contains(m, want);
	fx_assert_contains(m, "\"http_status\": 200,");
	fx_assert_contains(m, "\"file\": \"ok\"");
	assert_null(strstr(m, "SECRET"));
	free(m);

	/* A second run makes no request. */
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_true(out.from_spool);
	assert_int_equal(out.http_status, 200);
	assert_string_equal(out.sha256, want_sha);
	assert_int_equal(server_count("/test/ok", scenario), 1);

	req.refetch = true;
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_false(out.from_spool);
	assert_int_equal(server_count("/test/ok", scenario), 2);
}

static void test_failure_leaves_only_manifest(void **state)
{
	(void)state;
	char url[512], path[600];
	snprintf(url, sizeof(url), "%s/test/401?sign=SECRET", fx_url);
	rcn_fetch_settings s;
	settings(&s);
	rcn_fetch_request req = request("bank401", url);
	req.channel = "b\"a\\nk"; /* escaped in the manifest */
	rcn_fetch_result out;
	rcn_err err;
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_EIO);
	char want[600];
	snprintf(want, sizeof(want), "[source bank401]: download: %s/test/401: HTTP 401", fx_url);
	assert_string_equal(err.msg, want);
	assert_string_equal(out.path, "");
	assert_int_equal(out.http_status, 401);
	assert_int_equal(out.attempts, 1);

	snprintf(path, sizeof(path), "%s/2021-01-28/bank401/manifest.json", spool);
	char *m = fx_slurp(path, NULL);
	snprintf(want, sizeof(want), "\"error\": \"[source bank401]: download: %s/test/401: HTTP 401\"", fx_url);
	TU_HAS_ALL(m, "\"channel\": \"b\\\"a\\\\nk\"", want, "\"file\": null", "\"http_status\": 401,",
		   "\"digest_ok\": false");
	TU_HAS_NONE(m, "SECRET");
	free(m);
	char names[512], dir[400];
	snprintf(dir, sizeof(dir), "%s/2021-01-28/bank401", spool);
	fx_list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "manifest.json");

	/* A run after a failure tries again rather than reusing anything. */
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_EIO);
	assert_false(out.from_spool);

	/* A missing local file, and a body cut short. */
	rcn_fetch_request missing = request("bankmissing", "file:///nonexistent/recon/bill.csv");
	assert_int_equal(rcn_fetch(&missing, &s, &out, &err), RCN_EIO);
	assert_memory_equal(err.msg, "[source bankmissing]: download: file:///nonexistent/recon/bill.csv: ", 68);
	snprintf(dir, sizeof(dir), "%s/2021-01-28/bankmissing", spool);
	fx_list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "manifest.json");

	snprintf(url, sizeof(url), "%s/test/truncated", fx_url);
	rcn_fetch_request cut = request("bankcut", url);
	s.attempts = 1;
	assert_int_equal(rcn_fetch(&cut, &s, &out, &err), RCN_EIO);
	snprintf(want, sizeof(want),
		 "[source bankcut]: download: %s/test/truncated: truncated body (got 10 of 100 bytes) after 1 attempt",
		 fx_url);
	assert_string_equal(err.msg, want);
	snprintf(dir, sizeof(dir), "%s/2021-01-28/bankcut", spool);
	fx_list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "manifest.json");
}

static void test_bad_source_name(void **state)
{
	(void)state;
	rcn_fetch_settings s;
	settings(&s);
	rcn_fetch_request req = request("../escape", "file:///etc/hostname");
	rcn_fetch_result out;
	rcn_err err;
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_EUSAGE);
	assert_string_equal(err.msg, "source name '../escape' cannot name a spool folder");
}

RCN_TEST_MAIN_FIXTURE(setup, teardown, cmocka_unit_test(test_file_url), cmocka_unit_test(test_https_url_and_reuse),
		      cmocka_unit_test(test_failure_leaves_only_manifest), cmocka_unit_test(test_bad_source_name))
