# Progress on a terminal, none elsewhere: under a pseudo-terminal (script(1))
# the long stages show; in a log (every other golden test compares stderr
# line by line) they never do.
source "$(dirname "$0")/lib.sh"

demo_night golden_progress

script -qec "$RECON run --config $WORK/recon.conf --date 2026-03-02" /dev/null >"$WORK/tty.out" 2>&1 || true
grep -q "recon: 2026-03-02: downloading and parsing statements, loading the ledger window…" "$WORK/tty.out" ||
	fail "no progress on a terminal: $(cat -v "$WORK/tty.out")"
grep -q "recon: 2026-03-02: 18 statement rows: 7 matched, 10 discrepancies, 1 pending, 0 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending, 0 quarantined; 10 findings" "$WORK/tty.out" ||
	fail "no summary on a terminal"

run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
if grep -q '…' "$WORK/err"; then fail "progress reached a non-terminal: $(cat "$WORK/err")"; fi
finish
