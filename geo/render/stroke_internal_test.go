package render

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tdewolff/canvas"

	"github.com/controlmap/controlmap/geo"
)

// strips returns the rectangles of a fastStroke outline as their four
// corners each.
func strips(t *testing.T, p *canvas.Path) [][]canvas.Point {
	t.Helper()
	var out [][]canvas.Point
	for sc := p.Scanner(); sc.Scan(); {
		switch sc.Cmd() {
		case canvas.MoveToCmd:
			out = append(out, []canvas.Point{sc.End()})
		case canvas.LineToCmd:
			out[len(out)-1] = append(out[len(out)-1], sc.End())
		}
	}
	return out
}

// signedArea is the shoelace area of a closed polygon.
func signedArea(ps []canvas.Point) float64 {
	var a float64
	for i := range ps {
		j := (i + 1) % len(ps)
		a += ps[i].X*ps[j].Y - ps[j].X*ps[i].Y
	}
	return a / 2
}

// TestFastStroke: one strip per segment (and per dash), the width wide and
// half the width longer at both ends, all turning the same way (so that the
// rasterizer's non-zero fill paints their union), closing segments
// included; dashes run on along a subpath and start again at a move.
func TestFastStroke(t *testing.T) {
	square := &canvas.Path{}
	square.MoveTo(0, 0)
	square.LineTo(10, 0)
	square.LineTo(10, 10)
	square.LineTo(0, 10)
	square.Close()
	got := strips(t, fastStroke(square, stroke{width: 2}, nil))
	if len(got) != 4 {
		t.Fatalf("%d strips for a square, want 4", len(got))
	}
	for i, s := range got {
		if len(s) != 4 {
			t.Fatalf("strip %d has %d corners", i, len(s))
		}
		// 2 wide, 10 + 2 × 1 long, the same turn as the first.
		if a := signedArea(s); math.Abs(math.Abs(a)-24) > 1e-9 || math.Signbit(a) != math.Signbit(signedArea(got[0])) {
			t.Errorf("strip %d: area %v (first %v)", i, a, signedArea(got[0]))
		}
	}

	line := &canvas.Path{}
	line.MoveTo(0, 0)
	line.LineTo(4, 0)
	line.LineTo(4, 8) // the dash runs on round the corner at 4 (canvas would merge a straight one)
	line.MoveTo(0, 5)
	line.LineTo(5, 5) // and starts again here
	dashed := strips(t, fastStroke(line, stroke{width: 1, dash: []float64{3, 3}}, nil))
	var lengths []float64
	for _, s := range dashed {
		lengths = append(lengths, math.Abs(signedArea(s))) // width 1: area is length + 1
	}
	// 0–3 and 6–9 along the first line (the gap 3–6 runs round its
	// corner), 0–3 on the second.
	want := []float64{4, 4, 4}
	if len(lengths) != len(want) {
		t.Fatalf("dashed strips %v, want areas %v", lengths, want)
	}
	for i := range want {
		if math.Abs(lengths[i]-want[i]) > 1e-9 {
			t.Errorf("dashed strips %v, want areas %v", lengths, want)
			break
		}
	}
	// A pattern of nothing is a solid line, not a loop that never ends.
	if n := len(strips(t, fastStroke(line, stroke{width: 1, dash: []float64{0, 0}}, nil))); n != 3 {
		t.Errorf("dash 0,0: %d strips, want the 3 segments", n)
	}
}

// TestPathClipped: a geometry far larger than the picture (a zoomed-in view
// of a country, a border line across it) becomes a path within the picture
// and clipMargin around it, so that stroking, dashing and hatching cost
// what the picture shows; one wholly outside becomes nothing; a cancelled
// drawing stops.
func TestPathClipped(t *testing.T) {
	view := orb.Bound{Min: orb.Point{40.5, 36.3}, Max: orb.Point{40.6, 36.35}}
	d := &drawer{pr: fit(view, 200, 100), w: 200, h: 100}
	big := orb.Polygon{{{35, 32}, {43, 32}, {43, 38}, {35, 38}, {35, 32}}}
	line := orb.LineString{{35, 36.32}, {43, 36.33}}
	for _, g := range []orb.Geometry{big, line, orb.MultiPolygon{big}} {
		b := d.path(g).FastBounds()
		if b.X0 < -clipMargin-1e-9 || b.Y0 < -clipMargin-1e-9 || b.X1 > 200+clipMargin+1e-9 || b.Y1 > 100+clipMargin+1e-9 || b.W() == 0 {
			t.Errorf("%T: path bounds %v, want within the picture and %v px", g, b, clipMargin)
		}
	}
	if p := d.path(orb.Polygon{{{30, 30}, {31, 30}, {31, 31}, {30, 30}}}); !p.Empty() {
		t.Errorf("a polygon outside the picture gives a path: %v", p)
	}
	d.cancelled = func() error { return context.Canceled }
	if p := d.path(big); !p.Empty() || !errors.Is(d.err, context.Canceled) {
		t.Errorf("cancelled: path empty %v, err %v", p.Empty(), d.err)
	}
}

