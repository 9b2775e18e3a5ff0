-- The guard of an ingest's write batch (crates/store/src/ledger.rs,
-- `Ingest`). An ingest reads, decides in memory, then writes; the edge's
-- reads and writes are two D1 batches, and another writer may change the
-- same addresses in between. The write batch therefore starts by inserting
-- a row here when what its reads saw has changed since: the CHECK fails
-- that insert and with it the whole batch (one transaction), and the
-- writer reads again. No row is ever stored.
CREATE TABLE IF NOT EXISTS ingest_guard (
  changed INTEGER CONSTRAINT ledger_changed_since_read CHECK (changed = 0)
);
