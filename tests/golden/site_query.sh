# A site with its own ledger tables: [ledger] orders_query / refunds_query map
# its columns to recon's names, and the night comes out exactly as with the
# default schema.
source "$(dirname "$0")/lib.sh"

fresh_db golden_site
load_ledger "$ROOT/fixtures/demo"
psql -q -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
create schema shop;
create table shop.orders as
  select order_no as no, merchant_id as mch, channel as via, channel_txn_id as txn, amount_fen as cents,
         status as state, created_at as created, paid_at as paid
  from ledger_orders;
create table shop.refunds as
  select refund_no as rno, order_no as ono, channel_refund_id as rid, amount_fen as cents, status as state,
         requested_at as asked, refunded_at as done
  from ledger_refunds;
drop table ledger_orders, ledger_refunds;
SQL
cp "$ROOT"/fixtures/demo/wechat_1900000109_20260302.csv "$WORK"/
cat >"$WORK/recon.conf" <<CONF
[ledger]
orders_query = SELECT no AS order_no, mch AS merchant_id, via AS channel, txn AS channel_txn_id,
    cents AS amount_fen, 'CNY' AS currency, state AS status, created AS created_at, paid AS paid_at,
    NULL::text AS contract_id
    FROM shop.orders
refunds_query = SELECT rno AS refund_no, ono AS order_no, rid AS channel_refund_id, cents AS amount_fen,
    state AS status, asked AS requested_at, done AS refunded_at FROM shop.refunds

[run]
carry_over_days = 1
reports = reports

$(demo_source)
CONF
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
same_files "$WORK/reports/2026-03-02" "$GOLDEN/night/2026-03-02"
cp -a "$WORK/reports/2026-03-02" "$WORK/good-reports"

# The site's text can never change the database: it is sent as exactly one
# statement (the extended protocol) inside the READ ONLY snapshot.
psql -q -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
create table canary (id int);
insert into canary values (1);
create function shop.zap() returns int language sql as $$ delete from canary returning id $$;
SQL
cols="no AS order_no, mch AS merchant_id, via AS channel, txn AS channel_txn_id, cents AS amount_fen, 'CNY' AS currency, state AS status, created AS created_at, paid AS paid_at, NULL::text AS contract_id"
# hostile_query NAME ORDERS_QUERY: the night refused with exit 4 and a message
# naming the site query, nothing stored, the canary row still there.
hostile_query() {
	sql "truncate canary; insert into canary values (1)" >/dev/null
	awk -v q="$2" '/^orders_query = /{print "orders_query = " q; skip=1; next} skip && /^[ \t]/{next} {skip=0; print}' \
		"$WORK/recon.conf" >"$WORK/$1.conf"
	run_recon 4 run --config "$WORK/$1.conf" --date 2026-03-02
	grep -qF "[ledger] orders_query" "$WORK/err" || fail "$1: the message does not name [ledger] orders_query: $(cat "$WORK/err")"
	grep -qF "$3" "$WORK/err" || fail "$1: the message does not say '$3': $(cat "$WORK/err")"
	expect_sql 1 "select count(*) from canary"
	expect_sql 1 "select count(*) from recon_runs where business_date = '2026-03-02'"
	diff -r "$WORK/good-reports" "$WORK/reports/2026-03-02" >&2 || fail "$1: the reports changed"
}
# several statements: end the snapshot, delete, and go on as if nothing happened
hostile_query multi "SELECT 1 AS amount_fen) AS s LIMIT 0; COMMIT; DELETE FROM canary; SELECT * FROM (SELECT $cols FROM shop.orders" \
	"cannot insert multiple commands"
hostile_query multi2 "SELECT $cols FROM shop.orders) AS o WHERE false; COMMIT; DELETE FROM canary; SELECT 1 FROM (SELECT 1" \
	"cannot insert multiple commands"
# a write inside a CTE, and a write inside a function the query calls
hostile_query cte "WITH d AS (DELETE FROM canary RETURNING 1) SELECT $cols FROM shop.orders" "data-modifying"
hostile_query func "SELECT $cols, shop.zap() AS z FROM shop.orders" "read-only transaction"
finish
