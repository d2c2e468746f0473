/* fetch: the HTTP(S) and SFTP transport — one libcurl easy handle per attempt,
 * driven by a multi handle so a stalled transfer is noticed to the tenth of a
 * second; retries with exponential backoff and jitter, a per-channel
 * concurrency cap, capped bodies, sftp:// by key with known hosts only, and
 * messages that never carry a user name, a query string or a header. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch/http.h"

#define MAX_HEADERS	  200
#define MAX_HEADER_LINE	  8192
#define MAX_BACKOFF_MS	  60000L
#define POLL_MS		  100
#define DEFAULT_MAX_BYTES ((uint64_t)4 << 30)

/* ---- per-channel concurrency cap: counting semaphores keyed by channel ---- */

typedef struct channel_slot {
	struct channel_slot *next;
	char *channel;
	int in_flight;
	pthread_cond_t freed;
} channel_slot;

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static channel_slot *slots;

static channel_slot *slot_acquire(const char *channel, int max)
{
	if (max <= 0)
		return NULL; /* no cap */
	pthread_mutex_lock(&slots_lock);
	channel_slot *s = slots;
	while (s && strcmp(s->channel, channel) != 0)
		s = s->next;
	if (!s) {
		/* Slots live for the whole process: a handful of channels at most. */
		s = rcn_xcalloc(1, sizeof(*s));
		s->channel = rcn_xstrdup(channel);
		pthread_cond_init(&s->freed, NULL);
		s->next = slots;
		slots = s;
	}
	while (s->in_flight >= max)
		pthread_cond_wait(&s->freed, &slots_lock);
	s->in_flight++;
	pthread_mutex_unlock(&slots_lock);
	return s;
}

static void slot_release(channel_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&slots_lock);
	s->in_flight--;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&slots_lock);
}

/* ---- small helpers ---- */

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Jitter only needs to spread retries of parallel jobs: a per-thread xorshift
 * seeded from the clock and the thread's stack address is enough. */
static long jitter_ms(long below)
{
	static _Thread_local uint64_t x;
	if (below <= 0)
		return 0;
	if (!x) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&ts ^
		    ((uint64_t)getpid() << 40);
		x |= 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (long)(x % (uint64_t)below);
}

static bool is_http_url(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static bool is_sftp_url(const char *url)
{
	return strncasecmp(url, "sftp://", 7) == 0;
}

/* A URL's authority ("user:pass@host:port", after "://" and up to the path,
 * query or fragment), split at the last '@'. Without "://" the URL is taken
 * as an authority from its start, and the answer is false. */
typedef struct {
	const char *auth, *host; /* host: the authority after the user info */
	size_t auth_len, host_len;
} url_authority;

static bool authority_of(const char *url, url_authority *a)
{
	const char *sep = strstr(url, "://");
	a->auth = sep ? sep + 3 : url;
	a->auth_len = strcspn(a->auth, "/?#");
	a->host = a->auth;
	for (size_t i = 0; i < a->auth_len; i++) /* user info ends at the last '@' */
		if (a->auth[i] == '@')
			a->host = a->auth + i + 1;
	a->host_len = a->auth_len - (size_t)(a->host - a->auth);
	return sep != NULL;
}

/* The host of a URL, without user name or port ("::1" for "[::1]:22"). */
static void url_host(char *out, size_t n, const char *url)
{
	url_authority a;
	(void)authority_of(url, &a);
	const char *host = a.host;
	size_t len = a.host_len;
	if (len && host[0] == '[') {
		const char *close = memchr(host, ']', len);
		len = close ? (size_t)(close - host - 1) : len - 1;
		host++;
	} else {
		const char *colon = memchr(host, ':', len);
		if (colon)
			len = (size_t)(colon - host);
	}
	snprintf(out, n, "%.*s", (int)len, host);
}

/* The user name (and password) of a URL into out, "" when there is none. */
static void url_userinfo(char *out, size_t n, const char *url)
{
	url_authority a;
	out[0] = '\0';
	if (authority_of(url, &a) && a.host > a.auth)
		snprintf(out, n, "%.*s", (int)(a.host - a.auth - 1), a.auth);
}

void rcn_http_safe_url(char *out, size_t n, const char *url)
{
	if (!n)
		return;
	out[0] = '\0';
	if (!url)
		return;
	size_t end = strcspn(url, "?#");
	url_authority a;
	if (!authority_of(url, &a) || (size_t)(a.auth - 3 - url) > end) {
		snprintf(out, n, "%.*s", (int)end, url);
		return;
	}
	const char *path = a.auth + a.auth_len;
	size_t path_len = strcspn(path, "?#");
	snprintf(out, n, "%.*s%.*s%.*s", (int)(a.auth - url), url, (int)a.host_len, a.host, (int)path_len, path);
}

const char *rcn_http_header(const rcn_http_response *r, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < r->n_headers; i++) {
		const char *h = r->headers[i];
		if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
			const char *v = h + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	}
	return NULL;
}

