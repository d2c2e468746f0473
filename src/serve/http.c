/* recon serve (recon/serve.h): one libmicrohttpd daemon with a pool of
 * threads, each with its own PostgreSQL connection (opened on its first
 * request). A request is read whole (a body of at most 64 KiB), then
 * routed; every answer carries the security headers; every request is one
 * line of the access log. The pages are in the files beside (serve_int.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "recon/pq.h"
#include "recon/report.h"
#include "recon/text.h"
#include "serve/serve_int.h"

enum { BODY_MAX = 64 << 10 };

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
static rcn_items_cache *items_cache;
static rcn_calendar *calendar;
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

/* Every answer's: its type, and the security headers. */
static void secure_headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Content-Security-Policy", SECURITY_CSP);
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, char *body, size_t len, const char *type,
			      const extra_headers *x)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	secure_headers(r, type);
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

enum MHD_Result rcn_sv_text(struct MHD_Connection *c, unsigned status, const char *s)
{
	return answer(c, status, strdup(s), strlen(s), "text/plain; charset=utf-8", NULL);
}
#define text rcn_sv_text

enum MHD_Result rcn_sv_redirect(struct MHD_Connection *c, const char *to, const char *cookie)
{
	extra_headers x = {{cookie, NULL}, to};
	return answer(c, 303, strdup(""), 0, "text/plain; charset=utf-8", &x);
}
#define redirect rcn_sv_redirect

/* The look of the reports (index.html): one style sheet in the page. */
static const char STYLE[] =
	"body{font-family:-apple-system,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;margin:0;color:#222}"
	"main{margin:1em 2em}nav{background:#1f3a5f;color:#fff;padding:.5em 2em;display:flex;gap:1.5em;"
	"align-items:center}nav a{color:#fff;text-decoration:none}nav .me{margin-left:auto}"
	"nav form{display:inline}nav input[type=search]{width:16em}"
	"table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;"
	"text-align:left;vertical-align:top}th{background:#eef2f7}td.n{text-align:right;"
	"font-variant-numeric:tabular-nums}.err{color:#a00}.ok{color:#070}.warn{color:#a60}"
	"label{display:block;margin:.6em 0}.filters label{display:inline-block;margin:.2em .8em .2em 0}"
	"small{color:#666}.pager a{margin-right:1em}";

/* A page: the head, then body(f, ctx), then the end. */
static enum MHD_Result page(struct MHD_Connection *c, unsigned status, const char *title,
			    void (*nav)(FILE *f, const void *ctx), void (*body)(FILE *f, const void *ctx),
			    const void *ctx, const extra_headers *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\"><title>",
	      f);
	rcn_html_text(f, title);
	fprintf(f, " — recon</title><style>%s</style></head><body>\n", STYLE);
	if (nav)
		nav(f, ctx);
	fputs("<main>\n", f);
	body(f, ctx);
	fputs("</main></body></html>\n", f);
	fclose(f);
	return answer(c, status, buf, len, "text/html; charset=utf-8", x);
}

typedef struct {
	const rcn_sv_req *r;
	void (*body)(FILE *f, const void *ctx);
	const void *ctx;
} framed;

static void frame_nav(FILE *f, const void *p)
{
	const rcn_sv_req *r = ((const framed *)p)->r;
	fputs("<nav><b>recon 对账工作台</b><a href=\"/nights\">夜间对账 Nights</a>"
	      "<a href=\"/items\">待处理事项 Open items</a>"
	      "<form method=\"get\" action=\"/search\"><input type=\"search\" name=\"q\" "
	      "placeholder=\"订单号/交易号/退款号 order, txn, refund no.\" aria-label=\"search\"></form>"
	      "<span class=\"me\">",
	      f);
	rcn_html_text(f, r->who->name);
	fputs(" <small>(", f);
	rcn_html_text(f, rcn_role_name(r->who->role));
	fputs(")</small></span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" "
	      "value=\"",
	      f);
	rcn_html_text(f, r->csrf);
	fputs("\"><button>退出 Log out</button></form></nav>\n", f);
}

static void frame_body(FILE *f, const void *p)
{
	const framed *fr = p;
	fr->body(f, fr->ctx);
}

enum MHD_Result rcn_sv_page(const rcn_sv_req *r, unsigned status, const char *title,
			    void (*body)(FILE *f, const void *ctx), const void *ctx)
{
	framed fr = {r, body, ctx};
	return page(r->c, status, title, frame_nav, frame_body, &fr, NULL);
}

static void log_error(const rcn_err *err)
{
	char why[1200];
	fprintf(opts->log, "recon: serve: %s\n", rcn_err_format(err, why, sizeof why));
}

