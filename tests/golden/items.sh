# recon items (issue 19, item 4): list filters and formats, resolve, the
# write-off approval, history, and import of an edited open_items.csv (UTF-8
# and GB18030) and of the workbook's open_items sheet, on a real PostgreSQL.
# Items are INSERTed as a night would leave them; the commands migrate the
# schema themselves.
source "$(dirname "$0")/lib.sh"

EXP=$GOLDEN/items
fresh_db items_cli
demo_conf
CONF=$WORK/recon.conf
items() { run_recon "$1" items "${@:2}" --config "$CONF"; }

items 0 --as-of 2026-03-10 # an empty register: the tables are made
expect_line "$WORK/out" "no items"

# Six items as nights left them (ids: rcn_item_id_format of 1..6).
sql "INSERT INTO recon_items (id, item_key, kind, kind_cn, reason, rec_type, channel, merchant_id, order_no,
	channel_txn_id, difference, difference_fen, first_seen, last_seen, due_by, status, owner, note,
	changed_by, changed_at, closed_on) VALUES
 ('00014', 'k1', 'SHORT_PAYMENT', '短款', 'amount', 'payment', 'wechat', '1900000109', 'A001', 'T001',
  5000, 5000, '2026-03-02', '2026-03-03', '2026-03-04', 'open', '', '', 'recon run 2026-03-02',
  '2026-03-03 02:00:00+08', NULL),
 ('00028', 'k2', 'OVERPAYMENT', '长款', 'amount', 'payment', 'wechat', '1900000109', 'A002', 'T002',
  -150000, -150000, '2026-03-03', '2026-03-03', '2026-03-12', 'open', '', '', 'recon run 2026-03-03',
  '2026-03-04 02:00:00+08', NULL),
 ('0003C', 'k3', 'FEE_MISMATCH', '手续费不符', 'fee', 'payment', 'alipay', '2088', 'B003', 'T003',
  12345, 13, '2026-03-05', '2026-03-05', NULL, 'acknowledged', 'alice', 'asked Alipay, 工单 123',
  'alice', '2026-03-06 10:30:00+08', NULL),
 ('0004G', 'k4', 'STATUS_MISMATCH', '状态不符', 'ledger_CLOSED', 'payment', 'wechat', '1900000109', 'A004',
  'T004', NULL, NULL, '2026-03-06', '2026-03-06', '2026-03-20', 'resolved', 'carol', 'fixed in the ledger',
  'carol', '2026-03-07 09:00:00+08', '2026-03-06'),
 ('0005M', 'k5', 'DOUBLE_CHARGE', '重复扣款', 'duplicate', 'payment', 'unionpay', '7770', 'C005', 'T005',
  99999, 99999, '2026-03-09', '2026-03-09', '2026-03-11', 'open', '', '', 'recon run 2026-03-09',
  '2026-03-10 02:00:00+08', NULL),
 ('0006R', 'k6', 'REFUND_MISMATCH', '退款不符', 'amount', 'refund', 'wechat', '1900000109', 'A006', 'T006',
  -2000, -2000, '2026-02-13', '2026-02-13', '2026-02-25', 'open', '', '=1+1', 'recon run 2026-02-13',
  '2026-02-14 02:00:00+08', NULL)" >/dev/null

# --- the list: default (open and acknowledged), oldest due first, ages on the calendar ---
items 0 --as-of 2026-03-10
same_text "$WORK/out" "$EXP/list.txt"
items 0 --as-of 2026-03-10 --format csv
same_text "$WORK/out" "$EXP/list.csv"
items 0 --as-of 2026-03-10 --format json
same_text "$WORK/out" "$EXP/list.json"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert [i["id"] for i in v]==["0006R","00014","0005M","00028","0003C"], v; assert v[4]["difference"]=="0.12345" and v[4]["due_by"] is None and v[0]["overdue"] is True and isinstance(v[0]["age_days"], int) and v[1]["age_days"]==6' "$WORK/out" ||
	fail "the JSON list is not the five open items with their types"

