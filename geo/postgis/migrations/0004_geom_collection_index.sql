-- 0004_geom_collection_index: the spatial index holds each row's collection
-- beside its geometry.
--
-- Migrate runs this file in one transaction under an advisory lock and records
-- it in schema_migrations; do not edit it once released, add 0005_... instead.

-- Every statement that reads features by place reads one collection, but the
-- index on geom alone holds every collection's rows: a box of a small
-- collection (areas) among a large one (100,000 points) found the large one's
-- rows there and read each from the table only to drop it, or PostgreSQL
-- ANDed the index with the primary key's rows of the whole collection. With
-- the collection in the index (after the geometry, so that the tree is still
-- split by place; btree_gist, from 0001, compares the text), those rows are
-- dropped in the index. Measured on the scale dataset (a new box or tile
-- each request): tiles of areas at z10 and pages of areas by box used half
-- the database's CPU, the large collection's statements the same
-- (bench/performance-notes.md). It replaces the index on geom alone, which
-- served nothing this one does not.
--
-- Building it blocks writes to features for as long as it takes (about 2 s
-- for the scale dataset's 102,000 rows); dropping the old index waits for
-- the reads running on features to end, then blocks every read until this
-- transaction commits (docs/operations.md).
CREATE INDEX features_geom_collection_idx ON features USING gist (geom, collection);
DROP INDEX features_geom_idx;
