package postgis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/mvt/mvttest"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// TestTilesAsMemory: the store's tiles are the embedded store's tiles of
// the same data byte for byte: points, lines and polygons (a scale dataset
// of 500 points and 40 polygons of 200–2,000 vertices, and the test
// files), at zooms from 0 to 16, with and without a date and a property
// filter, with properties of every kind (escaped strings, numbers,
// booleans, nulls, objects and arrays, which tiles leave out) and open
// validity ends. A missing collection is not found; an empty tile of one
// that exists is no bytes.
func TestTilesAsMemory(t *testing.T) {
	ctx := context.Background()
	files := baseFiles()
	files["sites.geojson"].Data = []byte(fc(
		feature("p-b", point(40.1, 36.2), `"site": "b", "controller": "sdf", "name": "Tal \"Abyad\" \u00e9\\", "valid_from": null, "valid_to": "2026-01-18"`),
		feature("p-A", point(40.1003, 36.2004), `"site": "a", "controller": "government", "population": 24000, "share": -0.25, "big": 1.5e300, "valid_from": "2026-01-10T06:30:00.5Z", "valid_to": null`),
		feature("p-c", point(41.7, 35.4), `"site": "c", "controller": "sdf", "open": true, "closed": false, "note": null, "meta": {"a": [1, "}", {"b": null}]}, "list": ["x", 2], "valid_from": "2026-01-12", "valid_to": "2026-02-01"`),
		feature("p-d", point(39.02, 37.9), `"site": "d", "controller": "sdf", "zz": "last", "a": "first", "valid_from": null, "valid_to": null`),
	))
	opts := gen.DefaultOptions()
	opts.Points, opts.Polygons, opts.Facilities, opts.Events = 500, 40, 0, 0
	cases := []struct {
		name        string
		load        func() *geo.Dataset
		collections []string
		at          []orb.Point
	}{
		{"test files", func() *geo.Dataset { return mustLoad(t, files) }, []string{"sites", "zones", "lines"},
			[]orb.Point{{40.1, 36.2}, {40.1003, 36.2004}, {41.7, 35.4}, {39.02, 37.9}, {40.5, 36.5}, {41, 36}}},
		{"scale", func() *geo.Dataset { return gen.Scale(3, opts) }, []string{gen.Points, gen.Areas},
			[]orb.Point{opts.Bound.Center(), opts.Bound.Min, opts.Bound.Max, {opts.Bound.Min[0], opts.Bound.Max[1]}, {opts.Bound.Max[0], opts.Bound.Min[1]}}},
	}
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbURL := pgtest.NewDB(t)
			if _, err := postgis.Import(ctx, dbURL, c.load()); err != nil {
				t.Fatal(err)
			}
			st := openStore(t, dbURL)
			mem := memory.New(c.load())
			queries := []geo.Query{{}, {Time: day}, {Filters: map[string]string{"controller": "sdf"}}}
			drawn := map[string]int{}
			for _, col := range c.collections {
				for z := maptile.Zoom(0); z <= 16; z++ {
					seen := map[maptile.Tile]bool{}
					for _, p := range c.at {
						tile := maptile.At(p, z)
						if seen[tile] {
							continue
						}
						seen[tile] = true
						for _, q := range queries {
							got, err := st.Tile(ctx, col, tile, q)
							if err != nil {
								t.Fatal(err)
							}
							want, err := mem.Tile(ctx, col, tile, q)
							if err != nil {
								t.Fatal(err)
							}
							if !bytes.Equal(got, want) {
								t.Errorf("%s tile %v %+v: %d bytes, the embedded store's %d", col, tile, q, len(got), len(want))
							} else if len(got) > 0 {
								drawn[col]++
							}
						}
					}
				}
				if drawn[col] < 10 {
					t.Errorf("%s: %d tiles with features, want at least 10", col, drawn[col])
				}
			}
			if got, err := st.Tile(ctx, c.collections[0], maptile.New(0, 0, 16), geo.Query{}); err != nil || got != nil {
				t.Errorf("an empty tile: %d bytes, %v", len(got), err)
			}
			if _, err := st.Tile(ctx, "nothing", maptile.New(0, 0, 0), geo.Query{}); !errors.Is(err, geo.ErrNotFound) {
				t.Errorf("a missing collection: %v", err)
			}
		})
	}
}

// TestTileOwnKeysGiveWay writes own properties named id, valid_from and
// valid_to into features' props directly (Import keeps the last two out;
// anything else writing the table may not, and such a change leaves the
// row without props_json, so that the tile reads props, in jsonb's order
// of keys) and requires that each feature of a tile carries each key once,
// from the feature itself, and its other properties as before.
func TestTileOwnKeysGiveWay(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, dbURL)
	tile := maptile.New(0, 0, 0)
	before := tileFeatures(t, st, "sites", tile)
	if err := exec(t, dbURL, `UPDATE features SET props = props || '{"id": "own", "valid_from": "own", "valid_to": "own", "a-long-key-first": 1}' WHERE collection = 'sites'`); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM features WHERE collection = 'sites' AND props_json IS NOT NULL`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("rows with props_json after the change: %d, %v", left, err)
	}
	after := tileFeatures(t, st, "sites", tile)
	if len(after) == 0 || len(after) != len(before) {
		t.Fatalf("%d features after, %d before", len(after), len(before))
	}
	for id, props := range after {
		if props["id"] != id {
			t.Errorf("feature %s carries id %v", id, props["id"])
		}
		for _, k := range []string{"valid_from", "valid_to"} {
			if props[k] != before[id][k] {
				t.Errorf("feature %s: %s %v, before %v", id, k, props[k], before[id][k])
			}
		}
		if props["a-long-key-first"] != 1.0 {
			t.Errorf("feature %s: a-long-key-first %v", id, props["a-long-key-first"])
		}
		delete(props, "a-long-key-first")
		if fmt.Sprint(props) != fmt.Sprint(before[id]) {
			t.Errorf("feature %s: %v, before %v", id, props, before[id])
		}
	}
}

// tileFeatures decodes a tile of the store's into each feature's
// properties, by id.
func tileFeatures(t *testing.T, st *postgis.Store, collection string, tile maptile.Tile) map[string]map[string]any {
	t.Helper()
	b, err := st.Tile(context.Background(), collection, tile, geo.Query{})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, l := range layers {
		for _, f := range l.Features {
			id, _ := f.Properties["id"].(string)
			if _, dup := out[id]; dup {
				t.Errorf("feature %q twice", id)
			}
			out[id] = f.Properties
		}
	}
	return out
}

// TestTilesLive runs the tile cases on a store whose change feed runs,
// where an empty tile asks the catalogue whether its collection exists.
func TestTilesLive(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(context.Background(), dbURL, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	st := runStore(t, dbURL, postgis.Options{})
	eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)
	ctx := context.Background()
	if _, err := st.Collections(ctx); err != nil { // the catalogue, which empty tiles ask
		t.Fatal(err)
	}
	mvttest.Run(t, st)
	if got, err := st.Tile(ctx, "facilities", maptile.New(0, 0, 16), geo.Query{}); err != nil || got != nil {
		t.Errorf("an empty tile: %d bytes, %v", len(got), err)
	}
	if _, err := st.Tile(ctx, "nothing", maptile.New(0, 0, 0), geo.Query{}); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a missing collection: %v", err)
	}
}
