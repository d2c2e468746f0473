/* Logins and sessions (recon/auth.h, sql/recon_008_sessions.sql): a login
 * checks the password against the slow hash, counts failures and backs off
 * (a lock that doubles with each failure past the fifth, at most 15
 * minutes), and opens a session whose random token only the browser holds;
 * the table keeps its SHA-256. Every login, failed login and logout has its
 * row in recon_audit, in the same statement as the change it records. */
#include "recon/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/pq.h"
#include "recon/text.h"

/* Compared against when the user is unknown, so that an unknown name costs
 * the same time as a wrong password (the salt and hash are no one's). */
static const char DUMMY_HASH[] = "pbkdf2-sha256$600000$00000000000000000000000000000000$"
				 "0000000000000000000000000000000000000000000000000000000000000000";

static void sha256_hex(const char *s, char out[65])
{
	unsigned char d[32];
	unsigned len = 0;
	if (EVP_Digest(s, strlen(s), d, &len, EVP_sha256(), NULL) != 1 || len != 32)
		memset(d, 0, sizeof d);
	rcn_hex(out, d, 32);
}

void rcn_session_csrf(const char *token, char out[65])
{
	char in[80];
	snprintf(in, sizeof in, "csrf:%s", token);
	sha256_hex(in, out);
	OPENSSL_cleanse(in, sizeof in);
}

bool rcn_random_hex(char out[65])
{
	unsigned char r[32];
	if (RAND_bytes(r, sizeof r) != 1)
		return false;
	rcn_hex(out, r, sizeof r);
	OPENSSL_cleanse(r, sizeof r);
	return true;
}

bool rcn_token_equal(const char *a, const char *b)
{
	size_t n = a ? strlen(a) : 0;
	return n == 64 && b && strlen(b) == n && CRYPTO_memcmp(a, b, n) == 0;
}

