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
	tile := maptile.New(157, 100, 8)
	tests := []struct {
		name     string
		q        geo.Query
		wantArgs []any
		want     []string // substrings of the statement
	}{
		{
			name:     "no filter",
			q:        geo.Query{},
			wantArgs: []any{"facilities", 8, 157, 100, 64.0 / 4096, "facilities"},
			want: []string{"WHERE collection = $1 AND geom && b.area", "ST_TileEnvelope($2, $3, $4)",
				"ST_TileEnvelope($2, $3, $4, margin => $5)", "ST_AsMVT(t.*, $6, 4096, 'geom')", "ST_AsMVTGeom(", "4096, 64, true)",
				`ORDER BY id COLLATE "C"`, "EXISTS (SELECT 1 FROM collections WHERE id = $1)"},
		},
		{
			name:     "datetime and a filter; bbox, limit and offset ignored",
			q:        geo.Query{Time: day, Filters: map[string]string{"controller": "sdf"}, BBox: &box, Limit: 3, Offset: 2},
			wantArgs: []any{"facilities", day.Start, day.End, "controller", "sdf", 8, 157, 100, 64.0 / 4096, "facilities"},
			want: []string{"valid && tstzrange($2::timestamptz, $3::timestamptz, '[)')", "props ->> $4::text = $5::text",
				"ST_TileEnvelope($6, $7, $8)", "ST_AsMVT(t.*, $10, 4096, 'geom')"},
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
			for _, bad := range []string{"LIMIT", "OFFSET", "ST_MakeEnvelope"} {
				if strings.Contains(sql, bad) {
					t.Errorf("statement has %s:\n%s", bad, sql)
				}
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
		if sql, _ := tileSQL("areas", tile, geo.Query{Time: day}); sql == "" {
			b.Fatal("empty")
		}
	}
}
