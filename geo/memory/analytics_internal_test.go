package memory

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/controlmap/controlmap/geo"
)

// TestUnionAll: the union of polygons that share collinear vertices (four
// where simplefeatures' UnionMany returned a spurious hole inside one of
// them, 1.8% short) has the area geo.UnionArea sums, for each prefix.
func TestUnionAll(t *testing.T) {
	ps := []orb.Polygon{
		{{{0.5, 35.75}, {0.875, 35.75}, {1.25, 35.75}, {1.25, 36.5}, {0.5, 36.5}, {0.5, 35.75}}},
		{{{0.75, 36.25}, {1.75, 36.25}, {0.75, 36.75}, {0.75, 36.25}}},
		{{{0.75, 35.5}, {1.25, 35.5}, {0.75, 36.5}, {0.75, 35.5}}},
		{{{1, 36}, {1.25, 36}, {1.5, 36}, {1.5, 36.5}, {1, 36.5}, {1, 36}}},
	}
	var gs []geom.Geometry
	for _, p := range ps {
		g, err := toSF(p)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	for n := 1; n <= len(ps); n++ {
		want, err := geo.UnionArea(context.Background(), ps[:n])
		if err != nil {
			t.Fatal(err)
		}
		u, err := unionAll(gs[:n])
		if err != nil {
			t.Fatal(err)
		}
		mp, err := polygonsOf(u)
		if err != nil {
			t.Fatal(err)
		}
		if got := geo.GeodesicArea(mp); math.Abs(got-want) > 1e-6*want {
			t.Errorf("the first %d: unionAll %.4f km², UnionArea %.4f km²", n, got/1e6, want/1e6)
		}
	}
	if u, err := unionAll(nil); err != nil || !u.IsEmpty() {
		t.Errorf("unionAll(nil) = %v, %v", u.AsText(), err)
	}
}
