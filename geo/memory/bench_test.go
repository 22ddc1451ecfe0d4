package memory_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
)

func BenchmarkItemsBBox(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	s := memory.New(randomDataset(r, 20000))
	boxes := make([]orb.Bound, 256)
	for i := range boxes {
		x, y := 38+r.Float64()*5, 34+r.Float64()*4
		boxes[i] = orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 0.2, y + 0.2}}
	}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Items(ctx, "mixed", geo.Query{BBox: &boxes[i%len(boxes)], Limit: 100}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemsDatetime(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	s := memory.New(randomDataset(r, 20000))
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		q := geo.Query{Time: geo.Day(day0.AddDate(0, 0, i%60)), Limit: 100}
		if _, err := s.Items(ctx, "mixed", q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkItemByID asks the scale dataset's 100,000 points one by one, in
// an order that jumps across the collection (a newsroom's or an analyst's
// links to features, none asked twice in a row).
func BenchmarkItemByID(b *testing.B) {
	ds := gen.Scale(1, gen.Options{Polygons: -1, Facilities: -1, Events: -1})
	var ids []string
	for _, f := range ds.Features[gen.Points] {
		ids = append(ids, f.ID)
	}
	s := memory.New(ds)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Item(ctx, gen.Points, ids[(i*7919)%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}
