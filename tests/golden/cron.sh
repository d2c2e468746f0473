# cron/recon-nightly, the wrapper cron and systemd run every night: the dated log and what it holds,
# pruning to RECON_KEEP_LOGS (only its own files), the mapping of recon's exit codes to an outcome
# line, an exit status and RECON_ALERT_CMD, --strict, --quiet, arguments passed through, a SIGTERM
# passed on to recon, the crontab line's flock, and the real recon's configuration error. recon is
# mostly a fake (its exit code in $FAKE_EXIT); no database is touched.
source "$(dirname "$0")/lib.sh"

NIGHTLY=$ROOT/cron/recon-nightly
LOGRE='recon-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{6}\.log'

cat >"$WORK/fake-recon" <<'EOF'
#!/bin/sh
printf 'fake recon: %s\n' "$*"
echo 'fake recon: on stderr' >&2
if [ -n "${FAKE_SLEEP:-}" ]; then
	trap 'kill "$s" 2>/dev/null; echo "fake recon: got TERM"; exit 143' TERM
	sleep "$FAKE_SLEEP" &
	s=$!
	wait "$s"
fi
exit "${FAKE_EXIT:-0}"
EOF
cat >"$WORK/alert" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"$ALERTS"
EOF
chmod +x "$WORK/fake-recon" "$WORK/alert"

export RECON_BIN=$WORK/fake-recon
export RECON_ALERT_CMD="$WORK/alert ops"
export ALERTS=$WORK/alerts
unset RECON_KEEP_LOGS RECON_CONFIG

# names DIR: the names in DIR, one a line (nothing if DIR does not exist); count DIR: how many.
names() {
	local f
	for f in "$1"/* "$1"/.*; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			f=${f##*/}
			[ "$f" = . ] || [ "$f" = .. ] || printf '%s\n' "$f"
		fi
	done
}
count() { names "$1" | wc -l; }

# nightly WANT_STATUS LOGDIR ARGS...: run the wrapper with RECON_LOG_DIR=LOGDIR; stdout in $WORK/out,
# stderr in $WORK/err, the path of the one log the run added to LOGDIR in $LOG.
nightly() {
	local want=$1 dir=$2 got=0 before new
	shift 2
	: >"$ALERTS"
	before=$(names "$dir")
	RECON_LOG_DIR=$dir "$NIGHTLY" "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
	[ "$got" = "$want" ] || { fail "recon-nightly $* (FAKE_EXIT=${FAKE_EXIT:-}) exited $got, expected $want"; sed 's/^/  | /' "$WORK/out" "$WORK/err" >&2; }
	new=$(comm -13 <(printf '%s\n' "$before" | sort) <(names "$dir" | sort) | grep -v '^$' || true)
	LOG=$dir/$new
	if [ -z "$new" ] || [ "$(printf '%s\n' "$new" | wc -l)" != 1 ]; then
		fail "recon-nightly $*: new files in $dir: '$new', expected one log"
		LOG=
	fi
	[[ "$new" =~ ^$LOGRE$ ]] || fail "log name '$new' does not match $LOGRE"
}

# expect_stdout TEXT: stdout is exactly the line TEXT.
expect_stdout() {
	if [ "$(cat "$WORK/out")" != "$1" ] || [ "$(wc -l <"$WORK/out")" != 1 ]; then
		fail "stdout is not the one line: $1"
		sed 's/^/  | /' "$WORK/out" >&2
	fi
}

# expect_alerts TEXT: RECON_ALERT_CMD was called exactly so (TEXT = its argument lines, "" = never).
expect_alerts() {
	[ "$(cat "$ALERTS")" = "$1" ] || { fail "alerts: expected '$1'"; sed 's/^/  | /' "$ALERTS" >&2; }
}

