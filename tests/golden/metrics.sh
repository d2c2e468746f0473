# Operator experience (issue 6 item 5): the Prometheus textfile written after
# every run (--metrics or [run] metrics) and --log-format json.
# A run that exits 3 (a statement could not be read) is NOT a success: only
# exits 0 and 1 move recon_last_success_timestamp; any other run keeps the
# value of the existing file.
source "$(dirname "$0")/lib.sh"

demo_night golden_metrics
prom=$WORK/recon.prom

# metric NAME_AND_LABELS: the value of one sample, or nothing
metric() { awk -v k="$1" 'substr($0, 1, length(k) + 1) == k " " { print $2 }' "$prom"; }

before=$(date +%s)
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02 --metrics "$prom"
after=$(date +%s)
expect_line "$WORK/err" "recon: 2026-03-02: 18 statement rows: 7 matched, 10 discrepancies, 1 pending, 0 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending, 0 quarantined; 10 findings"
[ -f "$prom" ] || fail "no metrics file"
[ -z "$(ls "$WORK" | grep 'recon\.prom\.tmp')" ] || fail "temporary metrics file left behind"
for m in recon_rows_total recon_discrepancies_total recon_run_seconds recon_last_run_exit_code \
	recon_last_success_timestamp recon_business_date; do
	grep -q "^# HELP $m " "$prom" || fail "no HELP for $m"
	expect_line "$prom" "# TYPE $m gauge"
done
expect_line "$prom" 'recon_rows_total{channel="wechat",merchant="1900000109"} 18'
expect_line "$prom" "recon_last_run_exit_code 1"
expect_line "$prom" "recon_business_date{date=\"2026-03-02\"} $(($(date -ud 2026-03-02 +%s) / 86400))"
# the same count per kind as discrepancies.csv, every other kind 0
csv=$WORK/reports/2026-03-02/discrepancies.csv
kinds=$(grep -c '^recon_discrepancies_total{kind="' "$prom")
[ "$kinds" = 12 ] || fail "$kinds discrepancy kinds, expected 12 (DESIGN.md §3 and CURRENCY_MISMATCH)"
sum=0
while read -r kind n; do
	want=$(tail -n +2 "$csv" | cut -d, -f2 | grep -cxF "$kind" || true)
	[ "$n" = "$want" ] || fail "recon_discrepancies_total{kind=\"$kind\"} is $n, discrepancies.csv has $want"
	sum=$((sum + n))
done < <(sed -n 's/^recon_discrepancies_total{kind="\([A-Z_]*\)"} \([0-9]*\)$/\1 \2/p' "$prom")
[ "$sum" = 10 ] || fail "discrepancies add up to $sum, expected 10"
[ "$(tail -n +2 "$csv" | grep -c '')" = 10 ] || fail "discrepancies.csv does not have 10 rows"
secs=$(metric recon_run_seconds)
awk -v s="$secs" 'BEGIN { exit !(s > 0 && s < 120) }' || fail "implausible recon_run_seconds '$secs'"
ok=$(metric recon_last_success_timestamp)
[ -n "$ok" ] && [ "$ok" -ge "$before" ] && [ "$ok" -le "$after" ] ||
	fail "recon_last_success_timestamp '$ok' not between $before and $after"

# a failing run (exit 3: the statement is missing) is not a success: the previous value stays
sed -i 's/^recon_last_success_timestamp .*/recon_last_success_timestamp 1700000000/' "$prom"
sed 's#^location = .*#location = missing_{yyyymmdd}.csv#' "$WORK/recon.conf" >"$WORK/bad.conf"
run_recon 3 run --config "$WORK/bad.conf" --date 2026-03-02 --metrics "$prom" --dry-run
expect_line "$prom" "recon_last_run_exit_code 3"
expect_line "$prom" "recon_last_success_timestamp 1700000000"
expect_line "$prom" 'recon_rows_total{channel="wechat",merchant="1900000109"} 0'

# [run] metrics = FILE, relative to the configuration's directory
sed 's/^\[run\]$/[run]\nmetrics = night.prom/' "$WORK/recon.conf" >"$WORK/keyed.conf"
run_recon 1 run --config "$WORK/keyed.conf" --date 2026-03-03
expect_line "$WORK/night.prom" "recon_last_run_exit_code 1"
expect_line "$WORK/night.prom" 'recon_rows_total{channel="wechat",merchant="1900000109"} 3'

# --log-format json: one JSON object a line, the same messages
run_recon 3 run --config "$WORK/bad.conf" --date 2026-03-02 --log-format json --dry-run
cp "$WORK/err" "$WORK/err.bad.json"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02 --log-format json
cat "$WORK/err.bad.json" >>"$WORK/err"
[ "$(grep -c '' "$WORK/err")" -ge 3 ] || fail "too few JSON log lines: $(cat "$WORK/err")"
while IFS= read -r line; do
	case $line in
	'{"level":'*'}') ;;
	*) fail "not a JSON log line: $line" ;;
	esac
done <"$WORK/err"
expect_line "$WORK/err" '{"level":"info","date":"2026-03-02","msg":"18 statement rows: 7 matched, 10 discrepancies, 1 pending, 0 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending, 0 quarantined; 10 findings"}'
grep -q '^{"level":"error","date":"2026-03-02","source":"wx-main","msg":"rejected: ' "$WORK/err" ||
	fail "no JSON line for the rejected source: $(cat "$WORK/err")"
if command -v python3 >/dev/null; then
	python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    o = json.loads(line)
    assert o["level"] in ("info", "error") and o["date"] == "2026-03-02" and isinstance(o["msg"], str), (n, line)
    assert set(o) <= {"level", "date", "source", "msg"}, (n, line)
' "$WORK/err" || fail "python3 could not parse the JSON log"
elif command -v jq >/dev/null; then
	jq -e . "$WORK/err" >/dev/null || fail "jq could not parse the JSON log"
fi
run_recon 2 run --config "$WORK/recon.conf" --date 2026-03-02 --log-format xml
finish
