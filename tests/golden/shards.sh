# A night in shards (issue 20): `recon run --shard I/N` for every I, then
# `recon merge --shards N`, gives byte-identical reports and identical rows to
# one `recon run`, on the demo's two nights and every golden night with more
# than one order; a refused merge names the shard; a re-run shard replaces
# only itself; a shard killed mid-run, re-run alone, then merged, gives the
# same bytes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/shards_lib.sh"
BASE=$WORK

# setup_X: a fresh database and the night's files in $WORK (per mode).
setup_demo() { demo_night "$1"; }
setup_kinds() { fixture_night "$1" kinds; }
setup_currency() { fixture_night "$1" currency; }
setup_multi() { fixture_night "$1" multi; }
setup_settle() { fixture_night "$1" settle; }
setup_debits() {
	fresh_db "$1"
	load_ledger "$ROOT/fixtures/debits"
	psql -q -v ON_ERROR_STOP=1 -c "\copy ledger_contracts(contract_id, merchant_id, channel, status, signed_at, terminated_at, per_debit_limit_fen, max_debits_per_day, billing_period, debits_per_period, expires_at, max_consecutive_failures, min_retry_interval) from '$ROOT/fixtures/debits/contracts.csv' csv header" >/dev/null
	cp "$ROOT"/fixtures/debits/recon.conf "$ROOT"/fixtures/debits/wechat_20260310.csv "$WORK"/
}
setup_rejected() { rejected_night "$1"; }

# compare NAME N DATE:EXIT...: the nights of the dates in order, once by one
# process, once as N shards and a merge, and once in parts on this machine
# under a memory budget far too small for it (each exiting EXIT), compared
# file by file and row by row; the parts' spill is gone afterwards.
compare() {
	local name=$1 n=$2 d mode
	shift 2
	for mode in one sharded parts; do
		WORK=$BASE/$name-$n-$mode
		rm -rf "$WORK"
		mkdir -p "$WORK"
		"setup_$name" "shards_${name}_$mode"
		for d in "$@"; do
			case $mode in
			one) run_recon "${d#*:}" run --config "$WORK/recon.conf" --date "${d%:*}" ;;
			sharded) shard_night "$n" "${d%:*}" "$WORK/recon.conf" "${d#*:}" ;;
			parts)
				run_recon "${d#*:}" run --config "$WORK/recon.conf" --date "${d%:*}" --memory 1
				grep -q "more than its memory budget of 1 KiB (\[run\] memory): reconciled in [0-9]* parts" "$WORK/err" ||
					fail "$name ${d%:*}: not reconciled in parts: $(head -3 "$WORK/err")"
				[ -z "$(find "$WORK" -name '.parts-*')" ] || fail "$name: the parts' spill is left: $(find "$WORK" -name '.parts-*')"
				;;
			esac
		done
		dump_db "$WORK/db.txt"
		sed -i "s#$WORK#WORK#g" "$WORK/db.txt"
	done
	WORK=$BASE
	local one=$BASE/$name-$n-one two
	for two in "$BASE/$name-$n-sharded" "$BASE/$name-$n-parts"; do
		same_tree "$one/reports" "$two/reports"
		cmp -s "$one/db.txt" "$two/db.txt" ||
			fail "$name, ${two##*-}: the database rows differ: $(diff "$one/db.txt" "$two/db.txt" | head -20)"
	done
}

compare demo 4 2026-03-02:1 2026-03-03:1
compare kinds 4 2026-03-05:1
compare currency 4 2026-03-02:1
compare multi 4 2026-03-02:1
compare debits 4 2026-03-10:1
compare rejected 4 2026-03-02:3
compare settle 4 2026-03-02:0 2026-03-03:0 2026-03-04:1
compare demo 3 2026-03-02:1

