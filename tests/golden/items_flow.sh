# The open-items register worked through the commands only (issue 19): nights
# open items; a clerk acknowledges by the CLI and resolves by editing the
# night's open_items.csv; a write-off above the limit waits for a second
# person; a re-run of an earlier night keeps all of it; the register, the
# history and the reports agree with what was done.
source "$(dirname "$0")/lib.sh"

demo_night golden_items_flow
printf '\n[items]\nwriteoff_approval = 10.00\n' >>"$WORK/recon.conf"
conf=$WORK/recon.conf
csv_row() { tr -d '\r' <"$1" | awk -F, -v id="$2" '$1 == id'; } # FILE ID: its row of an open_items.csv
field() { csv_row "$1" "$2" | cut -d, -f"$3"; }                  # FILE ID COLUMN

run_recon 1 run --config "$conf" --date 2026-03-02
book1=$WORK/reports/2026-03-02/open_items.csv
[ "$(tr -d '\r' <"$book1" | sed 1d | wc -l)" = 10 ] || fail "night 1's open book does not have 10 items"
# every discrepancy row names its item, and the item is in the book
tr -d '\r' <"$WORK/reports/2026-03-02/discrepancies.csv" | sed 1d | awk -F, '{ print $NF }' | sort >"$WORK/ids-disc"
tr -d '\r' <"$book1" | sed 1d | cut -d, -f1 | sort >"$WORK/ids-book"
diff "$WORK/ids-disc" "$WORK/ids-book" >&2 || fail "discrepancies.csv's ids are not the open book's"
p004=$(tr -d '\r' <"$book1" | awk -F, '$8 == "DEMO-P004" { print $1 }')
p003=$(tr -d '\r' <"$book1" | awk -F, '$8 == "DEMO-P003" { print $1 }')
p006=$(tr -d '\r' <"$book1" | awk -F, '$8 == "DEMO-P006" { print $1 }')
[[ -n $p004 && -n $p003 && -n $p006 ]] || fail "no items for DEMO-P004, P003, P006"
# nobody has worked night 1's items yet: they are the night's parts, no row or event each;
# their history still says when and by what the night opened them
expect_sql "0|0|10" "select (select count(*) from recon_items), (select count(*) from recon_item_events), (select sum(n) from recon_item_unworked)"
run_recon 0 items history "$p004" --format csv --config "$conf"
opened4=$(tr -d '\r' <"$WORK/out" | sed 1d)
[ "$(cut -d, -f2-3 <<<"$opened4")" = "recon run 2026-03-02,opened" ] || fail "$p004's history before anyone worked it: $(cat "$WORK/out")"

# the clerk takes the lost callback (typed in lower case: the id is read as meant)
run_recon 0 items resolve "${p004,,}" --status acknowledged --owner lily --note "asked WeChat for the callback" --by lily --config "$conf"
run_recon 0 items --format csv --config "$conf"
[ "$(field "$WORK/out" "$p004" 16)" = acknowledged ] || fail "recon items does not show $p004 acknowledged: $(csv_row "$WORK/out" "$p004")"
# the first change made it a row, its opening an event of the time the night opened it
expect_sql "1|9|2" "select (select count(*) from recon_items), (select sum(n) from recon_item_unworked), (select count(*) from recon_item_events where item_id = '$p004')"
run_recon 0 items history "$p004" --format csv --config "$conf"
[ "$(tr -d '\r' <"$WORK/out" | sed -n 2p)" = "$opened4" ] || fail "$p004's opening changed when it was first worked: $(cat "$WORK/out")"

# a re-run of night 1 keeps the id, the owner and the note
run_recon 1 run --config "$conf" --date 2026-03-02
[ "$(field "$book1" "$p004" 16),$(field "$book1" "$p004" 18),$(field "$book1" "$p004" 19)" = "acknowledged,lily,asked WeChat for the callback" ] ||
	fail "the re-run lost the clerk's work: $(csv_row "$book1" "$p004")"

# night 2 reads night 1's parts itself, not through the server's json reader: a part as
# PostgreSQL rewrites it (json_agg), with every kind of escape, reads back exactly
psql -qtAX >/dev/null <<'SQL'
UPDATE recon_item_unworked SET data = replace(replace((SELECT json_agg(CASE WHEN e->>'o' = 'DEMO-P006'
	THEN (e::jsonb || jsonb_build_object('m', E'x"y\\z/中😀\t'))::json ELSE e END) FROM json_array_elements(data::json) e)::text,
	'中', '\u4e2d'), '😀', '\ud83d\ude00') WHERE business_date = '2026-03-02';
SQL
grep -q 'x\\"y\\\\z/\\u4e2d\\ud83d\\ude00\\t' <<<"$(sql "select data from recon_item_unworked where business_date = '2026-03-02'")" ||
	fail "the test did not plant its escapes: $(sql "select data from recon_item_unworked")"
# night 2: its open book carries night 1's items with their age
run_recon 1 run --config "$conf" --date 2026-03-03
grep -qF ",\"x\"\"y\\z/中😀"$'\t'"\",DEMO-P006," "$WORK/reports/2026-03-03/open_items.csv" ||
	fail "night 2 misread night 1's part: $(grep "^$p006," "$WORK/reports/2026-03-03/open_items.csv")"
book2=$WORK/reports/2026-03-03/open_items.csv
[ "$(field "$book2" "$p004" 13)" = 1 ] || fail "night 2's book: $p004 is not 1 business day old: $(csv_row "$book2" "$p004")"
[ "$(tr -d '\r' <"$book2" | sed 1d | wc -l)" = 13 ] || fail "night 2's open book does not have 13 items"

