-- A night reconciled as N shards (issue 20, docs/internals/shards.md):
-- `recon run --date D --shard I/N` reconciles the orders whose key hashes to
-- part I and stores its outcome here, unpublished; `recon merge --date D
-- --shards N` checks that all N are done and came from the same statement
-- files and configuration, combines them and commits the night as one run.
-- A re-run of one shard replaces only its row.
CREATE TABLE IF NOT EXISTS recon_shards (
	business_date  date NOT NULL,
	shards         int NOT NULL CHECK (shards BETWEEN 1 AND 4096),
	shard          int NOT NULL CHECK (shard >= 0 AND shard < shards),
	status         text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
	started_at     timestamptz NOT NULL DEFAULT now(),
	finished_at    timestamptz,
	host           text NOT NULL DEFAULT '',
	why            text NOT NULL DEFAULT '',  -- a failed shard's one line
	inputs_digest  text NOT NULL DEFAULT '',  -- sha256 of the statement files' digests, in source order
	config_digest  text NOT NULL DEFAULT '',  -- sha256 of the configuration and the rules files
	statement_rows bigint NOT NULL DEFAULT 0, -- this part's
	ledger_rows    bigint NOT NULL DEFAULT 0, -- this part's of the window
	bytes_read     bigint NOT NULL DEFAULT 0, -- statement bytes this shard read
	seconds        double precision NOT NULL DEFAULT 0,
	outcome        bytea,                     -- zlib: the part's findings, tallies, sums, evidence
	PRIMARY KEY (business_date, shards, shard)
);
-- the outcome is compressed by recon: the server need not try again
ALTER TABLE recon_shards ALTER COLUMN outcome SET STORAGE EXTERNAL;
