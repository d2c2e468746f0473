-- Failed logins counted by what a user does not own (issue 21): a name that
-- is no user's, and the client's address. A name nobody has is locked after
-- the same failures as a user (recon_users.failed_logins): a lock says
-- nothing of whether the name exists. An address is locked after many
-- failures over any names: guessing across names from one place is slowed.
--   key           'name:<name>' or 'addr:<address>'
CREATE TABLE IF NOT EXISTS recon_login_throttle (
	key          text PRIMARY KEY,
	failures     integer NOT NULL DEFAULT 0,
	locked_until timestamptz,
	last_at      timestamptz NOT NULL DEFAULT now()
);
