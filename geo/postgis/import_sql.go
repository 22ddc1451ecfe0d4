package postgis

import "github.com/controlmap/controlmap/geo"

// This file holds the fixed statements of Import and the builder of its one
// statement with variable arguments. Like sql.go, values are parameters and
// identifiers are the schema's own names.

// importLockKey is the pg_advisory_xact_lock key that serialises imports.
const importLockKey int64 = 0x636d_696d_7074 // "cmimpt"

// upsertCollectionsSQL writes the catalogue entries of cols with their
// position in the slice, touching only rows whose position or entry changed
// (so that re-importing the same catalogue does not bump data_version).
// metas holds the JSON of each entry.
func upsertCollectionsSQL(cols []geo.Collection, metas []string) (string, []any) {
	ids := make([]string, len(cols))
	positions := make([]int32, len(cols))
	for i, c := range cols {
		ids[i] = c.ID
		positions[i] = int32(i)
	}
	return upsertCollectionsQuery, []any{ids, positions, metas}
}

const upsertCollectionsQuery = `INSERT INTO collections (id, position, meta) ` +
	`SELECT * FROM unnest($1::text[], $2::int4[], $3::jsonb[]) ` +
	`ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, meta = EXCLUDED.meta ` +
	`WHERE collections.position IS DISTINCT FROM EXCLUDED.position OR collections.meta IS DISTINCT FROM EXCLUDED.meta`

// createImportRowsSQL creates the table that COPY fills with the features of
// the dataset, as plain values.
const createImportRowsSQL = `CREATE TEMPORARY TABLE import_rows (
	collection text NOT NULL,
	id         text NOT NULL,
	thing      text,
	wkb        bytea NOT NULL,
	props      jsonb NOT NULL,
	sources    jsonb NOT NULL,
	valid_from timestamptz,
	valid_to   timestamptz,
	props_json text NOT NULL
) ON COMMIT DROP`

// importRowsColumns are the columns of import_rows in COPY order.
var importRowsColumns = []string{"collection", "id", "thing", "wkb", "props", "sources", "valid_from", "valid_to", "props_json"}

// stageSQL turns import_rows into rows shaped like features, with the hash
// the features trigger would compute.
const stageSQL = `CREATE TEMPORARY TABLE import_staged ON COMMIT DROP AS
SELECT collection, id, thing, geom, props, sources, valid,
	controlmap_feature_hash(thing, geom, props, sources, valid) AS hash, props_json
FROM (SELECT collection, id, thing, ST_GeomFromWKB(wkb, 4326) AS geom, props, sources,
	controlmap_validity(valid_from, valid_to) AS valid, props_json FROM import_rows) r`

const indexStagedSQL = `ALTER TABLE import_staged ADD PRIMARY KEY (collection, id)`

// invalidGeometrySQL lists staged geometries PostGIS finds invalid.
const invalidGeometrySQL = `SELECT collection, id, ST_IsValidReason(geom) FROM import_staged
WHERE NOT ST_IsValid(geom) ORDER BY collection, id COLLATE "C"`

// deleteGoneSQL deletes the features of the imported collections ($1) that
// the dataset no longer has.
const deleteGoneSQL = `DELETE FROM features f WHERE f.collection = ANY($1::text[])
AND NOT EXISTS (SELECT 1 FROM import_staged s WHERE s.collection = f.collection AND s.id = f.id)`

// updateChangedSQL rewrites the features whose content hash differs, and
// those whose encoded properties differ: rows written before migration 0003
// or by something else than Import (props_json NULL), or encoded by another
// version of the writer.
const updateChangedSQL = `UPDATE features f
SET thing = s.thing, geom = s.geom, props = s.props, sources = s.sources, valid = s.valid, props_json = s.props_json
FROM import_staged s
WHERE f.collection = s.collection AND f.id = s.id AND (f.hash <> s.hash OR f.props_json IS DISTINCT FROM s.props_json)`

// insertNewSQL inserts the staged features not yet in features.
const insertNewSQL = `INSERT INTO features (collection, id, thing, geom, props, sources, valid, props_json)
SELECT s.collection, s.id, s.thing, s.geom, s.props, s.sources, s.valid, s.props_json FROM import_staged s
WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.collection = s.collection AND f.id = s.id)`

// checkOverlapSQL checks the deferred exclusion constraint now.
const checkOverlapSQL = `SET CONSTRAINTS features_versions_do_not_overlap IMMEDIATE`

// overlapConstraint is the name of the exclusion constraint on features.
const overlapConstraint = "features_versions_do_not_overlap"

// overlapsSQL lists pairs of versions of one thing whose validity overlaps,
// in the imported collections ($1), to name them after the constraint fired.
const overlapsSQL = `SELECT a.collection, b.id, a.id FROM features a
JOIN features b ON b.collection = a.collection AND b.thing = a.thing
	AND a.id COLLATE "C" < b.id COLLATE "C" AND a.valid && b.valid
WHERE a.collection = ANY($1::text[])
ORDER BY a.collection, b.id COLLATE "C", a.id COLLATE "C"`
