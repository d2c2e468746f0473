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
cat >"$WORK/recon.conf" <<'CONF'
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

[source wx-main]
channel = wechat
merchant_id = 1900000109
location = wechat_1900000109_{yyyymmdd}.csv
fee_rate = 0.60%
CONF
run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
same_files "$WORK/reports/2026-03-02" "$GOLDEN/night/2026-03-02"
finish
