/* The workbench's people (issue 21, DESIGN.md §6): their passwords, kept
 * only as slow salted hashes, their roles, and the audit trail of what is
 * done to them and by them (recon_users, recon_audit:
 * sql/recon_007_users.sql). `recon user` and `recon serve` both go through
 * here. */
#ifndef RECON_AUTH_H
#define RECON_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "recon/common.h"
#include "recon/db.h"

/* ---- passwords ---- */

/* PBKDF2-HMAC-SHA256 (OpenSSL) with a 16-byte random salt and this many
 * iterations (OWASP's 2023 figure for PBKDF2-SHA256): a guess costs an
 * attacker with the table the same ~0.3 s of CPU it costs a login. */
enum { RCN_PASSWORD_ITERATIONS = 600000 };
/* Passwords shorter than this are refused (characters: bytes of UTF-8). */
enum { RCN_PASSWORD_MIN = 12, RCN_PASSWORD_MAX = 1024 };
/* "pbkdf2-sha256$600000$<salt: 32 hex>$<hash: 64 hex>" and its NUL. */
enum { RCN_PASSWORD_HASH_MAX = 128 };

/* out (32 bytes): PBKDF2-HMAC-SHA256 of the password and salt. False when
 * OpenSSL fails. */
bool rcn_pbkdf2_sha256(const char *password, size_t len, const unsigned char *salt, size_t salt_len,
		       unsigned iterations, unsigned char out[32]);
/* The stored form of a new password, with a fresh salt: RCN_EUSAGE (err
 * says why, never the password) when it is too short or too long, RCN_EIO
 * when no random salt could be had. */
rcn_rc rcn_password_hash(const char *password, char out[RCN_PASSWORD_HASH_MAX], rcn_err *err);
/* Whether password is the one stored (compared in constant time); false for
 * a stored form that is not one of ours. */
bool rcn_password_verify(const char *password, const char *stored);

/* ---- users ---- */

typedef enum { RCN_ROLE_VIEWER, RCN_ROLE_CLERK, RCN_ROLE_SUPERVISOR, RCN_ROLE_ADMIN, RCN_ROLE__COUNT } rcn_role;

/* "viewer", "clerk", "supervisor", "admin". */
const char *rcn_role_name(rcn_role role);
bool rcn_role_parse(const char *s, rcn_role *out);
/* A user's name: 1-64 of A-Z a-z 0-9 . _ @ -, a letter or digit first. */
bool rcn_user_name_ok(const char *name);

/* Each in one transaction with its row of recon_audit (actor: who did it).
 * RCN_EUSAGE when the user exists already (add) or does not (the others),
 * RCN_EDB on a database failure; nothing changed either way. */
rcn_rc rcn_user_add(rcn_db *db, const char *name, rcn_role role, const char *password_hash, const char *actor,
		    rcn_err *err);
rcn_rc rcn_user_disable(rcn_db *db, const char *name, const char *actor, rcn_err *err);
/* A new password; also ends the user's lockout and failed-login count. */
rcn_rc rcn_user_set_password(rcn_db *db, const char *name, const char *password_hash, const char *actor, rcn_err *err);

/* ---- logins and sessions ---- */

typedef struct {
	char name[65];
	rcn_role role;
} rcn_user_seen;

typedef enum { RCN_LOGIN_WRONG, RCN_LOGIN_LOCKED, RCN_LOGIN_OK } rcn_login_result;

typedef struct {
	rcn_login_result result;
	int wait_seconds;   /* RCN_LOGIN_LOCKED: until the lock ends */
	char token[65];	    /* RCN_LOGIN_OK: the session's token, for the cookie only */
	rcn_user_seen user; /* RCN_LOGIN_OK */
} rcn_login_outcome;

/* A login attempt from remote (the client's address): on the right
 * password of a user that is neither disabled nor locked, a new session;
 * else the failure counted (an unknown name, a disabled user and a wrong
 * password look the same from outside, and take as long). RCN_EDB only on
 * a database failure. */
rcn_rc rcn_login(rcn_db *db, const char *name, const char *password, const char *remote, rcn_login_outcome *out,
		 rcn_err *err);
/* The session of a cookie's token, when it is open, its user enabled, seen
 * in the last idle_minutes and opened in the last session_hours (then
 * marked seen now). */
rcn_rc rcn_session_check(rcn_db *db, const char *token, int idle_minutes, int session_hours, bool *found,
			 rcn_user_seen *who, rcn_err *err);
/* Logout: the session ends (its token is dead from now on). */
rcn_rc rcn_session_end(rcn_db *db, const char *token, const char *remote, rcn_err *err);
/* A session's CSRF token: SHA-256 of its token, as 64 hex digits (a page
 * carries it; a state-changing request must send it back). */
void rcn_session_csrf(const char *token, char out[65]);
/* 32 random bytes as 64 hex digits: false when OpenSSL has none. */
bool rcn_random_hex(char out[65]);
/* Two tokens of 64 characters, compared in constant time. */
bool rcn_token_equal(const char *a, const char *b);

#endif
