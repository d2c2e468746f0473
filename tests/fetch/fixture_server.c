/* The fixture channel server's core: HTTPS on 127.0.0.1 (OpenSSL), a thread
 * per connection (a stalled answer never blocks another request), one
 * HTTP/1.1 request per connection, routing over the four route tables,
 * per-route-and-scenario request counters, and the /test/... transport routes
 * (plus /test/slow and /test/count for the concurrency cap and reuse tests).
 * The same routes answer in plain HTTP on a second loopback port (the state
 * file http_base_url), for the downloads an operator allows over http.
 * Usage: fixture_server --state DIR --cert server.pem --key server.key [--port N] */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "handlers_util.h"
#include "recon/common.h"

#define MAX_HEAD     (64 * 1024)
#define MAX_BODY     (32u << 20)
#define MAX_RESPONSE ((size_t)512 << 20)
#define MAX_REQ_HDRS 100

struct fx_response {
	int status;
	char **headers;
	size_t n_headers;
	rcn_buf body;
	bool cut;
	size_t keep;
	int seconds;
};

static const char *state_dir;
static char base_url[64], http_base_url[64];
static SSL_CTX *ssl_ctx;
static volatile sig_atomic_t stopping;

/* ---- the handler API ---- */

void fx_status(fx_response *r, int status)
{
	r->status = status;
}

void fx_header(fx_response *r, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *line = rcn_xmalloc(n);
	snprintf(line, n, "%s: %s", name, value);
	r->headers = rcn_xrealloc(r->headers, (r->n_headers + 1) * sizeof(char *));
	r->headers[r->n_headers++] = line;
}

/* Appends to the body, so a handler may build it in pieces. */
void fx_body(fx_response *r, const void *data, size_t len)
{
	if (rcn_buf_append(&r->body, data, len) != RCN_OK) {
		fprintf(stderr, "fixture_server: response body over %zu bytes\n", MAX_RESPONSE);
		abort();
	}
}

void fx_cut(fx_response *r, size_t keep, int seconds)
{
	r->cut = true;
	r->keep = keep;
	r->seconds = seconds;
}

const char *fx_req_header(const fx_request *req, const char *name)
{
	size_t nl = strlen(name);
	for (const char *const *h = req->headers; h && *h; h++)
		if (strncasecmp(*h, name, nl) == 0 && (*h)[nl] == ':') {
			const char *v = *h + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	return NULL;
}

/* ---- request counters per (method, path, scenario) ---- */

typedef struct counter {
	struct counter *next;
	char *key;
	long n;
} counter;

static pthread_mutex_t counters_lock = PTHREAD_MUTEX_INITIALIZER;
static counter *counters;

/* Returns how many requests came before this one; counts it when bump. */
static long counter_get(const char *method, const char *path, const char *scenario, bool bump)
{
	char key[1024];
	snprintf(key, sizeof(key), "%s %s\n%s", method, path, scenario);
	pthread_mutex_lock(&counters_lock);
	counter *c = counters;
	while (c && strcmp(c->key, key) != 0)
		c = c->next;
	if (!c && bump) {
		c = rcn_xcalloc(1, sizeof(*c));
		c->key = rcn_xstrdup(key);
		c->next = counters;
		counters = c;
	}
	long n = c ? c->n : 0;
	if (bump)
		c->n++;
	pthread_mutex_unlock(&counters_lock);
	return n;
}

static void read_scenario(char *out, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/scenario", state_dir);
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f) {
		size_t len = fread(out, 1, n - 1, f);
		out[len] = '\0';
		fclose(f);
	}
	char *s = out;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	memmove(out, s, len);
	out[len] = '\0';
	if (!out[0])
		snprintf(out, n, "ok");
}

/* The percent-decoded value of a query parameter, or "" */
static void query_param(char *out, size_t n, const char *query, const char *name)
{
	size_t len = 0;
	const char *p = fx_query_find(query, name, &len);
	out[0] = '\0';
	if (!p)
		return;
	size_t j = 0;
	for (size_t i = 0; i < len && j + 1 < n; i++) {
		unsigned v;
		if (p[i] == '%' && i + 2 < len && sscanf(p + i + 1, "%2x", &v) == 1) {
			out[j++] = (char)v;
			i += 2;
		} else {
			out[j++] = p[i] == '+' ? ' ' : p[i];
		}
	}
	out[j] = '\0';
}

/* ---- transport test routes ---- */

static void test_ok(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	(void)req, (void)ctx;
	fx_reply_text(r, 200, "text/plain", "hello");
}

/* 500 for the first two requests of a scenario, then 200. */
static void test_flaky(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	(void)req;
	if (ctx->count < 2)
		fx_reply_text(r, 500, "application/json",
			      "{\"code\":\"SYSTEM_ERROR\",\"message\":\"try again later\"}");
	else
		fx_reply_text(r, 200, "text/plain", "hello");
}

