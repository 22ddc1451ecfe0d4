package postgis_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

func TestImportThenReimportIsNoop(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	ds := mustLoad(t, baseFiles())

	res, err := postgis.Import(ctx, dbURL, ds)
	if err != nil {
		t.Fatal(err)
	}
	if want := (postgis.ImportResult{Inserted: 9}); res != want {
		t.Errorf("first import = %+v, want %+v", res, want)
	}
	before := takeSnapshot(t, dbURL)

	res, err = postgis.Import(ctx, dbURL, mustLoad(t, baseFiles()))
	if err != nil {
		t.Fatal(err)
	}
	if want := (postgis.ImportResult{Unchanged: 9}); res != want {
		t.Errorf("re-import = %+v, want %+v", res, want)
	}
	if after := takeSnapshot(t, dbURL); after != before {
		t.Errorf("re-import changed the database:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestImportChangedDataset(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, dbURL)

	files := baseFiles()
	// hol-3 gains a property, roj-1 moves, hol-2 is split in two, the
	// ceasefire is withdrawn and zones and lines stay as they were.
	files["sites.geojson"] = &fstest.MapFile{Data: []byte(fc(
		feature("hol-1", point(41.1486, 36.3756), `"site": "hol", "controller": "sdf", "valid_from": null, "valid_to": "2026-01-18"`),
		feature("hol-2a", point(41.1486, 36.3756), `"site": "hol", "controller": "sdf", "status": "besieged", "valid_from": "2026-01-18", "valid_to": "2026-01-20"`),
		feature("hol-2b", point(41.1486, 36.3756), `"site": "hol", "controller": "contested", "valid_from": "2026-01-20", "valid_to": "2026-01-21"`),
		feature("hol-3", point(41.1486, 36.3756), `"site": "hol", "controller": "government", "population": 24000, "status": "normal", "valid_from": "2026-01-21", "valid_to": null`),
		feature("roj-1", point(42.06, 36.99), `"site": "roj", "controller": "sdf", "estimated": true, "valid_from": null, "valid_to": null`),
	))}
	files["events.geojson"] = &fstest.MapFile{Data: []byte(fc(
		feature("escape", point(40.73, 36.05), `"kind": "escape", "valid_from": "2026-01-19T22:30:00Z", "valid_to": "2026-01-19T22:30:00Z"`),
	))}
	ds := mustLoad(t, files)
	res, err := postgis.Import(ctx, dbURL, ds)
	if err != nil {
		t.Fatal(err)
	}
	if want := (postgis.ImportResult{Inserted: 2, Updated: 2, Deleted: 2, Unchanged: 5}); res != want {
		t.Errorf("import = %+v, want %+v", res, want)
	}
	after := takeSnapshot(t, dbURL)
	if after.Version == before.Version {
		t.Errorf("data_version stayed %d after a change", after.Version)
	}

	st := openStore(t, dbURL)
	for _, col := range []string{"sites", "zones", "events", "lines"} {
		page, err := st.Items(ctx, col, geo.Query{})
		if err != nil {
			t.Fatal(err)
		}
		assertSameFeatures(t, col, page.Features, ds.Features[col])
	}
	f, err := st.Item(ctx, "sites", "roj-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := (orb.Point{42.06, 36.99}); f.Geometry != want {
		t.Errorf("roj-1 geometry = %v, want %v", f.Geometry, want)
	}
	if _, err := st.Item(ctx, "sites", "hol-2"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("hol-2 after the split: err = %v, want geo.ErrNotFound", err)
	}

	// Unchanged rows are untouched: their hashes and content are as before.
	unchanged := []string{"sites hol-1 ", "zones ne-1 ", "zones ne-2 ", "events escape ", "lines border "}
	for _, prefix := range unchanged {
		if b, a := lineWithPrefix(before.Features, prefix), lineWithPrefix(after.Features, prefix); a == "" || a != b {
			t.Errorf("row %q changed:\nbefore %s\nafter  %s", prefix, b, a)
		}
	}
}

func TestImportRestoresRowsEditedInTheDatabase(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, dbURL)
	// An editor changes a row directly (as QGIS would): the trigger keeps the
	// hash current, so the next import sees the difference and restores it.
	if err := exec(t, dbURL, `UPDATE features SET props = props || '{"controller": "us"}' WHERE collection = 'sites' AND id = 'roj-1'`); err != nil {
		t.Fatal(err)
	}
	edited := takeSnapshot(t, dbURL)
	if edited.Version != before.Version+1 || edited.Features == before.Features {
		t.Fatalf("the edit did not bump data_version or change the row: before %d, after %d", before.Version, edited.Version)
	}
	res, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles()))
	if err != nil {
		t.Fatal(err)
	}
	if want := (postgis.ImportResult{Updated: 1, Unchanged: 8}); res != want {
		t.Errorf("import = %+v, want %+v", res, want)
	}
	if after := takeSnapshot(t, dbURL); after.Features != before.Features {
		t.Errorf("import did not restore the edited row:\nbefore %s\nafter  %s", before.Features, after.Features)
	}
}

