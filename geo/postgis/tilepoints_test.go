package postgis_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/mvt/mvttest"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// TestPointTilesAsMemory: a live store draws the tiles of a collection of
// points itself (the rows PostgreSQL finds, the embedded store's encoder),
// and they are the embedded store's tiles of the same data byte for byte,
// at every zoom, with and without a date and a property filter, with
// properties of every kind (escaped strings, numbers, booleans, nulls,
// objects and arrays, which tiles leave out) and open validity ends.
// ST_AsMVT's tiles of the same rows are not the same bytes: the comparison
// would catch a store that drew them with tileSQL.
func TestPointTilesAsMemory(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	files := baseFiles()
	files["sites.geojson"].Data = []byte(fc(
		feature("p-b", point(40.1, 36.2), `"site": "b", "controller": "sdf", "name": "Tal \"Abyad\" \u00e9\\", "valid_from": null, "valid_to": "2026-01-18"`),
		feature("p-A", point(40.1003, 36.2004), `"site": "a", "controller": "government", "population": 24000, "share": -0.25, "big": 1.5e300, "valid_from": "2026-01-10T06:30:00.5Z", "valid_to": null`),
		feature("p-c", point(41.7, 35.4), `"site": "c", "controller": "sdf", "open": true, "closed": false, "note": null, "meta": {"a": [1, "}", {"b": null}]}, "list": ["x", 2], "valid_from": "2026-01-12", "valid_to": "2026-02-01"`),
		feature("p-d", point(39.02, 37.9), `"site": "d", "controller": "sdf", "zz": "last", "a": "first", "valid_from": null, "valid_to": null`),
	))
	ds := mustLoad(t, files)
	if _, err := postgis.Import(ctx, dbURL, ds); err != nil {
		t.Fatal(err)
	}
	mem := memory.New(mustLoad(t, files))
	st := runStore(t, dbURL, postgis.Options{})
	eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)
	if _, err := st.Collections(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	queries := []geo.Query{{}, {Time: day}, {Filters: map[string]string{"controller": "sdf"}}}
	drawn, differ := 0, 0
	for z := maptile.Zoom(0); z <= 16; z++ {
		seen := map[maptile.Tile]bool{}
		for _, p := range []orb.Point{{40.1, 36.2}, {40.1003, 36.2004}, {41.7, 35.4}, {39.02, 37.9}} {
			tile := maptile.At(p, z)
			if seen[tile] {
				continue
			}
			seen[tile] = true
			for _, q := range queries {
				got, err := st.Tile(ctx, "sites", tile, q)
				if err != nil {
					t.Fatal(err)
				}
				want, err := mem.Tile(ctx, "sites", tile, q)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("tile %v %+v: %d bytes, the embedded store's %d", tile, q, len(got), len(want))
					continue
				}
				if len(got) > 0 {
					drawn++
				}
				sql, args := postgis.TileSQLForTest("sites", tile, q)
				if !bytes.Equal(tileBytes(t, conn, sql, args), want) {
					differ++
				}
			}
		}
	}
	if drawn < 20 {
		t.Errorf("%d tiles with features, want at least 20", drawn)
	}
	if differ == 0 {
		t.Error("ST_AsMVT's tiles are the embedded store's bytes too: the comparison shows nothing")
	}
	// A missing collection is still missing.
	if _, err := st.Tile(ctx, "nothing", maptile.New(0, 0, 0), geo.Query{}); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("missing collection: %v", err)
	}
}

// TestTilesLive runs the tile cases on a live store, which draws the tiles
// of its collections of points itself.
func TestTilesLive(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(context.Background(), dbURL, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	st := runStore(t, dbURL, postgis.Options{})
	eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)
	if _, err := st.Collections(context.Background()); err != nil {
		t.Fatal(err)
	}
	mvttest.Run(t, st)
}