typedef struct {
	const char *title, *msg;
} message_page;

static void message_body(FILE *f, const void *p)
{
	const message_page *m = p;
	fputs("<h1>", f);
	rcn_html_text(f, m->title);
	fputs("</h1>\n<p class=\"err\">", f);
	rcn_html_text(f, m->msg);
	fputs("</p>\n", f);
}

enum MHD_Result rcn_sv_fail(const rcn_sv_req *r, const rcn_err *err)
{
	if (err->code == RCN_EUSAGE) {
		message_page m = {"无法完成 Not done", err->msg};
		return rcn_sv_page(r, 400, m.title, message_body, &m);
	}
	log_error(err);
	return text(r->c, 503, "503 the database is not answering\n");
}

enum MHD_Result rcn_sv_forbidden(const rcn_sv_req *r, const char *why)
{
	message_page m = {"403 无权限 Forbidden", why};
	return rcn_sv_page(r, 403, m.title, message_body, &m);
}

enum MHD_Result rcn_sv_file(const rcn_sv_req *r, int fd, size_t size, const char *type, const char *name)
{
	struct MHD_Response *res = MHD_create_response_from_fd(size, fd);
	if (!res) {
		close(fd);
		return MHD_NO;
	}
	char disp[400];
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", name); /* (names checked by the caller) */
	secure_headers(res, type);
	MHD_add_response_header(res, "Content-Disposition", disp);
	last_status = 200;
	enum MHD_Result ok = MHD_queue_response(r->c, 200, res);
	MHD_destroy_response(res);
	return ok;
}

/* ---- forms and cookies ---- */

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

bool rcn_sv_form_nth(const char *body, const char *name, size_t k, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		if (k--)
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

bool rcn_sv_form(const char *body, const char *name, char *out, size_t cap)
{
	return rcn_sv_form_nth(body, name, 0, out, cap);
}
#define form_field rcn_sv_form

const char *rcn_sv_arg(const rcn_sv_req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
	return v ? v : "";
}

void rcn_sv_url_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '~')
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

rcn_items_cache *rcn_sv_items_cache(void)
{
	return items_cache;
}

const rcn_calendar *rcn_sv_calendar(const rcn_serve_opts *o)
{
	(void)o;
	return calendar;
}

bool rcn_sv_date(const char *s, rcn_date *out)
{
	rcn_err err;
	return s && strlen(s) == 10 && rcn_date_parse(out, s, 10, &err) == RCN_OK;
}

