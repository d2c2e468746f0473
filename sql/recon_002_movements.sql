-- Money moving in or out of the merchant account, as the channels' fund-flow
-- statements list it (WeChat fund flow, Alipay 账务明细): kept per business
-- date for the settlement checks. Amounts in fen, + income, - expense.
CREATE TABLE IF NOT EXISTS recon_movements (
	business_date  date NOT NULL,
	source_name    text NOT NULL,
	channel        text NOT NULL,
	merchant_id    text,
	trade_time     text,
	movement_type  text,
	reference      text,
	channel_txn_id text,
	order_no       text,
	amount_fen     bigint NOT NULL,
	balance_fen    bigint,
	source         text
);
CREATE INDEX IF NOT EXISTS recon_movements_business_date_idx ON recon_movements (business_date);