ids() { # the ids column of a CSV list in $WORK/out
	tr -d '\r' <"$WORK/out" | sed 1d | cut -d, -f1 | tr '\n' ' '
}
check_ids() { # EXPECTED_IDS ARGS...: recon items ARGS --format csv lists exactly these
	local want=$1
	shift
	items 0 --as-of 2026-03-10 --format csv "$@"
	[ "$(ids)" = "$want" ] || fail "recon items $* listed '$(ids)', expected '$want'"
}
check_ids "0004G " --status resolved
check_ids "0006R 00014 0005M 00028 0004G 0003C " --status open --status acknowledged --status resolved
check_ids "00014 0005M " --kind SHORT_PAYMENT --kind DOUBLE_CHARGE
check_ids "0003C " --channel alipay
check_ids "0006R 00014 " --overdue
check_ids "0006R 00014 " --older-than 5
check_ids "0006R 00014 0005M 00028 0003C " --older-than 0 --as-of 2026-03-10
items 2 --status closed
expect_line "$WORK/err" "recon: items: unknown status 'closed' (open, acknowledged, resolved, written_off, auto_closed, withdrawn)"
items 2 --kind SHORT
expect_line "$WORK/err" "recon: items: unknown kind 'SHORT' (e.g. SHORT_PAYMENT, see README.md)"
items 2 --format xml
expect_line "$WORK/err" "recon: items: --format must be table, csv or json, not 'xml'"

# the default as-of date: the latest business date that has a run
sql "INSERT INTO recon_runs (business_date, exit_status) VALUES ('2026-03-09', 1), ('2026-03-04', 1)" >/dev/null
items 0 --format csv --overdue
[ "$(ids)" = "0006R 00014 " ] || fail "as of 2026-03-09 the overdue items are 0006R 00014, got $(ids)"
expect_line "$WORK/out" "$(printf '00014,SHORT_PAYMENT,短款,amount,渠道实收少于账本金额,wechat,1900000109,A001,,T001,50.00,2026-03-02,5,2026-03-04,yes,open,未处理,,,2026-03-02,recon run 2026-03-02,\r')"

events() { sql "SELECT count(*) FROM recon_item_events"; }

# --- resolve: refusals change nothing ---
items 2 resolve 00015 --status resolved --note x --by alice
expect_line "$WORK/err" "recon: items resolve: '00015' is not an item id (check symbol): check it against the list"
items 2 resolve 000A9 --status resolved --note x --by alice
expect_line "$WORK/err" "recon: items resolve: no item 000A9 in the register"
items 2 resolve 00014 --status resolved --by alice
expect_line "$WORK/err" "recon: items resolve: item 00014: a note is required to resolve it (--note TEXT)"
items 2 resolve 00014 --status written_off --note "  " --by alice
expect_line "$WORK/err" "recon: items resolve: item 00014: a note is required to write off it (--note TEXT)"
items 2 resolve 00014 0004G --status acknowledged --note "called" --by alice
expect_line "$WORK/err" "recon: items resolve: item 0004G is resolved (by carol, 2026-03-07 09:00:00): only open or acknowledged items can be changed"
expect_line "$WORK/err" "recon: nothing was changed"
items 2 resolve 00014 --status auto_closed --note x
expect_line "$WORK/err" "recon: items resolve: --status must be acknowledged, resolved or written_off, not 'auto_closed'"
expect_sql "open||0" "SELECT status, owner, (SELECT count(*) FROM recon_item_events) FROM recon_items WHERE id = '00014'"

# --- resolve: acknowledged (owner: whoever says so), then resolved ---
items 0 resolve 0001-4 --status acknowledged --note "called WeChat" --by alice
expect_line "$WORK/out" "1 item changed:"
expect_line "$WORK/out" "  00014  open -> acknowledged"
expect_sql "acknowledged|alice|called WeChat|alice|" \
	"SELECT status, owner, note, changed_by, coalesce(closed_on::text, '') FROM recon_items WHERE id = '00014'"
