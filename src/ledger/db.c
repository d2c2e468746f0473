/* Connection, recon's schema migrations and the per-date advisory lock.
 * Owns the rcn_db handle; every libpq call of librecon lives in src/ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ledger/db_internal.h"
#include "ledger/migrations.h"
#include "ledger/pgtext.h"

/* Messages are capped well above rcn_err.msg so redaction sees everything. */
#define MSG_LIMIT (64u * 1024u)

/* Appends msg with every run of whitespace (libpq's "\n\t" continuation
 * lines, DETAIL/HINT lines) folded into one space, trimmed. */
static void put_one_line(rcn_buf *b, const char *msg)
{
	bool space = false;
	for (const char *p = msg; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
			space = b->len > 0;
			continue;
		}
		if (space)
			(void)rcn_buf_append(b, " ", 1);
		space = false;
		(void)rcn_buf_append(b, p, 1);
	}
}

/* Replaces the value after every "password=" (quoted or up to a space) and the
 * password of every "scheme://user:password@" with "***". */
static void redact_patterns(rcn_buf *out, const char *s)
{
	while (*s) {
		if (strncasecmp(s, "password", 8) == 0) {
			const char *p = s + 8;
			while (*p == ' ')
				p++;
			if (*p == '=') {
				p++;
				while (*p == ' ')
					p++;
				(void)rcn_buf_append(out, s, (size_t)(p - s));
				(void)rcn_buf_append(out, "***", 3);
				if (*p == '\'' || *p == '"') {
					char q = *p++;
					while (*p && *p != q)
						p += (*p == '\\' && p[1]) ? 2 : 1;
					if (*p)
						p++;
				} else {
					while (*p && *p != ' ' && *p != '"' && *p != '\'' && *p != '&')
						p++;
				}
				s = p;
				continue;
			}
		}
		if (strncmp(s, "://", 3) == 0) {
			const char *auth = s + 3, *end = auth;
			while (*end && !strchr("/?# \"'", *end))
				end++;
			const char *at = NULL;
			for (const char *p = auth; p < end; p++)
				if (*p == '@')
					at = p;
			const char *colon = NULL;
			for (const char *p = auth; at && p < at; p++)
				if (*p == ':') {
					colon = p;
					break;
				}
			if (colon) {
				(void)rcn_buf_append(out, s, (size_t)(colon + 1 - s));
				(void)rcn_buf_append(out, "***", 3);
				s = at;
				continue;
			}
		}
		(void)rcn_buf_append(out, s, 1);
		s++;
	}
}

/* The error text without the password: the conninfo's own password value is
 * removed wherever it appears, then anything that looks like one. */
static void set_redacted(rcn_err *err, const char *prefix, const char *msg, const char *password)
{
	rcn_buf line, clean, out;
	rcn_buf_init(&line, MSG_LIMIT);
	rcn_buf_init(&clean, MSG_LIMIT);
	rcn_buf_init(&out, MSG_LIMIT);
	put_one_line(&line, msg);
	const char *s = line.data ? line.data : "";
	size_t plen = password ? strlen(password) : 0;
	while (*s) {
		if (plen >= 3 && strncmp(s, password, plen) == 0) {
			(void)rcn_buf_append(&clean, "***", 3);
			s += plen;
		} else {
			(void)rcn_buf_append(&clean, s++, 1);
		}
	}
	redact_patterns(&out, clean.data ? clean.data : "");
	rcn_err_set(err, RCN_EDB, "", 0, "%s%s", prefix, out.data ? out.data : "unknown error");
	rcn_buf_free(&line);
	rcn_buf_free(&clean);
	rcn_buf_free(&out);
}

PGconn *rcn_db_conn(rcn_db *db)
{
	return db->conn;
}

rcn_rc rcn_pq_fail(rcn_db *db, const PGresult *res, rcn_err *err, const char *what)
{
	rcn_buf msg;
	rcn_buf_init(&msg, MSG_LIMIT);
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (primary) {
		put_one_line(&msg, primary);
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		if (detail) {
			(void)rcn_buf_append(&msg, " (", 2);
			put_one_line(&msg, detail);
			(void)rcn_buf_append(&msg, ")", 1);
		}
	} else if (res && PQresultErrorMessage(res)[0]) {
		put_one_line(&msg, PQresultErrorMessage(res));
	} else if (db && db->conn && PQerrorMessage(db->conn)[0]) {
		put_one_line(&msg, PQerrorMessage(db->conn));
	} else if (res) {
		put_one_line(&msg, PQresStatus(PQresultStatus(res)));
	} else {
		put_one_line(&msg, "no result from the server");
	}
	rcn_err_set(err, RCN_EDB, "", 0, "%s: %s", what, msg.data ? msg.data : "");
	rcn_buf_free(&msg);
	return RCN_EDB;
}

