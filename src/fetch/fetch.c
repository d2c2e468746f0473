/* fetch: one source's statement for one business date into the spool —
 * <spool>/<yyyy-mm-dd>/<source>/<file> plus manifest.json (provenance: safe
 * URL, time, status, size, SHA-256, the channel's digest) — both written
 * atomically; a verified spooled file is reused unless a refetch is asked. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "fetch/api.h"
#include "fetch/gateway.h"
#include "fetch/http.h"
#include "recon/text.h"

#define MANIFEST	  "manifest.json"
#define MANIFEST_MAX	  (1 << 20)
#define MANIFEST_MAX_KEYS 32

void rcn_fetch_settings_default(rcn_fetch_settings *s)
{
	s->connect_timeout_s = 10;
	s->timeout_s = 600;
	s->stall_s = 30;
	s->attempts = 3;
	s->backoff_ms = 1000;
	s->max_per_channel = 2;
	s->max_bytes = (uint64_t)4 << 30;
	s->ca_file = NULL;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void rcn_fetch_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

/* ---- files ---- */

static void sha256_mem(char out[65], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	rcn_hex(out, md, mdlen);
}

/* SHA-256 and size of a regular file; false if it cannot be read. */
static bool sha256_file(char out[65], uint64_t *size, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	unsigned char buf[1 << 16];
	size_t n;
	uint64_t total = 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		total += n;
	}
	bool ok = !ferror(f);
	fclose(f);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	rcn_hex(out, md, mdlen);
	*size = total;
	return ok;
}

static rcn_rc mkdir_p(const char *path, rcn_err *err)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "spool path too long: %.200s", path);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
			return rcn_err_set(err, RCN_EIO, tmp, 0, "cannot create spool directory: %s", strerror(errno));
		*p = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return rcn_err_set(err, RCN_EIO, path, 0, "spool directory is not a directory");
	return RCN_OK;
}

/* tmp file + fsync + rename + fsync of the directory: a reader sees the old
 * file or the whole new one, also after a crash. */
static rcn_rc write_atomic(const char *dir, const char *name, const void *data, size_t len, rcn_err *err)
{
	static atomic_uint seq;
	char path[4400], tmp[4500];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld.%u", dir, name, (long)getpid(), atomic_fetch_add(&seq, 1));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot write spool file: %s", strerror(errno));
	const char *p = data;
	size_t left = len;
	int e = 0;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (!e && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return rcn_err_set(err, RCN_EIO, path, 0, "cannot write spool file: %s", strerror(e));
	}
	(void)rcn_sync_dir(dir); /* renamed already: a failure only leaves the name to the kernel's writeback */
	return RCN_OK;
}

/* A spool file name from a channel's or a URL's name: one path segment, not
 * hidden, not the manifest, no control characters. */
static void spool_name(char *out, size_t n, const char *name)
{
	size_t j = 0;
	for (size_t i = 0; name[i] && j + 1 < n; i++) {
		unsigned char c = (unsigned char)name[i];
		out[j++] = (c < 0x20 || c == 0x7f || c == '/' || c == '\\') ? '_' : (char)c;
	}
	out[j] = '\0';
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s", out);
	if (!tmp[0] || strcmp(tmp, ".") == 0 || strcmp(tmp, "..") == 0)
		snprintf(out, n, "download");
	else if (tmp[0] == '.')
		snprintf(out, n, "download%.200s", tmp);
	else if (strcmp(tmp, MANIFEST) == 0)
		snprintf(out, n, "download_%.200s", tmp);
}

/* The last path segment of a URL, percent-decoded. */
static void url_file_name(char *out, size_t n, const char *safe_url)
{
	const char *path = strstr(safe_url, "://");
	path = path ? path + 3 : safe_url;
	const char *slash = strrchr(path, '/');
	const char *seg = slash ? slash + 1 : path;
	char dec[256];
	size_t j = 0;
	for (size_t i = 0; seg[i] && j + 1 < sizeof(dec); i++) {
		if (seg[i] == '%' && rcn_hexval(seg[i + 1]) >= 0 && rcn_hexval(seg[i + 2]) >= 0) {
			dec[j++] = (char)(rcn_hexval(seg[i + 1]) * 16 + rcn_hexval(seg[i + 2]));
			i += 2;
		} else {
			dec[j++] = seg[i];
		}
	}
	dec[j] = '\0';
	spool_name(out, n, dec);
}

/* ---- manifest.json: one flat object per source folder ---- */

typedef struct {
	const char *source, *channel, *url, *fetched_at;
	long http_status;
	uint64_t bytes;
	const char *sha256, *channel_digest;
	bool digest_ok, no_bill;
	int attempts;
	const char *file;  /* NULL: no file */
	const char *error; /* NULL: no error */
	bool upgraded_https, plain_http;
	const char *warning; /* NULL: none */
} manifest;

