-- What a run leaves for later dates, and whether its reports reached reports/<date>.
--
-- carry_digest: a digest of what later business dates read of this date (its
-- suspense and the settlements it expects). A re-run whose digest equals the
-- date's previous run's leaves later dates alone; only a change marks them stale.
-- NULL for runs stored before this column existed (then any re-run marks them).
ALTER TABLE recon_runs ADD COLUMN IF NOT EXISTS carry_digest text;

-- The reports are written to a staged directory before the run commits and
-- swapped into reports_dir after it. publish_state says how far that got:
--   staged      committed, the swap not done yet (killed, or the swap failed):
--               the next run, or `recon status`, finishes it
--   published   reports_dir holds this run's reports
--   superseded  a later run of the date committed before this one was published
--   lost        the staged directory is gone: re-run the date
-- NULL for runs stored before this column existed (published as they committed).
-- staged_id is the staged directory's "device:inode", so a swap that happened
-- is told from one that did not whatever the staged path holds afterwards.
ALTER TABLE recon_runs ADD COLUMN IF NOT EXISTS publish_state text
	CHECK (publish_state IN ('staged', 'published', 'superseded', 'lost'));
ALTER TABLE recon_runs ADD COLUMN IF NOT EXISTS reports_dir text;
ALTER TABLE recon_runs ADD COLUMN IF NOT EXISTS staged_dir text;
ALTER TABLE recon_runs ADD COLUMN IF NOT EXISTS staged_id text;
CREATE INDEX IF NOT EXISTS recon_runs_staged_idx ON recon_runs (business_date) WHERE publish_state = 'staged';
