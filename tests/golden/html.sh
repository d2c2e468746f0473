# index.html of the demo night: self-contained (no scripts, no external
# references), the kind tables and totals agree with discrepancies.csv,
# pending.csv and summary.csv, identical bytes on a re-run, crafted text
# escaped, and (when Chromium is installed) a real headless screenshot.
# Issue 18: read back through headless Chromium (its DOM), a night with a
# missing statement opens with a red banner naming it and a quarantine card
# that is not green; a known finding's row shows its transaction id,
# statuses, fees, trade time and source; short and over are charted apart,
# signed; a settlement night has its settlement section.
source "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
# dom PAGE OUT: the page as headless Chromium parsed it (its serialised DOM),
# or the file itself when Chromium is not installed.
dom() {
	if [ -n "$CHROMIUM" ]; then
		timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/chrome" \
			--dump-dom "file://$1" >"$2" 2>"$WORK/chrome-dom.log" || fail "chromium --dump-dom $1 failed"
	else
		cp "$1" "$2"
	fi
}
# red_top PAGE: the share (percent) of the top 60 pixel rows of the page as
# Chromium renders it (1200 px wide) painted the banner's red, #c53030.
red_top() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/chrome" \
		--screenshot="$WORK/top.png" --window-size=1200,300 "file://$1" >"$WORK/chrome-top.log" 2>&1 ||
		{ fail "chromium --screenshot $1 failed"; echo 0; return; }
	python3 - "$WORK/top.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, red, total = zlib.decompress(idat), w * bpp, None, 0, 0