# ---- a night in parts killed after it spilled: the next run removes the spill, same bytes ----
WORK=$BASE/parts-killed
mkdir -p "$WORK"
demo_night shards_parts_killed
RECON_TEST_KILL_AT=parts_spilled run_recon 137 run --config "$WORK/recon.conf" --date 2026-03-02 --memory 1KB
[ -n "$(find "$WORK" -name '.parts-2026-03-02')" ] || fail "the killed night left no spill to clean (the test tests nothing)"
expect_sql 0 "select count(*) from recon_runs"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02 --memory 1KB
[ -z "$(find "$WORK" -name '.parts-*')" ] || fail "the spill of the killed night is left"
same_tree "$BASE/demo-4-one/reports/2026-03-02" "$WORK/reports/2026-03-02"
# damaged_night VAR=VALUE FILE WHAT: the night with a test's damage (VAR=VALUE) ends with exit 4 and
# "<its parts>/FILE-N: the night's WHAT are unreadable (changed while the night ran?); nothing
# committed", nothing committed and nothing left behind
damaged_night() {
	local runs rc=0
	runs=$(sql "select count(*) from recon_runs")
	env "$1" "$RECON" run --config "$WORK/recon.conf" --date 2026-03-02 --memory 1KB >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" = 4 ] || fail "$1: exit $rc, expected 4: $(cat "$WORK/err")"
	grep -q "\.parts-2026-03-02/$2-[0-9]*: the night's $3 are unreadable (changed while the night ran?); nothing committed" "$WORK/err" ||
		fail "$1: $(cat "$WORK/err")"
	expect_sql "$runs" "select count(*) from recon_runs"
	[ -z "$(find "$WORK" -name '.parts-*')" ] || fail "$1: the night's parts are left: $(find "$WORK" -name '.parts-*')"
}
# a spill that cannot be read back (a part's ledger cut short while the next is read), and a run of the
# night's findings found damaged when read back (cut short once written); then the date's next run
# gives the same bytes
damaged_night RECON_TEST_DAMAGE_PART=2 ledger parts
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02 --memory 1KB
same_tree "$BASE/demo-4-one/reports/2026-03-02" "$WORK/reports/2026-03-02"
damaged_night RECON_TEST_DAMAGE_FINDINGS=0 findings findings
# on one thread (no results stream: the runs are read back and stored at the end), the same bytes and rows
results_of() {
	sql "select count(*) || ' ' || md5(coalesce(string_agg(r, '|' order by r), '')) from (select t::text r from
		recon_discrepancies t where business_date = '2026-03-02' union all select t::text from recon_suspense t
		where business_date = '2026-03-02') x"
}
streamed=$(results_of)
[ "${streamed%% *}" -gt 5 ] || fail "the date's results are too few to compare: $streamed"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02 --memory 1KB --jobs 1
same_tree "$BASE/demo-4-one/reports/2026-03-02" "$WORK/reports/2026-03-02"
[ "$(results_of)" = "$streamed" ] || fail "on one thread the results differ: $(results_of), streamed $streamed"
# a spill that cannot be written (a full disk: a 16 KiB tmpfs as [run] scratch): exit 4, nothing committed
if [ "$(id -u)" = 0 ] && mkdir -p "$WORK/tiny" && mount -t tmpfs -o size=16k tmpfs "$WORK/tiny" 2>/dev/null; then
	sed -i 's#^spool = .*#&\nscratch = tiny#' "$WORK/recon.conf"
	grep -qx 'scratch = tiny' "$WORK/recon.conf" || fail "the test's configuration has no [run] scratch"
	runs=$(sql "select count(*) from recon_runs")
	run_recon 4 run --config "$WORK/recon.conf" --date 2026-03-03 --memory 1KB
	grep -q "tiny/.parts-2026-03-03/[a-z0-9-]*: cannot write the night's parts: No space left on device; nothing committed" "$WORK/err" ||
		fail "a full disk under the spill: $(cat "$WORK/err")"
	expect_sql "$runs" "select count(*) from recon_runs"
	[ -z "$(ls -A "$WORK/tiny")" ] || fail "the spill is left on the full disk: $(ls -A "$WORK/tiny")"
	umount "$WORK/tiny"
	# the reports on a full disk (48 KiB: the CSVs fit, the workbook does not): exit 4, the file named,
	# nothing committed, the reports of the night before left as they were
	sed -i '/^scratch = tiny$/d' "$WORK/recon.conf"
	mkdir -p "$WORK/tiny-reports"
	mount -t tmpfs -o size=48k tmpfs "$WORK/tiny-reports"
	sed -i 's#^reports = .*#reports = tiny-reports#' "$WORK/recon.conf"
	run_recon 4 run --config "$WORK/recon.conf" --date 2026-03-03 --memory 1KB
	grep -q "tiny-reports/.*: cannot write report: No space left on device" "$WORK/err" ||
		fail "a full disk under the reports: $(cat "$WORK/err")"
	expect_sql "$runs" "select count(*) from recon_runs"
	[ ! -e "$WORK/tiny-reports/2026-03-03" ] || fail "reports published from a full disk"
	umount "$WORK/tiny-reports"
	sed -i 's#^reports = tiny-reports$#reports = reports#' "$WORK/recon.conf"
else
	echo "note: not root or no tmpfs: the full-disk cases are not run" >&2
fi
run_recon 2 run --config "$WORK/recon.conf" --date 2026-03-02 --memory lots
expect_line "$WORK/err" "recon: run: --memory must be a size such as 1GB or 800MB, not 'lots'"

# ---- refusals, a killed shard, a re-run shard ----
WORK=$BASE/refusals
mkdir -p "$WORK"
demo_night shards_refusals
conf=$WORK/recon.conf
day=2026-03-02
one=$BASE/demo-4-one/reports/$day
merged=$WORK/reports/$day
shard_rows() { sql "select shard || ':' || status || ':' || finished_at from recon_shards where business_date = '$day' order by shard"; }

# nothing ran yet: the merge names shard 0, exit 4, no report, no run
run_recon 4 merge --config "$conf" --date $day --shards 4
expect_line "$WORK/err" "recon: $day: merge refused, nothing published: shard 0 of 4 has not run for $day"
[ ! -e "$merged" ] || fail "a refused merge wrote reports"
expect_sql 0 "select count(*) from recon_runs"

