/* A fixture channel server for the download tests: HTTPS on 127.0.0.1 with a
 * certificate from a test CA made at test time, speaking each channel's
 * protocol from handlers_<channel>.c. A test picks the behaviour by writing a
 * scenario word into <state>/scenario before a request. */
#ifndef RECON_FIXTURE_SERVER_H
#define RECON_FIXTURE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char *method; /* "GET", "POST" */
	const char *target; /* path and query as sent, e.g. "/v3/bill/tradebill?bill_date=2021-01-28&..." */
	const char *path;   /* path only */
	const char *query;  /* query only, "" if none */
	const char *body;
	size_t body_len;
	const char *const *headers; /* "Name: value", NULL-terminated */
} fx_request;

/* The reply a handler builds. */
typedef struct fx_response fx_response;
void fx_status(fx_response *r, int status);
void fx_header(fx_response *r, const char *name, const char *value);
void fx_body(fx_response *r, const void *data, size_t len);
/* Misbehaviours: send headers and `keep` body bytes of a longer declared
 * length, then stall for `seconds` (0 = close at once: a truncated body). */
void fx_cut(fx_response *r, size_t keep, int seconds);

typedef struct {
	const char *state_dir;	   /* scenario file, data files, keys */
	const char *scenario;	   /* current scenario word ("ok" when none) */
	const char *base_url;	   /* "https://127.0.0.1:PORT" */
	long count;		   /* requests this server has answered for this route and scenario so far */
	const char *http_base_url; /* "http://127.0.0.1:PORT": the plain listener with the same routes */
	bool plain;		   /* this request came to the plain listener */
} fx_ctx;

/* Finds the header value of req (case-insensitive), or NULL. */
const char *fx_req_header(const fx_request *req, const char *name);

/* The scenario word, alone or as "word-<anything>" (a test's fresh variant,
 * whose request counters start at 0). */
bool fx_scenario_is(const fx_ctx *ctx, const char *word);

typedef void (*fx_handler)(const fx_request *req, fx_response *resp, const fx_ctx *ctx);
typedef struct {
	const char *method;
	const char *path; /* exact path */
	fx_handler handler;
} fx_route;

/* Route tables of the handler files; each ends with {NULL, NULL, NULL}. */
extern const fx_route fx_core_routes[];	    /* transport tests: /test/... (fixture_server.c) */
extern const fx_route fx_wechat_routes[];   /* handlers_wechat.c */
extern const fx_route fx_alipay_routes[];   /* handlers_alipay.c */
extern const fx_route fx_unionpay_routes[]; /* handlers_unionpay.c */
extern const fx_route fx_alert_routes[];    /* handlers_alert.c */

#endif