static void headers_clear(rcn_http_response *r)
{
	for (size_t i = 0; i < r->n_headers; i++)
		free(r->headers[i]);
	free(r->headers);
	r->headers = NULL;
	r->n_headers = 0;
}

void rcn_http_response_free(rcn_http_response *r)
{
	if (!r)
		return;
	rcn_buf_free(&r->body);
	headers_clear(r);
}

/* ---- one attempt ---- */

typedef struct {
	rcn_http_response *resp;
	uint64_t max_bytes;
	bool over;	       /* the body passed max_bytes */
	long last_data_ms;     /* when bytes last arrived: the stall clock */
	bool host_key_refused; /* sftp: the server's key is not the one known_hosts lists */
} xfer;

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
	xfer *x = p;
	size_t n = size * nmemb;
	x->last_data_ms = now_ms();
	if ((uint64_t)x->resp->body.len + n > x->max_bytes || rcn_buf_append(&x->resp->body, data, n) != RCN_OK) {
		x->over = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
	xfer *x = p;
	rcn_http_response *r = x->resp;
	size_t n = size * nmemb;
	x->last_data_ms = now_ms();
	size_t len = n;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		headers_clear(r); /* a new response (after 100 Continue): keep only its headers */
		return n;
	}
	const char *colon = memchr(data, ':', len);
	if (!len || !colon || len > MAX_HEADER_LINE || r->n_headers >= MAX_HEADERS)
		return n;
	char *line = rcn_xstrndup(data, len);
	for (char *c = line; *c && *c != ':'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	r->headers = rcn_xrealloc(r->headers, (r->n_headers + 1) * sizeof(char *));
	r->headers[r->n_headers++] = line;
	return n;
}

/* An sftp server is trusted only if known_hosts lists its key: an unknown or
 * changed key is refused, never added (no trust on first use). */
static int on_ssh_host_key(CURL *h, const struct curl_khkey *known, const struct curl_khkey *found,
			   enum curl_khmatch match, void *p)
{
	(void)h;
	(void)known;
	(void)found;
	xfer *x = p;
	if (match == CURLKHMATCH_OK)
		return CURLKHSTAT_FINE;
	x->host_key_refused = true;
	return CURLKHSTAT_REJECT;
}

typedef enum { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_FAIL } attempt_outcome;

/* The curl message is useful (which certificate problem, which host did not
 * answer) but is dropped if it could echo the query string or the user name. */
static const char *curl_reason(const char *errbuf, CURLcode code, const char *url)
{
	const char *q = strchr(url, '?');
	char user[512];
	url_userinfo(user, sizeof(user), url);
	if (!errbuf[0] || (q && q[1] && strstr(errbuf, q + 1)) || (user[0] && strstr(errbuf, user)))
		return curl_easy_strerror(code);
	return errbuf;
}

