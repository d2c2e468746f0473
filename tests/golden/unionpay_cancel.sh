# UnionPay: a payment cancelled the same day (消费撤销, 交易类型 31) is read as
# the payment's return, as RD books it (借), and reconciles against the
# ledger's refund of the order; before, it was read as a second payment and
# RD's totals rejected the whole file.
source "$(dirname "$0")/lib.sh"

fresh_db golden_unionpay_cancel
load_ledger "$ROOT/fixtures/unionpay_cancel"
cp "$ROOT"/fixtures/unionpay_cancel/*.zip "$ROOT"/fixtures/unionpay_cancel/recon.conf "$WORK"/

run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-02
expect_line "$WORK/err" "recon: 2026-03-02: [source up] $WORK/898111148990001_20260302.zip: unionpay-zm, 3 rows (2 payments, 1 refunds), amount 150.00, fee 0.30000, totals ok"
expect_sql 0 "select count(*) from recon_discrepancies where business_date = '2026-03-02'"
expect_sql 0 "select count(*) from recon_suspense where business_date = '2026-03-02'"
grep -q '^2026-03-02,unionpay,898111148990001,channel,渠道对账单,3,250.00,3,250.00,0,0.00,0,0.00,0,0.00,yes' \
	"$WORK/reports/2026-03-02/summary.csv" || { fail "summary.csv: not 3 channel rows matched"; cat "$WORK/reports/2026-03-02/summary.csv" >&2; }

# the ledger has not recorded the cancel (yet): the channel's return waits in
# pending, as any refund the ledger has not seen
psql -qX -c "delete from ledger_refunds; update ledger_orders set status = 'PAID'" >/dev/null
run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-02
expect_line "$WORK/err" "recon: 2026-03-02: 3 statement rows: 2 matched, 0 discrepancies, 1 pending, 0 quarantined; 2 ledger items: 2 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
expect_sql "UP-ORD-1" "select order_no from recon_suspense where business_date = '2026-03-02'"
finish