static rcn_rc manifest_write(const char *dir, const manifest *m, rcn_err *err)
{
	rcn_buf b;
	rcn_buf_init(&b, MANIFEST_MAX);
	rcn_buf_append(&b, "{\n  \"source\": ", 14);
	rcn_json_put(&b, m->source);
	rcn_buf_append(&b, ",\n  \"channel\": ", 15);
	rcn_json_put(&b, m->channel);
	rcn_buf_append(&b, ",\n  \"url\": ", 11);
	rcn_json_put(&b, m->url);
	rcn_buf_append(&b, ",\n  \"fetched_at\": ", 18);
	rcn_json_put(&b, m->fetched_at);
	rcn_buf_printf(&b, ",\n  \"http_status\": %ld,\n  \"bytes\": %llu,\n  \"sha256\": ", m->http_status,
		       (unsigned long long)m->bytes);
	rcn_json_put(&b, m->sha256);
	rcn_buf_append(&b, ",\n  \"channel_digest\": ", 22);
	rcn_json_put(&b, m->channel_digest);
	rcn_buf_printf(&b, ",\n  \"digest_ok\": %s,\n  \"no_bill\": %s,\n  \"attempts\": %d,\n  \"file\": ",
		       m->digest_ok ? "true" : "false", m->no_bill ? "true" : "false", m->attempts);
	rcn_json_put(&b, m->file);
	rcn_buf_printf(&b, ",\n  \"upgraded_https\": %s,\n  \"plain_http\": %s", m->upgraded_https ? "true" : "false",
		       m->plain_http ? "true" : "false");
	if (m->warning) {
		rcn_buf_append(&b, ",\n  \"warning\": ", 15);
		rcn_json_put(&b, m->warning);
	}
	if (m->error) {
		rcn_buf_append(&b, ",\n  \"error\": ", 13);
		rcn_json_put(&b, m->error);
	}
	rcn_buf_append(&b, "\n}\n", 3);
	rcn_rc rc = write_atomic(dir, MANIFEST, b.data, b.len, err);
	rcn_buf_free(&b);
	return rc;
}

/* A manifest read back: its text, and the values asked for so far (decoded
 * with the gateway's JSON reader, freed with it). */
typedef struct {
	char *text;
	size_t len;
	char *got[MANIFEST_MAX_KEYS];
	size_t n_got;
} kv;