# --- exit mapping: the outcome line, the exit status, the log, the alert ------------------------------
outcome() {
	case $1 in
	0) echo "OK: reconciled, no discrepancies" ;;
	1) echo "DISCREPANCIES: reconciled, discrepancies found - see the reports" ;;
	2) echo "ALERT: configuration or usage error, nothing reconciled" ;;
	3) echo "ALERT: some statements missing or unreadable, the rest was reconciled" ;;
	4) echo "ALERT: database error or the date is locked by another run, nothing committed" ;;
	137) echo "ALERT: recon was killed by signal KILL, nothing committed" ;;
	esac
}
for code in 0 1 2 3 4 137; do
	case $code in 0 | 1) status=0 ;; *) status=$code ;; esac
	export FAKE_EXIT=$code
	nightly "$status" "$WORK/logs-$code" --config /etc/recon/recon.conf
	line="recon-nightly: $(outcome $code) (recon exit $code); log: $LOG"
	expect_stdout "$line"
	[ -s "$WORK/err" ] && { fail "exit $code: the wrapper wrote to stderr"; sed 's/^/  | /' "$WORK/err" >&2; }
	[ -n "$LOG" ] || continue
	expect_line "$LOG" "fake recon: run --config /etc/recon/recon.conf"
	expect_line "$LOG" "fake recon: on stderr"
	[ "$(tail -n 1 "$LOG")" = "$line" ] || fail "exit $code: the log does not end with the outcome line"
	head -n 1 "$LOG" | grep -q "^recon-nightly: started .*: $WORK/fake-recon run --config /etc/recon/recon.conf$" ||
		fail "exit $code: the log's first line: $(head -n 1 "$LOG")"
	[ "$(stat -c %a "$LOG")" = 640 ] || fail "exit $code: log mode $(stat -c %a "$LOG"), expected 640"
	case $code in
	0 | 1) expect_alerts "" ;;
	*) expect_alerts "ops $code $LOG" ;;
	esac
done

# A real signal, not just the number: the fake kills itself.
cat >"$WORK/fake-killed" <<'EOF'
#!/bin/sh
echo 'fake recon: about to be killed'
kill -KILL $$
EOF
chmod +x "$WORK/fake-killed"
RECON_BIN=$WORK/fake-killed nightly 137 "$WORK/logs-killed"
expect_stdout "recon-nightly: $(outcome 137) (recon exit 137); log: $LOG"
expect_alerts "ops 137 $LOG"

# recon that cannot be started: 127, alert.
RECON_BIN=$WORK/no-such-recon nightly 127 "$WORK/logs-127"
expect_stdout "recon-nightly: ALERT: could not start $WORK/no-such-recon (recon exit 127); log: $LOG"
expect_alerts "ops 127 $LOG"

# --- --strict, --quiet ---------------------------------------------------------------------------------
FAKE_EXIT=1 nightly 1 "$WORK/logs-strict" --strict
expect_stdout "recon-nightly: $(outcome 1) (recon exit 1); log: $LOG"
expect_alerts ""
FAKE_EXIT=0 nightly 0 "$WORK/logs-strict" --strict
expect_alerts ""
FAKE_EXIT=1 nightly 0 "$WORK/logs-quiet" --quiet
[ -s "$WORK/out" ] && fail "--quiet printed for discrepancies: $(cat "$WORK/out")"
FAKE_EXIT=1 nightly 1 "$WORK/logs-quiet" --quiet --strict
expect_stdout "recon-nightly: $(outcome 1) (recon exit 1); log: $LOG"
FAKE_EXIT=3 nightly 3 "$WORK/logs-quiet" --quiet
expect_stdout "recon-nightly: $(outcome 3) (recon exit 3); log: $LOG"
expect_alerts "ops 3 $LOG"

