# The database and the reports agree: a run's reports are staged before its
# COMMIT and swapped into reports/<date> after it. When the swap fails (here:
# reports/<date> is a mount point, which no rename may replace, root or not)
# or the run is killed between the COMMIT and the swap, recon says the results
# are committed (exit 5, never "nothing committed"), recon_runs keeps the run
# as publish_state 'staged', and the next run of any date, or recon status,
# swaps the staged reports in and says so.
source "$(dirname "$0")/lib.sh"

demo_night golden_publish
export RECON_CONFIG="$WORK/recon.conf"
D=2026-03-02
no_recon_backend() {
	[ "$(sql "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'recon'")" = 0 ]
}
latest_state() { sql "select publish_state from recon_runs where business_date = '$1' order by run_id desc limit 1"; }
staged_dirs() { find "$WORK/reports" -mindepth 1 -maxdepth 1 -name ".$D.tmp-*" | sort; }
# the pending amount of DEMO-P016 in the database and in the published pending.csv
db_amount() { sql "select ledger_amount_fen from recon_suspense where business_date = '$D' and order_no = 'DEMO-P016'"; }
report_amount() { tr -d '\r' <"$WORK/reports/$D/pending.csv" | awk -F, '$7 == "DEMO-P016" { print $12 }'; }
# change_input FEN: the pending order's ledger amount, so a re-run's results differ
change_input() { sql "update ledger_orders set amount_fen = $1 where order_no = 'DEMO-P016'" >/dev/null; }

run_recon 1 run --date $D
expect_sql published "select publish_state from recon_runs where business_date = '$D'"
[ "$(report_amount)" = 25.00 ] || fail "the first run's pending.csv says $(report_amount) for DEMO-P016"

# run_unswappable ARGS...: recon with reports/$D a mount point (the swap fails
# with EBUSY): a private mount namespace (root: its own; another user: inside a
# user namespace of its own, where it may mount); else, as root, an immutable directory.
run_unswappable() {
	local got=0 dir="$WORK/reports/$D" ns=-rm
	[ "$(id -u)" != 0 ] || ns=-m
	if unshare $ns true 2>/dev/null; then
		unshare $ns sh -c 'mount --bind "$1" "$1" && shift && exec "$@"' sh "$dir" "$RECON" "$@" \
			>"$WORK/out" 2>"$WORK/err" || got=$?
	elif chattr +i "$dir" 2>/dev/null; then
		"$RECON" "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
		chattr -i "$dir"
	else
		fail "cannot make reports/$D unswappable here (no unshare -rm, no chattr +i)"
		return 0
	fi
	[ "$got" = 5 ] || { fail "recon $* with reports/$D unswappable exited $got, expected 5"; cat "$WORK/err" >&2; }
}

# 1. the swap fails after the COMMIT: exit 5 and a message that says so
change_input 2601
run_unswappable run --date $D
grep -q "^recon: $D: .*cannot publish reports" "$WORK/err" || fail "no publish error: $(cat "$WORK/err")"
expect_line "$WORK/err" "recon: $D: the results are committed to the database, but the reports could not be published; they wait in $(staged_dirs) and the next recon run (of any date) or recon status publishes them"
grep -q "nothing committed" "$WORK/err" && fail "exit 5 claims nothing was committed: $(cat "$WORK/err")"
[ "$(db_amount)" = 2601 ] || fail "the new results are not in the database: $(db_amount)"
[ "$(report_amount)" = 25.00 ] || fail "reports/$D changed although the swap failed"
[ "$(latest_state $D)" = staged ] || fail "the run is recorded as '$(latest_state $D)', not staged"
[ -n "$(staged_dirs)" ] || fail "the staged reports are gone"
# the next run, of another date, finishes the publish and says so
run_recon 1 run --date 2026-03-03
expect_line "$WORK/err" "recon: $D: published the reports of $D that an earlier run committed but did not swap into place: $WORK/reports/$D"
[ "$(report_amount)" = 26.01 ] || fail "the staged reports were not published: pending.csv says $(report_amount)"
[ "$(latest_state $D)" = published ] || fail "the run is recorded as '$(latest_state $D)' after the publish"
[ -z "$(staged_dirs)" ] || fail "left behind: $(staged_dirs)"
# the published reports are exactly what a fresh run of the same inputs writes
cp -a "$WORK/reports/$D" "$WORK/published"
run_recon 1 run --date $D
diff -r "$WORK/published" "$WORK/reports/$D" >&2 || fail "the finished publish differs from a fresh run's reports"

# 2. the same, finished by recon status
change_input 2602
run_unswappable run --date $D
run_recon 0 status
expect_line "$WORK/err" "recon: $D: published the reports of $D that an earlier run committed but did not swap into place: $WORK/reports/$D"
[ "$(report_amount)" = 26.02 ] || fail "recon status did not publish the staged reports: $(report_amount)"
[ "$(latest_state $D)" = published ] || fail "recorded as '$(latest_state $D)' after recon status"

# 3. killed exactly between the COMMIT and the swap (a test-only kill point):
#    new rows beside the old reports, repaired by the next run
change_input 2603
got=0
RECON_TEST_KILL_AT=after_commit "$RECON" run --date $D >"$WORK/out" 2>"$WORK/err" || got=$?
[ "$got" = 137 ] || fail "the run with the kill point exited $got, expected 137 (SIGKILL)"
wait_for 20 no_recon_backend || fail "the killed run's session is still there"
[ "$(db_amount)" = 2603 ] || fail "the killed run did not commit: $(db_amount)"
[ "$(report_amount)" = 26.02 ] || fail "the killed run swapped its reports: $(report_amount)"
[ "$(latest_state $D)" = staged ] || fail "the killed run is recorded as '$(latest_state $D)'"
run_recon 1 run --date 2026-03-03
expect_line "$WORK/err" "recon: $D: published the reports of $D that an earlier run committed but did not swap into place: $WORK/reports/$D"
[ "$(report_amount)" = 26.03 ] || fail "the next run did not publish the killed run's reports: $(report_amount)"
[ "$(latest_state $D)" = published ] || fail "recorded as '$(latest_state $D)' after the repair"
[ -z "$(staged_dirs)" ] || fail "left behind: $(staged_dirs)"

# 4. killed between the COMMIT and the swap, then the same date re-run: the
#    re-run publishes the killed run's reports first, then its own replace them
change_input 2604
RECON_TEST_KILL_AT=after_commit "$RECON" run --date $D >/dev/null 2>&1 || true
wait_for 20 no_recon_backend || fail "the killed run's session is still there"
change_input 2500
run_recon 1 run --date $D
expect_line "$WORK/err" "recon: $D: published the reports of $D that an earlier run committed but did not swap into place: $WORK/reports/$D"
same_files "$WORK/reports/$D" "$GOLDEN/night/$D"
expect_sql "0" "select count(*) from recon_runs where publish_state = 'staged'"

# 5. a staged directory that vanished: the run is marked lost and the operator told to re-run the date
change_input 2605
RECON_TEST_KILL_AT=after_commit "$RECON" run --date $D >/dev/null 2>&1 || true
wait_for 20 no_recon_backend || fail "the killed run's session is still there"
rm -rf "$(staged_dirs)"
run_recon 0 status
expect_line "$WORK/err" "recon: $D: the reports of the run committed for $D were never published and $(sql "select staged_dir from recon_runs where business_date = '$D' order by run_id desc limit 1") is gone: re-run $D"
[ "$(latest_state $D)" = lost ] || fail "recorded as '$(latest_state $D)' once the staged reports are gone"
finish
