/* rcn_fetch of sftp:// locations against a throwaway OpenSSH server on
 * 127.0.0.1 (tests/fetch/sftp.sh): the spooled bytes and manifest (no user
 * name in it), reuse and --refetch, and every refusal — a missing file, an
 * unknown or changed host key, a key the server does not accept, a readable
 * or missing ssh key, no ssh_key or known_hosts configured — each with its
 * exact one-line message and nothing left in the spool but the manifest. */
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
#include <unistd.h>

#include <openssl/evp.h>

#include "fetch/http.h"
#include "recon/fetch.h"
#include "fetch_test_util.h"
#include "test_util.h"

#define SAMPLE	     SAMPLES_DIR "/wechat/gunsluo_v3_tradebill_ALL.csv.gz"
#define SOURCE	     "sftpbank"
#define SOURCE_DIR   "/2021-01-28/" SOURCE
#define SAMPLE_BYTES 588

static const char *base_url, *key, *known_hosts, *served, *wrong_known_hosts, *stranger_key;
static char safe_base[256]; /* base_url without "root@" */
static char tmpdir[256], spool[300];
static unsigned char sample[1 << 16];
static size_t sample_len;

static size_t read_file(const char *path, unsigned char *buf, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	size_t len = fread(buf, 1, n, f);
	fclose(f);
	return len;
}

static int setup(void **state)
{
	(void)state;
	base_url = getenv("RECON_SFTP_URL");
	key = getenv("RECON_SFTP_KEY");
	known_hosts = getenv("RECON_SFTP_KNOWN_HOSTS");
	served = getenv("RECON_SFTP_DIR");
	wrong_known_hosts = getenv("RECON_SFTP_WRONG_KNOWN_HOSTS");
	stranger_key = getenv("RECON_SFTP_STRANGER_KEY");
	if (!base_url || !key || !known_hosts || !served || !wrong_known_hosts || !stranger_key ||
	    strncmp(base_url, "sftp://root@", 12) != 0) {
		fprintf(stderr, "run under tests/fetch/sftp.sh exec STATE_DIR\n");
		return -1;
	}
	snprintf(safe_base, sizeof(safe_base), "sftp://%s", base_url + 12);
	FILE *f = fopen(SAMPLE, "rb");
	if (!f) {
		fprintf(stderr, "no sample at %s\n", SAMPLE);
		return -1;
	}
	sample_len = fread(sample, 1, sizeof(sample), f);
	fclose(f);
	rcn_fetch_global_init();
	return fx_make_spool_dir(tmpdir, sizeof(tmpdir), spool, sizeof(spool), "recon_test_sftp");
}

static int teardown(void **state)
{
	(void)state;
	return fx_remove_tree(tmpdir);
}

/* Short timeouts, and retries allowed: a refusal must still be one attempt. */
static void settings(rcn_fetch_settings *s)
{
	rcn_fetch_settings_default(s);
	s->connect_timeout_s = 3;
	s->timeout_s = 10;
	s->stall_s = 3;
	s->attempts = 3;
	s->backoff_ms = 10;
}

static rcn_fetch_request request(const char *url)
{
	rcn_fetch_request req = fx_download_request(SOURCE, "wechat", url, spool);
	req.ssh_key_file = key;
	req.known_hosts_file = known_hosts;
	req.refetch = true;
	return req;
}

static void sftp_url(char *out, size_t n, const char *base, const char *file)
{
	snprintf(out, n, "%s%s/%s", base, served, file);
}

/* A download of file from the test server: its URL, settings and request
 * (the request points into url: an sftp_call is not copied). */
typedef struct {
	char url[600];
	rcn_fetch_settings s;
	rcn_fetch_request req;
} sftp_call;

static void sftp_call_init(sftp_call *c, const char *file)
{
	sftp_url(c->url, sizeof(c->url), base_url, file);
	settings(&c->s);
	c->req = request(c->url);
}

/* The fetch fails with exactly `want` (file: prefix included), the message
 * names no user, and the spool holds only a manifest recording the error. */
