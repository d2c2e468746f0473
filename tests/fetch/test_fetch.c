/* rcn_fetch over URLs: the spool path, SHA-256 and manifest.json of a file://
 * and an https:// download, reuse of a verified spooled file (no request),
 * --refetch, a changed spooled file fetched again, and a failure that leaves
 * only the manifest's "error". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fetch/http.h"
#include "recon/fetch.h"

static const char *base, *ca, *state_dir;
static char tmpdir[256], spool[300];

static int setup(void **state)
{
	(void)state;
	base = getenv("RECON_FIXTURE_URL");
	ca = getenv("RECON_FIXTURE_CA");
	state_dir = getenv("RECON_FIXTURE_STATE");
	if (!base || !ca || !state_dir) {
		fprintf(stderr, "run under tests/fetch/server.sh exec STATE_DIR\n");
		return -1;
	}
	rcn_fetch_global_init();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/recon_test_fetch.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(spool, sizeof(spool), "%s/spool", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void settings(rcn_fetch_settings *s)
{
	rcn_fetch_settings_default(s);
	s->ca_file = ca;
	s->connect_timeout_s = 5;
	s->timeout_s = 20;
	s->stall_s = 5;
	s->backoff_ms = 10;
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

static void assert_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("'%s' not found in:\n%s", want, text);
}

/* The names in a directory, sorted, joined by spaces. */
static void list_dir(const char *dir, char *out, size_t n)
{
	struct dirent **names;
	int k = scandir(dir, &names, NULL, alphasort);
	assert_true(k >= 0);
	out[0] = '\0';
	for (int i = 0; i < k; i++) {
		/* hidden names too: a leftover temporary file would show */
		if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0)
			snprintf(out + strlen(out), n - strlen(out), "%s%s", out[0] ? " " : "", names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

static long server_count(const char *path, const char *scenario)
{
	rcn_fetch_settings s;
	settings(&s);
	char url[512];
	snprintf(url, sizeof(url), "%s/test/count?path=%s&scenario=%s", base, path, scenario);
	rcn_http_request req = {.method = "GET",
				.url = url,
				.headers = NULL,
				.body = NULL,
				.body_len = 0,
				.channel = "test",
				.what = "count"};
	rcn_http_response r;
	rcn_err err;
	assert_int_equal(rcn_http_send(&req, &s, &r, &err), RCN_OK);
	assert_int_equal(r.status, 200);
	long n = strtol(r.body.data, NULL, 10);
	rcn_http_response_free(&r);
	return n;
}

static void fresh_scenario(char *out, size_t n)
{
	snprintf(out, n, "fetch-%ld-%ld", (long)getpid(), (long)time(NULL));
	char path[4096];
	snprintf(path, sizeof(path), "%s/scenario", state_dir);
	write_file(path, out);
}

static rcn_fetch_request request(const char *source, const char *url)
{
	rcn_fetch_request req;
	memset(&req, 0, sizeof(req));
	req.source = source;
	req.channel = "bank";
	req.bill = "trade";
	req.api = RCN_API_NONE;
	req.url = url;
	req.day = rcn_date_from_ymd(2021, 1, 28);
	req.spool_dir = spool;
	return req;
}

static void test_file_url(void **state)
{
	(void)state;
	char src[400], url[420], want_path[600], want_sha[65], manifest_path[600];
	snprintf(src, sizeof(src), "%s/bill_20210128.csv", tmpdir);
	snprintf(url, sizeof(url), "file://%s", src);
	const char *v1 = "id,amount\n1,100\n";
	write_file(src, v1);
	sha256_hex(v1, strlen(v1), want_sha);

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
	char *got = slurp(out.path);
	assert_string_equal(got, v1);
	free(got);

	snprintf(manifest_path, sizeof(manifest_path), "%s/2021-01-28/bankfile/manifest.json", spool);
	char *m = slurp(manifest_path);
	char want[600];
	assert_contains(m, "\"source\": \"bankfile\"");
	assert_contains(m, "\"channel\": \"bank\"");
	snprintf(want, sizeof(want), "\"url\": \"%s\"", url);
	assert_contains(m, want);
	assert_contains(m, "\"fetched_at\": \"20");
	assert_contains(m, "Z\",\n");
	assert_contains(m, "\"http_status\": 0,");
	snprintf(want, sizeof(want), "\"bytes\": %zu,", strlen(v1));
	assert_contains(m, want);
	snprintf(want, sizeof(want), "\"sha256\": \"%s\"", want_sha);
	assert_contains(m, want);
	assert_contains(m, "\"channel_digest\": \"\"");
	assert_contains(m, "\"digest_ok\": true");
	assert_contains(m, "\"no_bill\": false");
	assert_contains(m, "\"attempts\": 1");
	assert_contains(m, "\"file\": \"bill_20210128.csv\"");
	assert_null(strstr(m, "\"error\""));
	free(m);

	/* The source changes, but the verified spooled file is used. */
	const char *v2 = "id,amount\n1,100\n2,200\n";
	write_file(src, v2);
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_true(out.from_spool);
	assert_int_equal(out.attempts, 0);
	assert_string_equal(out.path, want_path);
	assert_string_equal(out.sha256, want_sha);
	assert_int_equal(out.bytes, strlen(v1));

	/* --refetch downloads again. */
	req.refetch = true;
	sha256_hex(v2, strlen(v2), want_sha);
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_false(out.from_spool);
	assert_string_equal(out.sha256, want_sha);
	assert_int_equal(out.bytes, strlen(v2));

	/* A spooled file that no longer has its recorded digest is fetched again. */
	req.refetch = false;
	write_file(want_path, "tampered\n");
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_false(out.from_spool);
	assert_string_equal(out.sha256, want_sha);
	got = slurp(out.path);
	assert_string_equal(got, v2);
	free(got);

	char names[512], dir[400];
	snprintf(dir, sizeof(dir), "%s/2021-01-28/bankfile", spool);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "bill_20210128.csv manifest.json");
}

static void test_https_url_and_reuse(void **state)
{
	(void)state;
	char scenario[128], url[512];
	fresh_scenario(scenario, sizeof(scenario));
	snprintf(url, sizeof(url), "%s/test/ok?token=SECRET", base);
	rcn_fetch_settings s;
	settings(&s);
	rcn_fetch_request req = request("bankhttps", url);
	rcn_fetch_result out;
	rcn_err err;
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	char want[600], want_sha[65];
	snprintf(want, sizeof(want), "%s/2021-01-28/bankhttps/ok", spool);
	assert_string_equal(out.path, want);
	sha256_hex("hello", 5, want_sha);
	assert_string_equal(out.sha256, want_sha);
	assert_int_equal(out.http_status, 200);
	assert_int_equal(out.bytes, 5);
	assert_int_equal(server_count("/test/ok", scenario), 1);

	snprintf(want, sizeof(want), "%s/2021-01-28/bankhttps/manifest.json", spool);
	char *m = slurp(want);
	snprintf(want, sizeof(want), "\"url\": \"%s/test/ok\",", base);
	assert_contains(m, want);
	assert_contains(m, "\"http_status\": 200,");
	assert_contains(m, "\"file\": \"ok\"");
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
	snprintf(url, sizeof(url), "%s/test/401?sign=SECRET", base);
	rcn_fetch_settings s;
	settings(&s);
	rcn_fetch_request req = request("bank401", url);
	req.channel = "b\"a\\nk"; /* escaped in the manifest */
	rcn_fetch_result out;
	rcn_err err;
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_EIO);
	char want[600];
	snprintf(want, sizeof(want), "[source bank401]: download: %s/test/401: HTTP 401", base);
	assert_string_equal(err.msg, want);
	assert_string_equal(out.path, "");
	assert_int_equal(out.http_status, 401);
	assert_int_equal(out.attempts, 1);

	snprintf(path, sizeof(path), "%s/2021-01-28/bank401/manifest.json", spool);
	char *m = slurp(path);
	assert_contains(m, "\"channel\": \"b\\\"a\\\\nk\"");
	snprintf(want, sizeof(want), "\"error\": \"[source bank401]: download: %s/test/401: HTTP 401\"", base);
	assert_contains(m, want);
	assert_contains(m, "\"file\": null");
	assert_contains(m, "\"http_status\": 401,");
	assert_contains(m, "\"digest_ok\": false");
	assert_null(strstr(m, "SECRET"));
	free(m);
	char names[512], dir[400];
	snprintf(dir, sizeof(dir), "%s/2021-01-28/bank401", spool);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "manifest.json");

	/* A run after a failure tries again rather than reusing anything. */
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_EIO);
	assert_false(out.from_spool);

	/* A missing local file, and a body cut short. */
	rcn_fetch_request missing = request("bankmissing", "file:///nonexistent/recon/bill.csv");
	assert_int_equal(rcn_fetch(&missing, &s, &out, &err), RCN_EIO);
	assert_memory_equal(err.msg, "[source bankmissing]: download: file:///nonexistent/recon/bill.csv: ", 68);
	snprintf(dir, sizeof(dir), "%s/2021-01-28/bankmissing", spool);
	list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "manifest.json");

	snprintf(url, sizeof(url), "%s/test/truncated", base);
	rcn_fetch_request cut = request("bankcut", url);
	s.attempts = 1;
	assert_int_equal(rcn_fetch(&cut, &s, &out, &err), RCN_EIO);
	snprintf(want, sizeof(want),
		 "[source bankcut]: download: %s/test/truncated: truncated body (got 10 of 100 bytes) after 1 attempt",
		 base);
	assert_string_equal(err.msg, want);
	snprintf(dir, sizeof(dir), "%s/2021-01-28/bankcut", spool);
	list_dir(dir, names, sizeof(names));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_url),
		cmocka_unit_test(test_https_url_and_reuse),
		cmocka_unit_test(test_failure_leaves_only_manifest),
		cmocka_unit_test(test_bad_source_name),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
