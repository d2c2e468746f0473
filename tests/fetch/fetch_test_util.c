/* Shared scaffolding of the download tests: see fetch_test_util.h. */
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
#include <openssl/pem.h>

#include "fetch_test_util.h"

const char *fx_url, *fx_http_url, *fx_ca, *fx_state, *fx_keys;

int fx_server_env(unsigned need)
{
	fx_url = getenv("RECON_FIXTURE_URL");
	fx_http_url = getenv("RECON_FIXTURE_HTTP_URL");
	fx_ca = getenv("RECON_FIXTURE_CA");
	fx_state = getenv("RECON_FIXTURE_STATE");
	fx_keys = getenv("RECON_FIXTURE_KEYS");
	if (!fx_url || !fx_ca || !fx_state || ((need & FX_NEED_KEYS) && !fx_keys) ||
	    ((need & FX_NEED_HTTP) && !fx_http_url)) {
		fprintf(stderr, "run under tests/fetch/server.sh exec STATE_DIR\n");
		return -1;
	}
	rcn_fetch_global_init();
	return 0;
}

void fx_scenario_named(char *out, size_t n, const char *word)
{
	static int seq;
	char name[256], path[4096];
	snprintf(name, sizeof(name), "%s-%ld-%ld-%d", word, (long)getpid(), (long)time(NULL), seq++);
	if (out)
		snprintf(out, n, "%s", name);
	snprintf(path, sizeof(path), "%s/scenario", fx_state);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", name);
	assert_int_equal(fclose(f), 0);
}

void fx_scenario(const char *word)
{
	fx_scenario_named(NULL, 0, word);
}

void fx_settings(rcn_fetch_settings *s, int stall_s)
{
	rcn_fetch_settings_default(s);
	s->ca_file = fx_ca;
	s->connect_timeout_s = 5;
	s->timeout_s = 20;
	s->stall_s = stall_s;
	s->backoff_ms = 10;
}

rcn_rc fx_http_get(const char *url, const char *what, const rcn_fetch_settings *s, rcn_http_response *resp,
		   rcn_err *err)
{
	rcn_http_request req = {.method = "GET",
				.url = url,
				.headers = NULL,
				.body = NULL,
				.body_len = 0,
				.channel = "test",
				.what = what};
	rcn_err_clear(err);
	return rcn_http_send(&req, s, resp, err);
}

char *fx_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	assert_true(len >= 0);
	char *buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	if (n)
		*n = (size_t)len;
	return buf;
}

void fx_first_line(char *out, size_t n, const char *path)
{
	char *s = fx_slurp(path, NULL);
	snprintf(out, n, "%.*s", (int)strcspn(s, "\r\n"), s);
	free(s);
}

void fx_write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	if (mode)
		assert_int_equal(chmod(path, mode), 0);
}

void fx_assert_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("'%s' not found in:\n%s", want, text);
}

void fx_list_dir(const char *dir, char *out, size_t n)
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

void fx_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

