# The open-items register over nights (issue 19): every discrepancy opens an
# item with a short stable id; a re-run keeps ids and people's work; an item
# a re-run no longer finds is withdrawn (its work kept); later nights close
# items their evidence settles (a statement that finally lists a missing
# payment or refund, a lost callback the ledger has since recorded).
source "$(dirname "$0")/lib.sh"

demo_night golden_items_night

ids() { sql "select order_no || ' ' || kind || ' ' || id || ' ' || status from recon_register order by 1"; }
event_count() { sql "select count(*) from recon_item_events"; }

run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql 10 "select count(*) from recon_register where status = 'open' and first_seen = '2026-03-02'"
expect_sql 10 "select count(*) from recon_item_trail where action = 'opened' and business_date = '2026-03-02'"
expect_sql 10 "select cardinality(item_ids) from recon_item_nights where business_date = '2026-03-02'"
# ids: base32 with a check symbol, five symbols for the first items
expect_sql 0 "select count(*) from recon_register where id !~ '^[0-9A-HJKMNP-TV-Z]{5}$'"
# the deadline comes from the kind's handling rule: 状态不符 the next working day
expect_sql "2026-03-03" "select due_by from recon_register where order_no = 'DEMO-P004'"
ids >"$WORK/ids-1"

# a person acknowledges the lost callback (what recon items resolve does, by hand here:
# an item nobody has worked is taken into recon_items first)
p004=$(sql "select id from recon_register where order_no = 'DEMO-P004'")
take() { sql "select recon_items_take(array['$1'])" >/dev/null; }
take "$p004"
sql "update recon_items set status = 'acknowledged', owner = 'lily', note = 'asked WeChat' where id = '$p004'" >/dev/null

# the re-run: the same ids, the person's work kept, no new events
events=$(event_count)
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
sql "select order_no || ' ' || kind || ' ' || id || ' ' || case when id = '$p004' then 'open' else status end from recon_register order by 1" >"$WORK/ids-2"
diff -u "$WORK/ids-1" "$WORK/ids-2" >&2 || fail "a re-run changed the items' ids"
expect_sql "acknowledged|lily|asked WeChat" "select status, owner, note from recon_register where id = '$p004'"
expect_sql "$events" "select count(*) from recon_item_events"

# an item nobody has worked that a re-run no longer finds: withdrawn (a row now, its opening
# an event dated when night 1 opened it), and found again: reopened
p002=$(sql "select id from recon_register where order_no = 'DEMO-P002'")
expect_sql "1|0" "select (select count(*) from recon_item_unworked_items where id = '$p002'), (select count(*) from recon_items where id = '$p002')"
opened=$(sql "select changed_at from recon_register where id = '$p002'")
sql "update ledger_orders set amount_fen = 5000 where order_no = 'DEMO-P002'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql "withdrawn|2026-03-02|0" "select status, closed_on, (select count(*) from recon_item_unworked_items where id = '$p002') from recon_items where id = '$p002'"
expect_sql "opened:open:$opened,withdrawn:withdrawn" \
	"select string_agg(action || ':' || to_status || case when action = 'opened' then ':' || at::text else '' end, ',' order by event_id) from recon_item_events where item_id = '$p002'"
sql "update ledger_orders set amount_fen = 5500 where order_no = 'DEMO-P002'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql "open|reopened" "select status, (select action from recon_item_events where item_id = '$p002' order by event_id desc limit 1) from recon_items where id = '$p002'"

# a changed ledger: the re-run no longer finds DEMO-P002's short payment -> withdrawn, kept
take "$p002"
sql "update recon_items set note = 'called the bank' where id = '$p002'" >/dev/null
sql "update ledger_orders set amount_fen = 5000 where order_no = 'DEMO-P002'" >/dev/null
amount_002=$(sql "select amount_fen from ledger_orders where order_no = 'DEMO-P002'")
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql "withdrawn|called the bank|2026-03-02" "select status, note, closed_on from recon_register where id = '$p002'"
expect_sql "withdrawn|open|withdrawn|recon run 2026-03-02|no longer found by the re-run of 2026-03-02" \
	"select action, from_status, to_status, actor, note from recon_item_events where item_id = '$p002' order by event_id desc limit 1"
