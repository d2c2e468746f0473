-- The open-items register (issue 19, DESIGN.md §3 "Open items"): every
-- discrepancy is an item that outlives its night, worked to closure by people
-- (recon items ...) and by later nights (auto_closed, withdrawn).
--
-- recon_items        one row per item: the finding it stands for (as last
--                    found), when it was first and last found, its deadline,
--                    and where people and nights have taken it.
-- recon_item_nights  which items each business date's latest run found: a
--                    re-run of the date replaces its row (and withdraws the
--                    items no date finds any more).
-- recon_item_events  the audit trail: every change of an item, by a person or
--                    a night. Append-only: a trigger refuses UPDATE, DELETE
--                    and TRUNCATE, and recon's code has no such statement.

-- The items' numbers (their ids): a night takes a block in one statement.
CREATE TABLE IF NOT EXISTS recon_item_numbers (next bigint NOT NULL CHECK (next > 0));
INSERT INTO recon_item_numbers SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM recon_item_numbers);

CREATE TABLE IF NOT EXISTS recon_items (
	id                 text PRIMARY KEY,  -- short, stable: Crockford base32 with a check symbol
	item_key           text NOT NULL, -- what makes two nights' findings the same item
	-- a 64-bit hash of item_key, the index a night looks closed items up by
	key_hash           bigint GENERATED ALWAYS AS (hashtextextended(item_key, 0)) STORED,
	kind               text NOT NULL,
	kind_cn            text NOT NULL,
	reason             text NOT NULL DEFAULT '',
	rec_type           text NOT NULL CHECK (rec_type IN ('payment', 'refund')),
	channel            text NOT NULL DEFAULT '',
	merchant_id        text NOT NULL DEFAULT '',
	order_no           text NOT NULL DEFAULT '',
	refund_no          text NOT NULL DEFAULT '',
	channel_txn_id     text NOT NULL DEFAULT '',
	channel_refund_id  text NOT NULL DEFAULT '',
	ledger_status      text NOT NULL DEFAULT '',
	channel_status     text NOT NULL DEFAULT '',
	ledger_amount_fen  bigint,
	channel_amount_fen bigint,
	difference         bigint,          -- the kind's scale: fen, 1e-5 yuan for FEE_MISMATCH; NULL: none
	difference_fen     bigint,          -- the same in fen (a fee rounded away from zero), for sums
	source             text NOT NULL DEFAULT '',
	detail             text NOT NULL DEFAULT '',
	first_seen         date NOT NULL,   -- the first business date whose run found it
	last_seen          date NOT NULL,   -- the latest
	due_by             date,            -- from the kind's handling rule (rules/handling.csv)
	urgent             boolean NOT NULL DEFAULT false,
	status             text NOT NULL DEFAULT 'open'
		CHECK (status IN ('open', 'acknowledged', 'resolved', 'written_off', 'auto_closed', 'withdrawn')),
	owner              text NOT NULL DEFAULT '',
	note               text NOT NULL DEFAULT '',
	closed_on          date,            -- business date of auto_closed / withdrawn, the day of a person's close
	evidence           text NOT NULL DEFAULT '', -- what closed it: file:line or the ledger row
	-- a write-off above [items] writeoff_approval waits for a second person
	approval_by        text NOT NULL DEFAULT '',  -- who asked ('' : nothing waits)
	approval_note      text NOT NULL DEFAULT '',
	changed_by         text NOT NULL,
	changed_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS recon_items_open_idx ON recon_items (due_by) WHERE status IN ('open', 'acknowledged');
CREATE INDEX IF NOT EXISTS recon_items_key_idx ON recon_items (key_hash);
CREATE INDEX IF NOT EXISTS recon_items_closed_idx ON recon_items (closed_on) WHERE closed_on IS NOT NULL;

CREATE TABLE IF NOT EXISTS recon_item_nights (
	business_date date PRIMARY KEY,
	item_ids      text[] NOT NULL -- recon_items.id of every item the date's latest run found: one row a
	                              -- date (a night of half a million findings writes one array, not
	                              -- half a million rows and their index entries)
);

CREATE TABLE IF NOT EXISTS recon_item_events (
	event_id      bigserial,         -- the trail's order (its index is recon_item_events_item_idx)
	item_id       text NOT NULL,     -- recon_items.id (never deleted; no foreign key to check per row)
	at            timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor         text NOT NULL,     -- a person's name, or "recon run <date>"
	action        text NOT NULL,     -- opened, found, status, note, owner, approval_requested, approved, auto_closed, withdrawn, reopened
	from_status   text,
	to_status     text,
	owner         text,
	note          text,
	business_date date,              -- the night that made the change (NULL for a person's)
	evidence      text
);
CREATE INDEX IF NOT EXISTS recon_item_events_item_idx ON recon_item_events (item_id, event_id);

CREATE OR REPLACE FUNCTION recon_item_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'recon_item_events is an append-only audit trail: % is not allowed', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS recon_item_events_no_change ON recon_item_events;
CREATE TRIGGER recon_item_events_no_change BEFORE UPDATE OR DELETE ON recon_item_events
	FOR EACH ROW EXECUTE FUNCTION recon_item_events_append_only();
DROP TRIGGER IF EXISTS recon_item_events_no_truncate ON recon_item_events;
CREATE TRIGGER recon_item_events_no_truncate BEFORE TRUNCATE ON recon_item_events
	FOR EACH STATEMENT EXECUTE FUNCTION recon_item_events_append_only();

-- Items nobody has worked yet. A night opens most of its items and nobody
-- touches most of them again before a later night closes them; one row per
-- item (its index entries, its "opened" event) would cost a big night
-- seconds. So a night keeps the items it opens, while untouched, as parts of
-- up to 1024 items: a json array of recon_unworked_entry (short keys). The
-- first change — a person's or a later night's — moves an item into
-- recon_items with its "opened" event, dated when the night opened it
-- (recon_items_take); a re-run of the date replaces the date's parts.
-- recon_register is the whole register: recon_items and the unworked items.
CREATE SEQUENCE IF NOT EXISTS recon_item_unworked_gen;
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'recon_unworked_entry') THEN
		CREATE TYPE recon_unworked_entry AS (
			i text, k text, kd text, kc text, r text, rt text, ch text, m text, o text, rf text,
			t text, cr text, ls text, cs text, la bigint, ca bigint, d bigint, df bigint, s text, dt text,
			due date, u boolean, at timestamptz);
	END IF;
END
$$;

CREATE TABLE IF NOT EXISTS recon_item_unworked (
	business_date date NOT NULL,  -- the run that opened them (first_seen = last_seen = this date)
	part          integer NOT NULL,
	gen           bigint NOT NULL DEFAULT nextval('recon_item_unworked_gen'), -- new on every write of the part
	lo            text COLLATE "C" NOT NULL, -- the lowest and highest id in it, by (length, id):
	hi            text COLLATE "C" NOT NULL, -- the ids' numeric order
	n             integer NOT NULL,
	opened_at     timestamptz NOT NULL DEFAULT now(), -- when the run opened its entries that say no other time
	data          text COMPRESSION lz4 NOT NULL, -- json (read as json: written without the server parsing it)
	PRIMARY KEY (business_date, part)
);

-- An entry omits what it can: empty texts, NULL numbers, rec_type payment,
-- urgent false, difference_fen equal to difference, its opening time when
-- it is the part's, and its key when it is the kind and the merchant's
-- refund number ("KIND|r:R") or, without one, order number ("KIND|o:O").
CREATE OR REPLACE VIEW recon_item_unworked_items AS
SELECT u.business_date, u.part, e.i AS id, k.key AS item_key, hashtextextended(k.key, 0) AS key_hash, e.kd AS kind,
	e.kc AS kind_cn, coalesce(e.r, '') AS reason, coalesce(e.rt, 'payment') AS rec_type, coalesce(e.ch, '') AS channel,
	coalesce(e.m, '') AS merchant_id, coalesce(e.o, '') AS order_no, coalesce(e.rf, '') AS refund_no,
	coalesce(e.t, '') AS channel_txn_id, coalesce(e.cr, '') AS channel_refund_id, coalesce(e.ls, '') AS ledger_status,
	coalesce(e.cs, '') AS channel_status, e.la AS ledger_amount_fen, e.ca AS channel_amount_fen, e.d AS difference,
	coalesce(e.df, e.d) AS difference_fen, coalesce(e.s, '') AS source, coalesce(e.dt, '') AS detail,
	u.business_date AS first_seen, u.business_date AS last_seen, e.due AS due_by, coalesce(e.u, false) AS urgent,
	'open'::text AS status, ''::text AS owner, ''::text AS note, NULL::date AS closed_on, ''::text AS evidence,
	''::text AS approval_by, ''::text AS approval_note, 'recon run ' || to_char(u.business_date, 'YYYY-MM-DD') AS changed_by,
	coalesce(e.at, u.opened_at) AS changed_at, u.lo AS part_lo, u.hi AS part_hi
FROM recon_item_unworked u, json_populate_recordset(NULL::recon_unworked_entry, u.data::json) e,
	LATERAL (SELECT coalesce(e.k, e.kd || CASE WHEN coalesce(e.rf, '') <> '' THEN '|r:' || e.rf ELSE '|o:' || e.o END)) k(key);

CREATE OR REPLACE VIEW recon_register AS
SELECT id, item_key, key_hash, kind, kind_cn, reason, rec_type, channel, merchant_id, order_no, refund_no,
	channel_txn_id, channel_refund_id, ledger_status, channel_status, ledger_amount_fen, channel_amount_fen,
	difference, difference_fen, source, detail, first_seen, last_seen, due_by, urgent, status, owner, note,
	closed_on, evidence, approval_by, approval_note, changed_by, changed_at
FROM recon_items
UNION ALL
SELECT id, item_key, key_hash, kind, kind_cn, reason, rec_type, channel, merchant_id, order_no, refund_no,
	channel_txn_id, channel_refund_id, ledger_status, channel_status, ledger_amount_fen, channel_amount_fen,
	difference, difference_fen, source, detail, first_seen, last_seen, due_by, urgent, status, owner, note,
	closed_on, evidence, approval_by, approval_note, changed_by, changed_at
FROM recon_item_unworked_items;

-- Whether the part whose ids run from lo to hi may hold id (ids in numeric
-- order: by length, then as text).
CREATE OR REPLACE FUNCTION recon_item_in_part(id text, lo text, hi text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT (length(id), id COLLATE "C") >= (length(lo), lo COLLATE "C")
		AND (length(id), id COLLATE "C") <= (length(hi), hi COLLATE "C")
$$;

-- Every item's trail: its events, and for an unworked item the opening its
-- night recorded (written to recon_item_events when it is first changed).
CREATE OR REPLACE VIEW recon_item_trail AS
SELECT event_id, item_id, at, actor, action, from_status, to_status, owner, note, business_date, evidence
FROM recon_item_events
UNION ALL
SELECT NULL, id, changed_at, changed_by, 'opened', NULL, 'open', NULL, NULL, first_seen, nullif(source, '')
FROM recon_item_unworked_items;

-- Moves the unworked items among `want` into recon_items, each with its
-- "opened" event, and out of their parts; items already there are left as
-- they are. Locks the parts it reads. Returns how many it moved.
CREATE OR REPLACE FUNCTION recon_items_take(want text[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	moved integer;
BEGIN
	IF to_regclass('pg_temp.recon_take_parts') IS NULL THEN
		CREATE TEMP TABLE recon_take_parts (business_date date, part integer) ON COMMIT DROP;
	END IF;
	DELETE FROM recon_take_parts;
	INSERT INTO recon_take_parts
	SELECT u.business_date, u.part FROM recon_item_unworked u
	WHERE EXISTS (SELECT 1 FROM unnest(want) x WHERE recon_item_in_part(x, u.lo, u.hi))
	ORDER BY 1, 2 FOR UPDATE OF u;
	WITH found AS (
		SELECT w.* FROM recon_item_unworked_items w JOIN recon_take_parts p USING (business_date, part)
		WHERE w.id = ANY(want)),
	ins AS (
		INSERT INTO recon_items (id, item_key, kind, kind_cn, reason, rec_type, channel, merchant_id,
			order_no, refund_no, channel_txn_id, channel_refund_id, ledger_status, channel_status,
			ledger_amount_fen, channel_amount_fen, difference, difference_fen, source, detail, first_seen,
			last_seen, due_by, urgent, changed_by, changed_at)
		SELECT id, item_key, kind, kind_cn, reason, rec_type, channel, merchant_id, order_no,
			refund_no, channel_txn_id, channel_refund_id, ledger_status, channel_status, ledger_amount_fen,
			channel_amount_fen, difference, difference_fen, source, detail, first_seen, last_seen, due_by,
			urgent, changed_by, changed_at FROM found
		ON CONFLICT (id) DO NOTHING RETURNING id)
	INSERT INTO recon_item_events (item_id, at, actor, action, to_status, business_date, evidence)
	SELECT f.id, f.changed_at, f.changed_by, 'opened', 'open', f.first_seen, nullif(f.source, '')
	FROM found f JOIN ins USING (id) ORDER BY f.id;
	GET DIAGNOSTICS moved = ROW_COUNT;
	UPDATE recon_item_unworked u SET data = k.data, n = k.n, gen = nextval('recon_item_unworked_gen')
	FROM (SELECT p.business_date, p.part, coalesce(json_agg(x.v ORDER BY x.o) FILTER (WHERE NOT x.v->>'i' = ANY(want))::text, '[]') AS data,
			count(*) FILTER (WHERE NOT x.v->>'i' = ANY(want)) AS n, count(*) FILTER (WHERE x.v->>'i' = ANY(want)) AS gone
		FROM recon_take_parts p JOIN recon_item_unworked u2 USING (business_date, part),
			json_array_elements(u2.data::json) WITH ORDINALITY x(v, o)
		GROUP BY 1, 2) k
	WHERE u.business_date = k.business_date AND u.part = k.part AND k.gone > 0;
	DELETE FROM recon_item_unworked u USING recon_take_parts p
	WHERE u.business_date = p.business_date AND u.part = p.part AND u.n = 0;
	RETURN moved;
END
$$;

-- After a night replaced the date's parts while someone took items of the
-- date: drops from d's parts every item recon_items now holds.
CREATE OR REPLACE FUNCTION recon_items_unworked_prune(d date) RETURNS void LANGUAGE sql AS $$
	UPDATE recon_item_unworked u SET data = k.data, n = k.n, gen = nextval('recon_item_unworked_gen')
	FROM (SELECT u2.part, coalesce(json_agg(x.v ORDER BY x.o) FILTER (WHERE i.id IS NULL)::text, '[]') AS data,
			count(*) FILTER (WHERE i.id IS NULL) AS n, count(i.id) AS gone
		FROM recon_item_unworked u2, json_array_elements(u2.data::json) WITH ORDINALITY x(v, o)
		LEFT JOIN recon_items i ON i.id = x.v->>'i'
		WHERE u2.business_date = d GROUP BY 1) k
	WHERE u.business_date = d AND u.part = k.part AND k.gone > 0;
	DELETE FROM recon_item_unworked WHERE business_date = d AND n = 0;
$$;
