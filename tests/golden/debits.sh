# Auto-debit (委托代扣) contract rules, end to end: the contracts and their
# history come from the ledger (ledger_contracts and the orders' contract_id,
# failed attempts being the contract's CLOSED orders).
source "$(dirname "$0")/lib.sh"

fresh_db golden_debits
load_ledger "$ROOT/fixtures/debits"
psql -q -v ON_ERROR_STOP=1 -c "\copy ledger_contracts(contract_id, merchant_id, channel, status, signed_at, terminated_at, per_debit_limit_fen, max_debits_per_day, billing_period, debits_per_period, expires_at, max_consecutive_failures, min_retry_interval) from '$ROOT/fixtures/debits/contracts.csv' csv header" >/dev/null
cp "$ROOT"/fixtures/debits/recon.conf "$ROOT"/fixtures/debits/wechat_20260310.csv "$WORK"/
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-10
same_files "$WORK/reports/2026-03-10" "$GOLDEN/debits/2026-03-10"
# Every rule broken once, the edges kept: C-QNEW (last debit in 2025-Q4),
# C-EXPOK (expires after its debit), C-FAIL5 (3 failures, allows 5), C-RESET
# (a success between the failures), C-RETRYOK (2.5 h after its failure),
# C-EXACT (exactly 200%), C-FEW (2 earlier debits: too few for an average).
expect_findings "$WORK/reports/2026-03-10/discrepancies.csv" <<'EOF2'
DEBIT_AFTER_TERMINATION|after_termination|D-T1|10.00|contract C-TERM terminated at 2026-03-09 12:00:00
DEBIT_AFTER_TERMINATION|before_signing|D-S1|19.90|contract C-SIGN signed at 2026-03-10 12:00:00
DEBIT_AFTER_TERMINATION|after_expiry|D-E1|19.90|contract C-EXP expired at 2026-03-10 00:00:00
DEBIT_OVER_LIMIT|per_debit_limit|D-L1|600.00|contract C-LIM allows 500.00 a debit
DEBIT_OVER_LIMIT|platform_cap|D-P1|60000.00|above the platform cap of 50000.00 a debit
DEBIT_OVER_LIMIT|above_average|D-A5|30.00|contract C-AVG debited 30.00: above 200% of its average debit of 10.00 (4 earlier debits)
DEBIT_OVER_LIMIT|above_average|D-ED4|20.02|contract C-EDGE debited 20.02: above 200% of its average debit of 10.01 (3 earlier debits)
DEBIT_TOO_FREQUENT|per_day|D-F3|5.00|contract C-FREQ allows 2 debits a day
DEBIT_TOO_FREQUENT|after_failures|D-FL4|25.00|contract C-FAIL debited after 3 consecutive failed attempts (it stops after 3)
DEBIT_TOO_FREQUENT|retry_interval|D-RT2|40.00|contract C-RETRY retried 1 h after the failed attempt at 2026-03-10 09:00:00 (at least 2 h apart)
DEBIT_TOO_FREQUENT|retry_interval|D-RX2|40.00|contract C-RETRY2 retried 1 h after the failed attempt at 2026-03-09 23:30:00 (at least 2 h apart)
DOUBLE_CHARGE|contract_period|D-M2|29.90|contract C-MON debited more than once in 2026-03
DOUBLE_CHARGE|contract_period|D-Q2|99.00|contract C-QTR debited more than once in 2026-Q1
DOUBLE_CHARGE|contract_period|D-W3|5.00|contract C-WEEK debited more than 2 times in 2026-W11
DOUBLE_CHARGE|contract_period|D-Y2|120.00|contract C-YEAR debited more than once in 2026
DOUBLE_CHARGE|contract_period|D-DY2|3.00|contract C-DAY debited more than once in 2026-03-10
EOF2
expect_sql 16 "select count(*) from recon_discrepancies where business_date = '2026-03-10'"
expect_sql "D-A5|D-ED4" "select string_agg(order_no, '|' order by order_no) from recon_discrepancies where kind = 'DEBIT_OVER_LIMIT' and reason = 'above_average'"
# the summary counts the same two debits above 200% of their contract's average
grep -q ',2$' <(tr -d '\r' <"$WORK/reports/2026-03-10/summary.csv" | sed -n 3p) || fail "debits above average not counted: $(sed -n 3p "$WORK/reports/2026-03-10/summary.csv")"
finish
