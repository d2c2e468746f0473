# A killed run leaves the previous results intact: after a good run of
# 2026-03-02, re-runs of it are killed (SIGKILL and SIGTERM while waiting for
# the date lock, SIGKILL while parsing a big statement, SIGKILL while the results
# transaction waits on a table lock, after the new reports were written to their
# temporary directory), and each time the reports directory and the date's
# rows in recon_discrepancies, recon_suspense and recon_runs are those of the good run.
source "$(dirname "$0")/lib.sh"

demo_night golden_killed
export RECON_CONFIG="$WORK/recon.conf"
day=$(($(date -ud 2026-03-02 +%s) / 86400))
ns=$((0x7265636f))

backends() { sql "select count(*) from pg_stat_activity where datname = current_database() and application_name = '$1'"; }
no_recon_backend() { [ "$(backends recon)" = 0 ]; }
recon_connected() { [ "$(backends recon)" != 0 ]; }
# the holder has its lock: granted locks of the holder's backend other than its own virtualxid
holder_locked() {
	[ "$(sql "select count(*) from pg_locks l join pg_stat_activity a using (pid) where a.application_name = 'killed_holder' and l.granted and l.locktype in ('advisory', 'relation') and (l.locktype = 'advisory' or l.mode = 'AccessExclusiveLock')")" != 0 ]
}
recon_waits_on_lock() {
	[ "$(sql "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'recon' and wait_event_type = 'Lock'")" != 0 ]
}
said() { grep -qF -- "$2" "$1"; }
# the date's rows, as counts and digests of every column
fingerprint() {
	local t
	for t in recon_discrepancies recon_suspense recon_runs recon_movements recon_settlements; do
		sql "select '$t', count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from $t t where business_date = '2026-03-02'"
	done
}
tmp_dirs() { find "$WORK/reports" -mindepth 1 -maxdepth 1 -name '.2026-03-02.tmp-*' | sort; }

# still_good WHAT: the reports and tables are those of the good run, and no
# process or backend of the killed run is left.
still_good() {
	wait_for 20 no_recon_backend || fail "$1: the killed run's database session is still there"
	diff -r "$WORK/good-reports" "$WORK/reports/2026-03-02" >&2 || fail "$1: reports/2026-03-02 changed"
	fingerprint >"$WORK/fp-now"
	cmp -s "$WORK/fp-good" "$WORK/fp-now" || {
		fail "$1: the date's rows changed"
		diff "$WORK/fp-good" "$WORK/fp-now" >&2 || true
	}
}

# start_run LOG ARGS...: recon run in the background, pid in $run_pid.
start_run() {
	local log=$1
	shift
	"$RECON" run "$@" >"$WORK/$log.out" 2>"$WORK/$log.err" &
	run_pid=$!
}
# kill_run SIGNAL: kills $run_pid, expects it to die of that signal.
kill_run() {
	local st=0 want
	kill -0 "$run_pid" 2>/dev/null || fail "the run finished before it could be killed with $1"
	kill "-$1" "$run_pid" 2>/dev/null || true
	wait "$run_pid" || st=$?
	want=$((128 + $(kill -l "$1")))
	[ "$st" = "$want" ] || fail "the run killed with $1 exited $st, expected $want"
}
# hold SQL: a psql session holding a lock in the background; release with unhold.
hold() {
	PGAPPNAME=killed_holder psql -qtAX -c "$1" >/dev/null 2>&1 &
	holder=$!
	wait_for 10 holder_locked || fail "the lock holder did not get its lock"
}
unhold() {
	sql "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'killed_holder'" >/dev/null
	wait "$holder" 2>/dev/null || true
}

# the good run
run_recon 1 run --date 2026-03-02
expect_line "$WORK/err" "recon: 2026-03-02: 18 statement rows: 7 matched, 10 discrepancies, 1 pending, 0 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending, 0 quarantined; 10 findings"
cp -a "$WORK/reports/2026-03-02" "$WORK/good-reports"
fingerprint >"$WORK/fp-good"
expect_sql 1 "select count(*) from recon_runs where business_date = '2026-03-02'"

