package postgis

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

func TestTileSQL(t *testing.T) {
	day := geo.Day(time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC))
	box := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	tile := maptile.New(157, 100, 8)
	// The tile's envelope in Web Mercator and, with its buffer, in degrees.
	env, area := tileEnvelope(tile, 0), tileEnvelope(tile, 64.0/4096)
	amin, amax := lonLat(area.Min), lonLat(area.Max)
	envelopeArgs := []any{env.Min[0], env.Min[1], env.Max[0], env.Max[1], amin[0], amin[1], amax[0], amax[1]}
	tests := []struct {
		name     string
		q        geo.Query
		wantArgs []any
		want     []string // substrings of the statement
	}{
		{
			name:     "no filter",
			q:        geo.Query{},
			wantArgs: append(append([]any{"facilities"}, envelopeArgs...), "facilities"),
			want: []string{"WHERE collection = $1 AND geom && b.area", "ST_MakeEnvelope($2, $3, $4, $5, 3857) AS env",
				"ST_MakeEnvelope($6, $7, $8, $9, 4326) AS area", "ST_AsMVT(t.*, $10, 4096, 'geom')", "ST_AsMVTGeom(", "4096, 64, true)",
				`ORDER BY id COLLATE "C"`, "EXISTS (SELECT 1 FROM collections WHERE id = $1)"},
		},
		{
			name:     "datetime and a filter; bbox, limit and offset ignored",
			q:        geo.Query{Time: day, Filters: map[string]string{"controller": "sdf"}, BBox: &box, Limit: 3, Offset: 2},
			wantArgs: append(append([]any{"facilities", day.Start, day.End, "controller", "sdf"}, envelopeArgs...), "facilities"),
			want: []string{"valid && tstzrange($2::timestamptz, $3::timestamptz, '[)')", "props ->> $4::text = $5::text",
				"ST_MakeEnvelope($6, $7, $8, $9, 3857) AS env", "ST_AsMVT(t.*, $14, 4096, 'geom')"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args := tileSQL("facilities", tile, tt.q)
			if !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("args %#v, want %#v", args, tt.wantArgs)
			}
			for _, w := range tt.want {
				if !strings.Contains(sql, w) {
					t.Errorf("statement lacks %q:\n%s", w, sql)
				}
			}
			for _, bad := range []string{"LIMIT", "OFFSET", "ST_TileEnvelope"} {
				if strings.Contains(sql, bad) {
					t.Errorf("statement has %s:\n%s", bad, sql)
				}
			}
			if n := strings.Count(sql, "ST_MakeEnvelope"); n != 2 {
				t.Errorf("statement has %d envelopes, want the tile's two (the bbox is ignored):\n%s", n, sql)
			}
			if strings.Contains(sql, "'facilities'") || strings.Contains(sql, "sdf") {
				t.Errorf("a value is spliced into the statement:\n%s", sql)
			}
		})
	}
}

// TestTileEnvelopeValues checks tileEnvelope and lonLat on tiles whose
// envelopes are known without a database (TestTileEnvelope compares them
// with PostGIS's): the world, a quarter of it, and the buffer of a tile at
// the antimeridian, which reaches past it.
func TestTileEnvelopeValues(t *testing.T) {
	const m = mercatorMax
	for _, tc := range []struct {
		tile   maptile.Tile
		margin float64
		want   orb.Bound
	}{
		{maptile.New(0, 0, 0), 0, orb.Bound{Min: orb.Point{-m, -m}, Max: orb.Point{m, m}}},
		{maptile.New(0, 0, 0), 0.25, orb.Bound{Min: orb.Point{-m, -m}, Max: orb.Point{m, m}}}, // kept within the world
		{maptile.New(1, 0, 1), 0, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{m, m}}},
		{maptile.New(0, 1, 1), 0, orb.Bound{Min: orb.Point{-m, -m}, Max: orb.Point{0, 0}}},
	} {
		if got := tileEnvelope(tc.tile, tc.margin); got != tc.want {
			t.Errorf("tileEnvelope(%v, %g) = %v, want %v", tc.tile, tc.margin, got, tc.want)
		}
	}
	if p := lonLat(orb.Point{m, 0}); p != (orb.Point{180, 0}) {
		t.Errorf("lonLat of the world's east edge = %v, want 180, 0", p)
	}
	if p := lonLat(orb.Point{0, m}); math.Abs(p[1]-85.0511287798066) > 1e-12 {
		t.Errorf("lonLat of the world's top = %v, want latitude 85.0511287798066", p)
	}
	b := tileEnvelope(maptile.New(0, 5, 4), 64.0/4096)
	if w := lonLat(b.Min); w[0] >= -180 {
		t.Errorf("the buffer of a tile at the antimeridian starts at %v, want past -180", w)
	}
}

func TestChangesSQL(t *testing.T) {
	sql, args := changesSQL("areas")
	if !reflect.DeepEqual(args, []any{"areas"}) || strings.Count(sql, "$1") != 1 || strings.Contains(sql, "areas") ||
		!strings.Contains(sql, "FROM collections c LEFT JOIN collection_summaries s ON s.collection = c.id WHERE c.id = $1") {
		t.Errorf("changesSQL = %s, %v", sql, args)
	}
}

func BenchmarkTileSQL(b *testing.B) {
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	tile := maptile.New(616, 408, 10)
	for b.Loop() {
		if sql, _ := tileSQL("areas", tile, geo.Query{Time: day}); sql == "" {
			b.Fatal("empty")
		}
	}
}
