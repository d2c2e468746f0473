/* recon_users and recon_audit (recon/auth.h, sql/recon_007_users.sql): each
 * change is one statement that also writes its audit row, so the two are
 * committed together or not at all; parameters only, never spliced. */
#include "recon/auth.h"

#include <string.h>

#include "recon/pq.h"

static const char *const ROLES[RCN_ROLE__COUNT] = {"viewer", "clerk", "supervisor", "admin"};

const char *rcn_role_name(rcn_role role)
{
	return role < RCN_ROLE__COUNT ? ROLES[role] : "?";
}

bool rcn_role_parse(const char *s, rcn_role *out)
{
	for (int i = 0; i < RCN_ROLE__COUNT; i++)
		if (s && strcmp(s, ROLES[i]) == 0) {
			*out = (rcn_role)i;
			return true;
		}
	return false;
}

bool rcn_user_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr("._@-", c)))
			return false;
	}
	return true;
}

/* sql (a change RETURNING the audit row's id) with its parameters: RCN_OK
 * when it changed a user, RCN_EUSAGE with missing when it changed none. */
static rcn_rc change(rcn_db *db, const char *sql, int n, const char *const *p, const char *what, const char *missing,
		     const char *name, rcn_err *err)
{
	PGresult *res = NULL;
	rcn_rc rc = rcn_pq_query(db, sql, n, p, PGRES_TUPLES_OK, 1, what, &res, err);
	if (rc != RCN_OK)
		return rc;
	int rows = PQntuples(res);
	PQclear(res);
	if (rows != 1)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "user %s %s; nothing changed", name, missing);
	return RCN_OK;
}

rcn_rc rcn_user_add(rcn_db *db, const char *name, rcn_role role, const char *password_hash, const char *actor,
		    rcn_err *err)
{
	if (!rcn_user_name_ok(name))
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0,
				   "a user's name is 1 to 64 of A-Z a-z 0-9 . _ @ -, a letter or digit first");
	const char *p[4] = {name, rcn_role_name(role), password_hash, actor};
	return change(db,
		      "WITH u AS (INSERT INTO recon_users (name, role, password_hash) VALUES ($1, $2, $3) "
		      "ON CONFLICT (name) DO NOTHING RETURNING name, role) "
		      "INSERT INTO recon_audit (actor, action, subject, detail) "
		      "SELECT $4, 'user_added', name, 'role ' || role FROM u RETURNING audit_id",
		      4, p, "adding the user", "exists already", name, err);
}

rcn_rc rcn_user_disable(rcn_db *db, const char *name, const char *actor, rcn_err *err)
{
	const char *p[2] = {name, actor};
	return change(db,
		      "WITH u AS (UPDATE recon_users SET disabled = true, changed_at = clock_timestamp() "
		      "WHERE name = $1 RETURNING name), "
		      "s AS (UPDATE recon_sessions SET ended_at = clock_timestamp() "
		      "WHERE user_name = $1 AND ended_at IS NULL) "
		      "INSERT INTO recon_audit (actor, action, subject) "
		      "SELECT $2, 'user_disabled', name FROM u RETURNING audit_id",
		      2, p, "disabling the user", "does not exist", name, err);
}

rcn_rc rcn_user_set_password(rcn_db *db, const char *name, const char *password_hash, const char *actor, rcn_err *err)
{
	const char *p[3] = {name, password_hash, actor};
	return change(db,
		      "WITH u AS (UPDATE recon_users SET password_hash = $2, failed_logins = 0, locked_until = NULL, "
		      "changed_at = clock_timestamp() WHERE name = $1 RETURNING name) "
		      "INSERT INTO recon_audit (actor, action, subject) "
		      "SELECT $3, 'password_changed', name FROM u RETURNING audit_id",
		      3, p, "changing the password", "does not exist", name, err);
}