items 0 resolve 00014 --status resolved --note "money arrived 03-09" --by bob
expect_sql "resolved|alice|money arrived 03-09|bob|2026-03-09" \
	"SELECT status, owner, note, changed_by, closed_on FROM recon_items WHERE id = '00014'"
expect_sql "alice|status|open|acknowledged|alice|called WeChat
bob|status|acknowledged|resolved|alice|money arrived 03-09" \
	"SELECT actor, action, from_status, to_status, owner, note FROM recon_item_events WHERE item_id = '00014' ORDER BY event_id"
items 0 resolve 0003C --owner dave --by alice
expect_line "$WORK/out" "  0003C  acknowledged: owner changed"
expect_sql "alice|owner|acknowledged|acknowledged|dave|asked Alipay, 工单 123" \
	"SELECT actor, action, from_status, to_status, owner, note FROM recon_item_events WHERE item_id = '0003C'"

# resolving a closed item fails and leaves its history as it was
before=$(sql "SELECT string_agg(event_id || action || to_status, ',' ORDER BY event_id) FROM recon_item_events WHERE item_id = '00014'")
items 2 resolve 00014 --status resolved --note "again" --by bob
expect_line "$WORK/err" "recon: items resolve: item 00014 is resolved (by bob, $(sql "SELECT to_char(changed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') FROM recon_items WHERE id = '00014'")): only open or acknowledged items can be changed"
expect_sql "$before" "SELECT string_agg(event_id || action || to_status, ',' ORDER BY event_id) FROM recon_item_events WHERE item_id = '00014'"

# --- history ---
items 0 history 00014 --format csv
tr -d '\r' <"$WORK/out" | sed 's/^\xEF\xBB\xBF//' | sed -E '2,$s/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},/TIME,/' >"$WORK/history.csv"
same_text "$WORK/history.csv" "$EXP/history.csv"
items 0 history 00014
sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM:SS/' "$WORK/out" >"$WORK/history.txt"
same_text "$WORK/history.txt" "$EXP/history.txt"
items 2 history 00015
expect_line "$WORK/err" "recon: items history: '00015' is not an item id (check symbol): check it against the list"
items 2 history 000A9
expect_line "$WORK/err" "recon: items history: no item 000A9 in the register"

# --- the write-off approval: above [items] writeoff_approval (1000.00) a second person approves ---
items 0 resolve 00028 --status written_off --note "customer kept it" --by alice
expect_line "$WORK/out" "  00028  open: write-off of 1500.00 yuan (over 1000.00) awaits approval by a second person: recon items approve 00028 --by NAME"
expect_sql "open|alice|customer kept it" "SELECT status, approval_by, approval_note FROM recon_items WHERE id = '00028'"
items 0 --as-of 2026-03-10
grep -q "open, write-off awaits approval (asked by alice)" "$WORK/out" || fail "the list does not show the write-off waiting"
items 2 approve 00028 --by alice
expect_line "$WORK/err" "recon: items approve: item 00028: alice asked for the write-off: a second, different person must approve it"
items 2 resolve 00028 --status written_off --note "again" --by bob
expect_line "$WORK/err" "recon: items resolve: item 00028: its write-off awaits approval (asked by alice): a second person approves it with recon items approve 00028 --by NAME"
expect_sql "open|alice" "SELECT status, approval_by FROM recon_items WHERE id = '00028'"
items 2 approve 0005M --by bob
expect_line "$WORK/err" "recon: items approve: item 0005M (open) has no write-off waiting for approval"
items 0 approve 00028 --by bob --note "ok, 经理批准"
expect_line "$WORK/out" "  00028  open -> written_off (write-off approved by bob)"
expect_sql "written_off||2026-03-09|bob|customer kept it" \
	"SELECT status, approval_by, closed_on, changed_by, note FROM recon_items WHERE id = '00028'"
expect_sql "alice|approval_requested|open|written_off|customer kept it
bob|approved|open|written_off|ok, 经理批准" \
	"SELECT actor, action, from_status, to_status, note FROM recon_item_events WHERE item_id = '00028' ORDER BY event_id"
# at or below the limit a write-off closes at once
items 0 resolve 0005M --status written_off --note "below the limit" --by alice
expect_line "$WORK/out" "  0005M  open -> written_off"
expect_sql "written_off|" "SELECT status, approval_by FROM recon_items WHERE id = '0005M'"

# --- import: an edited open_items.csv, all or nothing ---
sql "INSERT INTO recon_items (id, item_key, kind, kind_cn, rec_type, channel, order_no, difference, difference_fen,
	first_seen, last_seen, due_by, changed_by, changed_at) VALUES
 ('0007W', 'k7', 'SHORT_PAYMENT', '短款', 'payment', 'wechat', 'A007', 100, 100, '2026-03-09', '2026-03-09',
  '2026-03-16', 'recon run 2026-03-09', '2026-03-10 02:00:00+08'),
 ('00081', 'k8', 'SHORT_PAYMENT', '短款', 'payment', 'wechat', 'A008', 200, 200, '2026-03-09', '2026-03-09',
  '2026-03-16', 'recon run 2026-03-09', '2026-03-10 02:00:00+08')" >/dev/null