# --- arguments: no --date means recon's own yesterday; the rest is passed through as is -------------------
export FAKE_EXIT=0
nightly 0 "$WORK/logs-args"
expect_line "$LOG" "fake recon: run"
nightly 0 "$WORK/logs-args" --date 2026-03-02 --config "$WORK/my conf.ini" -- --channel wx-main --jobs 2
expect_line "$LOG" "fake recon: run --config $WORK/my conf.ini --date 2026-03-02 --channel wx-main --jobs 2"
nightly 0 "$WORK/logs-args" --date=2026-03-03 --config="$WORK/c.conf"
expect_line "$LOG" "fake recon: run --config $WORK/c.conf --date 2026-03-03"
[ "$(count "$WORK/logs-args")" = 3 ] || fail "three runs in a row did not leave three logs"

# The wrapper's own usage errors: exit 2, one line on stderr, alert with no log, recon not started.
for bad in "--bogus" "--date" "--channel wx"; do
	: >"$ALERTS"
	got=0
	# shellcheck disable=SC2086
	RECON_LOG_DIR=$WORK/logs-usage "$NIGHTLY" $bad >"$WORK/out" 2>"$WORK/err" || got=$?
	[ "$got" = 2 ] || fail "recon-nightly $bad exited $got, expected 2"
	if [ "$(wc -l <"$WORK/err")" != 1 ] || ! grep -q '^recon-nightly: ALERT: .* (exit 2, no log)$' "$WORK/err"; then
		fail "recon-nightly $bad: stderr"
		sed 's/^/  | /' "$WORK/err" >&2
	fi
	[ -s "$WORK/out" ] && fail "recon-nightly $bad printed on stdout"
	expect_alerts "ops 2 -"
done
got=0
RECON_KEEP_LOGS=ten RECON_LOG_DIR=$WORK/logs-usage "$NIGHTLY" >"$WORK/out" 2>"$WORK/err" || got=$?
[ "$got" = 2 ] || fail "RECON_KEEP_LOGS=ten: exited $got, expected 2"
[ -e "$WORK/logs-usage" ] && fail "a usage error created the log directory"
"$NIGHTLY" --help >"$WORK/out" || fail "--help failed"
grep -q '^usage: recon-nightly ' "$WORK/out" || fail "--help prints no usage"

# A failing alert command is reported and does not change the exit status.
FAKE_EXIT=4 RECON_ALERT_CMD=false nightly 4 "$WORK/logs-alertfail"
grep -qx 'recon-nightly: warning: RECON_ALERT_CMD failed' "$WORK/err" || fail "a failed alert was not reported"
expect_line "$LOG" "recon-nightly: warning: RECON_ALERT_CMD failed"
# No alert command at all: nothing to call.
FAKE_EXIT=4 RECON_ALERT_CMD='' nightly 4 "$WORK/logs-noalert"
[ -s "$WORK/err" ] && fail "no RECON_ALERT_CMD, yet stderr: $(cat "$WORK/err")"

# --- retention: the newest RECON_KEEP_LOGS of its own logs stay, nothing else is touched ----------------
keep=$WORK/logs-keep
mkdir -p "$keep/recon-2000-01-01-000000.log.d"
for d in 01 02 03 04 05 06 07 08 09 10 11 12; do
	echo old >"$keep/recon-2000-01-$d-000000.log"
done
others=(recon-2000-01-01-000000.log.gz recon-2000-01-01.log recon-notes.txt other.log
	recon-2000-01-01-000000.log.d recon-2000-1-01-000000.log)
for f in "${others[@]}"; do [ -e "$keep/$f" ] || echo other >"$keep/$f"; done
ln -s "$keep/recon-2000-01-01-000000.log" "$keep/recon-1999-01-01-000000.log"
RECON_KEEP_LOGS=5 nightly 0 "$keep"
mine=$(names "$keep" | grep -E "^$LOGRE$" | grep -v '^recon-1999' | tr '\n' ' ')
[ "$mine" = "recon-2000-01-09-000000.log recon-2000-01-10-000000.log recon-2000-01-11-000000.log recon-2000-01-12-000000.log $(basename "$LOG") " ] ||
	fail "RECON_KEEP_LOGS=5 left: $mine"