static bool retryable(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* The request on a fresh easy handle: URL, protocols, TLS and ssh trust,
 * timeouts, the body cap, the callbacks into x, the headers and the method.
 * errbuf receives curl's message of a failure. */
static void setup_handle(CURL *h, const rcn_http_request *req, const rcn_fetch_settings *s, uint64_t max_bytes,
			 struct curl_slist *headers, xfer *x, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	/* Plain http is allowed here for loopback tests and proxies; the
	 * configuration refuses http:// for a real host. */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http,sftp,file");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "recon/" RECON_VERSION);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file && s->ca_file[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	if (is_sftp_url(req->url)) {
		/* rcn_http_send checked both files: the key alone logs in, and
		 * the host key must be the one known_hosts lists. */
		curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES, (long)CURLSSH_AUTH_PUBLICKEY);
		curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, req->ssh_key_file);
		curl_easy_setopt(h, CURLOPT_SSH_KNOWNHOSTS, req->known_hosts_file);
		curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, on_ssh_host_key);
		curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, x);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->connect_timeout_s > 0 ? s->connect_timeout_s : 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout_s > 0 ? s->timeout_s : 0L);
	if (s->stall_s > 0) {
		/* curl's own check averages over a window of about five seconds,
		 * so a few bytes then silence trip it late: run_transfer also
		 * watches the time since the last byte. */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, s->stall_s);
	}
	if (max_bytes < (uint64_t)INT64_MAX)
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (headers)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	if (req->method && strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
	} else if (req->method && strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
}

/* How one transfer ended: curl's code and what the handle reports. */
typedef struct {
	CURLcode code;
	bool stalled;	       /* no byte either way for stall_s */
	long status;	       /* the HTTP status, 0 when none */
	curl_off_t declared;   /* Content-Length, -1 when none */
	curl_off_t connect_us; /* 0: never connected */
} xfer_end;

/* Adds h to the multi handle and drives the transfer to its end, polling
 * every POLL_MS so a stall (no byte received or sent for stall_s) ends it
 * here; the caller removes h once it has judged the outcome. */
static void run_transfer(CURLM *m, CURL *h, const rcn_fetch_settings *s, xfer *x, xfer_end *end)
{
	CURLcode code = CURLE_OK;
	bool stalled = false;
	int running = 1;
	curl_off_t uploaded = 0; /* a request body going out is progress too */
	curl_multi_add_handle(m, h);
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			code = CURLE_OUT_OF_MEMORY;
			break;
		}
		if (!running)
			break;
		curl_off_t sent = 0;
		curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &sent);
		if (sent != uploaded) {
			uploaded = sent;
			x->last_data_ms = now_ms();
		}
		if (s->stall_s > 0 && now_ms() - x->last_data_ms >= s->stall_s * 1000) {
			stalled = true;
			code = CURLE_OPERATION_TIMEDOUT;
			break;
		}
		curl_multi_poll(m, NULL, 0, POLL_MS, NULL);
	}
	if (!stalled && code == CURLE_OK) {
		int q;
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &q)))
			if (msg->msg == CURLMSG_DONE)
				code = msg->data.result;
	}
	end->code = code;
	end->stalled = stalled;
	end->status = 0;
	end->declared = -1;
	end->connect_us = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &end->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &end->declared);
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &end->connect_us);
}

/* Whether an ended transfer succeeded, is worth another attempt or failed
 * for good; the reason (one line, no query string or user name) otherwise. */
