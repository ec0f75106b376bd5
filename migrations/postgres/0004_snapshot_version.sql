-- (PostgreSQL; same as the SQLite migration of the same number.)
-- Several instances (issue 6) each keep an open document in memory and catch
-- up from the database. To know whether a snapshot holds anything new they
-- compare its version: the largest log seq that compaction merged into it.
-- Seqs are never reused and each compaction merges rows the previous one did
-- not, so every compaction writes a version no earlier snapshot had.
-- 0 for snapshots written before this migration.

ALTER TABLE doc_snapshots ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
