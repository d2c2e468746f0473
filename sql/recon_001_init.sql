-- recon's own tables (DESIGN.md §3 "The same results go to PostgreSQL").
-- Applied by `recon` itself (rcn_db_migrate), once, inside one transaction.

CREATE TABLE IF NOT EXISTS recon_schema_migrations (
	name       text PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
);

-- One row per stored run; a re-run of a date appends a row, and runs of
-- later dates are marked stale because the suspense they started from changed.
CREATE TABLE IF NOT EXISTS recon_runs (
	run_id        bigserial PRIMARY KEY,
	business_date date NOT NULL,
	started_at    timestamptz,
	finished_at   timestamptz,
	seconds       double precision,
	exit_status   int NOT NULL,
	inputs        jsonb NOT NULL DEFAULT '[]',
	counts        jsonb NOT NULL DEFAULT '{}',
	stale         boolean NOT NULL DEFAULT false,
	stale_reason  text,
	recon_version text
);
CREATE INDEX IF NOT EXISTS recon_runs_business_date_idx ON recon_runs (business_date);

-- Findings of a date's latest run. Amounts in fen, fees in 1e-5 yuan; NULL
-- where the side has no such item.
CREATE TABLE IF NOT EXISTS recon_discrepancies (
	business_date      date NOT NULL,
	kind               text NOT NULL,
	kind_cn            text NOT NULL,
	reason             text,
	side               char(1) NOT NULL CHECK (side IN ('S', 'L')),
	rec_type           text NOT NULL CHECK (rec_type IN ('payment', 'refund')),
	channel            text,
	merchant_id        text,
	order_no           text,
	refund_no          text,
	channel_txn_id     text,
	channel_refund_id  text,
	ledger_status      text,
	channel_status     text,
	ledger_amount_fen  bigint,
	channel_amount_fen bigint,
	channel_settle_fen bigint,
	expected_fee       bigint,
	channel_fee        bigint,
	trade_time         text,
	first_seen         date,
	age_days           int,
	source             text,
	detail             text
);
CREATE INDEX IF NOT EXISTS recon_discrepancies_business_date_idx ON recon_discrepancies (business_date);

-- The suspense as it stood after a date's run: its pending items, which the
-- next date's run starts from (so a re-run of D reads what D-1 left).
CREATE TABLE IF NOT EXISTS recon_suspense (LIKE recon_discrepancies INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
CREATE INDEX IF NOT EXISTS recon_suspense_business_date_idx ON recon_suspense (business_date);

-- Expected settlement per channel and merchant account (filled by a later version).
CREATE TABLE IF NOT EXISTS recon_settlements (
	business_date date NOT NULL,
	channel       text NOT NULL,
	merchant_id   text NOT NULL,
	gross_fen     bigint NOT NULL,
	refund_fen    bigint NOT NULL,
	fee           bigint NOT NULL, -- 1e-5 yuan
	net_fen       bigint NOT NULL,
	due_date      date
);
CREATE INDEX IF NOT EXISTS recon_settlements_business_date_idx ON recon_settlements (business_date);