// TestImportRejects tries broken inputs against a database holding the base
// dataset: each is rejected with a message naming the problem, and the
// database is left exactly as it was (data_version, every row and hash).
func TestImportRejects(t *testing.T) {
	base := mustLoad(t, baseFiles())
	withFile := func(name, body string) func() (*geo.Dataset, error) {
		return func() (*geo.Dataset, error) {
			files := baseFiles()
			files[name] = &fstest.MapFile{Data: []byte(body)}
			return geo.LoadDir(files)
		}
	}
	// bypass builds a dataset by hand, skipping the Go validator, so that
	// only the database's own checks stand in the way.
	bypass := func(edit func(ds *geo.Dataset)) func() (*geo.Dataset, error) {
		return func() (*geo.Dataset, error) {
			ds := &geo.Dataset{Collections: base.Collections, Features: maps.Clone(base.Features)}
			edit(ds)
			return ds, nil
		}
	}
	replace := func(ds *geo.Dataset, col string, f geo.Feature) {
		feats := append([]geo.Feature(nil), ds.Features[col]...)
		for i := range feats {
			if feats[i].ID == f.ID {
				feats[i] = f
				ds.Features[col] = feats
				return
			}
		}
		ds.Features[col] = append(feats, f)
	}
	zone := func(ds *geo.Dataset, id string) geo.Feature {
		for _, f := range ds.Features["zones"] {
			if f.ID == id {
				return f
			}
		}
		t.Fatalf("no zone %s", id)
		return geo.Feature{}
	}
	bowTieGeom := orb.Polygon{{{40, 36}, {41, 37}, {41, 36}, {40, 37}, {40, 36}}}

	tests := []struct {
		name string
		load func() (*geo.Dataset, error)
		want []string // substrings of the error
	}{
		{
			name: "bow-tie polygon (Go validator)",
			load: withFile("zones.geojson", fc(feature("ne-1", bowTie, `"zone": "ne", "valid_from": "2026-01-01", "valid_to": "2026-01-21"`))),
			want: []string{"zones.geojson: feature ne-1:", "crosses itself"},
		},
		{
			name: "bow-tie polygon past the Go validator (PostGIS check)",
			load: bypass(func(ds *geo.Dataset) {
				f := zone(ds, "ne-1")
				f.Geometry = bowTieGeom
				replace(ds, "zones", f)
			}),
			want: []string{"zones.geojson: feature ne-1:", "invalid geometry (PostGIS): Self-intersection"},
		},
		{
			name: "hole outside its shell (only PostGIS sees it)",
			load: withFile("zones.geojson", fc(feature("ne-1", holeOutside, `"zone": "ne", "valid_from": "2026-01-01", "valid_to": "2026-01-21"`))),
			want: []string{"zones.geojson: feature ne-1:", "invalid geometry (PostGIS): Hole lies outside shell"},
		},
		{
			name: "overlapping versions (Go validator)",
			load: withFile("zones.geojson", fc(
				feature("ne-1", square, `"zone": "ne", "valid_from": "2026-01-01", "valid_to": "2026-01-22"`),
				feature("ne-2", square, `"zone": "ne", "valid_from": "2026-01-21", "valid_to": null`),
			)),
			want: []string{"zones.geojson: feature ne-2:", "overlaps feature ne-1"},
		},
		{
			name: "overlapping versions past the Go validator (exclusion constraint)",
			load: bypass(func(ds *geo.Dataset) {
				f := zone(ds, "ne-1")
				f.Valid.End = f.Valid.End.AddDate(0, 0, 1)
				replace(ds, "zones", f)
			}),
			want: []string{"zones.geojson: feature ne-2:", "overlaps feature ne-1", "features_versions_do_not_overlap"},
		},
		{
			name: "an event inside another version's span (exclusion constraint)",
			load: bypass(func(ds *geo.Dataset) {
				f := zone(ds, "ne-2")
				f.ID = "ne-0"
				f.Valid = geo.Instant(f.Valid.Start.AddDate(0, 0, -3))
				replace(ds, "zones", f)
			}),
			want: []string{"zones.geojson: feature ne-1:", "overlaps feature ne-0"},
		},
		{
			name: "unknown collection file",
			load: withFile("rivers.geojson", fc(feature("tigris", `{"type": "LineString", "coordinates": [[42, 37], [43, 36]]}`, `"name": "Tigris"`))),
			want: []string{"rivers.geojson", `unknown collection "rivers"`},
		},
		{
			name: "unknown collection past the loader",
			load: bypass(func(ds *geo.Dataset) { ds.Features["rivers"] = ds.Features["lines"] }),
			want: []string{"rivers.geojson", `unknown collection "rivers"`},
		},
		{
			name: "duplicate id",
			load: withFile("lines.geojson", fc(
				feature("border", `{"type": "LineString", "coordinates": [[41, 36], [42, 37.2]]}`, `"name": "border"`),
				feature("border", `{"type": "LineString", "coordinates": [[41, 36], [42, 37.3]]}`, `"name": "border"`),
			)),
			want: []string{"lines.geojson: feature border:", "duplicate id"},
		},
		{
			name: "malformed date",
			load: withFile("events.geojson", fc(feature("escape", point(40.73, 36.05), `"kind": "escape", "valid_from": "19/01/2026", "valid_to": "19/01/2026"`))),
			want: []string{"events.geojson: feature escape:", "valid_from"},
		},
		{
			name: "not GeoJSON",
			load: withFile("events.geojson", "escape,40.73,36.05\n"),
			want: []string{"events.geojson", "not GeoJSON"},
		},
		{
			name: "NUL in a property (jsonb cannot hold it)",
			load: withFile("events.geojson", fc(feature("escape", point(40.73, 36.05), `"kind": "esc\u0000ape", "valid_from": "2026-01-19", "valid_to": "2026-01-19"`))),
			want: []string{"events.geojson: feature escape:", "NUL"},
		},
		{
			name: "feature without geometry past the loader",
			load: bypass(func(ds *geo.Dataset) {
				f := zone(ds, "ne-2")
				f.Geometry = nil
				replace(ds, "zones", f)
			}),
			want: []string{"zones.geojson: feature ne-2:", "no geometry"},
		},
	}
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, base); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := takeSnapshot(t, dbURL)
			ds, err := tt.load()
			if err == nil {
				_, err = postgis.Import(ctx, dbURL, ds)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, geo.ErrInvalidData) {
				t.Errorf("err = %v, want one matching geo.ErrInvalidData", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if after := takeSnapshot(t, dbURL); after != before {
				t.Errorf("the database changed:\nbefore %+v\nafter  %+v", before, after)
			}
		})
	}
}

