package render

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tdewolff/canvas"
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
	got := strips(t, fastStroke(square, stroke{width: 2}))
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
	dashed := strips(t, fastStroke(line, stroke{width: 1, dash: []float64{3, 3}}))
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
	if n := len(strips(t, fastStroke(line, stroke{width: 1, dash: []float64{0, 0}}))); n != 3 {
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
