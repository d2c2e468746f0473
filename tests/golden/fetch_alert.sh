# The after-run alert (issue 6 item 3) against the fixture server's receiver
# (tests/fetch/handlers_alert.c, POST /alert/hook, bodies kept in
# $RECON_FIXTURE_STATE/alerts/NNN.json): the demo night 2026-03-02 posts
# exactly one summary whose counts per kind are those of discrepancies.csv;
# wecom and dingtalk bodies have the robots' shapes; a flaky receiver still
# gets it once; a receiver that is down (or answers a robot errcode) costs one
# "alert not sent" line and changes nothing else; failed runs (exit 3, exit 4)
# are reported too; the webhook's token never appears anywhere.
source "$(dirname "$0")/lib.sh"

fresh_db golden_fetch_alert
load_ledger "$ROOT/fixtures/demo"
cp "$ROOT"/fixtures/demo/wechat_* "$WORK"/
alerts=$RECON_FIXTURE_STATE/alerts
mkdir -p "$WORK/logs"
scenario() { printf '%s-%s\n' "$1" "$RANDOM$RANDOM" >"$RECON_FIXTURE_STATE/scenario"; }
# conf KIND: the demo configuration with an [alert] section whose URL carries a token
conf() {
	demo_conf
	cat >>"$WORK/recon.conf" <<CONF

[alert]
webhook = $RECON_FIXTURE_URL/alert/hook?key=SECRET123
kind = $1
ca_file = $RECON_FIXTURE_CA
CONF
}
# night NAME EXIT [DATE]: one run with a fresh receiver folder; the log is kept as logs/NAME.err
night() {
	rm -rf "$alerts"
	run_recon "$2" run --config "$WORK/recon.conf" --date "${3:-2026-03-02}"
	cp "$WORK/err" "$WORK/logs/$1.err"
	cp "$WORK/out" "$WORK/logs/$1.out"
}
received() { { find "$alerts" -name '*.json' 2>/dev/null || true; } | wc -l; }
expect_received() { # expect_received N WHAT
	local n
	n=$(received)
	[ "$n" = "$1" ] || fail "$2: $n bodies received, expected $1"
}
valid_json() { # valid_json FILE FILTER: checked when jq is installed
	if command -v jq >/dev/null; then
		jq -e "$2" "$1" >/dev/null || fail "$1 is not JSON or fails $2: $(cat "$1")"
	fi
}
night_is_unchanged() { # night_is_unchanged WHAT
	same_files "$WORK/reports/2026-03-02" "$GOLDEN/night/2026-03-02"
	expect_line "$WORK/err" "recon: 2026-03-02: 18 statement rows: 7 matched, 10 discrepancies, 1 pending, 0 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending, 0 quarantined; 10 findings"
	expect_line "$WORK/out" "reports: $WORK/reports/2026-03-02"
	expect_sql 10 "select count(*) from recon_discrepancies where business_date = '2026-03-02'"
	expect_sql 4 "select count(*) from recon_suspense where business_date = '2026-03-02'"
}

# kind = json: one body, the right date and exit code, counts per kind = discrepancies.csv
conf json
scenario ok
night json 1
night_is_unchanged json
expect_received 1 json
body=$alerts/001.json
cp "$body" "$WORK/logs/json.body" 2>/dev/null || true
grep -q 'alert not sent' "$WORK/err" && fail "json: the log mentions the alert: $(cat "$WORK/err")"
for line in '  "schema": "recon.alert/1",' '  "business_date": "2026-03-02",' '  "exit_code": 1,' \
	'  "outcome": "discrepancies",' '  "meaning": "reconciled, discrepancies found",' '  "dry_run": false,' \
	'  "totals": {"statement_rows": 18, "matched": 7, "discrepancies": 10, "pending": 4, "quarantined": 0, "rejected_files": 0},' \
	'  "failed_files": [],' "  \"reports\": \"$WORK/reports/2026-03-02\"" \
	'    {"channel": "wechat", "merchant_id": "1900000109", "statement_rows": 18, "kinds": ['; do
	expect_line "$body" "$line"
done
kinds=0
while read -r count kind; do
	kinds=$((kinds + 1))
	grep -q "^    {\"kind\": \"$kind\", \"kind_cn\": \"[^\"]*\", \"count\": $count, \"amount\": \"[0-9]*\.[0-9][0-9]\"}" "$body" ||
		fail "json: no total of $count for $kind"
	grep -q "^      {\"kind\": \"$kind\", \"kind_cn\": \"[^\"]*\", \"count\": $count, " "$body" ||
		fail "json: no count of $count for $kind under wechat 1900000109"
done < <(tail -n +2 "$WORK/reports/2026-03-02/discrepancies.csv" | cut -d, -f2 | sort | uniq -c)
[ "$kinds" -gt 1 ] || fail "json: the demo night should have several kinds, got $kinds"
[ "$(grep -c '^    {"kind": ' "$body")" = "$kinds" ] || fail "json: kinds listed that discrepancies.csv lacks: $(cat "$body")"
valid_json "$body" '.business_date == "2026-03-02" and .exit_code == 1 and ([.kinds[].count] | add) == 10
	and (.channels | length) == 1 and .channels[0].statement_rows == 18'