func TestImportUnavailable(t *testing.T) {
	_, err := postgis.Import(context.Background(), "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=5", mustLoad(t, baseFiles()))
	if !errors.Is(err, geo.ErrUnavailable) {
		t.Errorf("err = %v, want geo.ErrUnavailable", err)
	}
}

func lineWithPrefix(s, prefix string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// TestImportWritesCollectionsInPlaceOrder imports generated points and
// polygons, which the dataset lists in id order (their places at random),
// and checks that each collection's rows lie in the table (ctid order) in
// the order of their places on the Hilbert curve but for a few, so that a
// box or a tile reads its rows from few pages.
func TestImportWritesCollectionsInPlaceOrder(t *testing.T) {
	ctx := context.Background()
	opts := gen.DefaultOptions()
	opts.Points, opts.Polygons, opts.MinVertices, opts.MaxVertices, opts.Facilities, opts.Events = 3_000, 100, 8, 16, -1, -1
	ds, conn := importScale(t, 3, opts)
	for _, collection := range []string{gen.Points, gen.Areas} {
		place := map[string]int64{}
		for _, f := range ds.Features[collection] {
			place[f.ID] = postgis.ImportPlaceForTest(f.Geometry)
		}
		rows, err := conn.Query(ctx, "SELECT id FROM features WHERE collection = $1 ORDER BY ctid", collection)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(place) {
			t.Fatalf("%s: %d rows, want %d", collection, len(ids), len(place))
		}
		// PostgreSQL may put a row on an earlier page that still has room
		// (the free space map), so a few fall out of order; in the files'
		// order a quarter of the points and four in ten of the polygons did
		// (versions of one thing share a place, and are never counted).
		back := 0
		for i := 1; i < len(ids); i++ {
			if place[ids[i]] < place[ids[i-1]] {
				back++
			}
		}
		if back > len(ids)/50+2 {
			t.Errorf("%s: %d of %d rows lie after a row of a later place (at most 2%% and 2 expected)", collection, back, len(ids))
		}
		t.Logf("%s: %d of %d rows lie after a row of a later place", collection, back, len(ids))
	}
}
