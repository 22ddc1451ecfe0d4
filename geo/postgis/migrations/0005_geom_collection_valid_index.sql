-- 0005_geom_collection_valid_index: the spatial index holds each row's
-- validity beside its geometry and collection.
--
-- Migrate runs this file in one transaction under an advisory lock and records
-- it in schema_migrations; do not edit it once released, add 0006_... instead.

-- Every statement that reads features by place and date (a page by box at a
-- date, a tile at a date, a CQL2 filter with a box and a time) tests the
-- validity too. In 0004's index (geom, collection) the other dates' versions
-- of a place's features were found in the index and read from the table only
-- to be dropped; with the validity as the third column (the range's GiST
-- operator class is PostgreSQL's own; btree_gist, from 0001, still compares
-- the collection's text) they are dropped in the index. Measured on the
-- scale dataset (a new tile or page each request, two rounds; server
-- and PostgreSQL CPU per request): tiles of points at z10 +12% a second
-- (PostgreSQL 613-645 -> 514-532 us a tile), of areas at z11 +6% (365-389 ->
-- 301-312 us), CQL2 pages by box and date +8% (1,109-1,121 -> 985-1,010 us);
-- the other cases within the noise (bench/performance-notes.md). The index is
-- larger: 11-13 MB against 7.7 MB for the scale dataset's 102,000 rows;
-- importing them took as long (19-20 s, two runs each).
--
-- Building it blocks writes to features for as long as it takes (about 1 s
-- for the scale dataset); dropping 0004's index waits for the reads running
-- on features to end, and new reads queue behind it while it waits (a long
-- read holds up every read), then blocks every read until this transaction
-- commits (docs/operations.md).
CREATE INDEX features_geom_collection_valid_idx ON features USING gist (geom, collection, valid);
DROP INDEX features_geom_collection_idx;
