# index.html of the demo night: self-contained (no scripts, no external
# references), the kind tables and totals agree with discrepancies.csv,
# pending.csv and summary.csv, identical bytes on a re-run, crafted text
# escaped, and (when Chromium is installed) a real headless screenshot.
source "$(dirname "$0")/lib.sh"

demo_night golden_html

run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
DIR=$WORK/reports/2026-03-02
PAGE=$DIR/index.html
[ -s "$PAGE" ] || { fail "$PAGE missing or empty"; finish; }

# self-contained, no scripts
grep -qiE 'https?://' "$PAGE" && fail "index.html references an external URL: $(grep -oiE 'https?://[^"<> ]*' "$PAGE" | head -3)"
grep -qi '<script' "$PAGE" && fail "index.html contains a <script> element"
grep -qiE '<(link|img|iframe|object|embed)[ >]' "$PAGE" && fail "index.html loads an external resource"
grep -q '<meta charset="utf-8">' "$PAGE" || fail "index.html does not declare UTF-8"

# kind_counts CSV: "KIND COUNT" lines (kind is the 2nd column, after the date)
kind_counts() { tail -n +2 "$1" | tr -d '\r' | cut -d, -f2 | sort | uniq -c | awk '{print $2, $1}'; }

# one table per kind present in the CSVs, with the same row count, and no others
expected_tables=0
while read -r kind n; do
	[ -n "$kind" ] || continue
	expected_tables=$((expected_tables + 1))
	grep -qF "data-kind=\"$kind\" data-count=\"$n\"" "$PAGE" ||
		fail "page lacks data-kind=\"$kind\" data-count=\"$n\" (from the CSVs)"
done < <(kind_counts "$DIR/discrepancies.csv"; kind_counts "$DIR/pending.csv")
[ "$expected_tables" -gt 0 ] || fail "the demo night should have discrepancies"
got_tables=$(grep -o 'data-kind="[A-Z_]*" data-count="[0-9]*"' "$PAGE" | wc -l)
[ "$got_tables" = "$expected_tables" ] || fail "page has $got_tables kind tables, the CSVs $expected_tables kinds"

# the table rows themselves: as many <tr> in each kind table as CSV rows
csv_rows=$(($(tail -n +2 "$DIR/discrepancies.csv" | wc -l) + $(tail -n +2 "$DIR/pending.csv" | wc -l)))
page_rows=$(awk '/<table class="kind"/{t=1} t && /^<tr><td>/{n++} /<\/table>/{t=0} END{print n+0}' "$PAGE")
[ "$page_rows" = "$csv_rows" ] || fail "kind tables have $page_rows rows, discrepancies.csv + pending.csv $csv_rows"

# every summary.csv row (per channel/merchant/side and the * totals) is on the page with the same numbers
summary_rows=0
while IFS=, read -r _date ch m side _cn rows _ai matched _am disc _ad pend _ap quar _aq bal _rest; do
	summary_rows=$((summary_rows + 1))
	want="data-channel=\"$ch\" data-merchant=\"$m\" data-side=\"$side\" data-rows=\"$rows\" data-matched=\"$matched\" data-discrepancies=\"$disc\" data-pending=\"$pend\" data-quarantined=\"$quar\" data-balanced=\"$bal\""
	grep -qF "$want" "$PAGE" || fail "page lacks the summary.csv row: $want"
done < <(tail -n +2 "$DIR/summary.csv" | tr -d '\r')
[ "$summary_rows" -ge 2 ] || fail "summary.csv has only $summary_rows rows"
page_totals=$(grep -c 'data-channel=.*data-balanced=' "$PAGE")
[ "$page_totals" = "$summary_rows" ] || fail "page has $page_totals totals rows, summary.csv $summary_rows"
expect_line "$WORK/err" "recon: 2026-03-02: 18 statement rows: 7 matched, 10 discrepancies, 1 pending, 0 quarantined; 16 ledger items: 7 matched, 6 discrepancies, 3 pending, 0 quarantined; 10 findings"

# a re-run gives the same bytes
cp "$PAGE" "$WORK/first.html"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
cmp -s "$WORK/first.html" "$PAGE" || fail "re-run changed index.html"

# a crafted order number in a statement is shown escaped, never as markup
mkdir -p "$WORK/hostile"
sed 's#`DEMO-P001,#`<script>alert(1)</script>,#' "$WORK/wechat_1900000109_20260302.csv" \
	>"$WORK/hostile/wechat_1900000109_20260302.csv"
grep -qF '<script>alert(1)</script>' "$WORK/hostile/wechat_1900000109_20260302.csv" || fail "could not craft the hostile statement"
cp "$WORK/recon.conf" "$WORK/hostile/recon.conf"
fresh_db golden_html_hostile
load_ledger "$ROOT/fixtures/demo"
"$RECON" run --config "$WORK/hostile/recon.conf" --date 2026-03-02 >"$WORK/out" 2>"$WORK/err" || true
HPAGE=$WORK/hostile/reports/2026-03-02/index.html
if [ -s "$HPAGE" ]; then
	grep -qF '<script>alert(1)</script>' "$HPAGE" && fail "crafted order number appears raw in index.html"
	grep -qi '<script' "$HPAGE" && fail "hostile index.html contains <script"
	grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$HPAGE" || fail "crafted order number not shown escaped"
else
	fail "no index.html for the hostile statement; stderr: $(cat "$WORK/err")"
fi

# real headless Chromium: the page renders to a non-trivial screenshot
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/chrome" \
		--screenshot="$WORK/page.png" --window-size=1200,1600 "file://$PAGE" >"$WORK/chrome.log" 2>&1 ||
		fail "chromium failed: $(tail -5 "$WORK/chrome.log")"
	size=$(stat -c %s "$WORK/page.png" 2>/dev/null || echo 0)
	[ "$size" -gt 10240 ] || fail "screenshot $WORK/page.png is $size bytes (want > 10 KB)"
	[ "$(head -c 8 "$WORK/page.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "screenshot is not a PNG"
else
	echo "chromium not installed: screenshot check skipped" >&2
fi
finish