# robot_night KIND PREFIX: a night whose alert goes to a KIND robot: delivered
# once, the night unchanged, and the body (in $body) starts with PREFIX and
# ends the two objects.
robot_night() {
	conf "$1"
	scenario ok
	night "$1" 1
	night_is_unchanged "$1"
	expect_received 1 "$1"
	body=$alerts/001.json
	cp "$body" "$WORK/logs/$1.body" 2>/dev/null || true
	[ "$(head -c ${#2} "$body")" = "$2" ] || fail "$1: body shape: $(cat "$body")"
	[ "$(tail -c 3 "$body")" = '"}}' ] || fail "$1: body end: $(cat "$body")"
}

# kind = wecom: {"msgtype":"markdown","markdown":{"content":"…"}}
robot_night wecom '{"msgtype":"markdown","markdown":{"content":"## recon 2026-03-02: reconciled, discrepancies found (exit 1)\n'
grep -qF '**wechat 1900000109**: 18 statement rows' "$body" || fail "wecom: no channel line: $(cat "$body")"
grep -qF '> 18 statement rows: 7 matched, 10 discrepancies, 1 pending, 0 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending; 10 findings, 0 file(s) failed' "$body" ||
	fail "wecom: the summary does not balance as summary.csv: $(cat "$body")"
grep -qF "Reports: $WORK/reports/2026-03-02" "$body" || fail "wecom: no reports path"
[ "$(stat -c %s "$body")" -lt 4200 ] || fail "wecom: body too long for a robot"
valid_json "$body" '.msgtype == "markdown" and (.markdown | keys) == ["content"] and (.markdown.content | length) > 0'

# kind = dingtalk: {"msgtype":"markdown","markdown":{"title":"…","text":"…"}}
robot_night dingtalk '{"msgtype":"markdown","markdown":{"title":"recon 2026-03-02: reconciled, discrepancies found (exit 1)","text":"## recon 2026-03-02'
valid_json "$body" '.msgtype == "markdown" and (.markdown | keys) == ["text", "title"]'

# 500 twice, then 200: retried, delivered once
conf json
scenario flaky
night flaky 1
night_is_unchanged flaky
expect_received 1 flaky
grep -q 'alert not sent' "$WORK/err" && fail "flaky: $(cat "$WORK/err")"

# always 503: the run is the same, plus exactly one line
scenario down
night down 1
night_is_unchanged down
expect_received 0 down
[ "$(grep -c 'alert not sent' "$WORK/err")" = 1 ] || fail "down: not one alert line: $(cat "$WORK/err")"
grep -qx "recon: 2026-03-02: alert not sent: .*$RECON_FIXTURE_URL/alert/hook.*503.*" "$WORK/err" ||
	fail "down: no 'alert not sent' line naming the safe URL and the status: $(cat "$WORK/err")"
# (the register's line says what the earlier runs of the date left: not compared)
diff <(grep -v -e 'alert not sent' -e ': open items: ' "$WORK/logs/down.err") <(grep -v ': open items: ' "$WORK/logs/json.err") >&2 ||
	fail "down: the log differs beyond the alert line"
cmp -s "$WORK/logs/down.out" "$WORK/logs/json.out" || fail "down: stdout differs"

# a robot's errcode in a 200 answer is a failure too
conf wecom
scenario errcode
night errcode 1
night_is_unchanged errcode
expect_line "$WORK/err" "recon: 2026-03-02: alert not sent: $RECON_FIXTURE_URL/alert/hook answered errcode 93000"

# a failed run is reported: no statement for 2026-03-04 (exit 3) names the file that failed
conf json
scenario ok
night missing 3 2026-03-04
expect_received 1 missing
body=$alerts/001.json
cp "$body" "$WORK/logs/missing.body" 2>/dev/null || true
expect_line "$body" '  "exit_code": 3,'
expect_line "$body" '  "outcome": "input_error",'
grep -q '^    {"source": "wx-main", "file": "[^"]*wechat_1900000109_20260304.csv", "reason": "[^"]' "$body" ||
	fail "missing: the failed file is not listed: $(cat "$body")"
valid_json "$body" '.exit_code == 3 and (.failed_files | length) == 1 and .totals.rejected_files == 1'

# the date locked by another run (exit 4): reported, nothing committed, no reports path
day=$(($(date -ud 2026-03-02 +%s) / 86400))
psql -qtAX -c "select pg_advisory_lock($((0x7265636f)), $day); select pg_sleep(4)" >/dev/null &
holder=$!
sleep 1
sed -i 's/^\[run\]$/[run]\nlock_wait = 1/' "$WORK/recon.conf"
night locked 4
wait $holder
expect_received 1 locked
body=$alerts/001.json
cp "$body" "$WORK/logs/locked.body" 2>/dev/null || true
for line in '  "exit_code": 4,' '  "outcome": "database_error",' '  "kinds": [],' '  "channels": [],' '  "reports": null'; do
	expect_line "$body" "$line"
done
valid_json "$body" '.exit_code == 4 and .reports == null'

# the webhook's token is in no output, log, report or body
if grep -rqF SECRET123 "$WORK/logs" "$WORK/reports" "$WORK/out" "$WORK/err"; then fail "the webhook token leaked"; fi
if [ -d "$alerts" ] && grep -rqF SECRET123 "$alerts"; then fail "the webhook token is in a body"; fi
rm -rf "$alerts"
finish
