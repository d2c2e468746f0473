-- The workbench's people (issue 21, DESIGN.md §6): who may read, act on,
-- approve and manage; and the audit trail of what is done to them and by
-- them (logins, failed logins, user changes). The open items' own actions
-- stay in recon_item_events.

CREATE TABLE IF NOT EXISTS recon_users (
	name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
	role          text NOT NULL CHECK (role IN ('viewer', 'clerk', 'supervisor', 'admin')),
	password_hash text NOT NULL,      -- pbkdf2-sha256$<iterations>$<salt>$<hash> (src/auth/password.c), never the password
	disabled      boolean NOT NULL DEFAULT false,
	failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	locked_until  timestamptz,        -- back-off after failed logins
	created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
	changed_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS recon_audit (
	audit_id bigserial PRIMARY KEY,   -- the trail's order
	at       timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor    text NOT NULL,           -- who did it: a workbench user, or the login name of `recon user`
	action   text NOT NULL,           -- user_added, user_disabled, password_changed, login, login_failed, logout
	subject  text,                    -- the user it concerns
	detail   text,                    -- e.g. the role given; never a password or a token
	remote   text                     -- the client's address (the workbench), NULL from the command line
);

CREATE OR REPLACE FUNCTION recon_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'recon_audit is an append-only audit trail: % is not allowed', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS recon_audit_no_change ON recon_audit;
CREATE TRIGGER recon_audit_no_change BEFORE UPDATE OR DELETE ON recon_audit
	FOR EACH ROW EXECUTE FUNCTION recon_audit_append_only();
DROP TRIGGER IF EXISTS recon_audit_no_truncate ON recon_audit;
CREATE TRIGGER recon_audit_no_truncate BEFORE TRUNCATE ON recon_audit
	FOR EACH STATEMENT EXECUTE FUNCTION recon_audit_append_only();