/* A token as it may come from a cookie: 64 lowercase hex digits. */
static bool token_shape(const char *t)
{
	if (!t || strlen(t) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return false;
	return true;
}

static rcn_rc audit(rcn_db *db, const char *actor, const char *action, const char *subject, const char *detail,
		    const char *remote, rcn_err *err)
{
	const char *p[5] = {actor, action, subject, detail, remote};
	return rcn_pq_query(db,
			    "INSERT INTO recon_audit (actor, action, subject, detail, remote) "
			    "VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''))",
			    5, p, PGRES_COMMAND_OK, -1, "writing the audit trail", NULL, err);
}

enum { U_ROLE, U_HASH, U_DISABLED, U_LOCKED, U_WAIT, U__COUNT };

/* The back-off of a name nobody has (as a user's: from the fifth failure)
 * and of an address (from the fiftieth, over any names): 1 s, 2 s, 4 s, ...
 * at most 15 minutes. */
enum { NAME_FREE_FAILURES = 4, ADDRESS_FREE_FAILURES = 49 };

static void throttle_keys(const char *who, const char *remote, char name_key[80], char addr_key[80])
{
	snprintf(name_key, 80, "name:%s", who);
	snprintf(addr_key, 80, "addr:%s", remote && remote[0] ? remote : "-");
}

/* Seconds until the lock of the name (when it is no user's: unknown) or of
 * the address ends; 0 when neither is locked. */
static rcn_rc throttle_wait(rcn_db *db, const char *who, const char *remote, bool unknown, int *wait, rcn_err *err)
{
	char nk[80], ak[80];
	throttle_keys(who, remote, nk, ak);
	const char *p[2] = {unknown ? nk : ak, ak};
	int64_t w = 0;
	rcn_rc rc = rcn_pq_int64(
		db,
		"SELECT coalesce(max(ceil(extract(epoch FROM locked_until - clock_timestamp()))), 0)::bigint "
		"FROM recon_login_throttle WHERE key IN ($1, $2) AND locked_until > clock_timestamp()",
		2, p, "checking the login back-off", &w, err);
	*wait = (int)w;
	return rc;
}

/* One more failure of the name (unknown: no user's) and of the address;
 * *wait: the longest lock now. */
static rcn_rc throttle_fail(rcn_db *db, const char *who, const char *remote, bool unknown, int *wait, rcn_err *err)
{
	char nk[80], ak[80], nf[16], af[16];
	throttle_keys(who, remote, nk, ak);
	snprintf(nf, sizeof nf, "%d", unknown ? NAME_FREE_FAILURES : 1 << 30);
	snprintf(af, sizeof af, "%d", ADDRESS_FREE_FAILURES);
	const char *p[4] = {nk, nf, ak, af};
	int64_t w = 0;
	rcn_rc rc = rcn_pq_int64(
		db,
		"WITH k(key, free) AS (VALUES ($1, $2::int), ($3, $4::int)), u AS ("
		"INSERT INTO recon_login_throttle AS t (key, failures, locked_until) SELECT key, 1, NULL FROM k "
		"ON CONFLICT (key) DO UPDATE SET failures = t.failures + 1, last_at = now(), locked_until = "
		"CASE WHEN t.failures + 1 > (SELECT free FROM k WHERE k.key = t.key) THEN clock_timestamp() + "
		"least(interval '15 minutes', interval '1 second' * power(2, least(t.failures - (SELECT free FROM k "
		"WHERE k.key = t.key), 20))) ELSE t.locked_until END RETURNING locked_until) "
		"SELECT coalesce(max(ceil(extract(epoch FROM locked_until - clock_timestamp()))), 0)::bigint FROM u",
		4, p, "counting the failed login", &w, err);
	*wait = (int)w;
	return rc;
}

rcn_rc rcn_login(rcn_db *db, const char *name, const char *password, const char *remote, rcn_login_outcome *out,
		 rcn_err *err)
{
	memset(out, 0, sizeof *out);
	out->result = RCN_LOGIN_WRONG;
	const char *who = rcn_user_name_ok(name) ? name : "?";
	PGresult *res = NULL;
	const char *p1[1] = {who};
	rcn_rc rc =
		rcn_pq_query(db,
			     "SELECT role, password_hash, disabled, coalesce(locked_until > clock_timestamp(), false), "
			     "coalesce(ceil(extract(epoch FROM locked_until - clock_timestamp())), 0)::int "
			     "FROM recon_users WHERE name = $1",
			     1, p1, PGRES_TUPLES_OK, U__COUNT, "looking the user up", &res, err);
	if (rc != RCN_OK)
		return rc;
	bool unknown = PQntuples(res) != 1;
	int held = 0, counted = 0;
	if ((rc = throttle_wait(db, who, remote, unknown, &held, err)) != RCN_OK) {
		PQclear(res);
		return rc;
	}
	if (unknown) {
		PQclear(res);
		if (!held)
			(void)rcn_password_verify(password, DUMMY_HASH); /* the time a wrong password takes */
		if ((rc = throttle_fail(db, who, remote, true, &counted, err)) != RCN_OK)
			return rc;
		out->result = held ? RCN_LOGIN_LOCKED : RCN_LOGIN_WRONG;
		out->wait_seconds = held ? (counted > held ? counted : held) : 0;
		return audit(db, who, "login_failed", who, held ? "locked" : "unknown user", remote, err);
	}
	bool disabled = PQgetvalue(res, 0, U_DISABLED)[0] == 't', locked = PQgetvalue(res, 0, U_LOCKED)[0] == 't';
	int wait = atoi(PQgetvalue(res, 0, U_WAIT));
	rcn_role role = RCN_ROLE_VIEWER;
	(void)rcn_role_parse(PQgetvalue(res, 0, U_ROLE), &role);
	if (held) /* the address is locked */
		locked = true, wait = wait > held ? wait : held;
	bool right = !locked && rcn_password_verify(password, PQgetvalue(res, 0, U_HASH));
	PQclear(res);
	if (!right || disabled) {
		if ((rc = throttle_fail(db, who, remote, false, &counted, err)) != RCN_OK)
			return rc;
		/* every failure counts, a locked user's too: the lock doubles from the
		 * fifth (1 s, 2 s, 4 s, ... at most 15 minutes) */
		const char *why = locked ? "locked" : disabled ? "disabled" : "wrong password";
		const char *p[4] = {name, who, why, remote ? remote : ""};
		PGresult *r2 = NULL;
		rc = rcn_pq_query(
			db,
			"WITH u AS (UPDATE recon_users SET failed_logins = failed_logins + 1, "
			"locked_until = CASE WHEN failed_logins + 1 >= 5 THEN clock_timestamp() + "
			"least(interval '15 minutes', interval '1 second' * power(2, least(failed_logins - 4, 20))) "
			"ELSE locked_until END WHERE name = $1 RETURNING "
			"ceil(extract(epoch FROM locked_until - clock_timestamp()))::int AS wait) "
			"INSERT INTO recon_audit (actor, action, subject, detail, remote) "
			"SELECT $2, 'login_failed', $2, $3, NULLIF($4, '') FROM u RETURNING (SELECT wait FROM u)",
			4, p, PGRES_TUPLES_OK, 1, "counting the failed login", &r2, err);
		if (rc != RCN_OK)
			return rc;
		int w = PQntuples(r2) == 1 && !PQgetisnull(r2, 0, 0) ? atoi(PQgetvalue(r2, 0, 0)) : 0;
		PQclear(r2);
		out->result = locked ? RCN_LOGIN_LOCKED : RCN_LOGIN_WRONG;
		w = w > counted ? w : counted;
		out->wait_seconds = locked ? (w > wait ? w : wait) : 0;
		return RCN_OK;
	}
	char token[65], digest[65];
	if (!rcn_random_hex(token))
		return rcn_err_set(err, RCN_EIO, NULL, 0, "no random session token could be had from OpenSSL");
	sha256_hex(token, digest);
	const char *p[3] = {name, digest, remote ? remote : ""};
	rc = rcn_pq_query(db,
			  "WITH u AS (UPDATE recon_users SET failed_logins = 0, locked_until = NULL WHERE name = $1 "
			  "RETURNING name), s AS (INSERT INTO recon_sessions (token_hash, user_name, remote) "
			  "SELECT decode($2, 'hex'), name, NULLIF($3, '') FROM u RETURNING user_name) "
			  "INSERT INTO recon_audit (actor, action, subject, remote) "
			  "SELECT user_name, 'login', user_name, NULLIF($3, '') FROM s",
			  3, p, PGRES_COMMAND_OK, -1, "opening the session", NULL, err);
	if (rc == RCN_OK) {
		out->result = RCN_LOGIN_OK;
		memcpy(out->token, token, sizeof token);
		snprintf(out->user.name, sizeof out->user.name, "%s", name);
		out->user.role = role;
	}
	OPENSSL_cleanse(token, sizeof token);
	return rc;
}

rcn_rc rcn_session_check(rcn_db *db, const char *token, int idle_minutes, int session_hours, bool *found,
			 rcn_user_seen *who, rcn_err *err)
{
	*found = false;
	if (!token_shape(token))
		return RCN_OK;
	char digest[65], idle[16], hours[16];
	sha256_hex(token, digest);
	snprintf(idle, sizeof idle, "%d", idle_minutes);
	snprintf(hours, sizeof hours, "%d", session_hours);
	const char *p[3] = {digest, idle, hours};
	PGresult *res = NULL;
	rcn_rc rc = rcn_pq_query(
		db,
		"UPDATE recon_sessions s SET last_seen_at = clock_timestamp() FROM recon_users u "
		"WHERE s.token_hash = decode($1, 'hex') AND s.ended_at IS NULL AND u.name = s.user_name "
		"AND NOT u.disabled AND s.last_seen_at > clock_timestamp() - make_interval(mins => $2::int) "
		"AND s.created_at > clock_timestamp() - make_interval(hours => $3::int) "
		"RETURNING u.name, u.role",
		3, p, PGRES_TUPLES_OK, 2, "checking the session", &res, err);
	if (rc != RCN_OK)
		return rc;
	if (PQntuples(res) == 1) {
		*found = true;
		snprintf(who->name, sizeof who->name, "%s", PQgetvalue(res, 0, 0));
		who->role = RCN_ROLE_VIEWER;
		(void)rcn_role_parse(PQgetvalue(res, 0, 1), &who->role);
	}
	PQclear(res);
	return RCN_OK;
}

rcn_rc rcn_session_end(rcn_db *db, const char *token, const char *remote, rcn_err *err)
{
	if (!token_shape(token))
		return RCN_OK;
	char digest[65];
	sha256_hex(token, digest);
	const char *p[2] = {digest, remote ? remote : ""};
	return rcn_pq_query(db,
			    "WITH s AS (UPDATE recon_sessions SET ended_at = clock_timestamp() "
			    "WHERE token_hash = decode($1, 'hex') AND ended_at IS NULL RETURNING user_name) "
			    "INSERT INTO recon_audit (actor, action, subject, remote) "
			    "SELECT user_name, 'logout', user_name, NULLIF($2, '') FROM s",
			    2, p, PGRES_COMMAND_OK, -1, "ending the session", NULL, err);
}
