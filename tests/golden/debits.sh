# Auto-debit (委托代扣) contract rules, end to end: the contracts and their
# history come from the ledger (ledger_contracts and the orders' contract_id).
source "$(dirname "$0")/lib.sh"

fresh_db golden_debits
load_ledger "$ROOT/fixtures/debits"
psql -q -v ON_ERROR_STOP=1 -c "\copy ledger_contracts(contract_id, merchant_id, channel, status, signed_at, terminated_at, per_debit_limit_fen, max_debits_per_day) from '$ROOT/fixtures/debits/contracts.csv' csv header" >/dev/null
cp "$ROOT"/fixtures/debits/recon.conf "$ROOT"/fixtures/debits/wechat_20260310.csv "$WORK"/
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-10
same_files "$WORK/reports/2026-03-10" "$GOLDEN/debits/2026-03-10"
for f in "DEBIT_AFTER_TERMINATION|after_termination|D-T1" "DEBIT_OVER_LIMIT|per_debit_limit|D-L1" \
	"DEBIT_OVER_LIMIT|platform_cap|D-P1" "DEBIT_TOO_FREQUENT|per_day|D-F3" "DOUBLE_CHARGE|contract_period|D-M2"; do
	IFS='|' read -r kind reason order <<<"$f"
	expect_sql 1 "select count(*) from recon_discrepancies where kind = '$kind' and reason = '$reason' and order_no = '$order'"
done
expect_sql 5 "select count(*) from recon_discrepancies where business_date = '2026-03-10'"
# the debit three times its contract's average is flagged in the summary, not reported
grep -q ',1$' <(tr -d '\r' <"$WORK/reports/2026-03-10/summary.csv" | sed -n 3p) || fail "suspicious debit not counted: $(sed -n 3p "$WORK/reports/2026-03-10/summary.csv")"
finish