static attempt_outcome judge(const rcn_http_request *req, const rcn_fetch_settings *s, uint64_t max_bytes,
			     const xfer *x, const xfer_end *e, const char *errbuf, char *reason, size_t rn)
{
	CURLcode code = e->code;
	size_t got = x->resp->body.len;
	char host[256];
	url_host(host, sizeof(host), req->url);
	if (x->host_key_refused) {
		snprintf(reason, rn, "host key of %s is not in known_hosts", host);
		return ATTEMPT_FAIL;
	}
	if (e->stalled) {
		snprintf(reason, rn, "transfer stalled (no data for %ld s)", s->stall_s);
		return ATTEMPT_RETRY;
	}
	if (x->over || code == CURLE_FILESIZE_EXCEEDED) {
		snprintf(reason, rn, "body exceeds %llu bytes", (unsigned long long)max_bytes);
		return ATTEMPT_FAIL;
	}
	if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
	    code == CURLE_SSL_ISSUER_ERROR || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
		snprintf(reason, rn, "TLS certificate verification failed: %s", curl_reason(errbuf, code, req->url));
		return ATTEMPT_FAIL;
	}
	if (code == CURLE_REMOTE_FILE_NOT_FOUND) {
		snprintf(reason, rn, "no such file");
		return ATTEMPT_FAIL;
	}
	if (code == CURLE_REMOTE_ACCESS_DENIED) {
		snprintf(reason, rn, "permission denied");
		return ATTEMPT_FAIL;
	}
	if (code == CURLE_LOGIN_DENIED && is_sftp_url(req->url)) {
		snprintf(reason, rn, "%s did not accept the ssh key", host);
		return ATTEMPT_FAIL;
	}
	if ((code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_OK) && e->declared >= 0 &&
	    (curl_off_t)got < e->declared) {
		snprintf(reason, rn, "truncated body (got %zu of %lld bytes)", got, (long long)e->declared);
		return ATTEMPT_RETRY;
	}
	if (code == CURLE_PARTIAL_FILE) {
		snprintf(reason, rn, "truncated body (got %zu bytes)", got);
		return ATTEMPT_RETRY;
	}
	if (code == CURLE_OPERATION_TIMEDOUT) {
		if (e->connect_us == 0)
			snprintf(reason, rn, "could not connect within %ld s", s->connect_timeout_s);
		else
			snprintf(reason, rn, "timed out after %ld s", s->timeout_s);
		return ATTEMPT_RETRY;
	}
	if (code != CURLE_OK) {
		snprintf(reason, rn, "%s", curl_reason(errbuf, code, req->url));
		return retryable(code) ? ATTEMPT_RETRY : ATTEMPT_FAIL;
	}
	if (is_http_url(req->url) && e->status >= 500) {
		snprintf(reason, rn, "HTTP %ld", e->status);
		return ATTEMPT_RETRY;
	}
	return ATTEMPT_OK;
}

/* Runs one request to completion; on failure writes the reason to reason. */
static attempt_outcome attempt(const rcn_http_request *req, const rcn_fetch_settings *s, uint64_t max_bytes,
			       struct curl_slist *headers, rcn_http_response *out, char *reason, size_t rn)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	xfer x = {out, max_bytes, false, now_ms(), false};
	rcn_buf_reset(&out->body);
	headers_clear(out);
	out->status = 0;

	CURL *h = curl_easy_init();
	CURLM *m = curl_multi_init();
	if (!h || !m) {
		snprintf(reason, rn, "cannot initialise libcurl");
		if (h)
			curl_easy_cleanup(h);
		if (m)
			curl_multi_cleanup(m);
		return ATTEMPT_FAIL;
	}
	setup_handle(h, req, s, max_bytes, headers, &x, errbuf);
	xfer_end end;
	run_transfer(m, h, s, &x, &end);
	out->status = end.status;
	attempt_outcome res = judge(req, s, max_bytes, &x, &end, errbuf, reason, rn);
	curl_multi_remove_handle(m, h);
	curl_easy_cleanup(h);
	curl_multi_cleanup(m);
	return res;
}

/* The ssh key is a secret: like the channel keys (sign.c), one readable by
 * group or others is refused. known_hosts must be there to check against. */