expect_sql 9 "select cardinality(item_ids) from recon_item_nights where business_date = '2026-03-02'"
# and back: found again, the same item reopened
sql "update ledger_orders set amount_fen = 20000 where order_no = 'DEMO-P002'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql "open||called the bank" "select status, closed_on, note from recon_register where id = '$p002'"
expect_sql "reopened|withdrawn|open" \
	"select action, from_status, to_status from recon_item_events where item_id = '$p002' order by event_id desc limit 1"

# an item another date's run found too is not withdrawn when this date's re-run no longer
# finds it: only the date's link goes
sql "update recon_items set last_seen = '2026-03-03' where id = '$p002'" >/dev/null
sql "insert into recon_item_nights values ('2026-03-03', array['$p002'])" >/dev/null
sql "update ledger_orders set amount_fen = 5000 where order_no = 'DEMO-P002'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql "open|f" "select status, (select '$p002' = any(item_ids) from recon_item_nights where business_date = '2026-03-02') from recon_register where id = '$p002'"
sql "update ledger_orders set amount_fen = 20000 where order_no = 'DEMO-P002'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql "open|t" "select status, (select '$p002' = any(item_ids) from recon_item_nights where business_date = '2026-03-02') from recon_register where id = '$p002'"

# a closed item the date's last run had not found (found by another date, closed since) is
# found again by key: the same item, its status and work kept, linked to the date again
p003=$(sql "select id from recon_register where order_no = 'DEMO-P003'")
take "$p003"
sql "update recon_items set status = 'resolved', closed_on = '2026-03-02', note = 'refunded the customer' where id = '$p003'" >/dev/null
sql "update recon_item_nights set item_ids = array_remove(item_ids, '$p003')" >/dev/null
items_before=$(sql "select count(*) from recon_register")
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql "$items_before" "select count(*) from recon_register"
expect_sql "resolved|refunded the customer|1" \
	"select status, note, (select count(*) from recon_item_nights where '$p003' = any(item_ids) and business_date = '2026-03-02') from recon_register where id = '$p003'"
grep -q ",$p003"$'\r'"\$" "$WORK/reports/2026-03-02/discrepancies.csv" || fail "discrepancies.csv does not name DEMO-P003's item $p003"

# someone takes one of the date's unworked items while its re-run is going (here: a trigger
# takes it when the run stores its first discrepancies): the run's new parts must not keep it
x=$(sql "select id from recon_item_unworked_items where business_date = '2026-03-02' order by id limit 1")
[ -n "$x" ] || fail "no unworked item of 2026-03-02 left"
before=$(sql "select count(*), count(distinct id) from recon_register")
sql "create function take_x() returns trigger language plpgsql as \$\$ begin perform recon_items_take(array['$x']); return null; end \$\$;
	create trigger take_x after insert on recon_discrepancies for each statement execute function take_x()" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
sql "drop trigger take_x on recon_discrepancies; drop function take_x()" >/dev/null
expect_sql "1|0|1" "select (select count(*) from recon_items where id = '$x'), (select count(*) from recon_item_unworked_items where id = '$x'), (select count(*) from recon_item_events where item_id = '$x' and action = 'opened')"
expect_sql "$before" "select count(*), count(distinct id) from recon_register"

# a re-run whose statement is rejected cannot tell that an item is gone: nothing is withdrawn
cp "$WORK/wechat_1900000109_20260302.csv" "$WORK/good.csv"
head -n -1 "$WORK/good.csv" >"$WORK/wechat_1900000109_20260302.csv"
run_recon 3 run --config "$WORK/recon.conf" --date 2026-03-02
expect_sql 0 "select count(*) from recon_register where status = 'withdrawn'"
expect_sql 10 "select cardinality(item_ids) from recon_item_nights where business_date = '2026-03-02'"
cp "$WORK/good.csv" "$WORK/wechat_1900000109_20260302.csv"
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02

