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
# The findings (kind|reason|order|amount|detail) are fixtures/debits/findings.txt.
expect_findings "$WORK/reports/2026-03-10/discrepancies.csv" <"$ROOT/fixtures/debits/findings.txt"
expect_sql 16 "select count(*) from recon_discrepancies where business_date = '2026-03-10'"
expect_sql "D-A5|D-ED4" "select string_agg(order_no, '|' order by order_no) from recon_discrepancies where kind = 'DEBIT_OVER_LIMIT' and reason = 'above_average'"
# the summary counts three debits above 200% of their contract's average, and
# each is listed in discrepancies.csv naming its contract and average: D-A5
# and D-ED4 as above_average, D-L1 (C-LIM, 3 debits of 100.00 before) under
# the graver per_debit_limit
S=$WORK/reports/2026-03-10/summary.csv
D=$WORK/reports/2026-03-10/discrepancies.csv
counted=$(tr -d '\r' <"$S" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "debits_over_200pct_of_contract_average") c = i }
	$2 == "*" && $4 == "channel" { print $c }')
[ "$counted" = 3 ] || fail "debits above average: summary.csv counts '$counted', expected 3"
listed=$(findings "$D" | grep -E '^[A-Z_]+[|][a-z_]+[|][^|]+[|][^|]+[|]contract C-[A-Z0-9]+ .*above 200% of its average debit of [0-9]+[.][0-9]{2} [(][0-9]+ earlier debits[)]$' | cut -d'|' -f3 | sort | tr '\n' ' ')
[ "$listed" = "D-A5 D-ED4 D-L1 " ] || fail "debits above average listed in discrepancies.csv: '$listed', expected D-A5 D-ED4 D-L1"
[ "$(wc -w <<<"$listed")" = "$counted" ] || fail "summary.csv counts $counted debits above average, discrepancies.csv lists $listed"
finish