static void kv_free(kv *m)
{
	for (size_t i = 0; i < m->n_got; i++)
		free(m->got[i]);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

/* The value of key: a string decoded, a number or true/false as written,
 * NULL for null or when absent (*present tells them apart). */
static const char *kv_get(kv *m, const char *key, bool *present)
{
	const char *raw;
	size_t n;
	if (present)
		*present = false;
	if (rcn_json_member(m->text, m->len, key, &raw, &n) != RCN_OK || !raw)
		return NULL;
	if (present)
		*present = true;
	if ((n == 4 && memcmp(raw, "null", 4) == 0) || m->n_got == MANIFEST_MAX_KEYS)
		return NULL;
	char *v = NULL;
	if (raw[0] == '"') {
		rcn_buf b;
		rcn_buf_init(&b, MANIFEST_MAX);
		if (rcn_json_string(&b, raw, n) == RCN_OK)
			v = b.data;
		else
			rcn_buf_free(&b);
	} else {
		v = rcn_xstrndup(raw, n);
	}
	if (v)
		m->got[m->n_got++] = v;
	return v;
}

/* Reads a manifest: false unless it is one well-formed JSON object. */
static bool manifest_read(const char *path, kv *m)
{
	memset(m, 0, sizeof(*m));
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	m->text = rcn_xmalloc(MANIFEST_MAX + 1);
	m->len = fread(m->text, 1, MANIFEST_MAX, f);
	fclose(f);
	m->text[m->len] = '\0';
	const char *raw;
	size_t n;
	if (rcn_json_member(m->text, m->len, "", &raw, &n) != RCN_OK) {
		kv_free(m);
		return false;
	}
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* A spooled file is reused when the manifest says it was fetched for this
 * source and channel (and URL), verified, and the file still has the
 * recorded SHA-256. A "no bill" answer is not reused: channels publish late. */
static bool reuse_spooled(const char *dir, const rcn_fetch_request *req, rcn_fetch_result *out)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/" MANIFEST, dir);
	kv m = {0};
	if (!manifest_read(path, &m))
		return false;
	bool reuse = false, has_error;
	kv_get(&m, "error", &has_error);
	const char *file = kv_get(&m, "file", NULL);
	const char *sha = kv_get(&m, "sha256", NULL);
	if (has_error || !file || !sha || strlen(sha) != 64 || !str_eq(kv_get(&m, "source", NULL), req->source) ||
	    !str_eq(kv_get(&m, "channel", NULL), req->channel) || !str_eq(kv_get(&m, "digest_ok", NULL), "true") ||
	    str_eq(kv_get(&m, "no_bill", NULL), "true") || !file[0] || file[0] == '.' || strchr(file, '/') ||
	    strcmp(file, MANIFEST) == 0)
		goto cleanup;
	if (req->api == RCN_API_NONE) {
		char safe[1024];
		rcn_http_safe_url(safe, sizeof(safe), req->url);
		if (!str_eq(kv_get(&m, "url", NULL), safe))
			goto cleanup;
	}
	char fpath[sizeof(out->path)], got[65];
	uint64_t size;
	struct stat st;
	if (snprintf(fpath, sizeof(fpath), "%s/%s", dir, file) >= (int)sizeof(fpath))
		goto cleanup;
	if (lstat(fpath, &st) != 0 || !S_ISREG(st.st_mode) || !sha256_file(got, &size, fpath) || strcmp(got, sha) != 0)
		goto cleanup;
	snprintf(out->path, sizeof(out->path), "%s", fpath);
	snprintf(out->sha256, sizeof(out->sha256), "%s", got);
	const char *digest = kv_get(&m, "channel_digest", NULL);
	snprintf(out->channel_digest, sizeof(out->channel_digest), "%s", digest ? digest : "");
	const char *status = kv_get(&m, "http_status", NULL);
	out->http_status = status ? strtol(status, NULL, 10) : 0;
	out->bytes = size;
	out->digest_ok = true;
	out->from_spool = true;
	/* how the file came travels with it: a plain-http file is warned about on every night that uses it */
	const char *url = kv_get(&m, "url", NULL), *warning = kv_get(&m, "warning", NULL);
	snprintf(out->url, sizeof(out->url), "%s", url ? url : "");
	out->upgraded_https = str_eq(kv_get(&m, "upgraded_https", NULL), "true");
	out->plain_http = str_eq(kv_get(&m, "plain_http", NULL), "true");
	snprintf(out->warning, sizeof(out->warning), "%s", warning ? warning : "");
	out->attempts = 0;
	reuse = true;
cleanup:
	kv_free(&m);
	return reuse;
}

/* ---- fetching ---- */

static bool valid_source_name(const char *s)
{
	return s && s[0] && s[0] != '.' && !strchr(s, '/') && strlen(s) < 256;
}

static rcn_rc fetch_url(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *r, rcn_err *err)
{
	if (!req->url || !req->url[0])
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "[source %s]: no URL to fetch", req->source);
	rcn_http_safe_url(r->safe_url, sizeof(r->safe_url), req->url);
	if (strncasecmp(req->url, "sftp://", 7) == 0) {
		/* No fallback to ~/.ssh: the configuration names both files. */
		bool no_key = !req->ssh_key_file || !req->ssh_key_file[0];
		bool no_hosts = !req->known_hosts_file || !req->known_hosts_file[0];
		if (no_key || no_hosts)
			return rcn_err_set(err, RCN_EUSAGE, "", 0, "sftp:// needs %s in [source %s]",
					   no_key && no_hosts ? "ssh_key and known_hosts"
					   : no_key	      ? "ssh_key"
							      : "known_hosts",
					   req->source);
	}
	char what[300];
	snprintf(what, sizeof(what), "[source %s]: download", req->source);
	rcn_http_request hr = {.method = "GET",
			       .url = req->url,
			       .channel = req->channel ? req->channel : req->source,
			       .what = what,
			       .ssh_key_file = req->ssh_key_file,
			       .known_hosts_file = req->known_hosts_file};
	rcn_http_response resp;
	rcn_rc rc = rcn_http_send(&hr, s, &resp, err);
	r->attempts = resp.attempts;
	r->http_status = resp.status;
	bool http = strncasecmp(req->url, "http://", 7) == 0 || strncasecmp(req->url, "https://", 8) == 0;
	if (rc == RCN_OK && http && (resp.status < 200 || resp.status > 299))
		rc = rcn_err_set(err, RCN_EIO, "", 0, "%s: %s: HTTP %ld", what, r->safe_url, resp.status);
	if (rc == RCN_OK) {
		r->data = resp.body;
		rcn_buf_init(&resp.body, 0);
		url_file_name(r->filename, sizeof(r->filename), r->safe_url);
		r->digest_ok = true;
	}
	rcn_http_response_free(&resp);
	return rc;
}

/* The download function of each API the channel registry names
 * (recon/channel.h); test_channels checks that none is missing. */
