/* recon serve's parts (src/serve/): http.c is the server (the daemon, the
 * sessions, routing, the page frame), the others its pages: nights.c (the
 * nights and one night, its downloads), items.c (the open-items queue, an
 * item, search) and actions.c (people acting on items). Every value a page
 * shows goes through rcn_html_text (recon/report.h); every query is
 * parameterized. */
#ifndef RECON_SERVE_INT_H
#define RECON_SERVE_INT_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>

#include "recon/auth.h"
#include "recon/calendar.h"
#include "recon/db.h"
#include "recon/items.h"
#include "recon/serve.h"

/* One request, once its session is known. */
typedef struct {
	struct MHD_Connection *c;
	rcn_db *db;
	const rcn_serve_opts *o;
	const rcn_user_seen *who;
	const char *csrf;   /* the session's, for the forms a page carries */
	const char *remote; /* the client's address */
	const char *url;
	const char *body; /* a POST's (form-urlencoded), "" otherwise */
	bool post;
} rcn_sv_req;

/* ---- answers (http.c) ---- */
enum MHD_Result rcn_sv_text(struct MHD_Connection *c, unsigned status, const char *s);
enum MHD_Result rcn_sv_redirect(struct MHD_Connection *c, const char *to, const char *cookie);
/* A page in the workbench's frame (the menu, who is signed in): its title,
 * then body(f, ctx). */
enum MHD_Result rcn_sv_page(const rcn_sv_req *r, unsigned status, const char *title,
			    void (*body)(FILE *f, const void *ctx), const void *ctx);
/* 503 when the database failed (said on the log with err), 404 or 400 when
 * err is a usage error (its message shown). */
enum MHD_Result rcn_sv_fail(const rcn_sv_req *r, const rcn_err *err);
enum MHD_Result rcn_sv_forbidden(const rcn_sv_req *r, const char *why);
/* A file as an attachment (fd is taken); name: the download's file name. */
enum MHD_Result rcn_sv_file(const rcn_sv_req *r, int fd, size_t size, const char *type, const char *name);

/* ---- requests ---- */
/* A query-string argument ("" when absent). */
const char *rcn_sv_arg(const rcn_sv_req *r, const char *name);
/* The value of the k-th field called name in a form body, decoded into out
 * (cap bytes): false when absent, too long or holding a NUL. */
bool rcn_sv_form_nth(const char *body, const char *name, size_t k, char *out, size_t cap);
bool rcn_sv_form(const char *body, const char *name, char *out, size_t cap);
/* s with every byte but A-Z a-z 0-9 - _ . ~ percent-encoded, for a link. */
void rcn_sv_url_text(FILE *f, const char *s);

/* ---- shared state ---- */
rcn_items_cache *rcn_sv_items_cache(void);
const rcn_calendar *rcn_sv_calendar(const rcn_serve_opts *o);
/* The business date the register is read as of: the latest date that has a
 * run, else today in the configured zone. */
rcn_rc rcn_sv_as_of(const rcn_sv_req *r, rcn_date *out, rcn_err *err);
/* "2026-03-02" (and its length) as a date; false otherwise. */
bool rcn_sv_date(const char *s, rcn_date *out);

/* ---- the pages ---- */
enum MHD_Result rcn_sv_nights(const rcn_sv_req *r);
/* /night/YYYY-MM-DD and /night/YYYY-MM-DD/FILE (a download) */
enum MHD_Result rcn_sv_night(const rcn_sv_req *r, const char *rest);
enum MHD_Result rcn_sv_items(const rcn_sv_req *r);
enum MHD_Result rcn_sv_item(const rcn_sv_req *r, const char *id);
enum MHD_Result rcn_sv_search(const rcn_sv_req *r);
/* POST /items/act (a selection) and POST /item/ID/approve */
enum MHD_Result rcn_sv_act(const rcn_sv_req *r);
enum MHD_Result rcn_sv_approve(const rcn_sv_req *r, const char *id);

#endif
