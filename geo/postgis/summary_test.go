package postgis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// aggregateSummaries computes every collection's statistics and change
// times from its features, as the store did per request before
// collection_summaries existed (one text row per collection).
const aggregateSummaries = `SELECT c.id, concat_ws(' | ', coalesce(s.n, 0),
		ST_XMin(s.ext), ST_YMin(s.ext), ST_XMax(s.ext), ST_YMax(s.ext), s.t0, s.t1, coalesce(k.names, '{}'),
		coalesce((SELECT array_agg(DISTINCT lower(valid) ORDER BY lower(valid)) FROM features WHERE collection = c.id AND NOT lower_inf(valid) AND NOT (lower(valid) = upper(valid) AND upper_inc(valid))), '{}'),
		coalesce((SELECT array_agg(DISTINCT upper(valid) ORDER BY upper(valid)) FROM features WHERE collection = c.id AND NOT upper_inf(valid) AND NOT (lower(valid) = upper(valid) AND upper_inc(valid))), '{}'),
		coalesce((SELECT array_agg(DISTINCT lower(valid) ORDER BY lower(valid)) FROM features WHERE collection = c.id AND lower(valid) = upper(valid) AND upper_inc(valid)), '{}'))
	FROM collections c
	LEFT JOIN LATERAL (SELECT count(*) AS n, ST_Extent(f.geom) AS ext,
		CASE WHEN bool_or(lower_inf(f.valid)) THEN NULL ELSE min(lower(f.valid)) END AS t0,
		CASE WHEN bool_or(upper_inf(f.valid)) THEN NULL ELSE max(upper(f.valid)) END AS t1
		FROM features f WHERE f.collection = c.id) s ON true
	LEFT JOIN LATERAL (SELECT array_agg(key ORDER BY key COLLATE "C") AS names
		FROM (SELECT DISTINCT jsonb_object_keys(f.props) AS key FROM features f WHERE f.collection = c.id) keys) k ON true
	ORDER BY c.id`

// storedSummaries reads the same from collection_summaries.
const storedSummaries = `SELECT c.id, concat_ws(' | ', coalesce(s.n, 0),
		s.x0, s.y0, s.x1, s.y1, s.t0, s.t1, coalesce(s.names, '{}'),
		coalesce(ARRAY(SELECT unnest(s.starts) ORDER BY 1), '{}'),
		coalesce(ARRAY(SELECT unnest(s.ends) ORDER BY 1), '{}'),
		coalesce(ARRAY(SELECT unnest(s.instants) ORDER BY 1), '{}'))
	FROM collections c LEFT JOIN collection_summaries s ON s.collection = c.id
	ORDER BY c.id`

// summaries runs one of the queries above.
func summaries(t *testing.T, conn *pgx.Conn, sql string) map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var id, s string
	if _, err := pgx.ForEachRow(rows, []any{&id, &s}, func() error { out[id] = s; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSummariesFollowWrites changes features and collections in every way a
// statement can (insert, update of content and of collection, delete,
// truncate, a collection deleted with its features) and checks after each
// step that collection_summaries holds what the aggregate over the features
// computes.
func TestSummariesFollowWrites(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	check := func(t *testing.T) {
		t.Helper()
		want, got := summaries(t, conn, aggregateSummaries), summaries(t, conn, storedSummaries)
		if len(want) != len(got) {
			t.Errorf("%d summaries, want %d", len(got), len(want))
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("summary of %s:\n got %s\nwant %s", id, got[id], w)
			}
		}
	}
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	t.Run("import", check)

	const newSite = `INSERT INTO features (collection, id, thing, geom, props, sources, valid)
		VALUES ('sites', 'far-1', 'far', ST_SetSRID(ST_MakePoint(50, 20), 4326), '{"site": "far", "zzz": 1}', '[]',
		controlmap_validity('2020-01-01', '2030-01-01'))`
	steps := []struct {
		name string
		sql  string
	}{
		{"insert widening the extent and time", newSite},
		{"update of properties", `UPDATE features SET props = props || '{"aaa": true}' WHERE collection = 'zones' AND id = 'ne-1'`},
		{"update of validity to an instant", `UPDATE features SET valid = controlmap_validity('2026-01-05', '2026-01-05') WHERE collection = 'zones' AND id = 'ne-1'`},
		{"update moving a feature to another collection", `UPDATE features SET collection = 'lines', thing = NULL WHERE collection = 'events' AND id = 'escape'`},
		{"update matching nothing", `UPDATE features SET props = '{}' WHERE collection = 'nowhere'`},
		{"delete of one feature", `DELETE FROM features WHERE collection = 'sites' AND id = 'far-1'`},
		{"delete of a whole collection's features", `DELETE FROM features WHERE collection = 'events'`},
		{"insert into two collections", `INSERT INTO features (collection, id, thing, geom, props, sources, valid)
			VALUES ('events', 'e1', NULL, ST_SetSRID(ST_MakePoint(1, 2), 4326), '{"k": 1}', '[]', controlmap_validity('2026-02-01', '2026-02-01')),
			       ('lines', 'l2', NULL, ST_SetSRID(ST_MakeLine(ST_MakePoint(0, 0), ST_MakePoint(1, 1)), 4326), '{}', '[]', controlmap_validity(NULL, NULL))`},
		{"truncate", `TRUNCATE features`},
		{"insert after truncate", newSite},
		{"new collection with features", `INSERT INTO collections (id, position, meta) VALUES ('extra', 9, '{"id": "extra"}');
			INSERT INTO features (collection, id, thing, geom, props, sources, valid)
			VALUES ('extra', 'x', NULL, ST_SetSRID(ST_MakePoint(3, 4), 4326), '{"b": 2, "a": 1}', '[]', controlmap_validity('2026-01-01', NULL))`},
		{"collection deleted with its features", `DELETE FROM collections WHERE id = 'extra'`},
	}
	for _, s := range steps {
		if _, err := conn.Exec(ctx, s.sql); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		t.Run(s.name, check)
	}
	var orphans int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM collection_summaries WHERE collection NOT IN (SELECT id FROM collections)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("summaries of deleted collections: %d, %v", orphans, err)
	}
}