static void test_stall(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	(void)req, (void)ctx;
	fx_reply_cut(r, 30);
}

static void test_truncated(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	(void)req, (void)ctx;
	fx_reply_cut(r, 0);
}

static void test_401(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	(void)req, (void)ctx;
	fx_reply_text(r, 401, "application/json",
		      "{\"code\":\"SIGN_ERROR\",\"message\":\"signature verification failed\"}");
}

static void test_big(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	(void)req, (void)ctx;
	size_t n = (size_t)2 << 20;
	char *body = rcn_xmalloc(n);
	memset(body, 'a', n);
	fx_header(r, "Content-Type", "application/octet-stream");
	fx_body(r, body, n);
	free(body);
}

static void test_html(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	(void)req, (void)ctx;
	fx_reply_text(r, 200, "text/html",
		      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
		      "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
}

/* 300 ms of thinking, then "hello": for the per-channel concurrency cap. */
static void test_slow(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	(void)req, (void)ctx;
	struct timespec ts = {0, 300 * 1000000L};
	nanosleep(&ts, NULL);
	fx_reply_text(r, 200, "text/plain", "hello");
}

/* GET /test/count?path=P[&method=M][&scenario=S]: how many requests route P
 * has answered in scenario S (default: the current one), as a decimal body. */
static void test_count(const fx_request *req, fx_response *r, const fx_ctx *ctx)
{
	char path[512], method[16], scenario[256], body[32];
	query_param(path, sizeof(path), req->query, "path");
	query_param(method, sizeof(method), req->query, "method");
	query_param(scenario, sizeof(scenario), req->query, "scenario");
	snprintf(body, sizeof(body), "%ld",
		 counter_get(method[0] ? method : "GET", path, scenario[0] ? scenario : ctx->scenario, false));
	fx_reply_text(r, 200, "text/plain", body);
}

const fx_route fx_core_routes[] = {
	{"GET", "/test/ok", test_ok},	    {"GET", "/test/flaky", test_flaky},
	{"GET", "/test/stall", test_stall}, {"GET", "/test/truncated", test_truncated},
	{"GET", "/test/401", test_401},	    {"GET", "/test/big", test_big},
	{"GET", "/test/html", test_html},   {"GET", "/test/slow", test_slow},
	{"GET", "/test/count", test_count}, {NULL, NULL, NULL},
};

static const fx_route *const route_tables[] = {fx_core_routes, fx_wechat_routes, fx_alipay_routes, fx_unionpay_routes,
					       fx_alert_routes};

static const fx_route *find_route(const char *method, const char *path)
{
	for (size_t t = 0; t < sizeof(route_tables) / sizeof(route_tables[0]); t++)
		for (const fx_route *r = route_tables[t]; r->path; r++)
			if (strcmp(r->method, method) == 0 && strcmp(r->path, path) == 0)
				return r;
	return NULL;
}

/* ---- one connection ---- */

/* A connection: TLS, or plain TCP on the http listener (ssl NULL). */
typedef struct {
	SSL *ssl;
	int fd;
} conn;

static int conn_read(conn *c, void *buf, int n)
{
	if (c->ssl)
		return SSL_read(c->ssl, buf, n);
	ssize_t r;
	do
		r = recv(c->fd, buf, (size_t)n, 0);
	while (r < 0 && errno == EINTR);
	return (int)r;
}

static bool conn_write_all(conn *c, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
		int w = c->ssl ? SSL_write(c->ssl, p, chunk) : (int)send(c->fd, p, (size_t)chunk, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

/* Waits up to seconds, returning early when the peer goes away or the
 * server stops. */
static void stall(int fd, int seconds)
{
	for (int i = 0; i < seconds * 10 && !stopping; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 100) > 0)
			return;
	}
}

static void send_response(conn *c, fx_response *r)
{
	bool has_length = false;
	for (size_t i = 0; i < r->n_headers; i++)
		if (strncasecmp(r->headers[i], "Content-Length:", 15) == 0)
			has_length = true;
	rcn_buf head;
	rcn_buf_init(&head, MAX_HEAD);
	rcn_buf_printf(&head, "HTTP/1.1 %d %s\r\n", r->status, reason_phrase(r->status));
	if (!has_length)
		rcn_buf_printf(&head, "Content-Length: %zu\r\n", r->body.len);
	rcn_buf_printf(&head, "Connection: close\r\n");
	for (size_t i = 0; i < r->n_headers; i++)
		rcn_buf_printf(&head, "%s\r\n", r->headers[i]);
	rcn_buf_printf(&head, "\r\n");
	size_t send = r->cut && r->keep < r->body.len ? r->keep : r->body.len;
	if (conn_write_all(c, head.data, head.len) && (!send || conn_write_all(c, r->body.data, send)) && r->cut &&
	    r->seconds > 0)
		stall(c->fd, r->seconds);
	rcn_buf_free(&head);
}

static void reply_error(conn *c, int status, const char *code, const char *message)
{
	fx_response r = {.status = status};
	rcn_buf_init(&r.body, MAX_RESPONSE);
	char body[512];
	snprintf(body, sizeof(body), "{\"code\":\"%s\",\"message\":\"%s\"}", code, message);
	fx_reply_text(&r, status, "application/json", body);
	send_response(c, &r);
	for (size_t i = 0; i < r.n_headers; i++)
		free(r.headers[i]);
	free(r.headers);
	rcn_buf_free(&r.body);
}

static void handle(conn *c)
{
	char *head = rcn_xmalloc(MAX_HEAD + 1);
	char *body = NULL;
	char *header_lines[MAX_REQ_HDRS + 1];
	size_t n_hdrs = 0;
	size_t len = 0;
	char *end = NULL;
	while (!end) {
		if (len == MAX_HEAD) {
			reply_error(c, 400, "BAD_REQUEST", "request head too long");
			goto cleanup;
		}
		int n = conn_read(c, head + len, (int)(MAX_HEAD - len));
		if (n <= 0)
			goto cleanup;
		len += (size_t)n;
		head[len] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	*end = '\0';
	char *rest = end + 4;
	size_t rest_len = len - (size_t)(rest - head);

	/* request line */
	char *line_end = strstr(head, "\r\n");
	if (line_end)
		*line_end = '\0';
	char *method = head, *target = strchr(head, ' ');
	char *version = target ? strchr(target + 1, ' ') : NULL;
	if (!target || !version) {
		reply_error(c, 400, "BAD_REQUEST", "bad request line");
		goto cleanup;
	}
	*target++ = '\0';
	*version = '\0';
	for (char *h = line_end ? line_end + 2 : NULL; h && *h && n_hdrs < MAX_REQ_HDRS;) {
		char *e = strstr(h, "\r\n");
		if (e)
			*e = '\0';
		header_lines[n_hdrs++] = h;
		h = e ? e + 2 : NULL;
	}
	header_lines[n_hdrs] = NULL;

	char *path = rcn_xstrdup(target);
	char *q = strchr(path, '?');
	const char *query = "";
	if (q) {
		*q = '\0';
		query = q + 1;
	}
	fx_request req = {method, target, path, query, "", 0, (const char *const *)header_lines};
	const char *cl = fx_req_header(&req, "Content-Length");
	size_t body_len = cl ? strtoul(cl, NULL, 10) : 0;
	if (fx_req_header(&req, "Transfer-Encoding") || body_len > MAX_BODY) {
		reply_error(c, 400, "BAD_REQUEST", "chunked or oversized request body");
		free(path);
		goto cleanup;
	}
	body = rcn_xmalloc(body_len + 1);
	size_t have = rest_len < body_len ? rest_len : body_len;
	memcpy(body, rest, have);
	const char *expect = fx_req_header(&req, "Expect");
	if (have < body_len && expect && strcasecmp(expect, "100-continue") == 0)
		conn_write_all(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	while (have < body_len) {
		int n = conn_read(c, body + have, (int)(body_len - have > (1u << 30) ? 1u << 30 : body_len - have));
		if (n <= 0) {
			free(path);
			goto cleanup;
		}
		have += (size_t)n;
	}
	body[body_len] = '\0';
	req.body = body;
	req.body_len = body_len;

	char scenario[256];
	read_scenario(scenario, sizeof(scenario));
	const fx_route *route = find_route(method, path);
	if (!route) {
		char msg[300];
		snprintf(msg, sizeof(msg), "no route for %.16s %.200s", method, path);
		fprintf(stderr, "fixture_server: %s %s [%s] -> 404\n", method, path, scenario);
		reply_error(c, 404, "NOT_FOUND", msg);
		free(path);
		goto cleanup;
	}
	fx_ctx ctx = {state_dir,     scenario,	    base_url, counter_get(method, path, scenario, true),
		      http_base_url, c->ssl == NULL};
	fx_response resp = {.status = 200};
	rcn_buf_init(&resp.body, MAX_RESPONSE);
	route->handler(&req, &resp, &ctx);
	fprintf(stderr, "fixture_server: %s %s [%s #%ld] -> %d%s\n", method, path, scenario, ctx.count, resp.status,
		resp.cut ? " (cut)" : "");
	send_response(c, &resp);
	for (size_t i = 0; i < resp.n_headers; i++)
		free(resp.headers[i]);
	free(resp.headers);
	rcn_buf_free(&resp.body);
	free(path);
cleanup:
	free(body);
	free(head);
}

/* A TLS ClientHello on the plain listener is answered the way a plain web
 * server answers one, 400 in clear text: the client's https attempt fails. */
static bool tls_hello(int fd)
{
	unsigned char first = 0;
	return recv(fd, &first, 1, MSG_PEEK) == 1 && first == 0x16;
}

static void *serve(void *p)
{
	int fd = (int)((intptr_t)p >> 1);
	bool plain = (intptr_t)p & 1;
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	tv.tv_sec = 30;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (plain) {
		conn c = {NULL, fd};
		if (tls_hello(fd)) {
			static const char answer[] =
				"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
			char hello[4096];
			while (recv(fd, hello, sizeof(hello), MSG_DONTWAIT) > 0)
				;
			fprintf(stderr, "fixture_server: TLS hello on the plain http listener -> 400\n");
			conn_write_all(&c, answer, sizeof(answer) - 1);
		} else {
			handle(&c);
		}
		shutdown(fd, SHUT_WR);
		close(fd);
		return NULL;
	}
	SSL *ssl = SSL_new(ssl_ctx);
	if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
		conn c = {ssl, fd};
		handle(&c);
		/* close_notify first: the client sees a clean end of stream, so
		 * a short body reads as truncated rather than as a TLS error. */
		SSL_shutdown(ssl);
	}
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return NULL;
}

/* ---- main ---- */

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int write_state_file(const char *name, const char *text)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", text);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

/* A listening socket on 127.0.0.1:port (0: any free port), or -1. */
static int listen_on(long port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static long bound_port(int fd)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &alen) != 0)
		return -1;
	return (long)ntohs(addr.sin_port);
}

