-- Whether recon_items changed since a reader last looked (the workbench's
-- open book, src/items/cache.c): every statement that writes recon_items
-- adds a row here, in its own transaction. A reader's snapshot sees the
-- rows of the changes it sees, so (count, max) read with the items says
-- exactly whether a later snapshot holds other items. Inserts never wait
-- for one another: a night's transaction and a clerk's do not queue here.
-- The workbench keeps the table short (it removes rows older than a day).
CREATE TABLE IF NOT EXISTS recon_items_changes (
	n  bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION recon_items_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO recon_items_changes DEFAULT VALUES;
	RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS recon_items_changed ON recon_items;
CREATE TRIGGER recon_items_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON recon_items
	FOR EACH STATEMENT EXECUTE FUNCTION recon_items_changed();