items 0 --format csv
cp "$WORK/out" "$WORK/open_items.csv" # what a clerk opens in Excel: 0006R 0007W 00081 0003C
expect_line "$WORK/open_items.csv" "$(printf "0006R,REFUND_MISMATCH,退款不符,amount,退款金额不符,wechat,1900000109,A006,,T006,-20.00,2026-02-13,12,2026-02-25,yes,open,未处理,,\"'=1+1\",2026-02-13,recon run 2026-02-13,\r")"
# edit: 0006R resolved with a note, 0007W gets an owner; 0003C and 00081 untouched
edit_csv() { # OUT AWK-PROGRAM: rewrites open_items.csv's rows through awk (fields by comma: no quoted commas in the rows edited)
	awk -F, -v OFS=, "$2" "$WORK/open_items.csv" >"$WORK/$1"
}
edit_csv good.csv '$1 == "0006R" { $16 = "resolved"; $19 = "refunded by hand" } $1 == "0007W" { $18 = "dave" } { print }'
cp "$WORK/good.csv" "$WORK/bad.csv"
sed -i 's/^00081,\(.*\),open,未处理,/00081,\1,done,未处理,/' "$WORK/bad.csv"
before=$(events)
items 2 import "$WORK/bad.csv" --by erin
expect_line "$WORK/err" "recon: items import: $WORK/bad.csv:4: item 00081: bad status 'done' (use open, acknowledged, resolved or written_off)"
expect_line "$WORK/err" "recon: nothing was changed"
expect_sql "$before" "SELECT count(*) FROM recon_item_events"
expect_sql "open|=1+1" "SELECT status, note FROM recon_items WHERE id = '0006R'"
# a close without a note, an unknown id, a mistyped id: each names its line
edit_csv nonote.csv '$1 == "00081" { $16 = "resolved" } { print }'
items 2 import "$WORK/nonote.csv" --by erin
expect_line "$WORK/err" "recon: items import: $WORK/nonote.csv:4: item 00081: a note is required to resolve it (fill in its note)"
edit_csv unknown.csv '$1 == "00081" { $1 = "000A9" } { print }'
items 2 import "$WORK/unknown.csv" --by erin
expect_line "$WORK/err" "recon: items import: $WORK/unknown.csv:4: no item 000A9 in the register"
edit_csv typo.csv '$1 == "00081" { $1 = "00082" } { print }'
items 2 import "$WORK/typo.csv" --by erin
expect_line "$WORK/err" "recon: items import: $WORK/typo.csv:4: '00082' is not an item id (check symbol): check it against the list"
expect_sql "$before" "SELECT count(*) FROM recon_item_events"
# the good file changes exactly the two edited rows (LF line ends here: Excel's CRLF is the export's)
items 0 import "$WORK/good.csv" --by erin
expect_line "$WORK/out" "2 items changed:"
expect_line "$WORK/out" "  0006R  open -> resolved"
expect_line "$WORK/out" "  0007W  open: owner changed"
expect_line "$WORK/out" "2 unchanged"
expect_sql "0003C|acknowledged|dave|asked Alipay, 工单 123|alice|
0006R|resolved||refunded by hand|erin|2026-03-09
0007W|open|dave||erin|
00081|open|||recon run 2026-03-09|" \
	"SELECT id, status, owner, note, changed_by, coalesce(closed_on::text, '') FROM recon_items WHERE id IN ('0006R', '0007W', '00081', '0003C') ORDER BY id COLLATE \"C\""
