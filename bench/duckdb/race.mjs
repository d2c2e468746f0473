// The DuckDB side of the benchmark race (issue 7): the same inputs as recon
// (the generator's gzip WeChat ALL bill and orders.csv), the same join and
// classification for them, the same findings. SQL does all the work.
//
//   node bench/duckdb/race.mjs DIR DATE OUTDIR [--threads N]
//
// Writes OUTDIR/discrepancies.csv and OUTDIR/pending.csv (plain UTF-8 CSV with
// a header) and prints "KIND count" lines in expected.txt's order to stdout;
// the wall time goes to stderr. Covers what the generator produces: payments
// of one [source] with a fee_rate, a fresh database (no carried suspense, no
// prior run), no refunds, no auto-debit contracts; it stops on anything else.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const usage = () => {
	console.error('usage: node bench/duckdb/race.mjs DIR DATE OUTDIR [--threads N]');
	process.exit(2);
};
const args = process.argv.slice(2);
let threads = null;
const t = args.indexOf('--threads');
if (t >= 0) {
	threads = Number(args[t + 1]);
	if (!Number.isInteger(threads) || threads < 1) usage();
	args.splice(t, 2);
}
if (args.length !== 3 || !/^\d{4}-\d\d-\d\d$/.test(args[1])) usage();
const [dir, date, outdir] = [resolve(args[0]), args[1], resolve(args[2])];

// recon.conf: the [run] keys and the [source] section's, from key = value lines.
const conf = {};
let section = '';
let sources = 0;
for (const l of readFileSync(join(dir, 'recon.conf'), 'utf8').split('\n')) {
	const s = l.match(/^\s*\[(\w+)/);
	const kv = l.match(/^\s*(\w+)\s*=\s*(.*?)\s*$/);
	if (s) sources += (section = s[1]) === 'source';
	else if (kv) conf[`${section}.${kv[1]}`] = kv[2];
}
const cfg = {
	tz: conf['run.timezone'] ?? 'Asia/Shanghai',
	carry: Number(conf['run.carry_over_days'] ?? 3),
	tolerance: conf['run.fee_tolerance'] ?? '0.01',
	channel: conf['source.channel'],
	merchant: conf['source.merchant_id'],
	rate: conf['source.fee_rate'],
	bill: resolve(dir, (conf['source.location'] ?? '').replace('{yyyymmdd}', date.replaceAll('-', ''))),
};
if (sources !== 1 || !cfg.channel || !cfg.merchant || !/^\d+(\.\d+)?%$/.test(cfg.rate ?? '') ||
    conf['source.sub_merchants'])
	throw new Error('recon.conf: expected one [source] with channel, merchant_id, fee_rate, no sub_merchants');

const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;
const billName = cfg.bill.split('/').pop();
const started = process.hrtime.bigint();
const db = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : {});
const con = await db.connect();
const sql = (q) => con.run(q);

// `x → x: every value of the bill starts with a backtick.
await sql("CREATE MACRO bt(x) AS ltrim(x, '`')");

// 1. The bill, every column as VARCHAR (values carry the backtick; 28-digit
//    ids must not become doubles). Line 1 (the header) is skipped; the summary
//    header and summary row have 7 columns, so their padded 27th column is NULL.
//    Amounts are DECIMAL(18,2) yuan, fees DECIMAL(18,5) yuan: exact, as recon's.
//    Rows keep the file's order (preserve_insertion_order), so rowid + 2 is the
//    file line: which copy of a row was listed first, and the report's source.
const billCols = ['trade_time', 'app_id', 'mch_id', 'sub_mch_id', 'device', 'txn', 'order_no', 'openid',
	'trade_type', 'status', 'bank', 'currency', 'settle', 'coupon', 'refund_id', 'refund_no', 'refund',
	'coupon_refund', 'refund_type', 'refund_status', 'goods', 'attach', 'fee', 'rate', 'amount',
	'refund_request', 'rate_note'];