# the clerk edits night 2's open_items.csv in Excel: P003 resolved, a note on P004, P006 written off
cp "$book2" "$WORK/edited.csv"
sed -i -e "/^$p003,/s/,open,未处理,,,/,resolved,未处理,wang,refunded the customer 10.00,/" \
	-e "/^$p004,/s/,asked WeChat for the callback,/,WeChat confirmed: callback resent,/" \
	-e "/^$p006,/s/,open,未处理,,,/,written_off,未处理,wang,customer kept the goods,/" "$WORK/edited.csv"
[ "$(grep -c 'refunded the customer\|callback resent\|kept the goods' "$WORK/edited.csv")" = 3 ] || fail "the test's edits did not apply"
# one bad line first: nothing at all changes
sed -e "/^$p003,/s/,resolved,/,done,/" "$WORK/edited.csv" >"$WORK/bad.csv"
events=$(sql "select count(*) from recon_item_events")
run_recon 2 items import "$WORK/bad.csv" --by wang --config "$conf"
grep -q "bad.csv:[0-9]*: .*done" "$WORK/err" || fail "the bad import does not name file:line and the status: $(cat "$WORK/err")"
expect_sql "$events" "select count(*) from recon_item_events"
expect_sql "open" "select status from recon_register where id = '$p003'"
# the good file: three items change
run_recon 0 items import "$WORK/edited.csv" --by wang --config "$conf"
expect_sql "resolved|wang|refunded the customer 10.00" "select status, owner, note from recon_register where id = '$p003'"
expect_sql "acknowledged|lily|WeChat confirmed: callback resent" "select status, owner, note from recon_register where id = '$p004'"
# 40.00 is above the 10.00 limit: the write-off waits for a second person
expect_sql "open|wang" "select status, approval_by from recon_register where id = '$p006'"
run_recon 2 items approve "$p006" --by wang --config "$conf"
expect_sql "open" "select status from recon_register where id = '$p006'"
run_recon 0 items approve "$p006" --by zhao --config "$conf"
expect_sql "written_off|" "select status, approval_by from recon_register where id = '$p006'"

# a row of night 2's file for an item someone changed since the night is refused as stale
p005=$(tr -d '\r' <"$book2" | awk -F, '$8 == "DEMO-P005" { print $1 }')
run_recon 0 items resolve "$p005" --status acknowledged --note "calling the bank" --by zhao --config "$conf"
{ sed -n 1p "$book2"; grep "^$p005," "$book2" | sed -e "s/,open,未处理,,,/,resolved,未处理,wang,closed by the bank,/"; } >"$WORK/stale.csv"
run_recon 2 items import "$WORK/stale.csv" --by wang --config "$conf"
grep -q "stale.csv:[0-9]*: item $p005 was changed by zhao" "$WORK/err" || fail "a stale row of the night's file was not refused: $(cat "$WORK/err")"
expect_sql "acknowledged|zhao|calling the bank" "select status, owner, note from recon_register where id = '$p005'"

# the history says who did what, in order
run_recon 0 items history "$p004" --format csv --config "$conf"
tr -d '\r' <"$WORK/out" | cut -d, -f2- | sed 1d | cut -d, -f1-3 >"$WORK/h4"
printf '%s\n' "recon run 2026-03-02,opened,open" "lily,status,open" "wang,note,acknowledged" >"$WORK/h4.want"
diff <(cut -d, -f1-2 "$WORK/h4") <(cut -d, -f1-2 "$WORK/h4.want") >&2 || fail "$p004's history: $(cat "$WORK/out")"

# a re-run of night 1 after all that: every item keeps its id, status, owner and note
sql "select id, status, owner, note from recon_register order by id" >"$WORK/register-before"
run_recon 1 run --config "$conf" --date 2026-03-02
sql "select id, status, owner, note from recon_register order by id" >"$WORK/register-after"
diff -u "$WORK/register-before" "$WORK/register-after" >&2 || fail "a re-run of night 1 changed the register"
# night 1's book again: the items closed since are listed with their status now
[ "$(field "$book1" "$p003" 16)" = resolved ] || fail "night 1's re-run book: $(csv_row "$book1" "$p003")"

# night 3: the open book no longer has the closed items; the acknowledged one is 2 business days old
{ # a quiet day: the statement lists nothing
	sed -n 1p "$WORK/wechat_1900000109_20260302.csv" | tr -d '\r'
	printf '%s\n' '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额' '`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00'
} >"$WORK/wechat_1900000109_20260304.csv"
run_recon 0 run --config "$conf" --date 2026-03-04
book3=$WORK/reports/2026-03-04/open_items.csv
[ -z "$(csv_row "$book3" "$p003")$(csv_row "$book3" "$p006")" ] || fail "night 3's book lists closed items"
[ "$(field "$book3" "$p004" 13),$(field "$book3" "$p004" 16)" = "2,acknowledged" ] || fail "night 3's book: $(csv_row "$book3" "$p004")"
# and recon items agrees with it
run_recon 0 items --format csv --as-of 2026-03-04 --config "$conf"
diff <(tr -d '\r' <"$WORK/out" | sed 1d | cut -d, -f1-19,21- | sort) <(tr -d '\r' <"$book3" | sed 1d | cut -d, -f1-19,21- | sort) >&2 ||
	fail "recon items and night 3's open_items.csv disagree"
finish