static void assert_refused(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_rc code, const char *want)
{
	char dir[400], names[512], msg[1200];
	snprintf(dir, sizeof(dir), "%s" SOURCE_DIR, spool);
	assert_int_equal(fx_remove_tree(dir), 0);

	rcn_fetch_result out;
	rcn_err err;
	rcn_err_clear(&err);
	assert_int_equal(rcn_fetch(req, s, &out, &err), code);
	assert_string_equal(rcn_err_format(&err, msg, sizeof(msg)), want);
	assert_null(strchr(msg, '\n'));
	assert_null(strstr(msg, "root@"));
	assert_string_equal(out.path, "");

	fx_list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "manifest.json");
	char path[450];
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	char *m = fx_slurp(path, NULL);
	fx_assert_contains(m, "\"error\": \"");
	fx_assert_contains(m, "\"file\": null");
	assert_null(strstr(m, "root@"));
	free(m);
}

/* The download of file (under the served directory) is refused after one
 * attempt with exactly "[source S]: download: <its URL without the user>:
 * <reason> after 1 attempt" (assert_refused). */
static void assert_download_refused(const rcn_fetch_request *req, const rcn_fetch_settings *s, const char *file,
				    const char *reason)
{
	char safe[600], want[900];
	sftp_url(safe, sizeof(safe), safe_base, file);
	snprintf(want, sizeof(want), "[source " SOURCE "]: download: %s: %s after 1 attempt", safe, reason);
	assert_refused(req, s, RCN_EIO, want);
}