await sql(`
CREATE TEMP TABLE bill AS
SELECT bt(trade_time) AS trade_time, bt(txn) AS txn, bt(order_no) AS order_no, bt(status) AS status,
       ${lit(cfg.channel)} AS channel,
       -- 特约商户号 0 is a direct merchant: the merchant is 商户号 itself
       if(bt(sub_mch_id) IN ('', '0'), bt(mch_id), bt(sub_mch_id)) AS merchant_id,
       CAST(bt(amount) AS DECIMAL(18,2)) AS amount,   -- 订单金额: compared with the ledger
       CAST(bt(settle) AS DECIMAL(18,2)) AS settle,   -- 应结订单金额: the fee's base
       CAST(bt(fee) AS DECIMAL(18,5)) AS fee,
       bt(status) = 'SUCCESS' AS success
FROM read_csv(${lit(cfg.bill)}, compression = 'gzip', header = false, skip = 1, delim = ',', quote = '',
              null_padding = true, columns = {${billCols.map((c) => `'${c}': 'VARCHAR'`).join(', ')}})
WHERE rate_note IS NOT NULL`);

// 2. The ledger: orders.csv with explicit types; the business date is
//    COALESCE(paid_at, created_at) in the run's zone, as recon's ledger query.
//    recon loads the window [DATE - carry_over_days, DATE] and then looks up by
//    order_no whatever the bill names outside it, so the join reaches every
//    order; "expected tonight" (must be in the bill) is a collected order of
//    this date on the source. Earlier window orders are expected only when
//    carried as suspense from the night before, and this database is fresh.
await sql(`
CREATE TEMP TABLE ledger AS
SELECT order_no, channel, merchant_id, coalesce(channel_txn_id, '') AS txn, status, contract_id,
       CAST(amount_fen * 0.01 AS DECIMAL(18,2)) AS amount,
       (coalesce(paid_at, created_at) AT TIME ZONE ${lit(cfg.tz)})::DATE AS bdate,
       strftime(paid_at AT TIME ZONE ${lit(cfg.tz)}, '%Y-%m-%d %H:%M:%S') AS paid_local,
       status IN ('PAID', 'REFUNDED', 'PARTIALLY_REFUNDED') AS collected
FROM read_csv(${lit(join(dir, 'orders.csv'))}, header = true, delim = ',', quote = '"',
              columns = {'order_no': 'VARCHAR', 'merchant_id': 'VARCHAR', 'channel': 'VARCHAR',
                         'channel_txn_id': 'VARCHAR', 'amount_fen': 'BIGINT', 'currency': 'VARCHAR',
                         'status': 'VARCHAR', 'created_at': 'TIMESTAMPTZ', 'paid_at': 'TIMESTAMPTZ',
                         'contract_id': 'VARCHAR'})`);

// What this script does not model must not be there: refunds, rows without a
// 商户订单号 (recon would join those by txn id), auto-debit contracts.
const guard = await con.runAndReadAll(`
SELECT (SELECT count(*) FROM bill WHERE status = 'REFUND' OR order_no = '')
     + (SELECT count(*) FROM ledger WHERE coalesce(contract_id, '') <> '')
     + (SELECT count(*) FROM read_csv(${lit(join(dir, 'refunds.csv'))}, header = true,
                                      columns = {'refund_no': 'VARCHAR', 'order_no': 'VARCHAR',
                                      'channel_refund_id': 'VARCHAR', 'amount_fen': 'VARCHAR', 'status': 'VARCHAR',
                                      'requested_at': 'VARCHAR', 'refunded_at': 'VARCHAR'}))`);
if (guard.getRows()[0][0] !== 0n) throw new Error('refunds, rows without order_no or contracts: not modelled here');

