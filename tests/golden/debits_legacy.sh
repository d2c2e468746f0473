# Auto-debit rules on a ledger whose ledger_contracts predates the contract
# terms (billing_period, debits_per_period, expires_at,
# max_consecutive_failures, min_retry_interval): the night runs with their
# defaults; sql/ledger_002_contract_terms.sql then adds them without changing a
# finding, and a term set afterwards takes effect.
source "$(dirname "$0")/lib.sh"

fresh_db golden_debits_legacy
load_ledger "$ROOT/fixtures/debits"
# ledger_contracts as sql/ledger.sql created it before the contract terms:
# today's table without the columns sql/ledger_002_contract_terms.sql adds
psql -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
TRUNCATE ledger_contracts;
ALTER TABLE ledger_contracts DROP COLUMN billing_period, DROP COLUMN debits_per_period, DROP COLUMN expires_at,
	DROP COLUMN max_consecutive_failures, DROP COLUMN min_retry_interval;
DROP INDEX IF EXISTS ledger_orders_contract_id_idx;
SQL
cut -d, -f1-8 "$ROOT/fixtures/debits/contracts.csv" >"$WORK/contracts_v1.csv"
psql -q -v ON_ERROR_STOP=1 -c "\copy ledger_contracts from '$WORK/contracts_v1.csv' csv header" >/dev/null
cp "$ROOT"/fixtures/debits/recon.conf "$ROOT"/fixtures/debits/wechat_20260310.csv "$WORK"/

# What holds without the terms: signing, termination, limits, a day's count,
# the monthly rule of a contract allowing one debit a day, the average, and
# 3 consecutive failures (the default, C-FAIL5's 5 not being known).
legacy='DEBIT_AFTER_TERMINATION|after_termination|D-T1|10.00|contract C-TERM terminated at 2026-03-09 12:00:00
DEBIT_AFTER_TERMINATION|before_signing|D-S1|19.90|contract C-SIGN signed at 2026-03-10 12:00:00
DEBIT_OVER_LIMIT|per_debit_limit|D-L1|600.00|contract C-LIM allows 500.00 a debit
DEBIT_OVER_LIMIT|platform_cap|D-P1|60000.00|above the platform cap of 50000.00 a debit
DEBIT_OVER_LIMIT|above_average|D-A5|30.00|contract C-AVG debited 30.00: above 200% of its average debit of 10.00 (4 earlier debits)
DEBIT_OVER_LIMIT|above_average|D-ED4|20.02|contract C-EDGE debited 20.02: above 200% of its average debit of 10.01 (3 earlier debits)
DEBIT_TOO_FREQUENT|per_day|D-F3|5.00|contract C-FREQ allows 2 debits a day
DEBIT_TOO_FREQUENT|after_failures|D-FL4|25.00|contract C-FAIL debited after 3 consecutive failed attempts (it stops after 3)
DEBIT_TOO_FREQUENT|after_failures|D-G4|25.00|contract C-FAIL5 debited after 3 consecutive failed attempts (it stops after 3)
DOUBLE_CHARGE|contract_period|D-M2|29.90|contract C-MON debited more than once in 2026-03'
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-10
expect_findings "$WORK/reports/2026-03-10/discrepancies.csv" <<<"$legacy"

# the migration: same night, same findings
psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/ledger_002_contract_terms.sql" >/dev/null
psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/ledger_002_contract_terms.sql" >/dev/null # idempotent
expect_sql "|1||3|" "select billing_period, debits_per_period, expires_at, max_consecutive_failures, min_retry_interval from ledger_contracts where contract_id = 'C-QTR'"
expect_sql 1 "select count(*) from pg_indexes where indexname = 'ledger_orders_contract_id_idx'"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-10
expect_findings "$WORK/reports/2026-03-10/discrepancies.csv" <<<"$legacy"

# terms set on the migrated table count
sql "update ledger_contracts set billing_period = 'QUARTER' where contract_id = 'C-QTR'" >/dev/null
sql "update ledger_contracts set max_consecutive_failures = 5 where contract_id = 'C-FAIL5'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-10
expect_findings "$WORK/reports/2026-03-10/discrepancies.csv" <<<"$(grep -v 'D-G4' <<<"$legacy")
DOUBLE_CHARGE|contract_period|D-Q2|99.00|contract C-QTR debited more than once in 2026-Q1"
finish
