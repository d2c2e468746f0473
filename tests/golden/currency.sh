# Amounts are compared only within one currency (issue 18): an order of
# USD 20.00 paid on WeChat as CNY 20.00 is one CURRENCY_MISMATCH (币种不符),
# never a match nor a short or over payment; orders in CNY and in USD paid in
# their own currency match. The night balances on both sides.
source "$(dirname "$0")/lib.sh"

fixture_night golden_currency currency
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
same_files "$WORK/reports/2026-03-02" "$GOLDEN/currency/2026-03-02"
expect_sql 1 "select count(*) from recon_discrepancies where business_date = '2026-03-02'"
expect_sql "CURRENCY_MISMATCH|currency|CUR-P1|2000|2000|ledger USD 20.00, channel CNY 20.00" \
	"select kind, reason, order_no, ledger_amount_fen, channel_amount_fen, detail from recon_discrepancies where business_date = '2026-03-02'"
grep -c 'CURRENCY_MISMATCH,币种不符' "$WORK/reports/2026-03-02/discrepancies.csv" | grep -qx 1 ||
	fail "discrepancies.csv has not exactly one CURRENCY_MISMATCH row"
grep -q 'SHORT_PAYMENT\|OVERPAYMENT' "$WORK/reports/2026-03-02/discrepancies.csv" &&
	fail "a currency mismatch compared as amounts"
grep -q '3 statement rows: 2 matched, 1 discrepancies, 0 pending, 0 quarantined; 3 ledger items: 2 matched, 1 discrepancies, 0 pending' "$WORK/err" ||
	fail "the night does not balance: $(cat "$WORK/err")"
finish