// 3. The findings, one SELECT per outcome, stacked by column name.
const D = `DATE ${lit(date)}`;
const rate = `(CAST(${lit(cfg.rate.slice(0, -1))} AS DECIMAL(9,4)) * 0.01)`; // 0.60% → 0.006000
await sql(`
CREATE TEMP TABLE findings AS
WITH
-- a 微信订单号 listed again after its first row: DUPLICATE_RECORD, kept out of matching
listed AS (
  SELECT *, txn NOT IN ('', '0') AND row_number() OVER (PARTITION BY txn ORDER BY line) > 1 AS dup
  FROM (SELECT rowid + 2 AS line, * FROM bill)
),
-- every other row with its ledger order (by 商户订单号), if any
joined AS (
  SELECT b.*, l.order_no IS NOT NULL AS known, l.txn AS l_txn, l.channel AS l_channel, l.status AS l_status,
         l.amount AS l_amount, l.bdate, l.collected,
         -- the ledger books it on a later date (a callback after midnight): it waits for that date
         l.bdate > ${D} AND l.collected AND b.success AS later
  FROM listed b LEFT JOIN ledger l ON l.order_no = b.order_no
  WHERE NOT b.dup
),
-- the rows of each order: the primary is the successful one with the ledger's txn id,
-- else one on the ledger's channel, else the first successful one (by time, then line)
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY order_no
                               ORDER BY success DESC,
                                        (l_txn <> '' AND txn = l_txn)::INT * 2 + (channel = l_channel)::INT DESC,
                                        trade_time, line) AS rank
  FROM joined WHERE known AND NOT later
),
-- the primary row against its order: amount, then status, then the fee (0.60% of
-- 应结订单金额, rounded half up to the fen; DECIMAL round is half away from zero)
judged AS (
  SELECT *, CASE WHEN NOT success THEN 0 ELSE round(settle * ${rate}, 2) END AS expected_fee,
         CASE WHEN success AND collected AND amount < l_amount THEN 'SHORT_PAYMENT'
              WHEN success AND collected AND amount > l_amount THEN 'OVERPAYMENT'
              WHEN success <> collected THEN 'STATUS_MISMATCH' END AS kind,
         CASE WHEN success AND collected THEN 'amount'
              WHEN success AND l_status = 'CREATED' THEN 'lost_callback'
              WHEN success THEN 'ledger_' || lower(coalesce(nullif(l_status, ''), 'missing'))
              ELSE 'channel_' || lower(coalesce(nullif(status, ''), 'missing')) END AS reason
  FROM ranked WHERE rank = 1
),
-- fee totals of the whole file (every row, duplicates included) against the rate
totals AS (
  SELECT sum(fee) AS channel_fee, sum(CASE WHEN success THEN round(settle * ${rate}, 2) ELSE 0 END) AS expected_fee,
         count(*) AS n
  FROM bill
)
SELECT 'DUPLICATE_RECORD' AS kind, 'same_transaction_listed_twice' AS reason, order_no, txn AS channel_txn_id,
       amount AS channel_amount, fee AS channel_fee, status AS channel_status, merchant_id, trade_time, line
FROM listed WHERE dup
UNION ALL BY NAME
-- no ledger order at all: pending until carry_over_days run out, then OVERPAYMENT missing
SELECT ${this_carry('OVERPAYMENT', 'missing', 'not_in_ledger')}, order_no, txn AS channel_txn_id,
       amount AS channel_amount, fee AS channel_fee, status AS channel_status, merchant_id, trade_time, line
FROM joined WHERE NOT known AND success
UNION ALL BY NAME
SELECT ${this_carry('OVERPAYMENT', 'missing', 'ledger_later_date')}, order_no, txn AS channel_txn_id,
       amount AS channel_amount, fee AS channel_fee, status AS channel_status, merchant_id, trade_time, line
FROM joined WHERE later
UNION ALL BY NAME
-- a further successful charge of an order: DOUBLE_CHARGE (one channel here, so same_channel)
SELECT 'DOUBLE_CHARGE' AS kind, 'same_channel' AS reason, order_no, txn AS channel_txn_id, l_status AS ledger_status,
       l_amount AS ledger_amount, amount AS channel_amount, fee AS channel_fee, status AS channel_status,
       merchant_id, trade_time, line
FROM ranked WHERE rank > 1 AND success
UNION ALL BY NAME
-- the primary row: an amount or status finding, else a fee that is not the rate's
SELECT coalesce(kind, 'FEE_MISMATCH') AS kind, if(kind IS NULL, 'rate', reason) AS reason, order_no,
       txn AS channel_txn_id, l_status AS ledger_status, l_amount AS ledger_amount, amount AS channel_amount,
       if(kind IS NULL, expected_fee, NULL)::DECIMAL(18,5) AS expected_fee, fee AS channel_fee,
       status AS channel_status, merchant_id, trade_time, line
FROM judged WHERE kind IS NOT NULL OR fee <> expected_fee
UNION ALL BY NAME
-- an order expected tonight that no row claimed: pending, then SHORT_PAYMENT missing
SELECT ${this_carry('SHORT_PAYMENT', 'missing', 'not_in_statement')}, order_no, txn AS channel_txn_id,
       status AS ledger_status, amount AS ledger_amount, merchant_id, paid_local AS trade_time,
       'ledger_orders' AS source
FROM ledger
WHERE bdate = ${D} AND collected AND channel = ${lit(cfg.channel)} AND merchant_id = ${lit(cfg.merchant)}
  AND order_no NOT IN (SELECT order_no FROM ranked)
UNION ALL BY NAME
-- the file's fee total off by more than fee_tolerance
SELECT 'FEE_MISMATCH' AS kind, 'file_total' AS reason, expected_fee::DECIMAL(18,5) AS expected_fee, channel_fee,
       ${lit(cfg.merchant)} AS merchant_id, ${lit(billName)} AS source
FROM totals WHERE n > 0 AND abs(channel_fee - expected_fee) > CAST(${lit(cfg.tolerance)} AS DECIMAL(18,2))`);

