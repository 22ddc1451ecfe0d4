// Package mvttest checks a geo.TileStore holding the storetest fixture: each
// tile is decoded with orb's MVT decoder and must hold exactly the features
// expected for the date asked, with their properties and positions. Both
// stores run it, so that the map draws the same tiles from either.
package mvttest

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	orbmvt "github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

// Places of the fixture (see geo/storetest).
var (
	alHol   = orb.Point{41.1486, 36.3756}
	hasakah = orb.Point{40.75, 36.5} // inside the hole of ne-2
)

// Case is one tile request and the ids of the features it must hold.
type Case struct {
	Name       string
	Collection string
	Tile       maptile.Tile
	Datetime   string            // "" for none
	Filters    map[string]string // property filters
	Want       []string          // sorted ids; none for an empty tile
}

// Cases returns the tile requests Run checks.
func Cases() []Case {
	region := maptile.At(orb.Point{41, 36}, 3)
	return []Case{
		{"al-Hol before the siege", "facilities", maptile.At(alHol, 10), "2026-01-10", nil, []string{"al-hol-1"}},
		{"al-Hol besieged", "facilities", maptile.At(alHol, 10), "2026-01-20", nil, []string{"al-hol-2"}},
		{"al-Hol handed over", "facilities", maptile.At(alHol, 10), "2026-01-22", nil, []string{"al-hol-3"}},
		{"al-Hol at every time", "facilities", maptile.At(alHol, 10), "", nil, []string{"al-hol-1", "al-hol-2", "al-hol-3"}},
		{"the region on 20 January", "facilities", region, "2026-01-20", nil, []string{"al-hol-2", "roj-1", "shaddadi-2"}},
		{"the region, sdf only", "facilities", region, "2026-01-20", map[string]string{"controller": "sdf"}, []string{"al-hol-2", "roj-1"}},
		{"an instant", "facilities", region, "2026-01-21T00:00:00Z", nil, []string{"al-hol-3", "roj-1", "shaddadi-3"}},
		{"far away", "facilities", maptile.At(orb.Point{0, 0}, 5), "2026-01-20", nil, nil},
		{"the area around al-Hol before", "areas", maptile.At(alHol, 10), "2026-01-20", nil, []string{"ne-1"}},
		{"the area around al-Hol after", "areas", maptile.At(alHol, 10), "2026-01-22", nil, []string{"ne-2"}},
		{"inside the hole of ne-2", "areas", maptile.At(hasakah, 13), "2026-01-22", nil, []string{"hasakah-1"}},
		{"the same place before the hole", "areas", maptile.At(hasakah, 13), "2026-01-20", nil, []string{"ne-1"}},
		{"undated lines", "border", region, "2026-01-20", nil, []string{"border-Turkey", "border-iraq"}},
	}
}

// Run checks st, which must hold the storetest fixture.
func Run(t *testing.T, st geo.TileStore) {
	t.Helper()
	ctx := context.Background()
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			q := geo.Query{Filters: c.Filters}
			if c.Datetime != "" {
				iv, err := geo.ParseDatetime(c.Datetime)
				if err != nil {
					t.Fatal(err)
				}
				q.Time = iv
			}
			b, err := st.Tile(ctx, c.Collection, c.Tile, q)
			if err != nil {
				t.Fatalf("Tile: %v", err)
			}
			feats := Decode(t, b, c.Tile, c.Collection)
			var ids []string
			for id := range feats {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			if !slices.Equal(ids, c.Want) {
				t.Errorf("tile %s of %s at %q holds %v, want %v", geo.TileKey(c.Tile), c.Collection, c.Datetime, ids, c.Want)
			}
		})
	}
	t.Run("properties and position", func(t *testing.T) {
		tile := maptile.At(alHol, 12)
		iv, _ := geo.ParseDatetime("2026-01-22")
		b, err := st.Tile(ctx, "facilities", tile, geo.Query{Time: iv})
		if err != nil {
			t.Fatal(err)
		}
		f, ok := Decode(t, b, tile, "facilities")["al-hol-3"]
		if !ok {
			t.Fatal("no al-hol-3")
		}
		want := map[string]any{"id": "al-hol-3", "site": "al-hol", "name": "al-Hol camp", "name_ar": "مخيم الهول",
			"controller": "government", "status": "normal", "population": 24000.0, "valid_from": "2026-01-21T00:00:00Z"}
		for k, v := range want {
			if f.Properties[k] != v {
				t.Errorf("property %s = %#v, want %#v", k, f.Properties[k], v)
			}
		}
		for _, k := range []string{"valid_to", "figures", "sources"} {
			if v, ok := f.Properties[k]; ok {
				t.Errorf("property %s = %v is in the tile", k, v)
			}
		}
		p, ok := f.Geometry.(orb.Point)
		// A tile unit at z12 is about 2 m: allow a unit and a half.
		unit := (tile.Bound().Max[0] - tile.Bound().Min[0]) / geo.TileExtent
		if !ok || math.Abs(p[0]-alHol[0]) > 1.5*unit || math.Abs(p[1]-alHol[1]) > 1.5*unit {
			t.Errorf("al-hol-3 at %v, want %v", f.Geometry, alHol)
		}
	})
	t.Run("unknown collection", func(t *testing.T) {
		_, err := st.Tile(ctx, "nope", maptile.New(0, 0, 0), geo.Query{})
		if !errors.Is(err, geo.ErrNotFound) {
			t.Errorf("Tile of an unknown collection: %v, want geo.ErrNotFound", err)
		}
	})
}

// Decode decodes a tile of one layer named layer and returns its features
// by id, with their geometries in longitude and latitude. An empty tile
// has no features.
func Decode(t testing.TB, b []byte, tile maptile.Tile, layer string) map[string]*Feature {
	t.Helper()
	out := map[string]*Feature{}
	if len(b) == 0 {
		return out
	}
	layers, err := orbmvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("the tile does not decode: %v", err)
	}
	if len(layers) != 1 || layers[0].Name != layer || layers[0].Extent != geo.TileExtent {
		names := make([]string, len(layers))
		for i, l := range layers {
			names[i] = l.Name
		}
		t.Fatalf("layers %v, want one layer %q of extent %d", names, layer, geo.TileExtent)
	}
	layers.ProjectToWGS84(tile)
	for _, f := range layers[0].Features {
		id, _ := f.Properties[geo.TileProperty].(string)
		if _, dup := out[id]; dup {
			t.Errorf("feature %q is twice in the tile", id)
		}
		out[id] = &Feature{Geometry: f.Geometry, Properties: f.Properties}
	}
	return out
}

// Feature is a decoded tile feature.
type Feature struct {
	Geometry   orb.Geometry
	Properties map[string]any
}