# night 2: the lost callback is recorded in the ledger meanwhile -> auto_closed with the ledger row
sql "update ledger_orders set status = 'PAID', channel_txn_id = '4200001234202603021000000004', paid_at = '2026-03-02 10:30:05+08' where order_no = 'DEMO-P004'" >/dev/null
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-03
expect_sql "auto_closed|2026-03-03|ledger_orders DEMO-P004: PAID|lily|asked WeChat" \
	"select status, closed_on, evidence, owner, note from recon_register where id = '$p004'"
expect_sql "auto_closed|acknowledged|auto_closed|2026-03-03|ledger_orders DEMO-P004: PAID" \
	"select action, from_status, to_status, business_date, evidence from recon_item_events where item_id = '$p004' order by event_id desc limit 1"
expect_sql 3 "select count(*) from recon_register where first_seen = '2026-03-03'"
p016=$(sql "select id from recon_register where order_no = 'DEMO-P016' and kind = 'SHORT_PAYMENT'")
r001=$(sql "select id from recon_register where refund_no = 'DEMO-R001'")
[ -n "$p016" ] && [ -n "$r001" ] || fail "night 2 opened no item for DEMO-P016 or DEMO-R001"

# night 3: the statement finally lists DEMO-P016's payment and DEMO-R001's refund
{
	zcat "$WORK/wechat_1900000109_20260303.csv" | head -1
	printf '%s\n' '`2026-03-04 09:00:00,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200001234202603021000000016,`DEMO-P016,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_DEBIT,`CNY,`25.00,`0.00,`0,`0,`0.00,`0.00,`,`,`会员充值,`order,`0.15000,`0.60%,`25.00,`0.00,`'
	printf '%s\n' '`2026-03-04 09:30:00,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200001234202603021000000001,`DEMO-P001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REFUND,`CMB_DEBIT,`CNY,`0.00,`0.00,`50300001234202603020000000019,`DEMO-R001,`5.00,`0.00,`ORIGINAL,`SUCCESS,`会员充值,`refund,`-0.03000,`0.60%,`0.00,`5.00,`'
	printf '%s\n' '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额'
	printf '%s\n' '`2,`25.00,`5.00,`0.00,`0.12000,`25.00,`5.00'
} >"$WORK/wechat_1900000109_20260304.csv"
run_recon 0 run --config "$WORK/recon.conf" --date 2026-03-04
expect_sql "auto_closed|2026-03-04|wechat_1900000109_20260304.csv:2" \
	"select status, closed_on, evidence from recon_register where id = '$p016'"
expect_sql "auto_closed|2026-03-04|wechat_1900000109_20260304.csv:3" \
	"select status, closed_on, evidence from recon_register where id = '$r001'"

# a damaged part stops the night with one line naming it, and changes nothing
part_date=$(sql "select min(business_date) from recon_item_unworked")
[ -n "$part_date" ] || fail "no unworked items left to damage"
sql "update recon_item_unworked set data = left(data, 40) where business_date = '$part_date' and part = 0" >/dev/null
runs=$(sql "select count(*) from recon_runs")
run_recon 4 run --config "$WORK/recon.conf" --date 2026-03-04
expect_line "$WORK/err" "recon: 2026-03-04: database error, nothing committed: recon_item_unworked: the part 0 of $part_date is damaged at byte 40: restore it from a backup"
expect_sql "$runs" "select count(*) from recon_runs"

# the trail only grows: recon refuses to change it
sql "update recon_item_events set note = 'x'" >/dev/null 2>"$WORK/psql-err" && fail "an UPDATE of the audit trail succeeded"
grep -q "append-only" "$WORK/psql-err" || fail "the audit trail's UPDATE failed without saying why: $(cat "$WORK/psql-err")"
finish
