-- The workbench (issue 21, recon serve): search by number across nights,
-- and the queue filtered by status, answered from indexes. The unworked
-- items are searched in the workbench's own memory (src/items/cache.c):
-- only recon_items needs these.
CREATE INDEX IF NOT EXISTS recon_items_order_no_idx ON recon_items (order_no);
CREATE INDEX IF NOT EXISTS recon_items_refund_no_idx ON recon_items (refund_no);
CREATE INDEX IF NOT EXISTS recon_items_channel_txn_id_idx ON recon_items (channel_txn_id);
CREATE INDEX IF NOT EXISTS recon_items_channel_refund_id_idx ON recon_items (channel_refund_id);
CREATE INDEX IF NOT EXISTS recon_items_status_idx ON recon_items (status, first_seen);
