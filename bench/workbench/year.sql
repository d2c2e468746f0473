-- A year of nights for the workbench's load bench (bench/workbench/run.sh),
-- written straight into recon's tables as the nights would have left them:
-- :nights business dates (weekdays) ending :last, :findings discrepancies
-- over them, each an item of the register; :open of them still open — the
-- last nights' items nobody has worked yet (recon_item_unworked, as a night
-- writes them, 1024 a part) and a tenth acknowledged by someone — and the
-- rest closed by a later night or by a person, with their history. A ledger
-- order for every finding, for the item page's ledger row. psql variables:
-- nights, findings, open, last.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- recon's item ids: Crockford base32, at least four symbols, and the check
-- symbol (src/util/openitem.c)
CREATE OR REPLACE FUNCTION pg_temp.item_id(seq bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	b32 constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
	v bigint := seq;
	body text := '';
	s int := 0;
BEGIN
	LOOP
		body := substr(b32, (v % 32)::int + 1, 1) || body;
		v := v / 32;
		EXIT WHEN v = 0;
	END LOOP;
	body := lpad(body, 4, '0');
	FOR i IN 1 .. length(body) LOOP
		s := s + (strpos(b32, substr(body, i, 1)) - 1) * i;
	END LOOP;
	RETURN body || substr(b32, s % 31 + 1, 1);
END
$$;

CREATE TEMP TABLE days AS
SELECT day, (row_number() OVER (ORDER BY day))::int AS n FROM (
	SELECT d::date AS day FROM generate_series(DATE :'last' - 600, DATE :'last', INTERVAL '1 day') d
	WHERE extract(isodow FROM d) < 6 ORDER BY d DESC LIMIT :nights) x;

-- the findings: g = 1 .. :findings, spread evenly over the nights, newest last
CREATE TEMP TABLE f AS
SELECT g, d.day, k.kind, k.cn, k.reason, k.ls, k.cs, CASE WHEN g % 2 = 0 THEN 'wechat' ELSE 'alipay' END AS channel,
	CASE WHEN g % 2 = 0 THEN '1900000109' ELSE '2088000000000001' END AS merchant_id,
	'YR' || lpad(g::text, 9, '0') AS order_no, '4200' || lpad(g::text, 24, '0') AS txn,
	((g::bigint * 7919) % 50000 + 1)::bigint AS fen, k.m
FROM generate_series(1, :findings) g
JOIN days d ON d.n = ((g - 1) * :nights / :findings) + 1
JOIN (VALUES (0, 'SHORT_PAYMENT', '短款', 'missing', 'PAID', ''), (1, 'OVERPAYMENT', '长款', 'missing', '', 'SUCCESS'),
	(2, 'STATUS_MISMATCH', '状态不符', 'lost_callback', 'CREATED', 'SUCCESS'),
	(3, 'DOUBLE_CHARGE', '重复扣款', 'same_order', 'PAID', 'SUCCESS')) k(m, kind, cn, reason, ls, cs) ON k.m = g % 4;
-- the open ones: the newest :open findings; of them every tenth acknowledged
ALTER TABLE f ADD COLUMN open boolean, ADD COLUMN worked boolean, ADD COLUMN id text;
UPDATE f SET open = g > :findings - :open, id = pg_temp.item_id(g);
UPDATE f SET worked = NOT open OR g % 10 = 0;

INSERT INTO ledger_orders (order_no, merchant_id, channel, channel_txn_id, amount_fen, status, created_at, paid_at)
SELECT order_no, merchant_id, channel, CASE WHEN m = 1 THEN NULL ELSE txn END, fen,
	CASE WHEN ls = '' THEN 'CLOSED' ELSE ls END, day + TIME '10:00' - INTERVAL '8 hours',
	CASE WHEN ls = 'PAID' THEN day + TIME '10:01' - INTERVAL '8 hours' END
FROM f ON CONFLICT DO NOTHING;

INSERT INTO recon_discrepancies (business_date, kind, kind_cn, reason, side, rec_type, channel, merchant_id, order_no,
	channel_txn_id, ledger_status, channel_status, ledger_amount_fen, channel_amount_fen, channel_settle_fen, trade_time,
	first_seen, age_days, source)
SELECT day, kind, cn, reason, CASE WHEN m = 0 THEN 'L' ELSE 'S' END, 'payment', channel, merchant_id, order_no, txn, ls, cs,
	CASE WHEN m = 1 THEN NULL ELSE fen END, CASE WHEN m = 0 THEN NULL ELSE fen END,
	CASE WHEN m = 0 THEN NULL ELSE fen END, to_char(day, 'YYYY-MM-DD') || ' 10:00:00', day, 0,
	CASE WHEN m = 0 THEN '' ELSE channel || '_' || to_char(day, 'YYYYMMDD') || '.csv:' || (g % 5000 + 2) END
FROM f;

INSERT INTO recon_runs (business_date, started_at, finished_at, seconds, exit_status, inputs, counts, publish_state,
	recon_version)
SELECT d.day, d.day + TIME '02:00' - INTERVAL '8 hours', d.day + TIME '02:01' - INTERVAL '8 hours', 61.5, 1,
	jsonb_build_array(jsonb_build_object('source', 'wx', 'path', 'bill_' || to_char(d.day, 'YYYYMMDD') || '.csv.gz',
		'sha256', md5(d.day::text) || md5(d.day::text), 'format', 'wechat-all', 'rows', 400000, 'verdict', 'ok')),
	jsonb_build_object('statement_rows', 400000, 'matched', 400000 - c.n, 'discrepancies', c.n, 'pending', 0,
		'quarantined', 0, 'rejected_files', 0) || c.kinds || jsonb_build_object('amounts_fen', c.amounts),
	'published', 'bench'
FROM days d JOIN (SELECT day, count(*) AS n, jsonb_object_agg(kind, k_n) AS kinds, jsonb_object_agg(kind, k_fen) AS amounts
	FROM (SELECT day, kind, count(*) AS k_n, sum(fen) AS k_fen FROM f GROUP BY 1, 2) x
	GROUP BY day) c USING (day);

-- the worked items (every closed one, a tenth of the open), their history
INSERT INTO recon_items (id, item_key, kind, kind_cn, reason, rec_type, channel, merchant_id, order_no, channel_txn_id,
	ledger_status, channel_status, ledger_amount_fen, channel_amount_fen, difference, difference_fen, source,
	first_seen, last_seen, due_by, status, owner, note, closed_on, evidence, changed_by, changed_at)
SELECT id, kind || '|o:' || order_no, kind, cn, reason, 'payment', channel, merchant_id, order_no, txn, ls, cs,
	CASE WHEN m = 1 THEN NULL ELSE fen END, CASE WHEN m = 0 THEN NULL ELSE fen END,
	CASE WHEN m = 0 THEN -fen ELSE fen END, CASE WHEN m = 0 THEN -fen ELSE fen END,
	'', day, day, day + 3,
	CASE WHEN open THEN 'acknowledged' WHEN g % 7 = 0 THEN 'resolved' WHEN g % 53 = 0 THEN 'written_off' ELSE 'auto_closed' END,
	CASE WHEN open OR g % 7 = 0 OR g % 53 = 0 THEN 'clerk' || (g % 20 + 1) ELSE '' END,
	CASE WHEN open OR g % 7 = 0 OR g % 53 = 0 THEN '已核实 checked' ELSE '' END,
	CASE WHEN open THEN NULL ELSE day + 1 END, CASE WHEN open THEN '' ELSE 'bill_next.csv:' || g % 5000 END,
	CASE WHEN open OR g % 7 = 0 OR g % 53 = 0 THEN 'clerk' || (g % 20 + 1) ELSE 'recon run ' || (day + 1) END,
	day + TIME '09:00'
FROM f WHERE worked;
INSERT INTO recon_item_events (item_id, at, actor, action, to_status, business_date, evidence)
SELECT id, day + TIME '02:01', 'recon run ' || day, 'opened', 'open', day, source FROM recon_items
	JOIN f USING (id) ORDER BY f.g;
INSERT INTO recon_item_events (item_id, at, actor, action, from_status, to_status, owner, note, business_date, evidence)
SELECT id, changed_at, changed_by, CASE WHEN status = 'auto_closed' THEN 'auto_closed' ELSE 'status' END, 'open',
	status, nullif(owner, ''), nullif(note, ''), CASE WHEN status = 'auto_closed' THEN closed_on END, nullif(evidence, '')
FROM recon_items ORDER BY id;

-- the unworked ones: their nights' parts, as rcn_items_night_store writes them
INSERT INTO recon_item_unworked (business_date, part, lo, hi, n, data)
SELECT day, p, (array_agg(id ORDER BY g))[1], (array_agg(id ORDER BY g DESC))[1], count(*),
	json_agg(json_strip_nulls(json_build_object('i', id, 'kd', kind, 'kc', cn, 'r', reason, 'ch', channel, 'm', merchant_id,
		'o', order_no, 't', txn, 'ls', nullif(ls, ''), 'cs', nullif(cs, ''),
		'la', CASE WHEN m = 1 THEN NULL ELSE fen END, 'ca', CASE WHEN m = 0 THEN NULL ELSE fen END,
		'd', CASE WHEN m = 0 THEN -fen ELSE fen END, 'due', day + 3)) ORDER BY g)::text
FROM (SELECT *, (row_number() OVER (PARTITION BY day ORDER BY g) - 1) / 1024 AS p FROM f WHERE NOT worked) x
GROUP BY day, p;
INSERT INTO recon_item_nights (business_date, item_ids) SELECT day, array_agg(id ORDER BY g) FROM f GROUP BY day;
UPDATE recon_item_numbers SET next = :findings + 1;

ANALYZE;
