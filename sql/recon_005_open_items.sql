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

CREATE SEQUENCE IF NOT EXISTS recon_items_seq;

CREATE TABLE IF NOT EXISTS recon_items (
	id                 text PRIMARY KEY,  -- short, stable: Crockford base32 with a check symbol
	item_key           text NOT NULL, -- what makes two nights' findings the same item
	key_hash           bigint,        -- a 64-bit hash of item_key, the index a night looks items up by
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
