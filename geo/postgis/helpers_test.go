package postgis_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// importScale imports gen.Scale(seed, opts) into a new test database and
// returns the dataset and a connection to the database, closed when the
// test ends.
func importScale(t *testing.T, seed int64, opts gen.Options) (*geo.Dataset, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	ds := gen.Scale(seed, opts)
	if _, err := postgis.Import(ctx, dbURL, ds); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return ds, conn
}

// testCatalog is the catalogue of the small dataset of the import tests.
const testCatalog = `{"collections": [
 {"id": "sites", "title": "Sites", "geometry_type": "Point", "dated": true, "group_key": "site", "required": ["controller"],
  "style": {"property": "controller", "colors": {"sdf": "#e3b505"}, "default_color": "#555555"}},
 {"id": "zones", "title": "Zones", "geometry_type": "Polygon", "dated": true, "group_key": "zone", "required": [],
  "style": {"property": "", "colors": {}, "default_color": "#999999"}},
 {"id": "events", "title": "Events", "geometry_type": "Point", "dated": true, "group_key": "", "required": [],
  "style": {"property": "", "colors": {}, "default_color": "#333333"}},
 {"id": "lines", "title": "Lines", "geometry_type": "LineString", "dated": false, "group_key": "", "required": [],
  "style": {"property": "", "colors": {}, "default_color": "#000000"}}
]}`

const src = `"sources": [{"publisher": "AP", "title": "t", "url": "https://example.org/a", "date": "2026-01-20"}]`

// feature returns one GeoJSON feature with the given geometry and
// properties (a JSON object body without braces).
func feature(id, geom, props string) string {
	return fmt.Sprintf(`{"type": "Feature", "id": %q, "geometry": %s, "properties": {%s, %s}}`, id, geom, props, src)
}

func point(x, y float64) string {
	return fmt.Sprintf(`{"type": "Point", "coordinates": [%v, %v]}`, x, y)
}

func fc(features ...string) string {
	return `{"type": "FeatureCollection", "features": [` + strings.Join(features, ",\n") + `]}`
}

const square = `{"type": "Polygon", "coordinates": [[[40, 36], [41, 36], [41, 37], [40, 37], [40, 36]]]}`

// bowTie crosses itself; the Go validator and PostGIS both reject it.
const bowTie = `{"type": "Polygon", "coordinates": [[[40, 36], [41, 37], [41, 36], [40, 37], [40, 36]]]}`

// holeOutside has a hole outside its shell: the Go validator checks rings
// one by one and lets it pass; PostGIS finds it invalid.
const holeOutside = `{"type": "Polygon", "coordinates": [[[40, 36], [41, 36], [41, 37], [40, 37], [40, 36]], [[42, 36], [42.5, 36], [42.5, 36.5], [42, 36.5], [42, 36]]]}`

// baseFiles is the import tests' dataset.
func baseFiles() fstest.MapFS {
	return fstest.MapFS{
		"catalog.json": {Data: []byte(testCatalog)},
		"sites.geojson": {Data: []byte(fc(
			feature("hol-1", point(41.1486, 36.3756), `"site": "hol", "controller": "sdf", "valid_from": null, "valid_to": "2026-01-18"`),
			feature("hol-2", point(41.1486, 36.3756), `"site": "hol", "controller": "sdf", "status": "besieged", "valid_from": "2026-01-18", "valid_to": "2026-01-21"`),
			feature("hol-3", point(41.1486, 36.3756), `"site": "hol", "controller": "government", "population": 24000, "valid_from": "2026-01-21", "valid_to": null`),
			feature("roj-1", point(42.05, 36.99), `"site": "roj", "controller": "sdf", "estimated": true, "valid_from": null, "valid_to": null`),
		))},
		"zones.geojson": {Data: []byte(fc(
			feature("ne-1", square, `"zone": "ne", "valid_from": "2026-01-01", "valid_to": "2026-01-21"`),
			feature("ne-2", square, `"zone": "ne", "valid_from": "2026-01-21", "valid_to": null`),
		))},
		"events.geojson": {Data: []byte(fc(
			feature("escape", point(40.73, 36.05), `"kind": "escape", "valid_from": "2026-01-19T22:30:00Z", "valid_to": "2026-01-19T22:30:00Z"`),
			feature("ceasefire", point(40.5, 36.5), `"kind": "ceasefire", "valid_from": "2026-01-20", "valid_to": "2026-01-20"`),
		))},
		"lines.geojson": {Data: []byte(fc(
			feature("border", `{"type": "LineString", "coordinates": [[41, 36], [42, 37.2]]}`, `"name": "border"`),
		))},
	}
}

// loadFS loads a dataset folder the way `controlmap import` does.
func loadFS(t *testing.T, fsys fstest.MapFS) (*geo.Dataset, error) {
	t.Helper()
	return geo.LoadDir(fsys)
}

// mustLoad loads a dataset folder that must be valid.
func mustLoad(t *testing.T, fsys fstest.MapFS) *geo.Dataset {
	t.Helper()
	ds, err := loadFS(t, fsys)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return ds
}

// snapshot is everything an import may change, in a comparable form.
type snapshot struct {
	Version     int64
	Collections string
	Features    string
}

// takeSnapshot reads data_version and every row of collections and features
// (with the content hash) from the database.
func takeSnapshot(t *testing.T, dbURL string) snapshot {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	defer conn.Close(ctx)
	var s snapshot
	err = conn.QueryRow(ctx, `SELECT
		(SELECT version FROM data_version),
		(SELECT coalesce(string_agg(id || ' ' || position || ' ' || meta::text, E'\n' ORDER BY id), '') FROM collections),
		(SELECT coalesce(string_agg(collection || ' ' || id || ' ' || hash || ' ' || encode(ST_AsEWKB(geom), 'hex') || ' ' || props::text || ' ' || sources::text || ' ' || valid::text, E'\n' ORDER BY collection, id), '') FROM features)`,
	).Scan(&s.Version, &s.Collections, &s.Features)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return s
}

// exec runs statements on the database at dbURL.
func exec(t *testing.T, dbURL, sql string, args ...any) error {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}
