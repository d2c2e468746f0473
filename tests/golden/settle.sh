# T+1 settlement over three nights, checked against the WeChat fund flow: the
# money of 2026-03-02 (149.10, due 03-03 on the business-day calendar) arrives
# on 03-04, a day late, together with that of 03-03 (19.88, due 03-04).
source "$(dirname "$0")/lib.sh"

fresh_db golden_settle
load_ledger "$ROOT/fixtures/settle"
cp "$ROOT"/fixtures/settle/* "$WORK"/
for d in 2026-03-02 2026-03-03; do
	run_recon 0 run --config "$WORK/recon.conf" --date $d
	same_files "$WORK/reports/$d" "$GOLDEN/settle/$d"
done
expect_sql "2026-03-03|due|14910" "select due_date, status, net_fen from recon_settlements where business_date = '2026-03-02'"
# on two threads the settlement's finding reaches the results writer while it streams
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-04 --jobs 2
same_files "$WORK/reports/2026-03-04" "$GOLDEN/settle/2026-03-04"
expect_sql "SETTLEMENT_MISMATCH|late|14910|14910|2026-03-03" "select kind, reason, ledger_amount_fen, channel_amount_fen, trade_time from recon_discrepancies where business_date = '2026-03-04'"
expect_sql "late|2026-03-04" "select status, settled_on from recon_settlements where business_date = '2026-03-02'"
expect_sql "settled|2026-03-04" "select status, settled_on from recon_settlements where business_date = '2026-03-03'"
finish
