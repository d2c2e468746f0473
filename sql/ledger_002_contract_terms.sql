-- The auto-debit contract's terms (委托代扣, FORMATS.md §6), added to a ledger
-- created by an earlier sql/ledger.sql. Additive and idempotent: every column
-- is NULL-able with the default recon assumes when it is missing, so a ledger
-- that never runs this keeps working (recon reads the terms when present).
--
--   billing_period           DAY | WEEK | MONTH | QUARTER | YEAR, on the business
--                            time zone's calendar (WEEK = ISO week, Monday to Sunday).
--                            NULL: no period rule, except that a contract allowing
--                            one debit a day (max_debits_per_day = 1) is monthly.
--   debits_per_period        collected debits allowed per billing period (NULL: 1).
--   expires_at               the contract's end: a debit at or after it is
--                            DEBIT_AFTER_TERMINATION after_expiry (NULL: none).
--   max_consecutive_failures failed attempts in a row after which the merchant
--                            stops debiting (NULL: 3).
--   min_retry_interval       shortest wait after a failed attempt before the next
--                            one (NULL: none), e.g. '2 hours'.
--
-- The index serves recon's per-contract reads (history, failed attempts).
ALTER TABLE ledger_contracts ADD COLUMN IF NOT EXISTS billing_period text
	CHECK (billing_period IN ('DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'));
ALTER TABLE ledger_contracts ADD COLUMN IF NOT EXISTS debits_per_period int DEFAULT 1
	CHECK (debits_per_period >= 1);
ALTER TABLE ledger_contracts ADD COLUMN IF NOT EXISTS expires_at timestamptz;
ALTER TABLE ledger_contracts ADD COLUMN IF NOT EXISTS max_consecutive_failures int DEFAULT 3
	CHECK (max_consecutive_failures >= 1);
ALTER TABLE ledger_contracts ADD COLUMN IF NOT EXISTS min_retry_interval interval
	CHECK (min_retry_interval >= interval '0');
CREATE INDEX IF NOT EXISTS ledger_orders_contract_id_idx ON ledger_orders (contract_id)
	WHERE contract_id IS NOT NULL;