// inverse returns the longitude and latitude of pixel (x, y).
func (pr projection) inverse(x, y float64) orb.Point {
	wx := (x-pr.w/2)/pr.k + pr.cx
	wy := (y-pr.h/2)/pr.k + pr.cy
	return orb.Point{wx*360 - 180, math.Atan(math.Sinh(math.Pi*(1-2*wy))) * 180 / math.Pi}
}

// vertices returns the positions of a path's moves and lines.
func vertices(p *canvas.Path) []canvas.Point {
	var out []canvas.Point
	for sc := p.Scanner(); sc.Scan(); {
		if sc.Cmd() != canvas.CloseCmd {
			out = append(out, sc.End())
		}
	}
	return out
}

// TestPathSimplified: a ring of 4,000 positions 120 pixels across,
// wavy by 0.2 pixels, becomes a path of a few dozen positions at scale 1
// (the waves are less than simplifyTolerance) and of more at scale 2 (where
// they are more than half of it), every position of it one of the data's
// and every position of the data within simplifyTolerance and the thinning
// of the path, in raster pixels.
func TestPathSimplified(t *testing.T) {
	view := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	const w, h = 400.0, 400.0
	pr := fit(view, w, h)
	const cx, cy, r, wave = 200.0, 200.0, 60.0, 0.2
	radius := func(a float64) float64 { return r + wave*math.Sin(24*a) }
	ring := orb.Ring{}
	px := []canvas.Point{}
	for i := range 4000 {
		a := 2 * math.Pi * float64(i) / 4000
		x, y := cx+radius(a)*math.Cos(a), cy+radius(a)*math.Sin(a)
		px = append(px, canvas.Point{X: x, Y: y})
		ring = append(ring, pr.inverse(x, y))
	}
	ring = append(ring, ring[0])
	kept := map[int]int{}
	for _, scale := range []int{1, 2} {
		d := &drawer{pr: pr, w: w, h: h, sc: &Scene{Scale: scale}}
		vs := vertices(d.path(orb.Polygon{ring}))
		kept[scale] = len(vs)
		if len(vs) < 8 || len(vs) > 400 {
			t.Errorf("scale %d: %d positions kept of 4,000; want a few dozen to a few hundred", scale, len(vs))
		}
		for _, v := range vs {
			a := math.Atan2(v.Y-cy, v.X-cx)
			if e := math.Abs(math.Hypot(v.X-cx, v.Y-cy) - radius(a)); e > 1e-6 {
				t.Fatalf("scale %d: kept %v, %g px off the data", scale, v, e)
			}
		}
		worst := 0.0
		for _, q := range px {
			best := math.Inf(1)
			for i := range vs {
				best = math.Min(best, segmentDistance(q, vs[i], vs[(i+1)%len(vs)]))
			}
			worst = math.Max(worst, best)
		}
		if limit := (simplifyTolerance + thinPx*math.Sqrt2) / float64(scale); worst > limit {
			t.Errorf("scale %d: a position of the data is %.3f px from the path; at most %.3f", scale, worst, limit)
		}
	}
	if kept[1] > 100 || 2*kept[2] < 3*kept[1] {
		t.Errorf("positions kept: %d at scale 1, %d at scale 2; want at most 100 at 1 and half as many again at 2", kept[1], kept[2])
	}
}

// segmentDistance is the distance from p to segment ab.
func segmentDistance(p, a, b canvas.Point) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.X-a.X)*dx+(p.Y-a.Y)*dy)/l2))
	}
	return math.Hypot(p.X-a.X-t*dx, p.Y-a.Y-t*dy)
}

