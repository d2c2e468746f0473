/* Shared scaffolding of the download tests (tests/fetch/test_*.c): the fixture
 * server's environment and scenario file, the common settings, reading and
 * listing files, and the request/assert helpers of the gateway clients
 * (Alipay, UnionPay): run a call, check that no message carries a secret,
 * expect an exact one-line error or the fixture's bytes, or a table of
 * error scenarios. Include after cmocka.h. */
#ifndef RECON_TESTS_FETCH_TEST_UTIL_H
#define RECON_TESTS_FETCH_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "fetch/api.h"
#include "fetch/http.h"

/* Set by fx_server_env from RECON_FIXTURE_URL, _HTTP_URL, _CA, _STATE, _KEYS
 * (tests/fetch/server.sh exec). */
extern const char *fx_url, *fx_http_url, *fx_ca, *fx_state, *fx_keys;

enum { FX_NEED_KEYS = 1, FX_NEED_HTTP = 2 };

/* 0 when the variables (the URL, CA and state always, the rest as `need`
 * says) are set, then the fetch library is initialised; -1 with a hint on
 * stderr otherwise. */
int fx_server_env(unsigned need);

/* Writes a scenario word no earlier run used ("<word>-<pid>-<time>-<n>") to
 * the server's scenario file, so its per-scenario counters start at 0; the
 * word written is copied to out when out is not NULL. */
void fx_scenario_named(char *out, size_t n, const char *word);
void fx_scenario(const char *word);

/* Defaults with the fixture CA, 5 s connect, 20 s total, stall_s, 10 ms backoff. */
void fx_settings(rcn_fetch_settings *s, int stall_s);

/* A GET of url on channel "test", what naming it in messages. */
rcn_rc fx_http_get(const char *url, const char *what, const rcn_fetch_settings *s, rcn_http_response *resp,
		   rcn_err *err);

/* The whole file, NUL-terminated, owned by the caller (free()); *n its
 * length when n is not NULL. A file that cannot be read fails the test. */
char *fx_slurp(const char *path, size_t *n);
/* The first line of a file, without its line end. */
void fx_first_line(char *out, size_t n, const char *path);
/* Writes text to path and gives it mode (0 leaves the mode as created). */
void fx_write_file(const char *path, const char *text, mode_t mode);
void fx_assert_contains(const char *text, const char *want);
/* The names in a directory, hidden ones too, sorted, joined by spaces. */
void fx_list_dir(const char *dir, char *out, size_t n);
void fx_sha256_hex(const void *data, size_t n, char out[65]);
/* A new RSA-2048 key: its private key written to priv (PEM, mode 0600) and,
 * when pub is not NULL, its public key to pub; the key is the caller's
 * (EVP_PKEY_free()). */
EVP_PKEY *fx_write_rsa_key(const char *priv, const char *pub);
/* mkdtemp of "/tmp/<name>.XXXXXX" into dir; 0 or -1 (a cmocka setup). */
int fx_make_tmpdir(char *dir, size_t n, const char *name);
/* fx_make_tmpdir, and spool named "<dir>/spool" (not made: rcn_fetch makes it). */
int fx_make_spool_dir(char *dir, size_t n, char *spool, size_t spool_n, const char *name);
/* rm -rf of dir; 0 or -1 (a cmocka teardown). */
int fx_remove_tree(const char *dir);

/* A plain download (no channel API) of url's trade bill for 2021-01-28 into
 * spool; url and spool are borrowed. */
rcn_fetch_request fx_download_request(const char *source, const char *channel, const char *url, const char *spool);

/* No message may hold a private key: neither its PEM armour nor any 16
 * characters of a line of the key files named (in fx_keys). */
void fx_assert_no_key_text(const char *msg, const char *const *key_files, size_t n_files);

/* One call of a gateway client, with what it needs and what it returned. */
typedef struct fx_call {
	char key[512], cert[512], cert_id[64];
	rcn_fetch_request req;
	rcn_fetch_settings s;
	rcn_api_result out;
	rcn_err err;
	rcn_rc (*api)(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *out, rcn_err *err);
	void (*assert_no_secret)(const char *msg);
} fx_call;

/* Runs the call; its message and safe URL are checked for secrets. */
rcn_rc fx_call_run(fx_call *c);
/* The call fails with code and exactly msg (one line), and returns no file. */
void fx_expect_error(fx_call *c, rcn_rc code, const char *msg);
/* The call returned the bytes of the archive at path, named name, verified. */
void fx_expect_zip(const fx_call *c, const char *path, const char *name);

/* A scenario that ends in an error: its exact message is head, or head, the
 * server's URL and url_tail; the attempts made and the last HTTP status
 * (-1: not checked); tries, when not 0, replaces the settings' attempts. */
typedef struct {
	const char *scenario;
	rcn_rc code;
	const char *head, *url_tail;
	int attempts;
	long http_status;
	int tries;
} fx_error_case;

/* The message a case expects. */
void fx_error_case_message(char *out, size_t n, const fx_error_case *ec);

/* For each case: a fresh call from setup, the scenario, the exact error. */
void fx_expect_error_cases(void (*setup)(fx_call *c), const fx_error_case *cases, size_t n);

/* The scenario, then the call returns the archive at zip, named name, after
 * exactly attempts requests; its bytes are freed. */
void fx_expect_fetched(fx_call *c, const char *word, const char *zip, const char *name, int attempts);

/* The call's safe URL is the fixture server's (fx_url) followed by path. */
void fx_expect_safe_url(const fx_call *c, const char *path);

/* Scenario no_bill, and the business day before the fixture's (2026-03-01):
 * no bill either time, nothing returned, one attempt. */
void fx_expect_no_bill(void (*setup)(fx_call *c));

#endif
