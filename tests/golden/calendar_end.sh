# The calendar's end is loud (issue 16 item 21): a night whose T+1 settlement
# falls due after the business-day calendar's last day says so as a PROBLEM on
# stderr, on the page, in the metrics and in `recon status`; the month before
# the end brings a warning. The test brings its own calendar that ends with
# 2026, so adding a year to rules/calendar/cn.csv does not change it.
source "$(dirname "$0")/lib.sh"

fresh_db golden_calendar_end
cd "$WORK"
mkdir -p rules/calendar
cp -r "$ROOT"/rules/settlement.csv "$ROOT"/rules/fees.csv rules/
{
	echo "date,kind,name"
	echo "# years: 2026"
	grep '^2026-' "$ROOT/rules/calendar/cn.csv"
} >rules/calendar/cn.csv
# the settlement fixture's first night, moved to 2026-12-30 and 2026-12-31
for d in 20261230 20261231; do
	iso="${d:0:4}-${d:4:2}-${d:6:2}"
	for f in wechat fundflow; do
		sed -e "s/2026-03-02/$iso/g" -e "s/20260302/$d/g" "$ROOT/fixtures/settle/${f}_20260302.csv" >"${f}_$d.csv"
	done
	sed -e "s/2026-03-02/$iso/g" -e "s/20260302/$d/g" -e "s/^S-/S$d-/" "$ROOT/fixtures/settle/orders.csv" |
		grep "$iso\|order_no" >"orders_$d.csv"
done
{ head -1 orders_20261230.csv; tail -n +2 -q orders_20261230.csv orders_20261231.csv; } >orders.csv
cp "$ROOT/fixtures/settle/refunds.csv" .
load_ledger "$WORK"
sed -e 's/^reports = reports$/reports = reports\nrules = rules\nmetrics = metrics.prom/' \
	"$ROOT/fixtures/settle/recon.conf" >recon.conf

# 12-30: due 12-31, the calendar's last day: reconciled, with a warning
run_recon 0 run --config recon.conf --date 2026-12-30
expect_line err "recon: 2026-12-30: warning: the business-day calendar ends 2026-12-31, 1 day(s) after this date: add the next year's holidays before then (rules/calendar/README.md)"
grep -q PROBLEM err && fail "12-30 has a problem: $(cat err)"
grep -q '^recon_problems 0$' metrics.prom || fail "12-30: metrics: $(grep problems metrics.prom)"
grep -q '^recon_calendar_last_day{date="2026-12-31"} 20818$' metrics.prom || fail "no calendar end in the metrics"
grep -q 'class="problem"' reports/2026-12-30/index.html && fail "12-30: the page shows a problem"

# 12-31: due on the first working day of 2027, which the calendar does not know
run_recon 0 run --config recon.conf --date 2026-12-31
problem="the business-day calendar ends 2026-12-31: 1 settlement(s) of this date fall due after it and cannot be checked (first: wechat 1900000109 T+1); add the next year's holidays to rules/calendar/cn.csv (rules/calendar/README.md) and re-run this date"
expect_line err "recon: 2026-12-31: PROBLEM: $problem"
grep -q '^recon_problems 1$' metrics.prom || fail "12-31: metrics: $(grep problems metrics.prom)"
grep -q '^recon_settlements_beyond_calendar 1$' metrics.prom || fail "12-31: no beyond-calendar count"
grep -qF "<li class=\"problem\">问题 Problem: ${problem//\'/\&#39;}</li>" reports/2026-12-31/index.html ||
	fail "12-31: the page does not show the problem"
grep -A1 -F '<body>' reports/2026-12-31/index.html | grep -qF '<div class="banner" role="alert"' ||
	fail "12-31: the page does not open with the banner"
grep -q 'unverified' reports/2026-12-31/settlement.csv || fail "12-31: the settlement is not unverified"
expect_sql "unverified" "select status from recon_settlements where business_date = '2026-12-31'"

# a night before the calendar's first year: the gap is named, not the end
for f in wechat fundflow; do
	sed -e "s/2026-12-30/2025-06-03/g" -e "s/20261230/20250603/g" "${f}_20261230.csv" >"${f}_20250603.csv"
done
run_recon 0 run --config recon.conf --date 2025-06-03
expect_line err "recon: 2025-06-03: PROBLEM: the business-day calendar has no data for 2025: 1 settlement(s) of this date cannot be checked (first: wechat 1900000109 T+1); add that year's holidays to rules/calendar/cn.csv (rules/calendar/README.md) and re-run this date"

# recon status shows the night's problem under its line, and where the calendar ends
run_recon 0 status --config recon.conf
expect_line out "            PROBLEM: $problem"
grep -q '^calendar: PROBLEM: the business-day calendar ended on 2026-12-31\|^calendar: WARNING: the business-day calendar ends 2026-12-31, in [0-9]* day(s)' out ||
	fail "status names no calendar end: $(cat out)"
# a calendar that reaches far ahead is only stated
{
	echo "date,kind,name"
	echo "# years: 2026 2099"
	grep '^2026-' "$ROOT/rules/calendar/cn.csv"
} >rules/calendar/cn.csv
run_recon 0 status --config recon.conf
expect_line out "calendar: the business-day calendar covers days up to 2099-12-31"
finish