// On this first night everything is age 0: pending while carry_over_days > 0.
function this_carry(kind, expiredReason, pendingReason) {
	return cfg.carry > 0 ? `'PENDING' AS kind, '${pendingReason}' AS reason`
		: `'${kind}' AS kind, '${expiredReason}' AS reason`;
}

// 4. The reports: plain CSV with a header, stable order.
mkdirSync(outdir, { recursive: true });
const cols = `${lit(date)} AS business_date, kind, reason, order_no, channel_txn_id, ledger_amount, channel_amount,
	expected_fee, channel_fee, ${lit(cfg.channel)} AS channel, merchant_id, ledger_status, channel_status,
	trade_time, coalesce(source, ${lit(billName)} || ':' || line) AS source`;
for (const [file, where] of [['discrepancies.csv', "kind <> 'PENDING'"], ['pending.csv', "kind = 'PENDING'"]])
	await sql(`COPY (SELECT ${cols} FROM findings WHERE ${where} ORDER BY kind, order_no, line)
	           TO ${lit(join(outdir, file))} (HEADER, DELIMITER ',')`);

// 5. Counts in expected.txt's order (zeros included), PENDING last.
const counts = Object.fromEntries(
	(await con.runAndReadAll('SELECT kind, count(*) FROM findings GROUP BY kind')).getRows()
		.map(([k, n]) => [k, Number(n)]));
const kinds = ['SHORT_PAYMENT', 'OVERPAYMENT', 'STATUS_MISMATCH', 'DOUBLE_CHARGE', 'FEE_MISMATCH', 'DUPLICATE_RECORD'];
for (const k of Object.keys(counts)) if (!kinds.includes(k) && k !== 'PENDING') kinds.push(k);
for (const k of [...kinds, 'PENDING']) console.log(`${k} ${counts[k] ?? 0}`);
const used = (await con.runAndReadAll("SELECT current_setting('threads')")).getRows()[0][0];
const secs = Number(process.hrtime.bigint() - started) / 1e9;
console.error(`duckdb race: ${secs.toFixed(2)} s wall, ${used} threads, ${args[0]} ${date}`);
