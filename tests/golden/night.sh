# The demo merchant over two nights: every discrepancy kind of one channel,
# pending items, the cross-day payment, a byte-identical re-run, the stale
# mark on later dates, and the per-date lock.
source "$(dirname "$0")/lib.sh"

demo_night golden_night

run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
same_files "$WORK/reports/2026-03-02" "$GOLDEN/night/2026-03-02"
expect_line "$WORK/out" "reports: $WORK/reports/2026-03-02"
expect_line "$WORK/err" "recon: 2026-03-02: 18 statement rows: 7 matched, 10 discrepancies, 1 pending, 0 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending, 0 quarantined; 10 findings"
expect_balanced_summary "$WORK/err" 2026-03-02 "$WORK/reports/2026-03-02"
expect_sql 10 "select count(*) from recon_discrepancies where business_date = '2026-03-02'"
expect_sql 4 "select count(*) from recon_suspense where business_date = '2026-03-02'"
expect_sql "1|0" "select count(*), max(exit_status) - 1 from recon_runs where business_date = '2026-03-02'"
cp -r "$WORK/reports/2026-03-02" "$WORK/first-run"

# D+1: the 23:59:59 payment is matched, expired pending items become findings
RECON_CONFIG="$WORK/recon.conf" run_recon 1 run --date 2026-03-03
same_files "$WORK/reports/2026-03-03" "$GOLDEN/night/2026-03-03"
expect_line "$WORK/err" "recon: 2026-03-03: 3 statement rows (1 carried over from the day before): 2 matched, 1 discrepancies, 0 pending, 0 quarantined; 4 ledger items: 2 matched, 2 discrepancies, 0 pending, 0 quarantined; 3 findings"
expect_balanced_summary "$WORK/err" 2026-03-03 "$WORK/reports/2026-03-03"
expect_sql "0" "select count(*) from recon_discrepancies where business_date = '2026-03-03' and order_no = 'DEMO-P015'"

# re-running D with the same inputs replaces its results with the same bytes;
# D+1 started from the very same suspense, so it is not stale
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
for f in "$WORK"/first-run/*; do
	cmp -s "$f" "$WORK/reports/2026-03-02/$(basename "$f")" || fail "re-run changed $(basename "$f")"
done
grep -q "marked stale" "$WORK/err" && fail "an identical re-run marked later dates stale: $(cat "$WORK/err")"
expect_sql 10 "select count(*) from recon_discrepancies where business_date = '2026-03-02'"
expect_sql 4 "select count(*) from recon_suspense where business_date = '2026-03-02'"
expect_sql "f" "select bool_or(stale) from recon_runs where business_date = '2026-03-03'"
# a changed input that changes D's suspense (a pending order's amount) marks D+1 stale
sql "update ledger_orders set amount_fen = amount_fen + 1 where order_no = 'DEMO-P016'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_line "$WORK/err" "recon: 2026-03-02: 1 later business date(s) were reconciled with this date's old suspense and are now marked stale: re-run them (oldest first)"
expect_sql "t" "select bool_and(stale) from recon_runs where business_date = '2026-03-03'"
expect_sql "suspense of 2026-03-02 changed" "select stale_reason from recon_runs where business_date = '2026-03-03' order by run_id desc limit 1"
sql "update ledger_orders set amount_fen = amount_fen - 1 where order_no = 'DEMO-P016'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
same_files "$WORK/reports/2026-03-02" "$GOLDEN/night/2026-03-02"
[ -z "$(ls -A "$WORK/reports" | grep -v '^2026-03-0[23]$')" ] || fail "temporary report directories left behind"

# a second run of the same date waits for the lock, then gives up with a clear message
day=$(($(date -ud 2026-03-02 +%s) / 86400))
psql -qtAX -c "select pg_advisory_lock($((0x7265636f)), $day); select pg_sleep(4)" >/dev/null &
holder=$!
sleep 1
sed -i 's/^\[run\]$/[run]\nlock_wait = 1/' "$WORK/recon.conf"
run_recon 4 run --config "$WORK/recon.conf" --date 2026-03-02
expect_line "$WORK/err" "recon: 2026-03-02: another run of this date is in progress; waiting up to 1 s for it to finish"
expect_line "$WORK/err" "recon: 2026-03-02: another recon run for 2026-03-02 is in progress after waiting 1 s; nothing done"
wait $holder
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02

# --dry-run reconciles and writes the reports, but commits nothing
runs_before=$(sql "select count(*) from recon_runs")
rm -rf "$WORK/dry"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-03 --dry-run --out "$WORK/dry"
same_files "$WORK/dry/2026-03-03" "$GOLDEN/night/2026-03-03"
expect_line "$WORK/err" "recon: 2026-03-03: 3 statement rows (1 carried over from the day before): 2 matched, 1 discrepancies, 0 pending, 0 quarantined; 4 ledger items: 2 matched, 2 discrepancies, 0 pending, 0 quarantined; 3 findings (dry run: nothing committed)"
expect_sql "$runs_before" "select count(*) from recon_runs"

# the reports cannot be written (written while the results are stored): exit 4,
# the database transaction rolled back, the earlier reports untouched
found_before=$(sql "select count(*) from recon_discrepancies where business_date = '2026-03-03'")
touch "$WORK/not-a-dir"
run_recon 4 run --config "$WORK/recon.conf" --date 2026-03-03 --out "$WORK/not-a-dir/reports"
expect_line "$WORK/err" "recon: 2026-03-03: $WORK/not-a-dir/reports: cannot create directory: Not a directory"
expect_sql "$runs_before" "select count(*) from recon_runs"
expect_sql "$found_before" "select count(*) from recon_discrepancies where business_date = '2026-03-03'"
same_files "$WORK/reports/2026-03-03" "$GOLDEN/night/2026-03-03"
finish
