# One bad statement never takes down the night: a file whose rows do not add
# up to its summary, and a file that is not there, are rejected whole and
# named in quarantine.csv; the good source is still reconciled; exit 3.
source "$(dirname "$0")/lib.sh"

rejected_night golden_rejected

run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-02
same_files "$WORK/reports/2026-03-02" "$GOLDEN/rejected/2026-03-02"
expect_line "$WORK/err" "recon: 2026-03-02: [source wx-excerpt] rejected: excerpt_20260302.csv:4: control totals do not match: 总交易单数 says 48, rows have 1"
expect_line "$WORK/err" "recon: 2026-03-02: [source wx-late] rejected: late/2026-03-02.csv.gz: cannot open: No such file or directory"
expect_sql "3|t" "select exit_status, jsonb_array_length(inputs) = 3 from recon_runs where business_date = '2026-03-02'"
expect_sql 10 "select count(*) from recon_discrepancies where business_date = '2026-03-02'"
# the summary line balances per side, the rejected files' rows as quarantined (as summary.csv)
expect_line "$WORK/err" "recon: 2026-03-02: 19 statement rows: 7 matched, 10 discrepancies, 1 pending, 1 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending, 0 quarantined; 10 findings"
expect_balanced_summary "$WORK/err" 2026-03-02 "$WORK/reports/2026-03-02"

# a statement for another merchant account is refused, not reconciled
sed -i 's/^merchant_id = 1900000109$/merchant_id = 1900000555/' "$WORK/recon.conf"
run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-02 --channel wx-main
expect_line "$WORK/err" "recon: 2026-03-02: [source wx-main] rejected: wechat_1900000109_20260302.csv:2: statement is for merchant 1900000109, but [source wx-main] is merchant 1900000555"
expect_balanced_summary "$WORK/err" 2026-03-02 "$WORK/reports/2026-03-02"
expect_sql 0 "select count(*) from recon_discrepancies where business_date = '2026-03-02'"

# yesterday's file under today's name is refused, not reconciled as today
sed -i 's/^merchant_id = 1900000555$/merchant_id = 1900000109/' "$WORK/recon.conf"
cp "$WORK/wechat_1900000109_20260302.csv" "$WORK/wechat_1900000109_20260305.csv"
run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-05 --channel wx-main
expect_line "$WORK/err" "recon: 2026-03-05: [source wx-main] rejected: wechat_1900000109_20260305.csv:2: row dated 2026-03-02 09:15:02 does not belong to business date 2026-03-05 (wrong file?)"
expect_line "$WORK/err" "recon: 2026-03-05: 18 statement rows: 0 matched, 0 discrepancies, 0 pending, 18 quarantined; 0 ledger items: 0 matched, 0 discrepancies, 0 pending, 0 quarantined; 0 findings"
expect_balanced_summary "$WORK/err" 2026-03-05 "$WORK/reports/2026-03-05"
finish
