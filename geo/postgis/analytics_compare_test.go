package postgis_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// TestAnalyticsSameAsMemory computes the territory analytics of a small
// generated dataset (hundreds of overlapping star-shaped polygons, each
// controller's union a tangle of crossings) with both stores: PostGIS's
// ST_Union and geography area against the memory store's geo.UnionArea.
// The areas must agree far inside the contract's 0.5%, and every region of
// change must be found by both with areas within 0.5%.
func TestAnalyticsSameAsMemory(t *testing.T) {
	opts := gen.Options{Polygons: 300, MinVertices: 8, MaxVertices: 120, Points: -1, Facilities: -1, Events: -1}
	ds := gen.Scale(3, opts)
	mem := memory.New(ds)
	pg := pgtest.NewStore(t, ds)
	ctx := context.Background()

	var at []time.Time
	period := gen.DefaultOptions()
	for d := period.Start; d.Before(period.End); d = d.AddDate(0, 0, 17) {
		at = append(at, d)
	}
	want, err := pg.Areas(ctx, gen.Areas, "controller", at)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mem.Areas(ctx, gen.Areas, "controller", at)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for i := range at {
		if len(got[i].KM2) != len(want[i].KM2) {
			t.Errorf("%s: memory has %d values, PostGIS %d", at[i].Format(time.DateOnly), len(got[i].KM2), len(want[i].KM2))
		}
		for v, w := range want[i].KM2 {
			g, ok := got[i].KM2[v]
			switch {
			case !ok:
				t.Errorf("%s %s: memory has no area, PostGIS %.1f km²", at[i].Format(time.DateOnly), v, w)
			case math.Abs(g-w) > 1e-5*w:
				t.Errorf("%s %s: memory %.4f km², PostGIS %.4f km² (%.2g apart)", at[i].Format(time.DateOnly), v, g, w, (g-w)/w)
			default:
				compared++
			}
		}
	}
	if compared < 2*len(at) {
		t.Fatalf("only %d areas compared over %d dates: the dataset is not what this test needs", compared, len(at))
	}

	from, to := at[1], at[len(at)-2]
	wantC, err := pg.RegionChanges(ctx, gen.Areas, "controller", from, to)
	if err != nil {
		t.Fatal(err)
	}
	gotC, err := mem.RegionChanges(ctx, gen.Areas, "controller", from, to)
	if err != nil {
		t.Fatal(err)
	}
	key := func(c geo.ChangeRegion) string { return c.From + " → " + c.To }
	byKey := map[string]geo.ChangeRegion{}
	for _, c := range gotC {
		byKey[key(c)] = c
	}
	if len(wantC) < 2 {
		t.Fatalf("PostGIS finds %d regions of change: the dataset is not what this test needs", len(wantC))
	}
	for _, w := range wantC {
		g, ok := byKey[key(w)]
		if !ok {
			t.Errorf("%s: PostGIS has %.1f km², memory none", key(w), w.KM2)
			continue
		}
		if math.Abs(g.KM2-w.KM2) > 0.005*w.KM2 {
			t.Errorf("%s: memory %.2f km², PostGIS %.2f km²", key(w), g.KM2, w.KM2)
		}
		if !slices.Equal(g.FromIDs, w.FromIDs) || !slices.Equal(g.ToIDs, w.ToIDs) {
			t.Errorf("%s: memory finds versions %v → %v, PostGIS %v → %v", key(w), g.FromIDs, g.ToIDs, w.FromIDs, w.ToIDs)
		}
		delete(byKey, key(w))
	}
	for k, g := range byKey {
		t.Errorf("%s: memory has %.1f km², PostGIS none", k, g.KM2)
	}
}

// TestUnionAreaSameAsPostGIS compares geo.UnionArea (the memory store's
// areas) with PostGIS's ST_Area(ST_Union(…)::geography) on random sets of
// rectangles and triangles with coordinates on a 0.1° grid: corners on
// edges, shared edges and collinear runs everywhere, as in hand-drawn
// schematic data, where random shapes in general position have none.
func TestUnionAreaSameAsPostGIS(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	r := rand.New(rand.NewPCG(11, 13))
	grid := func(lo float64, n int) float64 { return math.Round((lo+0.1*float64(r.IntN(n)))*10) / 10 }
	for trial := range 300 {
		var ps []orb.Polygon
		var wkbs [][]byte
		for range 2 + r.IntN(5) {
			x0, y0 := grid(40, 8), grid(36, 8)
			x1, y1 := x0+0.1*float64(1+r.IntN(4)), y0+0.1*float64(1+r.IntN(4))
			x1, y1 = math.Round(x1*10)/10, math.Round(y1*10)/10
			var p orb.Polygon
			if r.IntN(2) == 0 {
				p = orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
			} else {
				p = orb.Polygon{{{x0, y0}, {x1, y0}, {x0, y1}, {x0, y0}}}
			}
			ps = append(ps, p)
			b, err := wkb.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			wkbs = append(wkbs, b)
		}
		var want float64
		if err := conn.QueryRow(ctx, `SELECT ST_Area(ST_Union(ST_SetSRID(ST_GeomFromWKB(g), 4326))::geography) FROM unnest($1::bytea[]) AS g`, wkbs).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got, err := geo.UnionArea(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		// Up to 4e-4 apart where the two outlines keep different vertices on
		// a parallel (a cut where another polygon's corner or edge meets
		// it): an edge is a great circle, so a vertex in the middle of a
		// 0.4° edge at 36°N moves the area by about half a km². A piece
		// of edge lost or doubled would be off by per cents.
		if math.Abs(got-want) > 1e-3*want {
			t.Errorf("trial %d: UnionArea %.4f km², PostGIS %.4f km² (%.2g apart): %v", trial, got/1e6, want/1e6, (got-want)/want, ps)
		}
	}
}
