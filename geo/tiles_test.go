package geo_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

func TestParseTile(t *testing.T) {
	tests := []struct {
		z, x, y string
		want    maptile.Tile
		param   string // the parameter named by the error; "" for success
	}{
		{"0", "0", "0", maptile.New(0, 0, 0), ""},
		{"7", "77", "51", maptile.New(77, 51, 7), ""},
		{"22", "4194303", "0", maptile.New(4194303, 0, 22), ""},
		{"23", "0", "0", maptile.Tile{}, "z"},
		{"-1", "0", "0", maptile.Tile{}, "z"},
		{"07", "0", "0", maptile.Tile{}, "z"},
		{"a", "0", "0", maptile.Tile{}, "z"},
		{"", "0", "0", maptile.Tile{}, "z"},
		{"1", "2", "0", maptile.Tile{}, "x"},
		{"1", "1", "2", maptile.Tile{}, "y"},
		{"3", "1.5", "0", maptile.Tile{}, "x"},
		{"3", "0", "99999999999999999999", maptile.Tile{}, "y"},
	}
	for _, tt := range tests {
		got, err := geo.ParseTile(tt.z, tt.x, tt.y)
		if tt.param == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseTile(%s, %s, %s) = %v, %v; want %v", tt.z, tt.x, tt.y, got, err, tt.want)
			}
			continue
		}
		var pe *geo.ParamError
		if !errors.As(err, &pe) || pe.Param != tt.param || !errors.Is(err, geo.ErrInvalidQuery) {
			t.Errorf("ParseTile(%s, %s, %s) = %v; want an error naming %s", tt.z, tt.x, tt.y, err, tt.param)
		}
	}
}

func TestTileBound(t *testing.T) {
	tile := maptile.At(orb.Point{40, 36}, 9)
	b, tb := geo.TileBound(tile), tile.Bound()
	w := (tb.Max[0] - tb.Min[0]) * geo.TileBuffer / geo.TileExtent
	if b.Min[0] >= tb.Min[0] || b.Max[1] <= tb.Max[1] || b.Max[0]-tb.Max[0] < w*0.99 || b.Max[0]-tb.Max[0] > w*1.01 {
		t.Errorf("TileBound %v of tile bound %v: want %v wider on every side", b, tb, w)
	}
}

func TestTileProperties(t *testing.T) {
	f := geo.Feature{ID: "al-hol-3", Properties: map[string]any{
		"controller": "government", "population": 24000.0, "n": 3, "estimated": false,
		"figures": []any{1.0}, "meta": map[string]any{"a": 1.0}, "note": nil, "id": "shadowed",
	}, Valid: geo.Interval{Start: time.Date(2026, 1, 21, 9, 30, 0, 500000000, time.UTC)},
		Sources: []geo.Source{{Publisher: "AP"}}}
	got := geo.TileProperties(f)
	want := map[string]any{"id": "al-hol-3", "controller": "government", "population": 24000.0, "n": 3.0,
		"estimated": false, "valid_from": "2026-01-21T09:30:00.5Z"}
	if len(got) != len(want) {
		t.Errorf("TileProperties = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

func TestTilePropertiesOf(t *testing.T) {
	own := func(yield func(string, any) bool) {
		for _, kv := range []struct {
			k string
			v any
		}{{"a", 1}, {"b", []any{1.0}}, {"id", "shadowed"}, {"n", int64(2)}, {"valid_from", "x"}, {"z", true}} {
			if !yield(kv.k, kv.v) {
				return
			}
		}
	}
	type kv struct {
		k string
		v any
	}
	tests := []struct {
		name     string
		from, to string
		want     []kv
	}{
		{"open", "", "", []kv{{"a", 1.0}, {"n", 2.0}, {"z", true}, {"id", "f1"}}},
		{"from", "2026-01-01T00:00:00Z", "", []kv{{"a", 1.0}, {"n", 2.0}, {"z", true}, {"id", "f1"}, {"valid_from", "2026-01-01T00:00:00Z"}}},
		{"both", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", []kv{{"a", 1.0}, {"n", 2.0}, {"z", true}, {"id", "f1"},
			{"valid_from", "2026-01-01T00:00:00Z"}, {"valid_to", "2026-02-01T00:00:00Z"}}},
	}
	// TileValuesOf takes the own values already as tile values (the ones a
	// tile carries), and yields the same.
	values := func(yield func(string, geo.TileValue) bool) {
		for _, kv := range []struct {
			k string
			v geo.TileValue
		}{{"a", geo.TileValue{Kind: geo.TileNumber, F: 1}}, {"id", geo.TileValue{Kind: geo.TileString, S: "shadowed"}},
			{"n", geo.TileValue{Kind: geo.TileNumber, F: 2}}, {"valid_from", geo.TileValue{Kind: geo.TileString, S: "x"}},
			{"z", geo.TileValue{Kind: geo.TileBool, F: 1}}} {
			if !yield(kv.k, kv.v) {
				return
			}
		}
	}
	for _, tt := range tests {
		for name, seq := range map[string]func(string, string) func(func(string, geo.TileValue) bool){
			"TilePropertiesOf": func(from, to string) func(func(string, geo.TileValue) bool) {
				return geo.TilePropertiesOf("f1", false, from, to, own)
			},
			"TileValuesOf": func(from, to string) func(func(string, geo.TileValue) bool) {
				return geo.TileValuesOf("f1", false, from, to, values)
			},
		} {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				var got []kv
				for k, v := range seq(tt.from, tt.to) {
					got = append(got, kv{k, v.Any()})
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("property %d = %v, want %v", i, got[i], tt.want[i])
					}
				}
				// Stopping early stops it.
				n := 0
				for range seq(tt.from, tt.to) {
					if n++; n == 2 {
						break
					}
				}
			})
		}
	}
}

// TestTileValue checks the values tile properties carry: every scalar as
// the Go value it came from (integers as float64), and nothing for objects,
// arrays and null.
func TestTileValue(t *testing.T) {
	own := func(yield func(string, any) bool) {
		for _, p := range []struct {
			k string
			v any
		}{{"a", "x"}, {"b", 2.5}, {"c", true}, {"d", false}, {"e", 7}, {"f", int64(-3)}, {"g", map[string]any{"x": 1.0}}, {"h", []any{1.0}}, {"i", nil}, {"j", ""}} {
			if !yield(p.k, p.v) {
				return
			}
		}
	}
	got := map[string]any{}
	kinds := map[string]geo.TileKind{}
	for k, v := range geo.TilePropertiesOf("f1", false, "", "", own) {
		got[k], kinds[k] = v.Any(), v.Kind
	}
	want := map[string]any{"a": "x", "b": 2.5, "c": true, "d": false, "e": 7.0, "f": -3.0, "j": "", "id": "f1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	wantKinds := map[string]geo.TileKind{"a": geo.TileString, "b": geo.TileNumber, "c": geo.TileBool, "d": geo.TileBool,
		"e": geo.TileNumber, "f": geo.TileNumber, "j": geo.TileString, "id": geo.TileString}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("kinds %v, want %v", kinds, wantKinds)
	}
}