rcn_rc rcn_pq_command(rcn_db *db, const char *sql, rcn_err *err, const char *what)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	rcn_rc rc = RCN_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = rcn_pq_fail(db, res, err, what);
	PQclear(res);
	return rc;
}

rcn_rc rcn_pq_query(rcn_db *db, const char *sql, int n, const char *const *params, ExecStatusType want, int nfields,
		    const char *what, PGresult **out, rcn_err *err)
{
	PGresult *res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (out)
		*out = NULL;
	if (PQresultStatus(res) != want || (nfields >= 0 && PQnfields(res) != nfields)) {
		rcn_rc rc = rcn_pq_fail(db, res, err, what);
		PQclear(res);
		return rc;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return RCN_OK;
}

rcn_rc rcn_pq_each_row(rcn_db *db, const char *sql, int n, const char *const *params, int nfields, const char *what,
		       rcn_pq_row_fn row, void *ctx, rcn_err *err)
{
	PGresult *res;
	rcn_rc rc = rcn_pq_query(db, sql, n, params, PGRES_TUPLES_OK, nfields, what, &res, err);
	for (int i = 0; rc == RCN_OK && i < PQntuples(res); i++)
		rc = row(ctx, res, i, err);
	PQclear(res);
	return rc;
}

rcn_rc rcn_pq_int64(rcn_db *db, const char *sql, int n, const char *const *params, const char *what, int64_t *out,
		    rcn_err *err)
{
	PGresult *res;
	rcn_rc rc = rcn_pq_query(db, sql, n, params, PGRES_TUPLES_OK, 1, what, &res, err);
	if (rc != RCN_OK)
		return rc;
	if (PQntuples(res) != 1 || !rcn_pgtext_int64(PQgetvalue(res, 0, 0), out))
		rc = rcn_pq_fail(db, res, err, what);
	PQclear(res);
	return rc;
}

rcn_rc rcn_pq_put_literal(rcn_db *db, rcn_buf *b, const char *s, rcn_err *err)
{
	char *lit = PQescapeLiteral(db->conn, s, strlen(s));
	if (!lit)
		return rcn_pq_fail(db, NULL, err, "cannot quote a literal");
	rcn_rc rc = rcn_buf_append(b, lit, strlen(lit));
	PQfreemem(lit);
	if (rc != RCN_OK)
		return rcn_err_set(err, RCN_EDB, "", 0, "query text too long");
	return RCN_OK;
}

rcn_rc rcn_pq_drain(rcn_db *db, rcn_err *err, const char *what)
{
	rcn_rc rc = RCN_OK;
	PGresult *res;
	while ((res = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (rc == RCN_OK && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			rc = rcn_pq_fail(db, res, err, what);
		PQclear(res);
		if (st == PGRES_COPY_IN)
			(void)PQputCopyEnd(db->conn, "aborted by recon");
		else if (st == PGRES_COPY_OUT) {
			char *buf;
			while (PQgetCopyData(db->conn, &buf, 0) > 0)
				PQfreemem(buf);
		}
	}
	return rc;
}

/* NOTICEs ("relation already exists, skipping") are not for the operator. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static char *conninfo_password(const char *conninfo)
{
	char *password = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
			password = rcn_xstrdup(o->val);
	PQconninfoFree(opts);
	return password;
}

rcn_rc rcn_db_check_conninfo(const char *conninfo, rcn_err *err)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &why);
	if (opts) {
		PQconninfoFree(opts);
		return RCN_OK;
	}
	set_redacted(err, "", why ? why : "cannot parse it (out of memory?)", NULL);
	err->code = RCN_EUSAGE;
	PQfreemem(why);
	return RCN_EUSAGE;
}

rcn_rc rcn_db_connect(rcn_db **out, const char *conninfo, rcn_err *err)
{
	if (!conninfo)
		conninfo = "";
	/* expand_dbname: conninfo may be "key=value ..." or a URI; the keys after
	 * it override it (client_encoding), the fallback name does not. */
	const char *const keys[] = {"dbname", "client_encoding", "fallback_application_name", NULL};
	const char *const vals[] = {conninfo, "UTF8", "recon", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn)
		return rcn_err_set(err, RCN_EDB, "", 0, "cannot connect to the database: out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		char *password = conninfo_password(conninfo);
		set_redacted(err, "cannot connect to the database: ", PQerrorMessage(conn), password);
		free(password);
		PQfinish(conn);
		return RCN_EDB;
	}
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	rcn_db *db = rcn_xcalloc(1, sizeof *db);
	db->conn = conn;
	*out = db;
	return RCN_OK;
}

void rcn_db_close(rcn_db *db)
{
	if (!db)
		return;
	PQfinish(db->conn);
	free(db);
}

rcn_rc rcn_pq_require_idle(rcn_db *db, rcn_err *err, const char *what)
{
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return RCN_OK;
	return rcn_err_set(err, RCN_EDB, "", 0, "%s: a transaction is still open on this connection", what);
}

static rcn_rc migration_applied(rcn_db *db, const char *name, bool *applied, rcn_err *err)
{
	const char *params[1] = {name};
	PGresult *res;
	rcn_rc rc = rcn_pq_query(db, "SELECT 1 FROM recon_schema_migrations WHERE name = $1", 1, params,
				 PGRES_TUPLES_OK, -1, "schema migration", &res, err);
	if (rc == RCN_OK) {
		*applied = PQntuples(res) > 0;
		PQclear(res);
	}
	return rc;
}

static rcn_rc apply_migration(rcn_db *db, const struct rcn_migration *m, rcn_err *err)
{
	char what[300];
	snprintf(what, sizeof what, "schema migration %s", m->name);
	rcn_rc rc = rcn_pq_command(db, "BEGIN", err, what);
	if (rc != RCN_OK)
		return rc;
	rc = rcn_pq_command(db, m->sql, err, what);
	if (rc == RCN_OK) {
		const char *params[1] = {m->name};
		rc = rcn_pq_query(db, "INSERT INTO recon_schema_migrations (name) VALUES ($1)", 1, params,
				  PGRES_COMMAND_OK, -1, what, NULL, err);
	}
	if (rc == RCN_OK)
		rc = rcn_pq_command(db, "COMMIT", err, what);
	if (rc != RCN_OK)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	return rc;
}

rcn_rc rcn_db_migrate(rcn_db *db, rcn_err *err)
{
	rcn_rc rc = rcn_pq_require_idle(db, err, "schema migration");
	if (rc != RCN_OK)
		return rc;
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%d, 0)", RCN_LOCK_NS_MIGRATE);
	rc = rcn_pq_command(db, sql, err, "schema migration lock");
	if (rc != RCN_OK)
		return rc;
	/* Under the lock, so concurrent first runs cannot race on creating it. */
	rc = rcn_pq_command(db,
			    "CREATE TABLE IF NOT EXISTS recon_schema_migrations ("
			    "name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
			    err, "schema migration");
	for (size_t i = 0; i < rcn_migrations_count && rc == RCN_OK; i++) {
		bool applied = false;
		rc = migration_applied(db, rcn_migrations[i].name, &applied, err);
		if (rc == RCN_OK && !applied)
			rc = apply_migration(db, &rcn_migrations[i], err);
	}
	snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%d, 0)", RCN_LOCK_NS_MIGRATE);
	PQclear(PQexec(db->conn, sql));
	return rc;
}