for f in "${others[@]}" recon-1999-01-01-000000.log; do
	[ -e "$keep/$f" ] || [ -L "$keep/$f" ] || fail "pruning removed $f, not one of its logs"
done
RECON_KEEP_LOGS=1 nightly 0 "$keep"
mine=$(names "$keep" | grep -E "^$LOGRE$" | grep -v '^recon-1999' | tr '\n' ' ')
[ "$mine" = "$(basename "$LOG") " ] || fail "RECON_KEEP_LOGS=1 left: $mine"
RECON_KEEP_LOGS=0 nightly 0 "$WORK/logs-all"
for d in 01 02 03; do echo old >"$WORK/logs-all/recon-2000-01-$d-000000.log"; done
RECON_KEEP_LOGS=0 nightly 0 "$WORK/logs-all"
[ "$(count "$WORK/logs-all")" = 5 ] || fail "RECON_KEEP_LOGS=0 deleted logs"
# The default keeps 30.
mkdir -p "$WORK/logs-30"
for d in $(seq -w 1 31); do echo old >"$WORK/logs-30/recon-2000-01-$d-000000.log"; done
nightly 0 "$WORK/logs-30"
[ "$(count "$WORK/logs-30")" = 30 ] || fail "the default did not keep 30 logs"
[ -e "$WORK/logs-30/recon-2000-01-02-000000.log" ] && fail "the default kept a log beyond 30"

# --- SIGTERM (systemctl stop, a timeout) reaches recon; the wrapper still reports and alerts -------------
: >"$ALERTS"
rm -rf "$WORK/logs-term"
FAKE_SLEEP=10 RECON_LOG_DIR=$WORK/logs-term "$NIGHTLY" >"$WORK/out" 2>"$WORK/err" &
wrapper=$!
for _ in $(seq 50); do
	grep -qs 'fake recon: on stderr' "$WORK"/logs-term/recon-*.log && break
	sleep 0.1
done
kill -TERM "$wrapper"
got=0
wait "$wrapper" || got=$?
[ "$got" = 143 ] || fail "a stopped run exited $got, expected 143"
LOG=$(ls "$WORK"/logs-term/recon-*.log)
expect_line "$LOG" "fake recon: got TERM"
expect_stdout "recon-nightly: ALERT: recon was killed by signal TERM, nothing committed (recon exit 143); log: $LOG"
expect_alerts "ops 143 $LOG"

