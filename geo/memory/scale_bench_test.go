//go:build unix

package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"

	"github.com/controlmap/controlmap/internal/benchcpu"
)

// BenchmarkScale measures the cold paths of the store on the scale dataset
// of issue 6 (gen.Scale with seed 1 and the default options, generated in
// memory: the same features `controlmap generate --seed 1` writes), each
// iteration asking something new: another id, bbox or tile, as the bench's
// cold cases do. The dataset is built once per run of BenchmarkScale (about
// 10 s), not per sub-benchmark.
//
// Each reports cpu-ns/op too, the process's CPU time (user and system, all
// threads: the garbage collector's included) per operation, which other
// work on a shared machine moves far less than the wall-clock ns/op.
//
//	go test -run '^$' -bench Scale -benchmem -count 6 ./geo/memory
func BenchmarkScale(b *testing.B) {
	ds := gen.Scale(1, gen.Options{})
	s := memory.New(ds)
	ctx := context.Background()
	opts := gen.DefaultOptions()
	area := opts.Bound
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	r := rand.New(rand.NewPCG(1, 2))

	// boxes returns n boxes of size×size degrees inside the dataset's area.
	boxes := func(n int, size float64) []orb.Bound {
		out := make([]orb.Bound, n)
		for i := range out {
			x := area.Min[0] + r.Float64()*(area.Max[0]-area.Min[0]-size)
			y := area.Min[1] + r.Float64()*(area.Max[1]-area.Min[1]-size)
			out[i] = orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + size, y + size}}
		}
		return out
	}
	// tiles returns n tiles at zoom z whose centre lies in the area.
	tiles := func(n int, z maptile.Zoom) []maptile.Tile {
		out := make([]maptile.Tile, n)
		for i := range out {
			p := orb.Point{area.Min[0] + r.Float64()*(area.Max[0]-area.Min[0]), area.Min[1] + r.Float64()*(area.Max[1]-area.Min[1])}
			out[i] = maptile.At(p, z)
		}
		return out
	}

	b.Run("item", func(b *testing.B) {
		defer benchcpu.Report(b)()
		var ids [][2]string
		for _, col := range []string{gen.Points, gen.Areas} {
			for _, f := range ds.Features[col] {
				ids = append(ids, [2]string{col, f.ID})
			}
		}
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		for i := 0; b.Loop(); i++ {
			id := ids[i%len(ids)]
			if _, err := s.Item(ctx, id[0], id[1]); err != nil {
				b.Fatal(err)
			}
		}
	})
	items := []struct {
		name, collection string
		size             float64
		q                geo.Query
	}{
		{"bbox-polygons-1deg-limit100", gen.Areas, 1, geo.Query{Time: day, Limit: 100}},
		{"bbox-points-0.5deg-limit1000", gen.Points, 0.5, geo.Query{Limit: 1000}},
	}
	for _, tt := range items {
		bs := boxes(4096, tt.size)
		b.Run(tt.name, func(b *testing.B) {
			defer benchcpu.Report(b)()
			for i := 0; b.Loop(); i++ {
				q := tt.q
				q.BBox = &bs[i%len(bs)]
				if _, err := s.Items(ctx, tt.collection, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The area held by each controller at one date: a new date each time,
	// one of the period's days in turn.
	b.Run("area-one-date", func(b *testing.B) {
		defer benchcpu.Report(b)()
		days := int(opts.End.Sub(opts.Start).Hours() / 24)
		for i := 0; b.Loop(); i++ {
			at := opts.Start.AddDate(0, 0, (i*37)%days)
			if _, err := s.Areas(ctx, gen.Areas, "controller", []time.Time{at}); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The area at every date of change (the series the map's chart asks
	// for, computed from one instant to the next), and at 30 dates 5 days
	// apart (each one more changed from the last: up to a sixth of the
	// polygons).
	b.Run("area-series", func(b *testing.B) {
		defer benchcpu.Report(b)()
		ch, err := s.Changes(ctx, gen.Areas)
		if err != nil {
			b.Fatal(err)
		}
		at := append([]time.Time{opts.Start}, ch.Times()...)
		// The work, not the bound: the series runs past FilterTimeout on
		// this dataset and a shared machine.
		defer func(d time.Duration) { memory.FilterTimeout = d }(memory.FilterTimeout)
		memory.FilterTimeout = time.Minute
		b.ReportMetric(float64(len(at)), "instants")
		for b.Loop() {
			if _, err := s.Areas(ctx, gen.Areas, "controller", at); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The regions that changed hands between two dates a week apart (about
	// the next date of change: the map's default), a new pair each time.
	// (Five weeks apart, a third of the polygons change and it runs into
	// FilterTimeout: make bench's h-change-cold reports that.)
	for _, weeks := range []int{1} {
		b.Run(fmt.Sprintf("change-%d-weeks", weeks), func(b *testing.B) {
			defer benchcpu.Report(b)()
			days := int(opts.End.Sub(opts.Start).Hours()/24) - 7*weeks
			for i := 0; b.Loop(); i++ {
				from := opts.Start.AddDate(0, 0, (i*37)%days)
				if _, err := s.RegionChanges(ctx, gen.Areas, "controller", from, from.AddDate(0, 0, 7*weeks)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, z := range []maptile.Zoom{7, 10, 13} {
		ts := tiles(4096, z)
		for _, col := range []string{gen.Areas, gen.Points} {
			b.Run("tile-"+col+"-z"+map[maptile.Zoom]string{7: "7", 10: "10", 13: "13"}[z], func(b *testing.B) {
				defer benchcpu.Report(b)()
				for i := 0; b.Loop(); i++ {
					if _, err := s.Tile(ctx, col, ts[i%len(ts)], geo.Query{Time: day}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
