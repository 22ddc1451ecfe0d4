package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
)

// randomDataset builds n features of mixed geometry (points, lines, and
// rectangles with and without holes) around north-east Syria, half of them
// dated with random day-aligned validity.
func randomDataset(r *rand.Rand, n int) *geo.Dataset {
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feats := make([]geo.Feature, n)
	for i := range feats {
		x, y := 38+r.Float64()*5, 34+r.Float64()*4
		w, h := r.Float64()*0.8, r.Float64()*0.8
		var g orb.Geometry
		switch r.IntN(4) {
		case 0:
			g = orb.Point{x, y}
		case 1:
			g = orb.LineString{{x, y}, {x + w, y + h}, {x + w, y}}
		case 2:
			g = orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
		default:
			hole := orb.Ring{{x + w/4, y + h/4}, {x + w/4, y + 3*h/4}, {x + 3*w/4, y + 3*h/4}, {x + 3*w/4, y + h/4}, {x + w/4, y + h/4}}
			g = orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}, hole}
		}
		var valid geo.Interval
		if r.IntN(2) == 0 {
			start := day0.AddDate(0, 0, r.IntN(60))
			valid = geo.Interval{Start: start, End: start.AddDate(0, 0, 1+r.IntN(20))}
			if r.IntN(5) == 0 {
				valid.End = time.Time{}
			}
		}
		feats[i] = geo.Feature{
			ID: fmt.Sprintf("f%05d", i), Collection: "mixed", Geometry: g, Valid: valid,
			Properties: map[string]any{"k": fmt.Sprint(r.IntN(3))},
			Sources:    []geo.Source{{Publisher: "test"}},
		}
	}
	return &geo.Dataset{
		Collections: []geo.Collection{{ID: "mixed", Title: "Mixed", GeometryType: "Geometry", Dated: true}},
		Features:    map[string][]geo.Feature{"mixed": feats},
		Digest:      "random",
	}
}

// TestItemsBBoxAgainstBruteForce checks the index path of Items against a
// scan of every feature on random boxes, dates and pages.
func TestItemsBBoxAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ds := randomDataset(r, 3000)
	s := memory.New(ds)
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for q := 0; q < 400; q++ {
		x, y := 37.5+r.Float64()*6, 33.5+r.Float64()*5
		b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + r.Float64()*0.5, y + r.Float64()*0.5}}
		query := geo.Query{BBox: &b}
		if q%3 == 0 {
			query.Time = geo.Day(day0.AddDate(0, 0, r.IntN(80)))
		}
		if q%5 == 0 {
			query.Filters = map[string]string{"k": "1"}
		}
		if q%4 == 0 {
			query.Limit, query.Offset = 1+r.IntN(5), r.IntN(4)
		}
		var want []string
		matched := 0
		for _, f := range ds.Features["mixed"] {
			if query.Match(f) {
				if matched >= query.Offset && (query.Limit <= 0 || len(want) < query.Limit) {
					want = append(want, f.ID)
				}
				matched++
			}
		}
		page, err := s.Items(context.Background(), "mixed", query)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(page.Features))
		for i, f := range page.Features {
			got[i] = f.ID
		}
		if !slices.Equal(got, want) || page.NumberMatched != matched {
			t.Fatalf("query %d %+v: got %v (%d matched), want %v (%d)", q, b, got, page.NumberMatched, want, matched)
		}
	}
}
