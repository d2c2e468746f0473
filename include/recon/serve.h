/* recon serve: the web workbench (issue 21, DESIGN.md §6) — libmicrohttpd
 * over the same PostgreSQL: the login (sessions, CSRF, back-off, the audit
 * trail), the nights and a night (its downloads), the open-items queue, an
 * item and its history, search by number, and people acting on items
 * through the same code as `recon items`; /healthz, the access log, TLS
 * when given a certificate, and a graceful stop. */
#ifndef RECON_SERVE_H
#define RECON_SERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
	const char *listen;	       /* "ADDR:PORT", IPv4 */
	const char *conninfo;	       /* the ledger's libpq conninfo */
	int idle_minutes;	       /* a session ends after this long without a request */
	int session_hours;	       /* and after this long in all */
	int threads;		       /* requests served at once */
	FILE *log;		       /* the access log and errors */
	bool log_json;		       /* one JSON object a line, as `recon run --log-format json` */
	const char *timezone;	       /* [run] timezone: the register's times */
	const char *calendar;	       /* the business-day calendar's file (ages), or NULL */
	int64_t writeoff_approval_fen; /* [items] writeoff_approval */
	/* [ledger] orders_sql / refunds_sql, or NULL: an item's ledger row */
	const char *orders_sql, *refunds_sql;
	/* [serve] cert and key (PEM files): TLS by libmicrohttpd itself, cookies Secure */
	const char *cert, *key;
} rcn_serve_opts;

/* Serves until SIGTERM or SIGINT, then lets the requests in flight finish:
 * 0, or 2 (the address cannot be used), 4 (the database cannot be reached
 * at the start), after saying why on o->log. */
int rcn_serve(const rcn_serve_opts *o);

#endif
