/* recon serve (recon/serve.h): one libmicrohttpd daemon with a pool of
 * threads, each with its own PostgreSQL connection (opened on its first
 * request). A request is read whole (a body of at most 16 KiB), then
 * routed; every answer carries the security headers; every request is one
 * line of the access log. */
#include "recon/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recon/auth.h"
#include "recon/db.h"
#include "recon/pq.h"
#include "recon/report.h"

enum { BODY_MAX = 16 << 10 };

static const char SECURITY_CSP[] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
				   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

typedef struct {
	char *body;
	size_t len;
	bool too_big;
	double started;
} request;

static const rcn_serve_opts *opts;
static pthread_key_t db_key;
static __thread unsigned last_status; /* the answer queued last on this thread, for the access log */

static void close_db(void *p)
{
	rcn_db_close(p);
}

/* This thread's connection: NULL (said on the log) when it cannot be had. */
static rcn_db *thread_db(void)
{
	rcn_db *db = pthread_getspecific(db_key);
	if (db && PQstatus(rcn_db_conn(db)) == CONNECTION_OK)
		return db;
	if (db) {
		rcn_db_close(db);
		(void)pthread_setspecific(db_key, NULL);
	}
	rcn_err err;
	char why[1200];
	db = NULL;
	if (rcn_db_connect(&db, opts->conninfo, &err) != RCN_OK) {
		fprintf(opts->log, "recon: serve: %s\n", rcn_err_format(&err, why, sizeof why));
		return NULL;
	}
	(void)pthread_setspecific(db_key, db);
	return db;
}

/* ---- answers ---- */

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void remote_of(struct MHD_Connection *c, char out[64])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, out,
				64);
}

typedef struct {
	const char *cookie[2]; /* Set-Cookie values */
	const char *location;  /* a redirect's */
} extra_headers;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, char *body, size_t len, const char *type,
			      const extra_headers *x)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Content-Security-Policy", SECURITY_CSP);
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	for (int i = 0; x && i < 2; i++)
		if (x->cookie[i])
			MHD_add_response_header(r, "Set-Cookie", x->cookie[i]);
	if (x && x->location)
		MHD_add_response_header(r, "Location", x->location);
	last_status = status;
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *s)
{
	return answer(c, status, strdup(s), strlen(s), "text/plain; charset=utf-8", NULL);
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to, const char *cookie)
{
	extra_headers x = {{cookie, NULL}, to};
	return answer(c, 303, strdup(""), 0, "text/plain; charset=utf-8", &x);
}

/* A page: the head, then body(f, ctx), then the end. */
static enum MHD_Result page(struct MHD_Connection *c, unsigned status, const char *title,
			    void (*body)(FILE *f, const void *ctx), const void *ctx, const extra_headers *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>", f);
	rcn_html_text(f, title);
	fputs(" — recon</title><style>body{font-family:sans-serif;margin:2em;max-width:40em}"
	      "label{display:block;margin:.6em 0}.err{color:#a00}</style></head><body>\n",
	      f);
	body(f, ctx);
	fputs("</body></html>\n", f);
	fclose(f);
	return answer(c, status, buf, len, "text/html; charset=utf-8", x);
}

/* ---- forms and cookies ---- */

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* The value of field name in an application/x-www-form-urlencoded body,
 * decoded into out (cap bytes): false when absent, too long or not text. */
static bool form_field(const char *body, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		size_t n = 0;
		for (const char *q = p + nl + 1; *q && *q != '&'; q++) {
			int v = *q;
			if (*q == '+')
				v = ' ';
			else if (*q == '%') {
				int hi = hexval(q[1]), lo = hi >= 0 ? hexval(q[2]) : -1;
				if (lo < 0)
					return false;
				v = hi * 16 + lo;
				q += 2;
			}
			if (v == 0 || n + 1 >= cap)
				return false;
			out[n++] = (char)v;
		}
		out[n] = '\0';
		return true;
	}
	return false;
}

static const char *cookie(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, name);
}

/* Secure when the request came through TLS (libmicrohttpd's own, or a
 * proxy that says so). */
static void make_cookie(struct MHD_Connection *c, char *out, size_t cap, const char *name, const char *value,
			int max_age)
{
	const char *proto = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-Proto");
	bool secure = proto && strcmp(proto, "https") == 0;
	if (max_age >= 0)
		snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", name, value, max_age,
			 secure ? "; Secure" : "");
	else
		snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", name, value, secure ? "; Secure" : "");
}

/* ---- the pages ---- */