static rcn_rc check_ssh_files(const rcn_http_request *req, const char *what, const char *safe, rcn_err *err)
{
	if (!req->ssh_key_file || !req->ssh_key_file[0] || !req->known_hosts_file || !req->known_hosts_file[0])
		return rcn_err_set(err, RCN_EUSAGE, "", 0, "%s: %s: sftp:// needs an ssh key and a known_hosts file",
				   what, safe);
	struct stat st;
	if (stat(req->ssh_key_file, &st) != 0)
		return rcn_err_set(err, RCN_EUSAGE, req->ssh_key_file, 0, "cannot read ssh key: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rcn_err_set(err, RCN_EUSAGE, req->ssh_key_file, 0, "ssh key is not a regular file");
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return rcn_err_set(err, RCN_EUSAGE, req->ssh_key_file, 0,
				   "ssh key is readable by group or others (mode %04o): chmod 600 it",
				   (unsigned)(st.st_mode & 07777));
	if (access(req->ssh_key_file, R_OK) != 0)
		return rcn_err_set(err, RCN_EUSAGE, req->ssh_key_file, 0, "cannot read ssh key: %s", strerror(errno));
	/* libssh2 treats an unreadable known_hosts as an empty one: say so here. */
	if (stat(req->known_hosts_file, &st) != 0 || access(req->known_hosts_file, R_OK) != 0)
		return rcn_err_set(err, RCN_EUSAGE, req->known_hosts_file, 0, "cannot read known_hosts: %s",
				   strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rcn_err_set(err, RCN_EUSAGE, req->known_hosts_file, 0, "known_hosts is not a regular file");
	return RCN_OK;
}

rcn_rc rcn_http_send(const rcn_http_request *req, const rcn_fetch_settings *settings, rcn_http_response *out,
		     rcn_err *err)
{
	rcn_fetch_global_init();
	uint64_t max_bytes = settings->max_bytes ? settings->max_bytes : DEFAULT_MAX_BYTES;
	if (max_bytes > (uint64_t)SIZE_MAX - 1)
		max_bytes = (uint64_t)SIZE_MAX - 1;
	memset(out, 0, sizeof(*out));
	rcn_buf_init(&out->body, (size_t)max_bytes);

	const char *what = req->what ? req->what : "request";
	char safe[1024];
	rcn_http_safe_url(safe, sizeof(safe), req->url);
	if (is_sftp_url(req->url)) {
		rcn_rc rc = check_ssh_files(req, what, safe, err);
		if (rc != RCN_OK) {
			rcn_buf_free(&out->body);
			return rc;
		}
	}

	/* "Expect:" stops curl waiting for 100 Continue before a POST body. */
	struct curl_slist *headers = NULL;
	for (const char *const *hp = req->headers; hp && *hp; hp++)
		headers = curl_slist_append(headers, *hp);
	if (req->method && strcmp(req->method, "POST") == 0)
		headers = curl_slist_append(headers, "Expect:");

	int attempts = settings->attempts > 0 ? settings->attempts : 1;
	char reason[CURL_ERROR_SIZE + 128] = "";
	attempt_outcome res = ATTEMPT_FAIL;
	for (int k = 1; k <= attempts; k++) {
		channel_slot *slot = slot_acquire(req->channel ? req->channel : "", settings->max_per_channel);
		res = attempt(req, settings, max_bytes, headers, out, reason, sizeof(reason));
		slot_release(slot);
		out->attempts = k;
		if (res != ATTEMPT_RETRY || k == attempts)
			break;
		long delay = settings->backoff_ms > 0 ? settings->backoff_ms : 0;
		for (int i = 1; i < k && delay < MAX_BACKOFF_MS; i++)
			delay *= 2;
		if (delay > MAX_BACKOFF_MS)
			delay = MAX_BACKOFF_MS;
		sleep_ms(delay + jitter_ms(delay));
	}
	curl_slist_free_all(headers);
	if (res == ATTEMPT_OK)
		return RCN_OK;
	/* The status and attempt count stay for the manifest; the body goes. */
	rcn_buf_free(&out->body);
	headers_clear(out);
	return rcn_err_set(err, RCN_EIO, "", 0, "%s: %s: %s after %d attempt%s", what, safe, reason, out->attempts,
			   out->attempts == 1 ? "" : "s");
}
