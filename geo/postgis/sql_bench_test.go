package postgis

import (
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// BenchmarkItemsSQL measures query planning on the Go side: building the
// statement and arguments of the benchmark cases (a), (b) and (c).
func BenchmarkItemsSQL(b *testing.B) {
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	box := orb.Bound{Min: orb.Point{38, 35}, Max: orb.Point{39, 36}}
	cases := []struct {
		name string
		q    geo.Query
	}{
		{"datetime", geo.Query{Time: day}},
		{"bbox-datetime-limit", geo.Query{BBox: &box, Time: day, Limit: 100}},
		{"bbox-filters", geo.Query{BBox: &box, Limit: 1000, Filters: map[string]string{"controller": "sdf", "status": "normal"}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if sql, args := itemsSQL("areas", c.q, true); sql == "" || len(args) == 0 {
					b.Fatal("empty statement")
				}
			}
		})
	}
}
