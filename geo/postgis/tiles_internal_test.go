package postgis

import (
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
	bound := geo.TileBound(maptile.New(157, 100, 8))
	boundArgs := []any{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}
	tests := []struct {
		name     string
		q        geo.Query
		wantArgs []any
		want     []string // substrings of the statement
	}{
		{
			name:     "no filter",
			q:        geo.Query{},
			wantArgs: append([]any{"facilities"}, boundArgs...),
			want: []string{"SELECT id, coalesce(props_json, props::text), lower(valid), upper(valid), ST_AsBinary(geom) FROM features",
				"WHERE collection = $1 AND geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)"},
		},
		{
			name:     "datetime and a filter; bbox, limit and offset ignored",
			q:        geo.Query{Time: day, Filters: map[string]string{"controller": "sdf"}, BBox: &box, Limit: 3, Offset: 2},
			wantArgs: append([]any{"facilities", "controller", "sdf", day.Start, day.End}, boundArgs...),
			want: []string{"props ->> $2::text = $3::text", "AND valid && tstzrange($4::timestamptz, $5::timestamptz, '[)') AND",
				"geom && ST_MakeEnvelope($6, $7, $8, $9, 4326)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args := tileSQL("facilities", bound, tt.q)
			if !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("args %#v, want %#v", args, tt.wantArgs)
			}
			for _, w := range tt.want {
				if !strings.Contains(sql, w) {
					t.Errorf("statement lacks %q:\n%s", w, sql)
				}
			}
			// In no order (the server sorts what shows), the whole
			// geometry (the encoder clips it), nothing but the tile's box.
			for _, bad := range []string{"LIMIT", "OFFSET", "ORDER BY", "ST_ClipByBox2D", "ST_AsMVT", "ST_Intersects"} {
				if strings.Contains(sql, bad) {
					t.Errorf("statement has %s:\n%s", bad, sql)
				}
			}
			if n := strings.Count(sql, "ST_MakeEnvelope"); n != 1 {
				t.Errorf("statement has %d envelopes, want the tile's (the bbox is ignored):\n%s", n, sql)
			}
			if strings.Contains(sql, "'facilities'") || strings.Contains(sql, "sdf") {
				t.Errorf("a value is spliced into the statement:\n%s", sql)
			}
		})
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
		if sql, _ := tileSQL("areas", geo.TileBound(tile), geo.Query{Time: day}); sql == "" {
			b.Fatal("empty")
		}
	}
}
