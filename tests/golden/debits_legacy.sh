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

# What holds without the terms: the full night's findings
# (fixtures/debits/findings.txt) but expiry, retry intervals and the periods
# other than the month (C-QTR, C-WEEK, C-YEAR, C-DAY); signing, termination,
# limits, a day's count, the monthly rule and the average hold, and C-FAIL5
# stops after 3 consecutive failures (the default, its 5 not being known).
legacy="$(grep -v -E '[|](after_expiry|retry_interval)[|]|contract C-(QTR|WEEK|YEAR|DAY) ' "$ROOT/fixtures/debits/findings.txt")
DEBIT_TOO_FREQUENT|after_failures|D-G4|25.00|contract C-FAIL5 debited after 3 consecutive failed attempts (it stops after 3)"
[ "$(wc -l <<<"$legacy")" = 10 ] || fail "the legacy findings are not the 10 expected: $legacy"
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
