-- 0006_point_coordinates: a point's longitude and latitude as columns of
-- their own, for the exact test of a box.
--
-- Migrate runs this file in one transaction under an advisory lock and records
-- it in schema_migrations; do not edit it once released, add 0007_... instead.

-- A page by box (or a CQL2 S_INTERSECTS with a BBOX) keeps the rows the
-- spatial index finds (geom && box, on boxes of float4 rounded outwards)
-- and then tests each exactly. With ST_Intersects for every row, that test
-- was about a third of PostgreSQL's time for a page of points (a 0.5° box
-- of the scale dataset's points at a date: 845-1,049 statements a second
-- against 1,186-1,504 without it, pgbench; bench/performance-notes.md).
-- For a point the exact test is its coordinates between the box's sides,
-- which these columns let PostgreSQL compare as numbers (bboxCondition);
-- other geometries, whose columns are NULL, are still tested by
-- ST_Intersects. Both columns are computed by PostgreSQL from geom, on
-- every insert and update: nothing writes them.
--
-- Adding them rewrites the table and blocks its reads and writes until this
-- transaction commits (about 12 s, with a VACUUM ANALYZE after it, for the
-- scale dataset's 102,000 rows;
-- docs/operations.md).
ALTER TABLE features
    ADD COLUMN px double precision GENERATED ALWAYS AS (CASE WHEN GeometryType(geom) = 'POINT' THEN ST_X(geom) END) STORED,
    ADD COLUMN py double precision GENERATED ALWAYS AS (CASE WHEN GeometryType(geom) = 'POINT' THEN ST_Y(geom) END) STORED;