# shards 0, 1 and 3 done; 2 killed before it stored its part: refused, naming 2
for i in 0 1 3; do run_recon 0 run --config "$conf" --date $day --shard $i/4; done
RECON_TEST_KILL_AT=shard_before_store run_recon 137 run --config "$conf" --date $day --shard 2/4
expect_sql "running" "select status from recon_shards where business_date = '$day' and shard = 2"
# recon status tells the on-call engineer what the night lacks and how to finish it
run_recon 0 status --config "$conf"
expect_line "$WORK/out" "$day  shards: 3 of 4 done, shard 2 running on $(hostname); not merged: re-run the others (recon run --date $day --shard I/4), then recon merge --date $day --shards 4 --config $conf"
run_recon 4 merge --config "$conf" --date $day --shards 4
expect_line "$WORK/err" "recon: $day: merge refused, nothing published: shard 2 of 4 has not finished (running on $(hostname), or killed: re-run it)"
expect_sql 0 "select count(*) from recon_runs"
# a merge of another count finds none of these
run_recon 4 merge --config "$conf" --date $day --shards 2
expect_line "$WORK/err" "recon: $day: merge refused, nothing published: shard 0 of 2 has not run for $day"

# shard 2 re-run alone replaces only itself; the merge then gives the one process's bytes,
# reading no statement file itself (shard 0 stored what the files held)
before=$(shard_rows)
run_recon 0 run --config "$conf" --date $day --shard 2/4
after=$(shard_rows)
[ "$(sed -n '1p;2p;4p' <<<"$before")" = "$(sed -n '1p;2p;4p' <<<"$after")" ] || fail "re-running shard 2 touched the others: $before / $after"
[ "$(sed -n 3p <<<"$before")" != "$(sed -n 3p <<<"$after")" ] || fail "shard 2's row was not replaced"
mv "$WORK/wechat_1900000109_20260302.csv" "$WORK/saved.csv"
run_recon 1 merge --config "$conf" --date $day --shards 4
same_tree "$one" "$merged"
mv "$WORK/saved.csv" "$WORK/wechat_1900000109_20260302.csv"
run_recon 0 status --config "$conf"
grep -q "shards:" "$WORK/out" && fail "recon status lists a merged night's shards: $(cat "$WORK/out")"

# a statement file changed and only shard 1 re-run: the shards disagree, refused naming shard 1
cp "$WORK/wechat_1900000109_20260302.csv" "$WORK/saved.csv"
sed -i '3s/50\.00/50.01/' "$WORK/wechat_1900000109_20260302.csv"
cmp -s "$WORK/wechat_1900000109_20260302.csv" "$WORK/saved.csv" && fail "the test did not change the statement"
run_recon 0 run --config "$conf" --date $day --shard 1/4
run_recon 4 merge --config "$conf" --date $day --shards 4
grep -q "merge refused, nothing published: shard 1 of 4 read other statement files than shard 0 (digest [0-9a-f]\{12\}, shard 0's [0-9a-f]\{12\}): re-run the shards of the files as they are now" "$WORK/err" ||
	fail "shards of two versions of a statement were merged: $(cat "$WORK/err")"
cp "$WORK/saved.csv" "$WORK/wechat_1900000109_20260302.csv"
run_recon 0 run --config "$conf" --date $day --shard 1/4
# another configuration: refused
printf '\n' >>"$conf"
run_recon 4 merge --config "$conf" --date $day --shards 4
grep -q "merge refused, nothing published: shard 0 of 4 ran with another configuration or rules" "$WORK/err" ||
	fail "a changed configuration was merged: $(cat "$WORK/err")"
sed -i '$d' "$conf"
# a failed shard: refused with its reason
sql "update recon_shards set status = 'failed', why = 'exit 4' where business_date = '$day' and shard = 1" >/dev/null
run_recon 4 merge --config "$conf" --date $day --shards 4
expect_line "$WORK/err" "recon: $day: merge refused, nothing published: shard 1 of 4 failed on $(hostname): exit 4"
# a damaged outcome: refused
run_recon 0 run --config "$conf" --date $day --shard 1/4
sql "update recon_shards set outcome = substr(outcome, 1, 20) where business_date = '$day' and shard = 3" >/dev/null
run_recon 4 merge --config "$conf" --date $day --shards 4
expect_line "$WORK/err" "recon: $day: merge refused, nothing published: shard 3 of 4: its stored outcome is damaged (re-run the shard)"
expect_sql 1 "select count(*) from recon_runs"
# usage
run_recon 2 run --config "$conf" --date $day --shard 4/4
expect_line "$WORK/err" "recon: run: --shard must be I/N with 0 <= I < N <= 4096, not '4/4'"
run_recon 2 merge --config "$conf" --date $day
expect_line "$WORK/err" "recon: merge: --date and --shards are required"
finish