# 1. SIGKILL, then SIGTERM, while a re-run waits for the date lock
hold "select pg_advisory_lock($ns, $day); select pg_sleep(120)"
for sig in KILL TERM; do
	start_run "lock-$sig" --date 2026-03-02
	wait_for 20 said "$WORK/lock-$sig.err" "another run of this date is in progress" ||
		fail "the $sig run never waited for the lock"
	kill_run "$sig"
	still_good "SIG$sig while waiting for the lock"
	[ -z "$(tmp_dirs)" ] || fail "SIG$sig while waiting for the lock left $(tmp_dirs)"
done
unhold

# 2. SIGKILL while parsing a big statement (2,000,000 rows: parsing them takes
#    about a second even now that plain lines are split 16 bytes at a time)
awk -v n=2000000 'BEGIN {
	print "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
	for (i = 1; i <= n; i++)
		printf "`2026-03-02 %02d:%02d:%02d,`wx2421b1c4370ec43b,`1900000109,`0,`,`42000099992026030%012d,`BIG-%09d,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_DEBIT,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`会员充值,`order,`0.00600,`0.60%%,`1.00,`0.00,`\n", (i / 3600) % 24, (i / 60) % 60, i % 60, i, i
	print "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
	printf "`%d,`%d.00,`0.00,`0.00,`%d.%05d,`%d.00,`0.00\n", n, n, (n * 600) / 100000, (n * 600) % 100000, n
}' | gzip -1 >"$WORK/big_20260302.csv.gz"
sed 's#^location = .*#location = big_{yyyymmdd}.csv.gz#' "$WORK/recon.conf" >"$WORK/big.conf"
"$RECON" check --channel wechat "$WORK/big_20260302.csv.gz" >"$WORK/big-check" 2>&1 ||
	fail "the big statement does not parse: $(cat "$WORK/big-check")"
start_run big --config "$WORK/big.conf" --date 2026-03-02 --jobs 1
wait_for 20 recon_connected || fail "the big run never connected"
sleep 0.2
kill_run KILL
# killed before the statement was parsed (its totals line comes after parsing)
said "$WORK/big.err" "totals ok" && fail "the big run finished parsing before it was killed: $(cat "$WORK/big.err")"
still_good "SIGKILL while parsing"
[ -z "$(tmp_dirs)" ] || fail "SIGKILL while parsing left $(tmp_dirs)"

# 3. SIGKILL after the new reports are written (temporary directory), while the
#    results transaction waits for a table lock: the old reports stay published
hold "begin; lock table recon_discrepancies in access exclusive mode; select pg_sleep(120)"
start_run store --date 2026-03-02
wait_for 30 recon_waits_on_lock || fail "the run never reached the results transaction"
# the reports are written on a thread of their own while the results stream:
# their directory appears once matching is done, which the lock does not stop
has_tmp_dir() { [ -n "$(tmp_dirs)" ]; }
wait_for 30 has_tmp_dir || fail "no temporary report directory while the results are being stored"
recon_waits_on_lock || fail "the run no longer waits on the lock with its reports written"
kill_run KILL
unhold
still_good "SIGKILL while storing the results"
left=$(tmp_dirs)

# the next good run replaces the date (same bytes, same findings) and removes
# what the killed run left behind, so nobody reading reports/ is confused by it
run_recon 1 run --date 2026-03-02
diff -r "$WORK/good-reports" "$WORK/reports/2026-03-02" >&2 || fail "the good re-run changed reports/2026-03-02"
fingerprint | grep -E '^recon_(discrepancies|suspense)' >"$WORK/fp-now"
grep -E '^recon_(discrepancies|suspense)' "$WORK/fp-good" | cmp -s - "$WORK/fp-now" || fail "the good re-run changed the findings"
expect_sql 2 "select count(*) from recon_runs where business_date = '2026-03-02'"
if [ -n "$(tmp_dirs)" ]; then
	fail "a SIGKILLed run left $left and the next good run did not remove it (reports/ now holds: $(ls -A "$WORK/reports" | tr '\n' ' '))"
fi
[ "$(ls -A "$WORK/reports")" = 2026-03-02 ] || fail "reports/ holds more than 2026-03-02: $(ls -A "$WORK/reports" | tr '\n' ' ')"
finish