static rcn_rc try_lock_date(rcn_db *db, rcn_date day, bool *got, rcn_err *err)
{
	char ns[16], key[16];
	snprintf(ns, sizeof ns, "%d", RCN_LOCK_NS_DATE);
	snprintf(key, sizeof key, "%d", (int)day);
	const char *params[2] = {ns, key};
	PGresult *res =
		PQexecParams(db->conn, "SELECT pg_try_advisory_lock($1::int, $2::int)", 2, NULL, params, NULL, NULL, 0);
	rcn_rc rc = RCN_OK;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		rc = rcn_pq_fail(db, res, err, "date lock");
	else
		*got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

static double monotonic_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

rcn_rc rcn_db_lock_date(rcn_db *db, rcn_date day, int wait_seconds, void (*on_wait)(void *), void *ctx, rcn_err *err)
{
	bool got = false;
	rcn_rc rc = try_lock_date(db, day, &got, err);
	if (rc == RCN_OK && !got && wait_seconds > 0) {
		if (on_wait)
			on_wait(ctx);
		double deadline = monotonic_seconds() + wait_seconds;
		while (rc == RCN_OK && !got && monotonic_seconds() < deadline) {
			struct timespec pause = {0, 200 * 1000 * 1000};
			nanosleep(&pause, NULL);
			rc = try_lock_date(db, day, &got, err);
		}
	}
	if (rc == RCN_OK && !got) {
		char buf[11];
		rc = rcn_err_set(err, RCN_EBUSY, "", 0, "another recon run for %s is in progress",
				 rcn_date_format(buf, day));
	}
	return rc;
}

void rcn_db_unlock_date(rcn_db *db, rcn_date day)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%d, %d)", RCN_LOCK_NS_DATE, (int)day);
	PQclear(PQexec(db->conn, sql));
}