// TestSummariesOfExistingData applies migration 0002 to a database that
// already holds features (migrated to 0001 only): the summaries are filled
// at migration time.
func TestSummariesOfExistingData(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	ctx := context.Background()
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	undo := `DROP TABLE collection_summaries;
		DROP FUNCTION controlmap_summaries_insert, controlmap_summaries_update, controlmap_summaries_delete, controlmap_summaries_truncate CASCADE;
		DROP FUNCTION controlmap_refresh_summaries;
		DELETE FROM schema_migrations WHERE version = 2`
	if _, err := conn.Exec(ctx, undo); err != nil {
		t.Fatal(err)
	}
	if err := postgis.Migrate(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	want, got := summaries(t, conn, aggregateSummaries), summaries(t, conn, storedSummaries)
	if len(got) != 4 || len(want) != len(got) {
		t.Fatalf("%d summaries, want %d", len(got), len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("summary of %s:\n got %s\nwant %s", id, got[id], w)
		}
	}
}

// TestMemoFollowsVersion reads collections and change times through a store
// whose change feed is live (so they are memoized per data version), writes
// a feature, and checks that the store answers with the new summary once
// the version has moved.
func TestMemoFollowsVersion(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	ctx := context.Background()
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	st := runStore(t, dbURL, postgis.Options{})
	eventually(t, 10*time.Second, "change feed live", st.LiveForTest)
	read := func() (int, int, int) {
		t.Helper()
		c, err := st.Collection(ctx, "sites")
		if err != nil {
			t.Fatal(err)
		}
		cols, err := st.Collections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := st.Changes(ctx, "sites")
		if err != nil {
			t.Fatal(err)
		}
		return c.Count, cols[0].Count, ch.Len()
	}
	n, n2, changes := read()
	if n != 4 || n2 != 4 {
		t.Fatalf("sites count = %d, %d; want 4", n, n2)
	}
	if _, err := st.Collection(ctx, "nowhere"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("Collection(nowhere) = %v, want geo.ErrNotFound", err)
	}
	if _, err := st.Changes(ctx, "nowhere"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("Changes(nowhere) = %v, want geo.ErrNotFound", err)
	}
	before := version(t, st)
	err := exec(t, dbURL, `INSERT INTO features (collection, id, thing, geom, props, sources, valid)
		VALUES ('sites', 'far-1', 'far', ST_SetSRID(ST_MakePoint(50, 20), 4326), '{"site": "far"}', '[]',
		controlmap_validity('2020-01-01', '2030-01-01'))`)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "version moved", func() bool { return version(t, st) != before })
	n, n2, changes2 := read()
	if n != 5 || n2 != 5 || changes2 != changes+2 {
		t.Errorf("after the insert: counts %d, %d, changes %d; want 5, 5, %d", n, n2, changes2, changes+2)
	}
}
