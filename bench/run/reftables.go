package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/controlmap/controlmap/geo"
)

// refSchema is the schema of the plain tables the reference servers serve,
// in the same throwaway database controlmap imports into.
const refSchema = "bench_ref"

// refTable is one plain PostGIS table made from a collection of the scale
// dataset: id text primary key, one text column per property, valid_from
// and valid_to timestamptz, sources jsonb and geom geometry(Type, 4326)
// with a GiST index.
type refTable struct {
	Name       string   // table name in refSchema; also the controlmap collection
	Geometry   string   // PostGIS geometry type: Point or Polygon
	Properties []string // text columns, one per property of the collection
}

// refTables are the collections the reference servers are compared on.
var refTables = []refTable{
	{Name: "areas", Geometry: "Polygon", Properties: []string{"area", "name", "controller", "status"}},
	{Name: "points", Geometry: "Point", Properties: []string{"site", "name", "controller", "status"}},
	{Name: "facilities", Geometry: "Point", Properties: []string{"site", "name", "kind", "controller", "status"}},
}

// qualified is the table's name with its schema, quoted.
func (t refTable) qualified() string { return pgx.Identifier{refSchema, t.Name}.Sanitize() }

// staging is the temporary table COPY writes into: the same columns with the
// geometry as WKB.
func (t refTable) staging() string { return pgx.Identifier{t.Name + "_load"}.Sanitize() }

// copyColumns are the columns of the staging table, in the order of the
// rows refRow makes.
func (t refTable) copyColumns() []string {
	cols := []string{"id"}
	cols = append(cols, t.Properties...)
	return append(cols, "valid_from", "valid_to", "sources", "wkb")
}

// refTableSQL returns the statements that make t, before the rows are
// copied into its staging table (setup) and after (finish). Names are
// quoted identifiers; the statements carry no values (the rows go through
// COPY).
func refTableSQL(t refTable) (setup, finish []string, err error) {
	switch t.Geometry {
	case "Point", "Polygon", "MultiPolygon", "LineString":
	default:
		return nil, nil, fmt.Errorf("bench: table %s: unsupported geometry type %q", t.Name, t.Geometry)
	}
	if t.Name == "" {
		return nil, nil, fmt.Errorf("bench: a reference table needs a name")
	}
	var props, stagingProps, propNames string
	for _, p := range t.Properties {
		id := pgx.Identifier{p}.Sanitize()
		switch p {
		case "id", "valid_from", "valid_to", "sources", "geom", "wkb":
			return nil, nil, fmt.Errorf("bench: table %s: property %q clashes with a fixed column", t.Name, p)
		}
		props += ", " + id + " text"
		stagingProps += ", " + id + " text"
		propNames += ", " + id
	}
	setup = []string{
		"CREATE EXTENSION IF NOT EXISTS postgis",
		"CREATE SCHEMA IF NOT EXISTS " + pgx.Identifier{refSchema}.Sanitize(),
		"DROP TABLE IF EXISTS " + t.qualified(),
		"CREATE TABLE " + t.qualified() + " (id text PRIMARY KEY" + props +
			", valid_from timestamptz NOT NULL, valid_to timestamptz, sources jsonb, geom geometry(" + t.Geometry + ", 4326) NOT NULL)",
		"CREATE TEMPORARY TABLE " + t.staging() + " (id text" + stagingProps +
			", valid_from timestamptz, valid_to timestamptz, sources jsonb, wkb bytea) ON COMMIT DROP",
	}
	finish = []string{
		"INSERT INTO " + t.qualified() + " (id" + propNames + ", valid_from, valid_to, sources, geom) SELECT id" + propNames +
			", valid_from, valid_to, sources, ST_SetSRID(ST_GeomFromWKB(wkb), 4326) FROM " + t.staging(),
		"CREATE INDEX " + pgx.Identifier{t.Name + "_geom_idx"}.Sanitize() + " ON " + t.qualified() + " USING gist (geom)",
	}
	return setup, finish, nil
}

// refRow is the staging row of one feature, in copyColumns order.
func refRow(t refTable, f geo.Feature) ([]any, error) {
	row := make([]any, 0, len(t.Properties)+5)
	row = append(row, f.ID)
	for _, p := range t.Properties {
		switch v := f.Properties[p].(type) {
		case nil:
			row = append(row, nil)
		case string:
			row = append(row, v)
		default:
			return nil, fmt.Errorf("bench: feature %s: property %s is %T, not text", f.ID, p, v)
		}
	}
	if f.Valid.Start.IsZero() {
		return nil, fmt.Errorf("bench: feature %s has no valid_from", f.ID)
	}
	row = append(row, f.Valid.Start, timeOrNil(f.Valid.End))
	src, err := json.Marshal(f.Sources)
	if err != nil {
		return nil, err
	}
	g, err := wkb.Marshal(f.Geometry)
	if err != nil {
		return nil, fmt.Errorf("bench: feature %s: %w", f.ID, err)
	}
	return append(row, string(src), g), nil
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// loadRefTables makes refTables in the database of dbURL from ds, each in
// one transaction: rows copied into a staging table, inserted with their
// geometry made from WKB, a GiST index, then ANALYZE (autovacuum may be
// off, and the plans need statistics).
func loadRefTables(ctx context.Context, dbURL string, ds *geo.Dataset) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("bench: reference tables: %w", err)
	}
	defer conn.Close(ctx)
	for _, t := range refTables {
		feats := ds.Features[t.Name]
		if len(feats) == 0 {
			return fmt.Errorf("bench: the dataset has no %s", t.Name)
		}
		setup, finish, err := refTableSQL(t)
		if err != nil {
			return err
		}
		rows := make([][]any, 0, len(feats))
		for _, f := range feats {
			row, err := refRow(t, f)
			if err != nil {
				return err
			}
			rows = append(rows, row)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			for _, q := range setup {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name + "_load"}, t.copyColumns(), pgx.CopyFromRows(rows)); err != nil {
				return fmt.Errorf("copy into %s: %w", t.Name, err)
			}
			for _, q := range finish {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("bench: reference table %s: %w", t.Name, err)
		}
		if _, err := conn.Exec(ctx, "ANALYZE "+t.qualified()); err != nil {
			return fmt.Errorf("bench: analyze %s: %w", t.Name, err)
		}
	}
	return nil
}