rcn_rc rcn_sv_as_of(const rcn_sv_req *r, rcn_date *out, rcn_err *err)
{
	rcn_date last = -1;
	rcn_rc rc = rcn_items_last_date(r->db, &last, err);
	if (rc != RCN_OK)
		return rc;
	if (last < 0) {
		time_t now = time(NULL);
		last = (rcn_date)(now / 86400); /* no night yet: today (UTC is near enough for ages of nothing) */
	}
	*out = last;
	return RCN_OK;
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
	bool secure = (proto && strcmp(proto, "https") == 0) || (opts->cert && opts->key);
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

static bool hex64(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

/* GET /login: the form, with a fresh pre-login token in a cookie and in the
 * form (both must come back: a login cannot be forged from another site). */
static enum MHD_Result show_login(struct MHD_Connection *c, unsigned status, const char *error, const char *name)
{
	char pre[65], set[200];
	/* the browser's pre-login token, when it has one: a second tab, or a
	 * request the page made (its icon), must not void the form it shows */
	const char *had = cookie(c, "recon_login");
	if (had && hex64(had))
		snprintf(pre, sizeof pre, "%s", had);
	else if (!rcn_random_hex(pre))
		return text(c, 500, "no randomness\n");
	make_cookie(c, set, sizeof set, "recon_login", pre, 3600);
	login_page p = {pre, error, name};
	extra_headers x = {{set, NULL}, NULL};
	return page(c, status, "登录 Log in", NULL, login_body, &p, &x);
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
	if (strcmp(url, "/favicon.ico") == 0) /* (none: and no login page for the browser's asking) */
		return text(c, 404, "404 not found\n");
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
		if (rcn_session_end(db, token, remote, &err) != RCN_OK) {
			log_error(&err);
			return text(c, 503, "503 the database is not answering\n");
		}
		char set[200];
		make_cookie(c, set, sizeof set, "recon_session", "", 0);
		return redirect(c, "/login", set);
	}
	rcn_sv_req r = {c, db, opts, &who, csrf, remote, url, rq->body ? rq->body : "", post};
	if (get) {
		if (strcmp(url, "/") == 0)
			return redirect(c, "/nights", NULL);
		if (strcmp(url, "/nights") == 0)
			return rcn_sv_nights(&r);
		if (strncmp(url, "/night/", 7) == 0)
			return rcn_sv_night(&r, url + 7);
		if (strcmp(url, "/items") == 0)
			return rcn_sv_items(&r);
		if (strncmp(url, "/item/", 6) == 0 && !strchr(url + 6, '/'))
			return rcn_sv_item(&r, url + 6);
		if (strcmp(url, "/search") == 0)
			return rcn_sv_search(&r);
	} else {
		if (strcmp(url, "/items/act") == 0)
			return rcn_sv_act(&r);
		size_t n = strlen(url);
		if (strncmp(url, "/item/", 6) == 0 && n > 14 && strcmp(url + n - 8, "/approve") == 0) {
			char id[RCN_ITEM_ID_MAX];
			size_t k = n - 6 - 8;
			if (k >= sizeof id)
				return text(c, 404, "404 not found\n");
			memcpy(id, url + 6, k);
			id[k] = '\0';
			return rcn_sv_approve(&r, id);
		}
	}
	return text(c, 404, "404 not found\n");
}

/* One line a request: text as the batch's log, or one JSON object. */
static void access_log(const char *remote, const char *method, const char *url, double ms, const char *user)
{
	if (!opts->log_json) {
		fprintf(opts->log, "recon: serve: %s \"%s %.200s\" %u %.1f ms%s%s\n", remote[0] ? remote : "-", method,
			url, last_status, ms, user[0] ? " " : "", user);
		return;
	}
	rcn_buf b;
	rcn_buf_init(&b, 1 << 16);
	char path[201];
	snprintf(path, sizeof path, "%s", url);
	rcn_buf_printf(&b, "{\"level\":\"info\",\"msg\":\"request\",\"remote\":");
	rcn_json_put(&b, remote[0] ? remote : "-");
	rcn_buf_append(&b, ",\"method\":", 10);
	rcn_json_put(&b, method);
	rcn_buf_append(&b, ",\"path\":", 8);
	rcn_json_put(&b, path);
	rcn_buf_printf(&b, ",\"status\":%u,\"ms\":%.1f,\"user\":", last_status, ms);
	rcn_json_put(&b, user);
	rcn_buf_append(&b, "}\n", 2);
	fwrite(b.data, 1, b.len, opts->log); /* one write a line */
	rcn_buf_free(&b);
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
	access_log(remote, method, url, now_ms() - rq->started, user);
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

/* A PEM file's text (at most 1 MiB), or NULL after saying why. */
static char *read_pem(const rcn_serve_opts *o, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? rcn_xcalloc(1, (1 << 20) + 1) : NULL;
	size_t n = f ? fread(buf, 1, 1 << 20, f) : 0;
	if (!f || ferror(f) || n == 0 || n == 1 << 20) {
		fprintf(o->log, "recon: serve: [serve] %s: cannot read a PEM file there%s%s\n", path, f ? "" : ": ",
			f ? "" : strerror(errno));
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
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
	char *cert = NULL, *key = NULL;
	if ((o->cert != NULL) != (o->key != NULL)) {
		fprintf(o->log, "recon: serve: [serve] cert and key go together: give both or neither\n");
		return 2;
	}
	if (o->cert && (!(cert = read_pem(o, o->cert)) || !(key = read_pem(o, o->key)))) {
		free(cert);
		return 2;
	}
	if (o->calendar) {
		rcn_err cerr;
		if (rcn_calendar_load(&calendar, o->calendar, &cerr) != RCN_OK) {
			calendar = NULL; /* ages count Monday to Friday, as `recon items` does without one */
			log_error(&cerr);
		}
	}
	items_cache = rcn_items_cache_new();
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
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | (cert ? MHD_USE_TLS : 0);
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 4), MHD_OPTION_NOTIFY_COMPLETED,
		on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(128 << 10), cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert, MHD_OPTION_HTTPS_MEM_KEY,
		key, MHD_OPTION_END);
	if (!d) {
		fprintf(o->log, "recon: serve: cannot listen on %s%s: %s\n", o->listen,
			cert ? " with TLS (is the key the certificate's?)" : "", strerror(errno));
		free(cert);
		free(key);
		return 2;
	}
	fprintf(o->log, "recon: serve: listening on %s://%s/\n", cert ? "https" : "http", o->listen);
	while (!stopping)
		sigsuspend(&was);
	fprintf(o->log, "recon: serve: stopping: the requests in flight finish\n");
	MHD_stop_daemon(d);
	rcn_items_cache_free(items_cache);
	rcn_calendar_free(calendar);
	if (key)
		memset(key, 0, strlen(key));
	free(cert);
	free(key);
	return 0;
}