typedef struct {
	const char *csrf;
	const char *error;
	const char *name;
} login_page;

static void login_body(FILE *f, const void *ctx)
{
	const login_page *p = ctx;
	fputs("<h1>recon 对账工作台 <small>workbench</small></h1>\n", f);
	if (p->error) {
		fputs("<p class=\"err\">", f);
		rcn_html_text(f, p->error);
		fputs("</p>\n", f);
	}
	fputs("<form method=\"post\" action=\"/login\">\n<input type=\"hidden\" name=\"csrf\" value=\"", f);
	rcn_html_text(f, p->csrf);
	fputs("\">\n<label>用户名 Name <input name=\"name\" autocomplete=\"username\" value=\"", f);
	rcn_html_text(f, p->name ? p->name : "");
	fputs("\"></label>\n<label>密码 Password <input name=\"password\" type=\"password\" "
	      "autocomplete=\"current-password\"></label>\n<button>登录 Log in</button>\n</form>\n",
	      f);
}

typedef struct {
	const rcn_user_seen *who;
	const char *csrf;
} home_page;

static void home_body(FILE *f, const void *ctx)
{
	const home_page *p = ctx;
	fputs("<h1>recon 对账工作台 <small>workbench</small></h1>\n<p>已登录 Signed in as <b>", f);
	rcn_html_text(f, p->who->name);
	fputs("</b> (", f);
	rcn_html_text(f, rcn_role_name(p->who->role));
	fputs(")</p>\n<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"", f);
	rcn_html_text(f, p->csrf);
	fputs("\"><button>退出 Log out</button></form>\n", f);
}

/* GET /login: the form, with a fresh pre-login token in a cookie and in the
 * form (both must come back: a login cannot be forged from another site). */
static enum MHD_Result show_login(struct MHD_Connection *c, unsigned status, const char *error, const char *name)
{
	char pre[65], set[200];
	if (!rcn_random_hex(pre))
		return text(c, 500, "no randomness\n");
	make_cookie(c, set, sizeof set, "recon_login", pre, 3600);
	login_page p = {pre, error, name};
	extra_headers x = {{set, NULL}, NULL};
	return page(c, status, "登录 Log in", login_body, &p, &x);
}

static enum MHD_Result do_login(struct MHD_Connection *c, rcn_db *db, const request *rq, const char *remote)
{
	char csrf[80] = "", name[80] = "", pw[RCN_PASSWORD_MAX + 1] = "";
	const char *body = rq->body ? rq->body : "";
	if (!form_field(body, "csrf", csrf, sizeof csrf) || !rcn_token_equal(cookie(c, "recon_login"), csrf))
		return text(c, 403, "403 forbidden: the form's token is missing or wrong; open /login again\n");
	(void)form_field(body, "name", name, sizeof name);
	(void)form_field(body, "password", pw, sizeof pw);
	rcn_login_outcome lo;
	rcn_err err;
	rcn_rc rc = rcn_login(db, name, pw, remote, &lo, &err);
	memset(pw, 0, sizeof pw);
	if (rc != RCN_OK) {
		char why[1200];
		fprintf(opts->log, "recon: serve: %s\n", rcn_err_format(&err, why, sizeof why));
		return text(c, 503, "503 the database is not answering\n");
	}
	if (lo.result == RCN_LOGIN_LOCKED) {
		char msg[200];
		snprintf(msg, sizeof msg, "登录失败次数过多，请 %d 秒后再试 Too many failed logins: try again in %d s",
			 lo.wait_seconds, lo.wait_seconds);
		return show_login(c, 429, msg, name);
	}
	if (lo.result != RCN_LOGIN_OK)
		return show_login(c, 200, "用户名或密码错误 Wrong name or password", name);
	char set[200];
	make_cookie(c, set, sizeof set, "recon_session", lo.token, -1);
	memset(lo.token, 0, sizeof lo.token);
	return redirect(c, "/", set);
}

/* ---- routing ---- */

static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method, const request *rq,
			     char *user_out)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0, post = strcmp(method, "POST") == 0;
	if (strcmp(url, "/healthz") == 0 && get) {
		rcn_db *db = thread_db();
		rcn_err err;
		if (!db || rcn_pq_command(db, "SELECT 1", &err, "checking the database") != RCN_OK)
			return text(c, 503, "database unreachable\n");
		return text(c, 200, "ok\n");
	}
	if (!get && !post)
		return text(c, 405, "405 method not allowed\n");
	if (rq->too_big)
		return text(c, 413, "413 the request is too large\n");
	rcn_db *db = thread_db();
	if (!db)
		return text(c, 503, "503 the database is not answering\n");
	char remote[64];
	remote_of(c, remote);
	if (strcmp(url, "/login") == 0)
		return post ? do_login(c, db, rq, remote) : show_login(c, 200, NULL, NULL);
	/* every other page: a session, else the login */
	const char *token = cookie(c, "recon_session");
	rcn_user_seen who;
	bool found = false;
	rcn_err err;
	if (token &&
	    rcn_session_check(db, token, opts->idle_minutes, opts->session_hours, &found, &who, &err) != RCN_OK) {
		char why[1200];
		fprintf(opts->log, "recon: serve: %s\n", rcn_err_format(&err, why, sizeof why));
		return text(c, 503, "503 the database is not answering\n");
	}
	if (!found)
		return redirect(c, "/login", NULL);
	snprintf(user_out, 65, "%s", who.name);
	char csrf[65];
	rcn_session_csrf(token, csrf);
	if (post) { /* every state-changing request carries the page's token */
		char sent[80] = "";
		if (!form_field(rq->body ? rq->body : "", "csrf", sent, sizeof sent) || !rcn_token_equal(csrf, sent))
			return text(c, 403, "403 forbidden: the form's token is missing or wrong\n");
	}
	if (strcmp(url, "/logout") == 0 && post) {
		if (rcn_session_end(db, token, remote, &err) != RCN_OK)
			return text(c, 503, "503 the database is not answering\n");
		char set[200];
		make_cookie(c, set, sizeof set, "recon_session", "", 0);
		return redirect(c, "/login", set);
	}
	if (strcmp(url, "/") == 0 && get) {
		home_page p = {&who, csrf};
		return page(c, 200, "工作台 Workbench", home_body, &p, NULL);
	}
	return text(c, 404, "404 not found\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **state)
{
	(void)cls;
	(void)version;
	request *rq = *state;
	if (!rq) {
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		rq->started = now_ms();
		*state = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->len + *upload_size > BODY_MAX) {
			rq->too_big = true;
		} else {
			char *b = realloc(rq->body, rq->len + *upload_size + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			b[rq->len] = '\0';
			rq->body = b;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	char user[65] = "";
	last_status = 0;
	enum MHD_Result r = route(c, url, method, rq, user);
	char remote[64];
	remote_of(c, remote);
	fprintf(opts->log, "recon: serve: %s \"%s %.200s\" %u %.1f ms%s%s\n", remote[0] ? remote : "-", method, url,
		last_status, now_ms() - rq->started, user[0] ? " " : "", user);
	return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	request *rq = *state;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*state = NULL;
}

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int rcn_serve(const rcn_serve_opts *o)
{
	opts = o;
	setvbuf(o->log, NULL, _IOLBF, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET};
	const char *colon = o->listen ? strrchr(o->listen, ':') : NULL;
	char host[64];
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;
	if (!colon || (size_t)(colon - o->listen) >= sizeof host || port <= 0 || port > 65535) {
		fprintf(o->log, "recon: serve: --listen '%s': ADDRESS:PORT, e.g. 127.0.0.1:8470\n", o->listen);
		return 2;
	}
	memcpy(host, o->listen, (size_t)(colon - o->listen));
	host[colon - o->listen] = '\0';
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(o->log, "recon: serve: --listen '%s': '%s' is not an IPv4 address\n", o->listen, host);
		return 2;
	}
	addr.sin_port = htons((uint16_t)port);
	rcn_db *db = NULL;
	rcn_err err;
	char why[1200];
	if (rcn_db_connect(&db, o->conninfo, &err) != RCN_OK || rcn_db_migrate(db, &err) != RCN_OK) {
		fprintf(o->log, "recon: serve: %s\n", rcn_err_format(&err, why, sizeof why));
		rcn_db_close(db);
		return 4;
	}
	rcn_db_close(db);
	(void)pthread_key_create(&db_key, close_db);
	/* the stop signals blocked here and in the daemon's threads (they
	 * inherit the mask), waited for below */
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t stop, was;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, &was);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 4),
		MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 << 10), MHD_OPTION_END);
	if (!d) {
		fprintf(o->log, "recon: serve: cannot listen on %s: %s\n", o->listen, strerror(errno));
		return 2;
	}
	fprintf(o->log, "recon: serve: listening on http://%s/\n", o->listen);
	while (!stopping)
		sigsuspend(&was);
	fprintf(o->log, "recon: serve: stopping: the requests in flight finish\n");
	MHD_stop_daemon(d);
	return 0;
}
