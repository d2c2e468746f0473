-- What became of each expected settlement: checked against the money the
-- channel's fund-flow statements show arriving (or UnionPay's 清算净额).
ALTER TABLE recon_settlements ADD COLUMN IF NOT EXISTS cycle text;
ALTER TABLE recon_settlements ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'due';
ALTER TABLE recon_settlements ADD COLUMN IF NOT EXISTS settled_fen bigint;
ALTER TABLE recon_settlements ADD COLUMN IF NOT EXISTS settled_on date;
ALTER TABLE recon_settlements ADD COLUMN IF NOT EXISTS detail text;