static rcn_api_fn *const api_fns[RCN_API__COUNT] = {
	[RCN_API_WECHAT_V3] = rcn_api_wechat_v3,
	[RCN_API_WECHAT_V2] = rcn_api_wechat_v2,
	[RCN_API_ALIPAY] = rcn_api_alipay,
	[RCN_API_UNIONPAY] = rcn_api_unionpay,
};

rcn_api_fn *rcn_api_function(rcn_api api)
{
	return (unsigned)api < RCN_API__COUNT ? api_fns[api] : NULL;
}

static rcn_rc call_api(const rcn_fetch_request *req, const rcn_fetch_settings *s, rcn_api_result *r, rcn_err *err)
{
	if (req->api == RCN_API_NONE)
		return fetch_url(req, s, r, err);
	rcn_api_fn *fn = rcn_api_function(req->api);
	if (!fn)
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "[source %s]: unknown API", req->source);
	return fn(req, s, r, err);
}

rcn_rc rcn_fetch(const rcn_fetch_request *req, const rcn_fetch_settings *settings, rcn_fetch_result *out, rcn_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!valid_source_name(req->source))
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "source name '%s' cannot name a spool folder",
				   req->source ? req->source : "");
	if (!req->spool_dir || !req->spool_dir[0])
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "[source %s]: no spool directory", req->source);

	/* room for "/<name>" in out->path */
	char date[11], dir[sizeof(out->path) - 300];
	rcn_date_format(date, req->day);
	if (snprintf(dir, sizeof(dir), "%s/%s/%s", req->spool_dir, date, req->source) >= (int)sizeof(dir))
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "[source %s]: spool path too long", req->source);
	rcn_rc rc = mkdir_p(dir, err);
	if (rc != RCN_OK)
		return rc;
	if (!req->refetch && reuse_spooled(dir, req, out))
		return RCN_OK;

	char fetched_at[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(fetched_at, sizeof(fetched_at), "%Y-%m-%dT%H:%M:%SZ", &tm);

	rcn_api_result r;
	memset(&r, 0, sizeof(r));
	rcn_err ferr;
	rcn_err_clear(&ferr);
	rc = call_api(req, settings, &r, &ferr);
	out->attempts = r.attempts;
	out->http_status = r.http_status;
	snprintf(out->channel_digest, sizeof(out->channel_digest), "%s", r.channel_digest);
	out->digest_ok = rc == RCN_OK && (r.no_bill || r.digest_ok);
	if (rc == RCN_OK && !out->digest_ok)
		rc = rcn_err_set(&ferr, RCN_EFORMAT, "", 0,
				 "[source %s]: %s: the file does not match the digest the channel stated (%s)",
				 req->source, r.safe_url, r.channel_digest[0] ? r.channel_digest : "none");

	snprintf(out->url, sizeof(out->url), "%s", r.safe_url);
	out->upgraded_https = r.upgraded_https;
	out->plain_http = r.plain_http;
	snprintf(out->warning, sizeof(out->warning), "%s", r.warning);
	manifest m = {req->source,
		      req->channel,
		      r.safe_url,
		      fetched_at,
		      r.http_status,
		      0,
		      "",
		      r.channel_digest,
		      out->digest_ok,
		      false,
		      r.attempts,
		      NULL,
		      NULL,
		      r.upgraded_https,
		      r.plain_http,
		      r.warning[0] ? r.warning : NULL};
	char msg[1200], name[256];
	if (rc != RCN_OK) {
		/* The failure is recorded; the spool gets no file for it. */
		m.error = rcn_err_format(&ferr, msg, sizeof(msg));
		rcn_err manifest_err;
		manifest_write(dir, &m, &manifest_err);
		if (err)
			*err = ferr;
		goto cleanup;
	}
	if (r.no_bill) {
		out->no_bill = m.no_bill = true;
		rc = manifest_write(dir, &m, err);
		goto cleanup;
	}

	if (r.filename[0])
		spool_name(name, sizeof(name), r.filename);
	else
		snprintf(name, sizeof(name), "download");
	sha256_mem(out->sha256, r.data.data ? r.data.data : "", r.data.len);
	out->bytes = r.data.len;
	rc = write_atomic(dir, name, r.data.data ? r.data.data : "", r.data.len, err);
	if (rc != RCN_OK)
		goto cleanup;
	m.bytes = out->bytes;
	m.sha256 = out->sha256;
	m.file = name;
	rc = manifest_write(dir, &m, err);
	snprintf(out->path, sizeof(out->path), "%s/%.255s", dir, name);
	if (rc != RCN_OK) {
		/* Without its manifest a file would be unverifiable: do not keep it. */
		unlink(out->path);
		out->path[0] = '\0';
	}
cleanup:
	rcn_buf_free(&r.data);
	return rc;
}