int fx_make_tmpdir(char *dir, size_t n, const char *name)
{
	snprintf(dir, n, "/tmp/%s.XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

int fx_make_spool_dir(char *dir, size_t n, char *spool, size_t spool_n, const char *name)
{
	if (fx_make_tmpdir(dir, n, name) != 0)
		return -1;
	snprintf(spool, spool_n, "%s/spool", dir);
	return 0;
}

rcn_fetch_request fx_download_request(const char *source, const char *channel, const char *url, const char *spool)
{
	rcn_fetch_request req;
	memset(&req, 0, sizeof(req));
	req.source = source;
	req.channel = channel;
	req.bill = "trade";
	req.api = RCN_API_NONE;
	req.url = url;
	req.day = rcn_date_from_ymd(2021, 1, 28);
	req.spool_dir = spool;
	return req;
}

int fx_remove_tree(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

void fx_assert_no_key_text(const char *msg, const char *const *key_files, size_t n_files)
{
	assert_null(strstr(msg, "PRIVATE KEY"));
	for (size_t i = 0; i < n_files; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", fx_keys, key_files[i]);
		char *pem = fx_slurp(path, NULL);
		for (char *line = strtok(pem, "\n"); line; line = strtok(NULL, "\n"))
			if (strlen(line) >= 16 && line[0] != '-') {
				char piece[17];
				memcpy(piece, line, 16);
				piece[16] = '\0';
				assert_null(strstr(msg, piece));
			}
		free(pem);
	}
}

rcn_rc fx_call_run(fx_call *c)
{
	rcn_err_clear(&c->err);
	rcn_rc rc = c->api(&c->req, &c->s, &c->out, &c->err);
	c->assert_no_secret(c->err.msg);
	c->assert_no_secret(c->out.safe_url);
	return rc;
}

void fx_expect_error(fx_call *c, rcn_rc code, const char *msg)
{
	assert_int_equal(fx_call_run(c), code);
	assert_string_equal(c->err.msg, msg);
	assert_null(strchr(c->err.msg, '\n'));
	assert_int_equal(c->out.data.len, 0);
	assert_string_equal(c->out.filename, "");
	rcn_buf_free(&c->out.data);
}

void fx_expect_zip(const fx_call *c, const char *path, const char *name)
{
	size_t n;
	char *want = fx_slurp(path, &n);
	assert_false(c->out.no_bill);
	assert_int_equal(c->out.data.len, n);
	assert_memory_equal(c->out.data.data, want, n);
	assert_string_equal(c->out.filename, name);
	assert_int_equal(c->out.http_status, 200);
	assert_string_equal(c->out.channel_digest, "");
	assert_true(c->out.digest_ok);
	free(want);
}

void fx_error_case_message(char *out, size_t n, const fx_error_case *ec)
{
	snprintf(out, n, "%s%s%s", ec->head, ec->url_tail ? fx_url : "", ec->url_tail ? ec->url_tail : "");
}

void fx_expect_error_cases(void (*setup)(fx_call *c), const fx_error_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fx_call c;
		char want[1024];
		setup(&c);
		if (cases[i].tries)
			c.s.attempts = cases[i].tries;
		fx_scenario(cases[i].scenario);
		fx_error_case_message(want, sizeof(want), &cases[i]);
		fx_expect_error(&c, cases[i].code, want);
		if (cases[i].attempts >= 0)
			assert_int_equal(c.out.attempts, cases[i].attempts);
		if (cases[i].http_status >= 0)
			assert_int_equal(c.out.http_status, cases[i].http_status);
	}
}

void fx_expect_fetched(fx_call *c, const char *word, const char *zip, const char *name, int attempts)
{
	fx_scenario(word);
	assert_int_equal(fx_call_run(c), RCN_OK);
	fx_expect_zip(c, zip, name);
	assert_int_equal(c->out.attempts, attempts);
	rcn_buf_free(&c->out.data);
}

void fx_expect_no_bill(void (*setup)(fx_call *c))
{
	fx_call c;
	setup(&c);
	fx_scenario("no_bill");
	assert_int_equal(fx_call_run(&c), RCN_OK);
	assert_true(c.out.no_bill);
	assert_int_equal(c.out.data.len, 0);
	assert_string_equal(c.out.filename, "");
	assert_int_equal(c.out.attempts, 1);
	/* a day the fixture server has no file for says the same */
	fx_scenario("ok");
	c.req.day = rcn_date_from_ymd(2026, 3, 1);
	assert_int_equal(fx_call_run(&c), RCN_OK);
	assert_true(c.out.no_bill);
	rcn_buf_free(&c.out.data);
}

EVP_PKEY *fx_write_rsa_key(const char *priv, const char *pub)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	assert_non_null(k);
	FILE *f = fopen(priv, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	assert_int_equal(chmod(priv, 0600), 0);
	if (pub != NULL) {
		f = fopen(pub, "w");
		assert_non_null(f);
		assert_int_equal(PEM_write_PUBKEY(f, k), 1);
		fclose(f);
	}
	return k;
}

void fx_expect_safe_url(const fx_call *c, const char *path)
{
	char want[600];
	snprintf(want, sizeof(want), "%s%s", fx_url, path);
	assert_string_equal(c->out.safe_url, want);
}
