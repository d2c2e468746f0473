/* recon serve: the web workbench (issue 21, DESIGN.md §6) — libmicrohttpd
 * over the same PostgreSQL. So far: the login (sessions, CSRF, back-off,
 * the audit trail), the security headers on every answer, /healthz, the
 * access log and a graceful stop; the pages of nights and open items come
 * next. */
#ifndef RECON_SERVE_H
#define RECON_SERVE_H

#include <stdio.h>

typedef struct {
	const char *listen;   /* "ADDR:PORT", IPv4 */
	const char *conninfo; /* the ledger's libpq conninfo */
	int idle_minutes;     /* a session ends after this long without a request */
	int session_hours;    /* and after this long in all */
	int threads;	      /* requests served at once */
	FILE *log;	      /* the access log and errors */
} rcn_serve_opts;

/* Serves until SIGTERM or SIGINT, then lets the requests in flight finish:
 * 0, or 2 (the address cannot be used), 4 (the database cannot be reached
 * at the start), after saying why on o->log. */
int rcn_serve(const rcn_serve_opts *o);

#endif