// TestThinning: positions closer than thinPx pixels to the last one kept
// along both axes are left out before projecting, and none further: the
// degrees of thinning are thinPx pixels or less everywhere in the picture
// (to within a thousandth: Mercator is not linear), and thinPx at its
// highest latitude; at scale 2 half as many CSS pixels. Tolerance is
// simplifyTolerance in the same degrees of latitude.
func TestThinning(t *testing.T) {
	view := orb.Bound{Min: orb.Point{35, 30}, Max: orb.Point{45, 40}}
	d := &drawer{pr: fit(view, 600, 400), w: 600, h: 400}
	lon, lat := d.thinning()
	// The store's tolerance is the picture's own, in the same degrees.
	if tol := Tolerance(view, 600, 400, 1); math.Abs(tol-simplifyTolerance*lat/thinPx) > 1e-15 {
		t.Errorf("Tolerance %g°, want %g°", tol, simplifyTolerance*lat/thinPx)
	}
	d2 := &drawer{pr: d.pr, w: 600, h: 400, sc: &Scene{Scale: 2}}
	if lon2, lat2 := d2.thinning(); math.Abs(lon2-lon/2) > 1e-12 || math.Abs(lat2-lat/2) > 1e-12 {
		t.Errorf("scale 2: %g°, %g°; want half of %g°, %g°", lon2, lat2, lon, lat)
	}
	shown := d.pr.bound()
	for _, y := range []float64{shown.Min[1], (shown.Min[1] + shown.Max[1]) / 2, shown.Max[1]} {
		x0, y0 := d.pr.point(orb.Point{40, y})
		x1, _ := d.pr.point(orb.Point{40 + lon, y})
		_, y1 := d.pr.point(orb.Point{40, y + lat})
		if dx := math.Abs(x1 - x0); math.Abs(dx-thinPx) > 1e-9 {
			t.Errorf("at %.2f°: %g° of longitude is %g px, want %g", y, lon, dx, thinPx)
		}
		dy := math.Abs(y1 - y0)
		if dy > thinPx+1e-3 {
			t.Errorf("at %.2f°: %g° of latitude is %g px, more than %g", y, lat, dy, thinPx)
		}
		if y == shown.Max[1] && math.Abs(dy-thinPx) > 1e-3 {
			t.Errorf("at the top, %.2f°: %g° of latitude is %g px, want %g", y, lat, dy, thinPx)
		}
	}
}

// TestLegendOnlyDrawn: an area the store returned but that lies wholly
// outside the picture (8 px off it: within clipMargin, which path keeps
// for outlines crossing the edge) is neither drawn nor in the legend; one
// inside is both.
func TestLegendOnlyDrawn(t *testing.T) {
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	col := geo.Collection{ID: "areas", GeometryType: "Polygon",
		Style: geo.Style{Property: "controlled_by", Colors: map[string]string{"sdf": "#e3b505", "government": "#d62728"}}}
	square := func(lon, lat float64) orb.Polygon {
		return orb.Polygon{{{lon, lat}, {lon + 0.1, lat}, {lon + 0.1, lat + 0.1}, {lon, lat + 0.1}, {lon, lat}}}
	}
	view := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	beyond := fit(view, 400, 300).inverse(400+8, 150) // within what path keeps, 8 px off the picture
	sc := Scene{Width: 400, Height: 300, Scale: 1, View: view,
		Layers: []Layer{{Collection: col, Features: []geo.Feature{
			{ID: "in", Geometry: square(40.4, 36.4), Properties: map[string]any{"controlled_by": "sdf"}},
			{ID: "out", Geometry: square(beyond[0], beyond[1]), Properties: map[string]any{"controlled_by": "government"}},
		}}}}
	drawn, err := compose(context.Background(), &sc, fs, canvas.New(400, 300), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := drawn["controlled_by"]; !slices.Equal(got, []string{"sdf"}) {
		t.Errorf("legend of controlled_by: %v, want [sdf]", got)
	}
}

// TestPathNotFinite: a position that projects to no number (data that did
// not pass validation) is left out of the path, which canvas's rasterizer
// would otherwise scan without end.
func TestPathNotFinite(t *testing.T) {
	d := &drawer{pr: fit(orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}, 400, 300), w: 400, h: 300}
	for _, g := range []orb.Geometry{
		orb.LineString{{40.1, 36.1}, {math.NaN(), 36.5}, {40.9, 36.9}},
		orb.Polygon{{{40.1, 36.1}, {40.9, 36.1}, {math.Inf(1), 36.9}, {40.1, 36.9}, {40.1, 36.1}}},
	} {
		for _, v := range vertices(d.path(g)) {
			if math.IsNaN(v.X) || math.IsNaN(v.Y) || math.IsInf(v.X, 0) || math.IsInf(v.Y, 0) {
				t.Errorf("%T: path has %v", g, v)
			}
		}
	}
}
