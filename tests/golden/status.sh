# recon status: the last runs with their outcome and counts, the STALE mark a
# re-run of an earlier date leaves on later dates, and the ready-to-paste
# command that re-runs them (oldest first).
source "$(dirname "$0")/lib.sh"

demo_night golden_status
export RECON_CONFIG="$WORK/recon.conf"

# expect_match FILE ERE: FILE has a line matching the whole extended regex.
expect_match() {
	grep -qxE -- "$2" "$1" || { fail "$1 lacks a line matching: $2"; sed 's/^/  | /' "$1" >&2; }
}
# the wall-clock fields: started_at in the [run] zone, the duration
ran='ran 20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9], [0-9]+\.[0-9] s'

# The first line is the calendar's reach (calendar_end.sh checks its text): it
# depends on today's date, so the run lines are read without it.
runs_only() {
	[ "$(grep -c '^calendar: ' "$WORK/out")" = 1 ] || fail "status does not say once where the calendar ends"
	head -n 1 "$WORK/out" | grep -q '^calendar: ' || fail "the calendar line is not the first one"
	grep -v '^calendar: ' "$WORK/out" >"$WORK/out.runs"
	mv "$WORK/out.runs" "$WORK/out"
}

# no runs yet: the tables are created, nothing to list
run_recon 0 status
runs_only
expect_line "$WORK/out" "no runs recorded yet"
[ "$(wc -l <"$WORK/out")" = 1 ] || fail "status with no runs printed more than one line"

run_recon 1 run --date 2026-03-02
run_recon 1 run --date 2026-03-03
run_recon 0 status
runs_only
expect_match "$WORK/out" "2026-03-02  exit 1 discrepancies      18 rows, 10 discrepancies, 4 pending  $ran"
expect_match "$WORK/out" "2026-03-03  exit 1 discrepancies      3 rows, 3 discrepancies, 0 pending  $ran"
expect_line "$WORK/out" "nothing needs a re-run"
[ "$(wc -l <"$WORK/out")" = 3 ] || fail "status printed $(wc -l <"$WORK/out") lines, expected 3"
[ "$(tail -n 1 "$WORK/out")" = "nothing needs a re-run" ] || fail "the re-run line is not the last one"
# started_at is shown in the [run] zone (Asia/Shanghai), whatever the machine's TZ
want=$(sql "select to_char(started_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') from recon_runs where business_date = '2026-03-02'")
TZ=UTC run_recon 0 status
runs_only
grep -qF "ran $want, " "$WORK/out" || fail "status does not show started_at $want (Asia/Shanghai)"

# re-running 03-02 with the same inputs leaves 03-03 as it is
run_recon 1 run --date 2026-03-02
run_recon 0 status
runs_only
expect_match "$WORK/out" "2026-03-02  exit 1 discrepancies      18 rows, 10 discrepancies, 4 pending  $ran \(2 runs\)"
expect_line "$WORK/out" "nothing needs a re-run"
# re-running 03-02 with a pending order changed leaves 03-03 stale: listed as
# such, and the command to re-run it
sql "update ledger_orders set amount_fen = amount_fen + 1 where order_no = 'DEMO-P016'" >/dev/null
run_recon 1 run --date 2026-03-02
run_recon 0 status
expect_match "$WORK/out" "2026-03-02  exit 1 discrepancies      18 rows, 10 discrepancies, 4 pending  $ran \(3 runs\)"
expect_match "$WORK/out" "2026-03-03  exit 1 discrepancies      3 rows, 3 discrepancies, 0 pending  $ran  STALE: re-run needed \(suspense of 2026-03-02 changed\)"
[ "$(tail -n 1 "$WORK/out")" = "recon run --from 2026-03-03 --to 2026-03-03   # re-run needed: 2026-03-03" ] ||
	fail "last line is '$(tail -n 1 "$WORK/out")'"
grep -q 'STALE' <(grep '^2026-03-02' "$WORK/out") && fail "2026-03-02 is shown stale"
# with --config, the command carries it
run_recon 0 status --config "$WORK/recon.conf" --days 1
runs_only
expect_match "$WORK/out" "2026-03-03  exit 1 discrepancies      3 rows, 3 discrepancies, 0 pending  $ran  STALE: .*"
grep -q '^2026-03-02' "$WORK/out" && fail "--days 1 listed 2026-03-02"
expect_line "$WORK/out" "recon run --from 2026-03-03 --to 2026-03-03 --config $WORK/recon.conf   # re-run needed: 2026-03-03"

# the printed command fixes it
run_recon 1 run --from 2026-03-03 --to 2026-03-03
run_recon 0 status
runs_only
expect_match "$WORK/out" "2026-03-03  exit 1 discrepancies      3 rows, 3 discrepancies, 0 pending  $ran \(2 runs\)"
[ "$(tail -n 1 "$WORK/out")" = "nothing needs a re-run" ] || fail "last line is '$(tail -n 1 "$WORK/out")'"
grep -q STALE "$WORK/out" && fail "a date is still shown stale after its re-run"

# counts come from recon_runs.counts; a clean night and missing counts read as such
sql "insert into recon_runs (business_date, started_at, seconds, exit_status, counts) values ('2026-03-04', '2026-03-05 01:02:03+00', 1.25, 0, '{\"statement_rows\": 5, \"discrepancies\": 0, \"pending\": 0}'), ('2026-03-05', null, null, 3, '{}')" >/dev/null
run_recon 0 status
runs_only
expect_line "$WORK/out" "2026-03-04  exit 0 reconciled         5 rows, 0 discrepancies, 0 pending  ran 2026-03-05 09:02:03, 1.2 s"
expect_line "$WORK/out" "2026-03-05  exit 3 statements failed  ? rows, ? discrepancies, ? pending  ran (unknown), ? s"

# usage and configuration errors exit 2; a database error exits 4
run_recon 2 status --days 0
expect_line "$WORK/err" "recon: status: --days must be a whole number from 1 to 3660, not '0'"
run_recon 2 status --bogus
run_recon 2 status --config "$WORK/missing.conf"
sed 's#^conninfo =.*#conninfo = host=/nonexistent-socket-dir dbname=x#' "$WORK/recon.conf" >"$WORK/bad-db.conf"
run_recon 4 status --config "$WORK/bad-db.conf"
grep -q '^recon: status: database error: cannot connect to the database' "$WORK/err" || fail "no database error message"
finish
