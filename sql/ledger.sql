-- Default merchant ledger schema (DESIGN.md §3). recon only reads these
-- tables; a site with its own ledger gives its own SELECTs in the config.
-- Idempotent: safe to run on an existing ledger, but it creates only what is
-- missing: a table created by an earlier version is completed by the
-- versioned sql/ledger_NNN_*.sql files (ledger_002_contract_terms.sql: the
-- auto-debit contract terms), which this file already includes.

CREATE TABLE IF NOT EXISTS ledger_orders (
	order_no       text PRIMARY KEY,
	merchant_id    text NOT NULL,
	channel        text NOT NULL,
	channel_txn_id text NULL, -- NULL while the payment callback has not arrived
	amount_fen     bigint NOT NULL,
	currency       text NOT NULL DEFAULT 'CNY',
	status         text NOT NULL
		CHECK (status IN ('CREATED', 'PAID', 'CLOSED', 'REFUNDED', 'PARTIALLY_REFUNDED')),
	created_at     timestamptz NOT NULL,
	paid_at        timestamptz,
	contract_id    text -- auto-debit contract, NULL otherwise
);

-- The window load selects on COALESCE(paid_at, created_at).
CREATE INDEX IF NOT EXISTS ledger_orders_paid_at_idx ON ledger_orders (paid_at);
CREATE INDEX IF NOT EXISTS ledger_orders_created_at_idx ON ledger_orders (created_at);
CREATE INDEX IF NOT EXISTS ledger_orders_window_idx ON ledger_orders ((COALESCE(paid_at, created_at)));
CREATE INDEX IF NOT EXISTS ledger_orders_channel_txn_id_idx ON ledger_orders (channel_txn_id);
-- an auto-debit contract's debits and failed attempts (its CLOSED orders)
CREATE INDEX IF NOT EXISTS ledger_orders_contract_id_idx ON ledger_orders (contract_id)
	WHERE contract_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS ledger_refunds (
	refund_no         text PRIMARY KEY,
	order_no          text NOT NULL,
	channel_refund_id text,
	amount_fen        bigint NOT NULL,
	status            text NOT NULL CHECK (status IN ('PROCESSING', 'SUCCESS', 'FAILED')),
	requested_at      timestamptz NOT NULL,
	refunded_at       timestamptz
);

CREATE INDEX IF NOT EXISTS ledger_refunds_order_no_idx ON ledger_refunds (order_no);
CREATE INDEX IF NOT EXISTS ledger_refunds_refunded_at_idx ON ledger_refunds (refunded_at);
CREATE INDEX IF NOT EXISTS ledger_refunds_requested_at_idx ON ledger_refunds (requested_at);
CREATE INDEX IF NOT EXISTS ledger_refunds_window_idx ON ledger_refunds ((COALESCE(refunded_at, requested_at)));

CREATE TABLE IF NOT EXISTS ledger_contracts (
	contract_id         text PRIMARY KEY,
	merchant_id         text NOT NULL,
	channel             text NOT NULL,
	status              text NOT NULL CHECK (status IN ('ACTIVE', 'TERMINATED')),
	signed_at           timestamptz,
	terminated_at       timestamptz,
	per_debit_limit_fen bigint,
	max_debits_per_day  int,
	-- the contract's terms (sql/ledger_002_contract_terms.sql adds them to an
	-- older ledger and says what each means; NULL: recon's default)
	billing_period           text CHECK (billing_period IN ('DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR')),
	debits_per_period        int DEFAULT 1 CHECK (debits_per_period >= 1),
	expires_at               timestamptz,
	max_consecutive_failures int DEFAULT 3 CHECK (max_consecutive_failures >= 1),
	min_retry_interval       interval CHECK (min_retry_interval >= interval '0')
);
