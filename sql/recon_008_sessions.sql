-- The workbench's sessions (issue 21): a login's random 256-bit token is
-- given to the browser as a cookie and kept here only as its SHA-256, so a
-- copy of this table lets no one in. A session ends at logout, after
-- [serve] idle_minutes without a request, after [serve] session_hours in
-- all, or when its user is disabled.
CREATE TABLE IF NOT EXISTS recon_sessions (
	token_hash   bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	user_name    text NOT NULL REFERENCES recon_users (name),
	created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
	last_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	ended_at     timestamptz,
	remote       text
);
CREATE INDEX IF NOT EXISTS recon_sessions_user_idx ON recon_sessions (user_name) WHERE ended_at IS NULL;