expect_sql "$((before + 2))" "SELECT count(*) FROM recon_item_events"
# importing the same file again: 0006R closed since (by this file), its row passed over; nothing else changes
items 0 import "$WORK/good.csv" --by erin
expect_line "$WORK/out" "0 items changed"
expect_sql "$((before + 2))" "SELECT count(*) FROM recon_item_events"

# a file written before a person changed an item is refused for that row (it would undo their
# work), and changes nothing
items 0 resolve 00081 --status acknowledged --note "on it" --by gina
before=$(events)
items 2 import "$WORK/good.csv" --by erin
grep -qE "^recon: items import: $WORK/good.csv:4: item 00081 was changed by gina at [0-9: -]+, after the file was written: export the list again \(recon items --format csv\) and redo this row$" "$WORK/err" ||
	fail "a stale row is not refused: $(cat "$WORK/err")"
expect_sql "acknowledged|gina|on it|$before" "SELECT status, owner, note, (SELECT count(*) FROM recon_item_events) FROM recon_items WHERE id = '00081'"
# a fresh export's rows: "open" where the item is acknowledged now is not a hand-back (no status change)
items 0 --format csv
tr -d '\r' <"$WORK/out" | awk -F, -v OFS=, '$1 == "00081" { $16 = "open" } { printf "%s\r\n", $0 }' >"$WORK/reopen.csv"
items 0 import "$WORK/reopen.csv" --by erin
expect_line "$WORK/out" "0 items changed"
expect_sql "acknowledged|gina|on it" "SELECT status, owner, note FROM recon_items WHERE id = '00081'"
items 0 resolve 00081 --status acknowledged --note "" --owner "" --by gina

# the same kind of file as a Chinese Excel saves it: GB18030, no BOM, CRLF
items 0 --format csv
tr -d '\r' <"$WORK/out" | sed 's/^\xEF\xBB\xBF//' |
	awk -F, -v OFS=, '$1 == "00081" { $16 = "acknowledged"; $19 = "已联系银联" } { printf "%s\r\n", $0 }' |
	iconv -f UTF-8 -t GB18030 >"$WORK/gbk.csv"
items 0 import "$WORK/gbk.csv" --by frank
expect_line "$WORK/out" "  00081  acknowledged: note changed"
expect_sql "acknowledged||已联系银联|frank" "SELECT status, owner, note, changed_by FROM recon_items WHERE id = '00081'"

