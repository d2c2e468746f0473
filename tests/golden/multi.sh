# An aggregator's night across WeChat (trade + fund flow), Alipay, UnionPay
# and a profile channel: cross-channel findings, the fund flow kept for
# settlement, and the same bytes whatever the number of parsing threads.
source "$(dirname "$0")/lib.sh"

fixture_night golden_multi multi

run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02 --jobs 1
same_files "$WORK/reports/2026-03-02" "$GOLDEN/multi/2026-03-02"
expect_line "$WORK/err" "recon: 2026-03-02: [source wx-funds] $WORK/wechat_fundflow_20260302.csv: wechat-fundflow, 3 fund movements (in 85.00, out 0.30) kept for settlement, totals ok"
expect_line "$WORK/err" "recon: 2026-03-02: [source up] $WORK/898111148990001_20260302.zip: unionpay-zm, 3 rows (2 payments, 1 refunds), amount 170.00, fee 0.90000, totals ok"
expect_sql 3 "select count(*) from recon_movements where business_date = '2026-03-02' and source_name = 'wx-funds'"
expect_sql "-30" "select amount_fen from recon_movements where channel_txn_id = '5030080696202603020000000002'"
expect_sql "5" "select jsonb_array_length(inputs) from recon_runs where business_date = '2026-03-02'"

# what the night stored, row for row (with --jobs 1 in one go at the end;
# with more, streamed by a writer of its own while the matcher runs)
stored() {
	sql "select t::text from recon_discrepancies t order by 1" >"$1"
	sql "select 'suspense ' || t::text from recon_suspense t order by 1" >>"$1"
	sql "select 'movement ' || t::text from recon_movements t order by 1" >>"$1"
}
stored "$WORK/stored-1"
[[ $(grep -c . "$WORK/stored-1") -gt 5 ]] || fail "too few stored rows to compare"

# the same night on four threads: identical reports and stored rows
mv "$WORK/reports" "$WORK/reports-1"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02 --jobs 4
for f in "$WORK"/reports-1/2026-03-02/*; do
	cmp -s "$f" "$WORK/reports/2026-03-02/$(basename "$f")" || fail "--jobs 4 changed $(basename "$f")"
done
stored "$WORK/stored-4"
diff -u "$WORK/stored-1" "$WORK/stored-4" >&2 || fail "--jobs 4 stored other rows"
expect_sql 3 "select count(*) from recon_movements where business_date = '2026-03-02'"
finish
