# The workbench's pages and actions (issue 21) on a real server and
# PostgreSQL, driven over HTTP with curl, on the demo night: the nights and
# the night (its counts and amounts as the run stored them, its report files
# downloaded byte for byte, no path outside them); the open-items queue with
# its filters, sorting and counts; search by number; an item with its
# statement row, ledger row and history; acting on items as the CLI does
# (a note required, a viewer refused, a write-off above the limit waiting
# for a different supervisor); hostile values rendered inert and SQL
# metacharacters taken as text.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

demo_night golden_workbench
printf '\n[items]\nwriteoff_approval = 10.00\n' >>"$WORK/recon.conf"
CONF=$WORK/recon.conf
run_recon 1 run --config "$CONF" --date 2026-03-02
PW='清算 clerk passphrase 7'
for u in lina:clerk wang:viewer zhao:supervisor qian:supervisor; do
	printf '%s\n' "$PW" | "$RECON" user add "${u%%:*}" --role "${u#*:}" --by admin1 --config "$CONF" >/dev/null ||
		fail "user add $u"
done
start_serve
for u in lina wang zhao qian; do
	[ "$(login "$u" "$u" "$PW")" = 303 ] || fail "$u's login"
done
book=$WORK/reports/2026-03-02/open_items.csv
id_of() { tr -d '\r' <"$book" | awk -F, -v o="$1" '$8 == o { print $1 }'; } # ORDER: its item's id
p004=$(id_of DEMO-P004)
p003=$(id_of DEMO-P003)
[[ -n $p004 && -n $p003 ]] || fail "no items for DEMO-P004 and DEMO-P003"
# two open items of more than 10.00 yuan: write-offs that wait for approval
big=($(sql "select id from recon_register where status = 'open' and abs(difference_fen) > 1000 and id not in ('$p004')
	order by length(id), id limit 2"))
[ ${#big[@]} = 2 ] || fail "the demo has no two items above the write-off limit"

# ---- the nights: the run's counts and amounts ----
[ "$(req wang "$URL/nights")" = 200 ] || fail "GET /nights"
rows=$(sql "select counts->>'statement_rows' from recon_runs")
disc=$(sql "select counts->>'discrepancies' from recon_runs")
yuan=$(sql "select to_char(sum(v::numeric) / 100, 'FM999999990.00') from recon_runs, jsonb_each_text(counts->'amounts_fen') e(k, v)")
[[ $rows -gt 0 && $disc -gt 0 && -n $yuan ]] || fail "the run stored no counts or amounts: $(sql "select counts from recon_runs")"
grep -q "<a href=\"/night/2026-03-02\">2026-03-02</a></td><td class=\"warn\">有差异 discrepancies</td><td class=\"n\">$rows</td>" "$WORK/b" ||
	fail "the nights page: $(grep -o '<tr><td><a href="/night/[^\n]*' "$WORK/b")"
grep -q "<td class=\"n\">$disc</td><td class=\"n\">$yuan</td>" "$WORK/b" || fail "the nights page's discrepancies and amount ($disc, $yuan)"
# the amounts the workbench shows are the reports' differences: per kind, the sum of |difference| in discrepancies.csv
tr -d '\r' <"$WORK/reports/2026-03-02/discrepancies.csv" | head -1 | tr ',' '\n' | grep -n '^difference$' >/dev/null ||
	fail "discrepancies.csv has no difference column"

# ---- a night ----
[ "$(req wang "$URL/night/2026-03-02")" = 200 ] || fail "GET /night/2026-03-02"
grep -q "差异 Discrepancies</th><td class=\"n\">$disc</td>" "$WORK/b" || fail "the night's counts"
short=$(sql "select counts->>'SHORT_PAYMENT' from recon_runs")
grep -q "短款 SHORT_PAYMENT</a></td><td class=\"n\">$short</td>" "$WORK/b" || fail "the night's kinds: $(grep -o 'SHORT_PAYMENT[^\n]*' "$WORK/b" | head -2)"
grep -q 'href="/night/2026-03-02/discrepancies.csv"' "$WORK/b" || fail "no download of discrepancies.csv"
net=$(sql "select to_char(net_fen / 100.0, 'FM999999990.00') from recon_settlements where business_date = '2026-03-02' order by channel, merchant_id limit 1")
[ -n "$net" ] || fail "the demo night has no settlement"
grep -q "<h2>结算 Settlements</h2>" "$WORK/b" && grep -q "<td class=\"n\">$net</td>" "$WORK/b" || fail "the night's settlements (net $net)"
grep -q 'href="/night/2026-03-02/reconciliation.xlsx"\|\.xlsx"' "$WORK/b" || fail "no download of the workbook"
[ "$(req wang "$URL/night/2026-03-02/discrepancies.csv")" = 200 ] || fail "the download"
cmp -s "$WORK/b" "$WORK/reports/2026-03-02/discrepancies.csv" || fail "the download is not the report's bytes"
[ "$(header Content-Disposition)" = 'attachment; filename="2026-03-02_discrepancies.csv"' ] ||
	fail "the download's name: $(header Content-Disposition)"
for bad in '..%2Frecon.conf' '..%2F..%2Frecon.conf' '.stage' 'nope.csv' '%2Fetc%2Fpasswd'; do
	[ "$(req wang "$URL/night/2026-03-02/$bad")" = 404 ] || fail "GET /night/2026-03-02/$bad: not refused"
done
[ "$(req wang "$URL/night/2026-02-30")" = 404 ] || fail "a date that is not one"
[ "$(req wang "$URL/night/2025-01-01")" = 404 ] || fail "a night that did not run"

# ---- the queue ----
open_n=$(sql "select count(*) from recon_register where status in ('open', 'acknowledged')")
[ "$(req wang "$URL/items")" = 200 ] || fail "GET /items"
grep -q "<p id=\"counts\"><b>$open_n</b> 项 items" "$WORK/b" || fail "the queue's count ($open_n): $(grep -o '<p id="counts">[^\n]*' "$WORK/b")"
[ "$(grep -c '<a href="/item/' "$WORK/b")" = "$open_n" ] || fail "the queue does not list $open_n items"
grep -q 'type="checkbox"' "$WORK/b" && fail "a viewer's queue offers to act"
# filters: a kind, an owner nobody has, a status nothing has
n_short=$(sql "select count(*) from recon_register where kind = 'SHORT_PAYMENT' and status in ('open', 'acknowledged')")
[ "$(req wang "$URL/items?kind=SHORT_PAYMENT")" = 200 ] || fail "the queue by kind"
grep -q "<p id=\"counts\"><b>$n_short</b> 项" "$WORK/b" || fail "the queue by kind: not $n_short"
[ "$(req wang "$URL/items?owner=nobody-at-all")" = 200 ] && grep -q '<p id="counts"><b>0</b>' "$WORK/b" || fail "an owner filter"
[ "$(req wang "$URL/items?status=resolved")" = 200 ] && grep -q '<p id="counts"><b>0</b>' "$WORK/b" || fail "a status filter"
[ "$(req wang "$URL/items?status=nonsense")" = 400 ] || fail "an unknown status"
# sorted by amount, largest first: the first row is the largest |difference|
[ "$(req wang "$URL/items?sort=amount&dir=desc")" = 200 ] || fail "sorted by amount"
top=$(sql "select id from recon_register where status in ('open', 'acknowledged') order by abs(difference_fen) desc nulls last, length(id) desc, id desc limit 1")
[ "$(grep -o '<a href="/item/[0-9A-Z]*"' "$WORK/b" | head -1)" = "<a href=\"/item/$top\"" ] || fail "the largest first is not $top"
# the night's items
[ "$(req wang "$URL/items?seen=2026-03-02&status=all")" = 200 ] && grep -q "<p id=\"counts\"><b>$open_n</b>" "$WORK/b" ||
	fail "the night's items"

# ---- search ----
[ "$(req wang --get --data-urlencode 'q= DEMO-P004 ' "$URL/search")" = 200 ] || fail "search"
grep -q "<p id=\"counts\"><b>1</b> 项 items for <b>DEMO-P004</b>" "$WORK/b" || fail "search by order number: $(grep -o '<p id="counts">[^\n]*' "$WORK/b")"
grep -q "<a href=\"/item/$p004\">" "$WORK/b" || fail "search does not list $p004"
txn=$(sql "select channel_txn_id from recon_register where id = '$p003'")
if [ -n "$txn" ]; then
	[ "$(req wang --get --data-urlencode "q=$txn" "$URL/search")" = 200 ] && grep -q "<a href=\"/item/$p003\">" "$WORK/b" ||
		fail "search by transaction id $txn"
fi
for q in "' OR 1=1 --" '"; DROP TABLE recon_items; --' '%' '_' '\' "DEMO-P004' OR ''='"; do
	[ "$(req wang --get --data-urlencode "q=$q" "$URL/search")" = 200 ] || fail "search for $q"
	grep -q '<p id="counts">没有找到 Nothing found' "$WORK/b" || fail "search for $q found something"
	for f in kind channel merchant owner seen; do
		s=$(req wang --get --data-urlencode "$f=$q" "$URL/items")
		[[ $s = 200 || $s = 400 ]] || fail "the queue's $f=$q: $s"
	done
done
expect_sql t "select to_regclass('recon_items') is not null"

# ---- an item: its fields, statement row, ledger row, history ----
[ "$(req wang "$URL/item/${p004,,}")" = 200 ] || fail "GET /item/$p004 (typed in lower case)"
grep -q 'DEMO-P004' "$WORK/b" || fail "the item page"
grep -q '对账单位置 file:line</th><td>[^<]*:[0-9]' "$WORK/b" || fail "the item's statement row has no file:line: $(cat "$WORK/b")"
grep -q '<h2>账本记录 The ledger row</h2>' "$WORK/b" && grep -q '订单号 order no.</th><td>DEMO-P004</td>' "$WORK/b" ||
	fail "the item's ledger row"
grep -q '<td>recon run 2026-03-02</td><td>opened</td>' "$WORK/b" || fail "the item's history"
[ "$(req wang "$URL/item/ZZZZZ")" = 404 ] || fail "an item that is not one"

# ---- acting: a viewer cannot; a clerk needs the token and a note ----
csrf_w=$(csrf_of wang)
[ "$(req wang --data-urlencode "csrf=$csrf_w" --data-urlencode "id=$p004" --data-urlencode action=resolve \
	--data-urlencode "note=viewer" "$URL/items/act")" = 403 ] || fail "a viewer acted"
csrf_l=$(csrf_of lina)
[ "$(req lina --data-urlencode "id=$p004" --data-urlencode action=resolve --data-urlencode note=x "$URL/items/act")" = 403 ] ||
	fail "an action without the token"
[ "$(req lina --data-urlencode "csrf=$csrf_w" --data-urlencode "id=$p004" --data-urlencode action=resolve \
	--data-urlencode note=x "$URL/items/act")" = 403 ] || fail "an action with another session's token"
[ "$(req lina --data-urlencode "csrf=$csrf_l" --data-urlencode "id=$p004" --data-urlencode action=resolve \
	--data-urlencode "note=  " "$URL/items/act")" = 400 ] || fail "an action without a note"
grep -q 'Every action needs a note' "$WORK/b" || fail "no word of the note"
expect_sql 0 "select count(*) from recon_item_events where actor <> 'recon run 2026-03-02' and actor not like 'recon run%'"
# the clerk resolves P004: it leaves the queue, the action is in its history
[ "$(req lina --data-urlencode "csrf=$csrf_l" --data-urlencode "id=$p004" --data-urlencode action=resolve \
	--data-urlencode "note=客户已补单 callback re-sent <b>ok</b>" --data-urlencode 'back=/items' "$URL/items/act")" = 200 ] ||
	fail "the clerk's resolve: $(cat "$WORK/b")"
expect_sql "resolved|lina" "select status, changed_by from recon_items where id = '$p004'"
[ "$(req lina "$URL/items")" = 200 ]
grep -q "<a href=\"/item/$p004\">" "$WORK/b" && fail "$p004 is still in the open queue"
grep -q "<p id=\"counts\"><b>$((open_n - 1))</b>" "$WORK/b" || fail "the queue did not shrink"
# the night's items: still open, all, resolved
[ "$(req lina "$URL/items?seen=2026-03-02")" = 200 ] && grep -q "<p id=\"counts\"><b>$((open_n - 1))</b>" "$WORK/b" ||
	fail "the night's open items"
[ "$(req lina "$URL/items?seen=2026-03-02&status=all")" = 200 ] && grep -q "<p id=\"counts\"><b>$open_n</b>" "$WORK/b" ||
	fail "the night's items, all"
# (a night's items are counted by the database and only their page read: the same items, in the
# same order, as the whole register read and sorted)
[ "$(req lina "$URL/items?status=all")" = 200 ]
grep -o '<a href="/item/[0-9A-Z]*"' "$WORK/b" >"$WORK/all-order"
[ "$(req lina "$URL/items?seen=2026-03-02&status=all")" = 200 ]
grep -o '<a href="/item/[0-9A-Z]*"' "$WORK/b" | diff "$WORK/all-order" - >&2 || fail "a night's items are not in the book's order"
[ "$(req lina "$URL/items?seen=2026-03-02&status=resolved")" = 200 ] && grep -q "<p id=\"counts\"><b>1</b>" "$WORK/b" &&
	grep -q "<a href=\"/item/$p004\">" "$WORK/b" || fail "the night's resolved items"
[ "$(req lina "$URL/item/$p004")" = 200 ]
grep -q '<td>lina</td><td>status</td><td>resolved</td><td></td><td>客户已补单 callback re-sent &lt;b&gt;ok&lt;/b&gt;</td>' "$WORK/b" ||
	fail "the history does not show the clerk's action: $(grep -o '<tr><td>[^<]*</td><td>lina</td>[^\n]*' "$WORK/b")"
# the same through the CLI's history: one trail
run_recon 0 items history "$p004" --format csv --config "$CONF"
grep -q ',lina,status,.*resolved' "$WORK/out" || fail "recon items history does not show the web's action: $(cat "$WORK/out")"

# ---- a write-off above the limit waits for a supervisor who is someone else ----
p003=${big[0]}
[ "$(req lina --data-urlencode "csrf=$csrf_l" --data-urlencode "id=$p003" --data-urlencode action=write_off \
	--data-urlencode "note=not worth chasing" "$URL/items/act")" = 200 ] || fail "the clerk's write-off"
grep -q '待主管审批 awaits a supervisor' "$WORK/b" || fail "the write-off did not wait: $(cat "$WORK/b")"
expect_sql "open|lina" "select status, approval_by from recon_items where id = '$p003'"
[ "$(req lina --data-urlencode "csrf=$csrf_l" --data-urlencode note=mine "$URL/item/$p003/approve")" = 403 ] ||
	fail "a clerk approved"
expect_sql "open" "select status from recon_items where id = '$p003'"
csrf_z=$(csrf_of zhao)
[ "$(req zhao "$URL/item/$p003")" = 200 ] && grep -q "action=\"/item/$p003/approve\"" "$WORK/b" || fail "no approve form for the supervisor"
[ "$(req zhao --data-urlencode "csrf=$csrf_z" --data-urlencode "note=agreed" "$URL/item/$p003/approve")" = 200 ] ||
	fail "the supervisor's approval: $(cat "$WORK/b")"
expect_sql "written_off|zhao" "select status, changed_by from recon_items where id = '$p003'"
# a supervisor's own write-off: another must approve it
p006=${big[1]}
[ "$(req zhao --data-urlencode "csrf=$csrf_z" --data-urlencode "id=$p006" --data-urlencode action=write_off \
	--data-urlencode "note=mine" "$URL/items/act")" = 200 ] || fail "the supervisor's write-off request"
expect_sql zhao "select approval_by from recon_items where id = '$p006'"
[ "$(req zhao --data-urlencode "csrf=$csrf_z" --data-urlencode note=self "$URL/item/$p006/approve")" = 400 ] ||
		fail "a supervisor approved their own write-off"
	expect_sql "open" "select status from recon_items where id = '$p006'"
	csrf_q=$(csrf_of qian)
	[ "$(req qian --data-urlencode "csrf=$csrf_q" "$URL/item/$p006/approve")" = 200 ] || fail "the second supervisor's approval"
expect_sql "written_off" "select status from recon_items where id = '$p006'"

# ---- what others change shows at once: the CLI, and a night run meanwhile ----
[ "$(req wang "$URL/items")" = 200 ] # (the open book is cached now)
other=$(sql "select id from recon_register where status = 'open' order by length(id), id limit 1")
run_recon 0 items resolve "$other" --status acknowledged --owner bob --note "by the CLI" --by bob --config "$CONF"
[ "$(req wang "$URL/items?owner=bob")" = 200 ] && grep -q '<p id="counts"><b>1</b>' "$WORK/b" && grep -q "<a href=\"/item/$other\">" "$WORK/b" ||
	fail "the CLI's change is not in the queue: $(grep -o '<p id="counts">[^\n]*' "$WORK/b")"
run_recon 1 run --config "$CONF" --date 2026-03-03
open_n=$(sql "select count(*) from recon_register where status in ('open', 'acknowledged')")
[ "$(req wang "$URL/items")" = 200 ] && grep -q "<p id=\"counts\"><b>$open_n</b> 项 items" "$WORK/b" ||
	fail "the queue after night 2 does not have its $open_n items: $(grep -o '<p id="counts">[^\n]*' "$WORK/b")"
grep -q '截至 as of 2026-03-03' "$WORK/b" || fail "the queue is not as of the new night"

# ---- a night holding its locks on an item: pages answer at once, an action on the item waits
# for the night's commit and then lands on what the night wrote (no lost update) ----
psql -qAt >/dev/null <<SQL &
BEGIN;
UPDATE recon_items SET detail = 'written by the night' WHERE id = '$other';
SELECT pg_sleep(3);
COMMIT;
SQL
locker=$!
sleep 0.7
t0=$(date +%s.%N)
[ "$(req wang "$URL/items")" = 200 ] || fail "a page while a night holds its locks"
[ "$(req wang "$URL/item/$other")" = 200 ] || fail "the item's page while a night holds it"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 1) }' || fail "the pages waited for the night's locks"
[ "$(req lina --data-urlencode "csrf=$csrf_l" --data-urlencode "id=$other" --data-urlencode action=resolve \
	--data-urlencode "note=after the night" "$URL/items/act")" = 200 ] || fail "the action during the night: $(cat "$WORK/b")"
t2=$(date +%s.%N)
awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b - a > 1) }' || fail "the action did not wait for the night's lock on its item"
wait $locker
expect_sql "resolved|after the night|written by the night" "select status, note, detail from recon_items where id = '$other'"

# ---- hostile values: rendered inert ----
evil='<script>alert(1)</script>"><img src=x onerror=alert(2)>'
sql "update recon_items set order_no = \$e\$$evil\$e\$, note = \$e\$$evil\$e\$ where id = '$p004'" >/dev/null
for path in "/item/$p004" "/items?status=all" "/search?q=$(printf %s "$evil" | jq -sRr @uri 2>/dev/null || python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$evil")"; do
	[ "$(req wang "$URL$path")" = 200 ] || fail "GET $path"
	grep -q '<script>\|<img' "$WORK/b" && fail "GET $path: the value was not escaped"
	grep -q '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;' "$WORK/b" ||
		fail "GET $path: the value is not shown escaped"
done

stop_serve
grep -q '"POST /items/act" 200 [0-9.]* ms lina$' "$WORK/serve.log" || fail "the access log"
finish