# --- the crontab line: flock -n skips (and says so) while a previous night holds the lock ----------------
job=$(grep -E '^[0-9*]' "$ROOT/cron/recon.cron")
[ "$(printf '%s\n' "$job" | wc -l)" = 1 ] || fail "recon.cron: expected one job line"
[[ "$job" == "30 6 * * *  flock -n "* ]] || fail "recon.cron: not 06:30 under flock -n: $job"
grep -qx 'CRON_TZ=Asia/Shanghai' "$ROOT/cron/recon.cron" || fail "recon.cron: no CRON_TZ=Asia/Shanghai"
cmd=${job#30 6 \* \* \* }
cmd=${cmd//\/run\/lock\/recon.lock/$WORK/recon.lock}
cmd=${cmd//\/usr\/local\/bin\/recon-nightly/$NIGHTLY}
cmd=${cmd//\/etc\/recon\/recon.conf/$WORK/recon.conf}
[[ "$cmd" == *"$NIGHTLY --quiet --config $WORK/recon.conf"* ]] || fail "recon.cron: unexpected command: $cmd"
export RECON_LOG_DIR=$WORK/logs-cron
FAKE_EXIT=3 sh -c "$cmd" >"$WORK/out" 2>"$WORK/err" || true
LOG=$(ls "$WORK"/logs-cron/recon-*.log)
expect_stdout "recon-nightly: $(outcome 3) (recon exit 3); log: $LOG"
expect_line "$LOG" "fake recon: run --config $WORK/recon.conf"
rm -rf "$WORK/logs-cron"
exec 9>"$WORK/recon.lock"
flock -n 9 || fail "cannot take the test's lock"
sh -c "$cmd" >"$WORK/out" 2>"$WORK/err" 9>&- || true
exec 9>&-
[ "$(cat "$WORK/err")" = "recon-nightly: ALERT: skipped, a previous run still holds $WORK/recon.lock" ] ||
	{ fail "recon.cron: an overlapping night was not skipped with a message"; sed 's/^/  | /' "$WORK/err" >&2; }
[ -e "$WORK/logs-cron" ] && fail "recon.cron: an overlapping night ran anyway"
unset RECON_LOG_DIR

# --- the real recon: a missing configuration is exit 2, its message is in the log ---------------------
RECON_BIN=$RECON nightly 2 "$WORK/logs-real" --config "$WORK/missing.conf"
expect_stdout "recon-nightly: $(outcome 2) (recon exit 2); log: $LOG"
grep -q "missing.conf: cannot read configuration" "$LOG" || { fail "recon's message is not in the log"; cat "$LOG" >&2; }
expect_alerts "ops 2 $LOG"

# --- the scripts themselves ---------------------------------------------------------------------------
sh -n "$NIGHTLY" || fail "sh -n cron/recon-nightly"
bash -n "$NIGHTLY" || fail "bash -n cron/recon-nightly"
# The wrapper is POSIX sh (dash on Debian): the exit mapping once more under bash.
FAKE_EXIT=4 RECON_LOG_DIR=$WORK/logs-bash bash "$NIGHTLY" >"$WORK/out" 2>/dev/null && fail "bash: exit 0"
grep -q "^recon-nightly: $(outcome 4) (recon exit 4); log: $WORK/logs-bash/recon-" "$WORK/out" || fail "bash: no outcome line"
if command -v shellcheck >/dev/null; then
	shellcheck "$NIGHTLY" || fail "shellcheck cron/recon-nightly"
	shellcheck -s bash -x -P "$ROOT/tests/golden" "$0" || fail "shellcheck tests/golden/cron.sh"
else
	echo "shellcheck not installed: skipped"
fi
if command -v systemd-analyze >/dev/null; then
	grep -qx 'OnCalendar=\*-\*-\* 06:30:00 Asia/Shanghai' "$ROOT/cron/recon.timer" || fail "recon.timer: OnCalendar"
	systemd-analyze calendar '*-*-* 06:30:00 Asia/Shanghai' >/dev/null || fail "systemd-analyze calendar"
	# the units as systemd reads them (the binaries they name need not be installed here)
	mkdir -p "$WORK/units"
	for u in recon.service recon.timer recon-serve.service; do
		sed "s#/usr/local/bin/#$WORK/units/bin/#g" "$ROOT/cron/$u" >"$WORK/units/$u"
	done
	mkdir -p "$WORK/units/bin" && ln -sf "$RECON" "$WORK/units/bin/recon" && ln -sf "$NIGHTLY" "$WORK/units/bin/recon-nightly"
	# (it says nothing of a unit it reads whole: an unknown key or a bad value is a line)
	systemd-analyze verify --man=no "$WORK/units/recon-serve.service" >"$WORK/verify.log" 2>&1 ||
		fail "systemd-analyze verify recon-serve.service failed: $(cat "$WORK/verify.log")"
	[ ! -s "$WORK/verify.log" ] || fail "systemd-analyze verify recon-serve.service: $(cat "$WORK/verify.log")"
fi
grep -q '^ExecStart=/usr/local/bin/recon serve --config /etc/recon/recon.conf --log-format json$' "$ROOT/cron/recon-serve.service" ||
	fail "recon-serve.service does not start recon serve"
grep -qx "KillSignal=SIGTERM" "$ROOT/cron/recon-serve.service" || fail "recon-serve.service: SIGTERM"

finish