static int usage(void)
{
	fprintf(stderr, "usage: fixture_server --state DIR --cert server.pem --key server.key [--port N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL;
	long port = 0;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--state") == 0)
			state_dir = argv[++i];
		else if (strcmp(argv[i], "--cert") == 0)
			cert = argv[++i];
		else if (strcmp(argv[i], "--key") == 0)
			key = argv[++i];
		else if (strcmp(argv[i], "--port") == 0)
			port = strtol(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (!state_dir || !cert || !key || port < 0 || port > 65535)
		return usage();

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (!ssl_ctx || SSL_CTX_use_certificate_chain_file(ssl_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ssl_ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ssl_ctx) != 1) {
		fprintf(stderr, "fixture_server: cannot load %s / %s\n", cert, key);
		ERR_print_errors_fp(stderr);
		return 1;
	}

	int lfd = listen_on(port), hfd = listen_on(0);
	long http_port = hfd >= 0 ? bound_port(hfd) : -1;
	port = lfd >= 0 ? bound_port(lfd) : -1;
	if (port < 0 || http_port < 0) {
		fprintf(stderr, "fixture_server: cannot listen on 127.0.0.1: %s\n", strerror(errno));
		return 1;
	}
	char port_text[24], http_port_text[24];
	snprintf(port_text, sizeof(port_text), "%ld", port);
	snprintf(http_port_text, sizeof(http_port_text), "%ld", http_port);
	snprintf(base_url, sizeof(base_url), "https://127.0.0.1:%s", port_text);
	snprintf(http_base_url, sizeof(http_base_url), "http://127.0.0.1:%s", http_port_text);
	/* the port file last: whoever waits for it finds the others. */
	if (write_state_file("base_url", base_url) != 0 || write_state_file("http_base_url", http_base_url) != 0 ||
	    write_state_file("port", port_text) != 0) {
		fprintf(stderr, "fixture_server: cannot write to %s: %s\n", state_dir, strerror(errno));
		return 1;
	}
	fprintf(stderr, "fixture_server: listening on %s and %s\n", base_url, http_base_url);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (!stopping) {
		struct pollfd p[2] = {{lfd, POLLIN, 0}, {hfd, POLLIN, 0}};
		if (poll(p, 2, 200) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			int fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			pthread_t t;
			if (pthread_create(&t, &attr, serve, (void *)(((intptr_t)fd << 1) | i)) != 0)
				close(fd);
		}
	}
	fprintf(stderr, "fixture_server: stopping\n");
	close(lfd);
	close(hfd);
	char path[4096];
	snprintf(path, sizeof(path), "%s/port", state_dir);
	unlink(path);
	return 0;
}

bool fx_scenario_is(const fx_ctx *ctx, const char *word)
{
	size_t n = strlen(word);
	return strncmp(ctx->scenario, word, n) == 0 && (ctx->scenario[n] == '\0' || ctx->scenario[n] == '-');
}