for y in range(60):
    line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
    ft, cur = line[0], bytearray(line[1:])
    for i in range(stride):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        p = a + b - c
        pred = [0, a, b, (a + b) // 2, a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else (b if abs(p - b) <= abs(p - c) else c)][ft]
        cur[i] = (cur[i] + pred) & 255
    prev = cur
    for x in range(0, stride, bpp):
        total += 1
        red += tuple(cur[x:x + 3]) == (0xC5, 0x30, 0x30)
print(red * 100 // total)
PY
}
# has FILE TEXT... / has_not FILE TEXT...: each TEXT is (is not) in FILE.
has() {
	local f=$1 t
	shift
	for t in "$@"; do grep -qF -- "$t" "$f" || fail "$f lacks: $t"; done
}
has_not() {
	local f=$1 t
	shift
	for t in "$@"; do grep -qF -- "$t" "$f" && fail "$f has: $t"; done
	return 0
}

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
page_rows=$(awk '/<table class="kind"/{t=1} t && /^<tr( class="urgent")? data-urgent="(yes|no)"><td>/{n++} /<\/table>/{t=0} END{print n+0}' "$PAGE")
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


# the demo night read back through Chromium: the columns a clerk looks a row
# up with, exact for known findings; short and over charted apart and signed
dom "$PAGE" "$WORK/dom.html"
has "$WORK/dom.html" '渠道交易号<br><span class="muted">channel_txn_id</span>' \
	'处理期限<br><span class="muted">due_by</span>' '处理建议<br><span class="muted">action</span>' \
	'来源<br><span class="muted">source</span>' '交易时间<br><span class="muted">trade_time</span>' \
	'<td>DEMO-P008</td><td></td><td>4200001234202603021000000008</td><td>单笔手续费与费率规则不符<br><span class="muted">rate</span></td><td>PAID</td><td>SUCCESS</td><td class="n">200.00</td><td class="n">200.00</td>' \
	'<td class="n">1.20000</td><td class="n">2.00000</td><td>2026-03-02 13:14:15</td>' \
	'<td>wechat_1900000109_20260302.csv:11</td><td>fee_rate 0.6000%</td></tr>' \
	'<td>DEMO-P002</td><td></td><td>4200001234202603021000000002</td><td>渠道实收少于账本金额<br><span class="muted">amount</span></td><td>PAID</td><td>SUCCESS</td><td class="n">55.00</td><td class="n">50.00</td><td class="n">-5.00</td><td>2026-03-02 09:40:11</td>' \
	'<td>wechat_1900000109_20260302.csv:3</td><td></td></tr>' \
	'data-short-total="-500"' '短款合计 short payments<b class="bad">-5.00</b>' \
	'data-over-total="1000"' '长款合计 overpayments<b class="bad">+10.00</b>' \
	'data-kind="STATUS_MISMATCH" data-series="negative" data-value="-2000"' \
	'data-kind="STATUS_MISMATCH" data-series="positive" data-value="3000"' \
	'data-series="expected" data-value="292000"' 'data-series="charged" data-value="372000"' \
	'id="difference-note"' '<table class="settlement" data-count="1">' \
	'<td class="bad">无法核对<br><span class="muted">unverified</span></td>'
has_not "$WORK/dom.html" '|difference|'
# the demo's settlement has no fund flow to check it against: the banner says so, first thing
grep -A1 -F '<body>' "$WORK/dom.html" | grep -qF '<div class="banner" role="alert"' ||
	fail "the unverified settlement's banner is not the first thing on the page"
has "$WORK/dom.html" 'data-unverified-settlements="1"' '结算无法核对 settlement not verified' \
	'<div class="card ok" data-quarantined-rows="0" data-rejected-files="0">'

# a statement that is not there: the banner names it, the quarantine card
# and the channel total's proof are not green
mkdir -p "$WORK/missing"
cp "$WORK"/wechat_* "$WORK/missing/"
{
	sed -e 's#^reports = .*#reports = reports#' -e 's#^spool = .*#spool = spool#' "$ROOT/fixtures/demo/recon.conf"
	echo
	late_source
} >"$WORK/missing/recon.conf"
fresh_db golden_html_missing
load_ledger "$ROOT/fixtures/demo"
run_recon 3 run --config "$WORK/missing/recon.conf" --date 2026-03-02
dom "$WORK/missing/reports/2026-03-02/index.html" "$WORK/dom-missing.html"
grep -A1 -F '<body>' "$WORK/dom-missing.html" | grep -qF '<div class="banner" role="alert" data-rejected-files="1"' ||
	fail "a night with a missing statement does not open with the banner"
has "$WORK/dom-missing.html" '对账单被拒收或缺失 statement rejected or missing' 'wx-late' \
	'late/2026-03-02.csv.gz: cannot open: No such file or directory' \
	'<div class="card bad" data-quarantined-rows="0" data-rejected-files="1">' \
	'1 个文件被拒收或缺失 1 file(s) rejected or missing' \
	'data-side="channel" data-rows="18" data-matched="7" data-discrepancies="10" data-pending="1" data-quarantined="0" data-balanced="yes"><td>合计 total</td>'
has_not "$WORK/dom-missing.html" '<div class="card ok" data-quarantined-rows'
if [ -n "$CHROMIUM" ]; then # rendered: the top of the page is the red banner
	red=$(red_top "$WORK/missing/reports/2026-03-02/index.html")
	[ "$red" -ge 30 ] || fail "the top of the rendered page is $red% banner red, want at least 30%"
fi
grep -F 'data-channel="*" data-merchant="*" data-side="channel"' "$WORK/dom-missing.html" | grep -qF '<td class="bad">✓ 平衡 yes' ||
	fail "the channel total's proof is green although a statement is missing"

# a settlement night: the settlement section lists the day's and the earlier
# settlements checked today, status in Chinese; nothing unchecked: no banner
mkdir -p "$WORK/settle"
cp "$ROOT"/fixtures/settle/* "$WORK/settle/"
fresh_db golden_html_settle
load_ledger "$ROOT/fixtures/settle"
run_recon 0 run --config "$WORK/settle/recon.conf" --date 2026-03-02
dom "$WORK/settle/reports/2026-03-02/index.html" "$WORK/dom-settle1.html"
has "$WORK/dom-settle1.html" '<table class="settlement" data-count="1">' \
	'<td>待到账<br><span class="muted">due</span></td>'
has_not "$WORK/dom-settle1.html" 'class="banner"'
if [ -n "$CHROMIUM" ]; then
	red=$(red_top "$WORK/settle/reports/2026-03-02/index.html")
	[ "$red" = 0 ] || fail "the top of a night without a banner is $red% banner red"
fi
run_recon 0 run --config "$WORK/settle/recon.conf" --date 2026-03-03
run_recon 1 run --config "$WORK/settle/recon.conf" --date 2026-03-04
dom "$WORK/settle/reports/2026-03-04/index.html" "$WORK/dom-settle.html"
has "$WORK/dom-settle.html" '<h2>结算 Settlement</h2>' '<table class="settlement" data-count="2">' \
	'<tr data-status="late"><td>2026-03-02</td><td>wechat</td><td>1900000109</td><td>T+1</td><td class="n">150.00</td><td class="n">0.00</td><td class="n">0.90000</td><td class="n">149.10</td><td>2026-03-03</td><td class="bad">逾期到账<br><span class="muted">late</span></td><td class="n">149.10</td><td>2026-03-04</td>' \
	'<tr data-status="settled"><td>2026-03-03</td>' '<td class="ok">已到账<br><span class="muted">settled</span></td>'
has_not "$WORK/dom-settle.html" 'class="banner"'

# real headless Chromium: the page renders to a non-trivial screenshot
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