# --- import of the workbook's open_items sheet (shared and inline strings, a rich-text run) ---
make_book() { # NAME SHEET_ROWS_XML
	local d=$WORK/book_$1
	rm -rf "$d" && mkdir -p "$d/_rels" "$d/xl/_rels" "$d/xl/worksheets"
	printf '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' >"$d/[Content_Types].xml"
	printf '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="officeDocument" Target="xl/workbook.xml"/></Relationships>' >"$d/_rels/.rels"
	printf '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="汇总 summary" sheetId="1" r:id="rId1"/><sheet name="未结差异 open_items" sheetId="2" r:id="rId2"/></sheets></workbook>' >"$d/xl/workbook.xml"
	printf '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>' >"$d/xl/_rels/workbook.xml.rels"
	printf '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>编号 id</t></si><si><t>status</t></si><si><r><rPr><b/></rPr><t>own</t></r><r><t>er</t></r></si><si><t xml:space="preserve">note</t></si></sst>' >"$d/xl/sharedStrings.xml"
	printf '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row></sheetData></worksheet>' >"$d/xl/worksheets/sheet1.xml"
	printf '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>kind</t></is></c><c r="C1" t="s"><v>1</v></c><c r="D1" t="s"><v>2</v></c><c r="E1" t="s"><v>3</v></c></row>%s</sheetData></worksheet>' "$2" >"$d/xl/worksheets/sheet2.xml"
	(cd "$d" && rm -f "../$1.xlsx" && zip -q -X -r "../$1.xlsx" '[Content_Types].xml' _rels xl)
}
make_book good '<row r="2"><c r="A2" t="inlineStr"><is><t>0007W</t></is></c><c r="C2" t="inlineStr"><is><t>acknowledged</t></is></c><c r="D2" t="inlineStr"><is><t>dave</t></is></c><c r="E2" t="inlineStr"><is><t>bank says T+1 &amp; &#x4E2D;&#25991;</t></is></c></row><row r="5"><c r="A5" t="inlineStr"><is><t>0003C</t></is></c><c r="C5" t="inlineStr"><is><t>acknowledged</t></is></c><c r="D5" t="inlineStr"><is><t>dave</t></is></c><c r="E5" t="inlineStr"><is><t>asked Alipay, 工单 123</t></is></c></row>'
make_book bad '<row r="2"><c r="A2" t="inlineStr"><is><t>0007W</t></is></c><c r="C2" t="inlineStr"><is><t>acknowledged</t></is></c></row><row r="7"><c r="A7" t="inlineStr"><is><t>0003C</t></is></c><c r="C7" t="inlineStr"><is><t>withdrawn</t></is></c></row>'
before=$(events)
items 2 import "$WORK/bad.xlsx" --by erin
expect_line "$WORK/err" "recon: items import: $WORK/bad.xlsx:7: item 0003C: status withdrawn is set by recon's nights, not by a person (use open, acknowledged, resolved or written_off)"
expect_sql "$before" "SELECT count(*) FROM recon_item_events"
items 0 import "$WORK/good.xlsx" --by erin
expect_line "$WORK/out" "1 item changed:"
expect_line "$WORK/out" "  0007W  open -> acknowledged"
expect_line "$WORK/out" "1 unchanged"
expect_sql "acknowledged|dave|bank says T+1 & 中文|erin" "SELECT status, owner, note, changed_by FROM recon_items WHERE id = '0007W'"
printf 'not a workbook' >"$WORK/readme.txt" && (cd "$WORK" && zip -q nobook.xlsx readme.txt)
items 2 import "$WORK/nobook.xlsx" --by erin
expect_line "$WORK/err" "recon: items import: $WORK/nobook.xlsx: a zip but not a workbook (no xl/workbook.xml)"

# --- the audit trail: append-only for recon's own role, whatever the client ---
for stmt in "UPDATE recon_item_events SET note = 'x'" "DELETE FROM recon_item_events" "TRUNCATE recon_item_events"; do
	op=${stmt%% *}
	if msg=$(psql -qtAX -v ON_ERROR_STOP=1 -c "$stmt" 2>&1); then
		fail "$stmt succeeded on the audit trail"
	else
		case $msg in
		*"recon_item_events is an append-only audit trail: $op is not allowed"*) ;;
		*) fail "$stmt failed with another message: $msg" ;;
		esac
	fi
done
expect_sql "$((before + 1))" "SELECT count(*) FROM recon_item_events"

finish