static void test_download_reuse_refetch(void **state)
{
	(void)state;
	char url[600], safe[600], want[800], want_sha[65];
	sftp_url(url, sizeof(url), base_url, "20210128.csv.gz");
	sftp_url(safe, sizeof(safe), safe_base, "20210128.csv.gz");
	assert_int_equal(sample_len, SAMPLE_BYTES);
	fx_sha256_hex(sample, sample_len, want_sha);

	rcn_fetch_settings s;
	settings(&s);
	rcn_fetch_request req = request(url);
	rcn_fetch_result out;
	rcn_err err;
	rcn_err_clear(&err);
	if (rcn_fetch(&req, &s, &out, &err) != RCN_OK) {
		char msg[1200];
		fail_msg("fetch failed: %s", rcn_err_format(&err, msg, sizeof(msg)));
	}
	snprintf(want, sizeof(want), "%s" SOURCE_DIR "/20210128.csv.gz", spool);
	assert_string_equal(out.path, want);
	assert_int_equal(out.bytes, SAMPLE_BYTES);
	assert_string_equal(out.sha256, want_sha);
	assert_false(out.from_spool);
	assert_false(out.no_bill);
	assert_true(out.digest_ok);
	assert_int_equal(out.attempts, 1);
	assert_string_equal(out.channel_digest, "");

	/* byte for byte the sample */
	static unsigned char got[1 << 16];
	assert_int_equal(read_file(out.path, got, sizeof(got)), sample_len);
	assert_memory_equal(got, sample, sample_len);
	struct stat st;
	assert_int_equal(stat(out.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	char dir[400], names[512], mpath[450];
	snprintf(dir, sizeof(dir), "%s" SOURCE_DIR, spool);
	fx_list_dir(dir, names, sizeof(names));
	assert_string_equal(names, "20210128.csv.gz manifest.json");
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
	char *m = fx_slurp(mpath, NULL);
	char url_field[700], bytes_field[32], sha_field[90];
	snprintf(url_field, sizeof(url_field), "\"url\": \"%s\"", safe);
	snprintf(bytes_field, sizeof(bytes_field), "\"bytes\": %d,", SAMPLE_BYTES);
	snprintf(sha_field, sizeof(sha_field), "\"sha256\": \"%s\"", want_sha);
	TU_HAS_ALL(m, url_field, "\"source\": \"" SOURCE "\"", "\"channel\": \"wechat\"", bytes_field, sha_field,
		   "\"digest_ok\": true", "\"attempts\": 1", "\"file\": \"20210128.csv.gz\"");
	TU_HAS_NONE(m, "root@", "\"error\"");
	free(m);

	/* A second run uses the spooled file: no connection at all. */
	req.refetch = false;
	req.known_hosts_file = wrong_known_hosts; /* would fail if it connected */
	rcn_err_clear(&err);
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_true(out.from_spool);
	assert_int_equal(out.attempts, 0);
	assert_string_equal(out.sha256, want_sha);

	/* --refetch downloads again. */
	req.refetch = true;
	req.known_hosts_file = known_hosts;
	assert_int_equal(rcn_fetch(&req, &s, &out, &err), RCN_OK);
	assert_false(out.from_spool);
	assert_int_equal(out.attempts, 1);
	assert_string_equal(out.sha256, want_sha);
}

static void test_missing_file(void **state)
{
	(void)state;
	sftp_call c;
	sftp_call_init(&c, "20210129.csv.gz");
	assert_download_refused(&c.req, &c.s, "20210129.csv.gz", "no such file");

	/* a missing directory is the same */
	sftp_url(c.url, sizeof(c.url), base_url, "nowhere/20210128.csv.gz");
	assert_download_refused(&c.req, &c.s, "nowhere/20210128.csv.gz", "no such file");
}

static void test_host_key_not_known(void **state)
{
	(void)state;
	static const char *const unknown = "host key of 127.0.0.1 is not in known_hosts";
	char empty[300], other_port[300];
	sftp_call c;
	sftp_call_init(&c, "20210128.csv.gz");

	/* known_hosts lists this host with another key: a changed key */
	unsigned char before[4096], after[4096];
	size_t before_len = read_file(wrong_known_hosts, before, sizeof(before));
	c.req.known_hosts_file = wrong_known_hosts;
	assert_download_refused(&c.req, &c.s, "20210128.csv.gz", unknown);
	/* and the file was not "corrected" */
	assert_int_equal(read_file(wrong_known_hosts, after, sizeof(after)), before_len);
	assert_memory_equal(after, before, before_len);

	/* an empty known_hosts: no trust on first use, nothing added */
	snprintf(empty, sizeof(empty), "%s/empty_known_hosts", tmpdir);
	FILE *f = fopen(empty, "w");
	assert_non_null(f);
	fclose(f);
	c.req.known_hosts_file = empty;
	assert_download_refused(&c.req, &c.s, "20210128.csv.gz", unknown);
	struct stat st;
	assert_int_equal(stat(empty, &st), 0);
	assert_int_equal(st.st_size, 0);

	/* the right key, but for another port: still unknown */
	snprintf(other_port, sizeof(other_port), "%s/other_port_known_hosts", tmpdir);
	size_t n = read_file(known_hosts, before, sizeof(before) - 1);
	before[n] = '\0';
	char *space = strchr((char *)before, ' ');
	assert_non_null(space);
	f = fopen(other_port, "w");
	assert_non_null(f);
	fprintf(f, "[127.0.0.1]:1%s", space);
	fclose(f);
	c.req.known_hosts_file = other_port;
	assert_download_refused(&c.req, &c.s, "20210128.csv.gz", unknown);
}

static void test_key_not_accepted(void **state)
{
	(void)state;
	sftp_call c;
	sftp_call_init(&c, "20210128.csv.gz");
	c.req.ssh_key_file = stranger_key;
	assert_download_refused(&c.req, &c.s, "20210128.csv.gz", "127.0.0.1 did not accept the ssh key");
}

static void copy_key(const char *to, mode_t mode)
{
	unsigned char buf[8192];
	size_t n = read_file(key, buf, sizeof(buf));
	FILE *f = fopen(to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(to, mode), 0);
}

static void test_readable_key_refused(void **state)
{
	(void)state;
	char copy[300], want[900];
	snprintf(copy, sizeof(copy), "%s/readable_key", tmpdir);
	sftp_call c;
	sftp_call_init(&c, "20210128.csv.gz");
	c.req.ssh_key_file = copy;

	static const mode_t readable[] = {0644, 0640, 0604};
	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++) {
		copy_key(copy, readable[i]);
		snprintf(want, sizeof(want), "%s: ssh key is readable by group or others (mode %04o): chmod 600 it",
			 copy, (unsigned)readable[i]);
		assert_refused(&c.req, &c.s, RCN_EUSAGE, want);
	}

	/* the same key, chmod 600, works */
	copy_key(copy, 0600);
	rcn_fetch_result out;
	rcn_err err;
	rcn_err_clear(&err);
	assert_int_equal(rcn_fetch(&c.req, &c.s, &out, &err), RCN_OK);
	assert_int_equal(out.bytes, SAMPLE_BYTES);

	/* a key file that is not there */
	snprintf(copy, sizeof(copy), "%s/no_such_key", tmpdir);
	snprintf(want, sizeof(want), "%s: cannot read ssh key: No such file or directory", copy);
	assert_refused(&c.req, &c.s, RCN_EUSAGE, want);

	/* nor a known_hosts file */
	c.req.ssh_key_file = key;
	c.req.known_hosts_file = copy;
	snprintf(want, sizeof(want), "%s: cannot read known_hosts: No such file or directory", copy);
	assert_refused(&c.req, &c.s, RCN_EUSAGE, want);
}

static void test_not_configured(void **state)
{
	(void)state;
	sftp_call c;
	sftp_call_init(&c, "20210128.csv.gz");

	c.req.ssh_key_file = NULL;
	assert_refused(&c.req, &c.s, RCN_EUSAGE, "sftp:// needs ssh_key in [source " SOURCE "]");
	c.req.ssh_key_file = "";
	assert_refused(&c.req, &c.s, RCN_EUSAGE, "sftp:// needs ssh_key in [source " SOURCE "]");
	c.req.ssh_key_file = key;
	c.req.known_hosts_file = NULL;
	assert_refused(&c.req, &c.s, RCN_EUSAGE, "sftp:// needs known_hosts in [source " SOURCE "]");
	c.req.ssh_key_file = NULL;
	assert_refused(&c.req, &c.s, RCN_EUSAGE, "sftp:// needs ssh_key and known_hosts in [source " SOURCE "]");
}

/* The transport refuses on its own too: no sftp:// without both files. */
static void test_transport_needs_both(void **state)
{
	(void)state;
	char url[600], safe[600], want[900], msg[1200];
	sftp_url(url, sizeof(url), base_url, "20210128.csv.gz");
	sftp_url(safe, sizeof(safe), safe_base, "20210128.csv.gz");
	rcn_fetch_settings s;
	settings(&s);
	rcn_http_request hr = {.method = "GET", .url = url, .channel = "test", .what = "test request"};
	rcn_http_response resp;
	rcn_err err;
	rcn_err_clear(&err);
	assert_int_equal(rcn_http_send(&hr, &s, &resp, &err), RCN_EUSAGE);
	snprintf(want, sizeof(want), "test request: %s: sftp:// needs an ssh key and a known_hosts file", safe);
	assert_string_equal(rcn_err_format(&err, msg, sizeof(msg)), want);
	assert_int_equal(resp.attempts, 0);
	rcn_http_response_free(&resp);

	hr.ssh_key_file = key;
	hr.known_hosts_file = known_hosts;
	assert_int_equal(rcn_http_send(&hr, &s, &resp, &err), RCN_OK);
	assert_int_equal(resp.body.len, sample_len);
	assert_memory_equal(resp.body.data, sample, sample_len);
	rcn_http_response_free(&resp);
}

static void test_size_limit(void **state)
{
	(void)state;
	sftp_call c;
	sftp_call_init(&c, "20210128.csv.gz");
	c.s.max_bytes = 100;
	assert_download_refused(&c.req, &c.s, "20210128.csv.gz", "body exceeds 100 bytes");
}

RCN_TEST_MAIN_FIXTURE(setup, teardown, cmocka_unit_test(test_download_reuse_refetch),
		      cmocka_unit_test(test_missing_file), cmocka_unit_test(test_host_key_not_known),
		      cmocka_unit_test(test_key_not_accepted), cmocka_unit_test(test_readable_key_refused),
		      cmocka_unit_test(test_not_configured), cmocka_unit_test(test_transport_needs_both),
		      cmocka_unit_test(test_size_limit))
