package render

import (
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// TestDot: a dot is its fill colour at its centre (at 0.9 over what lay
// beneath), its edge's colour on its rim, nothing beyond; one cut by the
// image's edge is drawn in part, without a fault.
func TestDot(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 20, 20))
	for i := range img.Pix {
		img.Pix[i] = 255 // white, opaque
	}
	fill, edge := color.NRGBA{200, 0, 0, 230}, color.NRGBA{0, 0, 200, 255}
	dot(img, 10, 10, 4, 2, fill, edge) // disc to 4 px, rim 3 to 5 px
	at := func(x, y int) color.RGBA { return img.RGBAAt(x, y) }
	// Centre: 0.9 red over white, 230/255 of 200 and the rest of 255.
	if c := at(9, 9); c.R != 205 || c.G != 25 || c.B != 25 {
		t.Errorf("centre %v, want red", c)
	}
	// The rim, 3.5 px from the centre along a row: the edge's blue.
	if c := at(13, 9); c != (color.RGBA{0, 0, 200, 255}) {
		t.Errorf("rim %v, want the edge's blue", c)
	}
	// Beyond radius and edge: untouched.
	for _, p := range [][2]int{{16, 9}, {9, 16}, {0, 0}, {16, 16}} {
		if c := at(p[0], p[1]); c != (color.RGBA{255, 255, 255, 255}) {
			t.Errorf("pixel %v outside the dot: %v", p, c)
		}
	}
	dot(img, 0, 19.5, 4, 2, fill, edge) // cut by two edges
	if c := at(0, 19); c.R != 205 || c.G != 25 {
		t.Errorf("corner dot's centre %v, want red", c)
	}
}

// TestCheckDots: the points of a dot layer count against MaxDots in a PNG
// and against MaxFeatures in an SVG or a PDF; its other features and every
// other layer's always count against MaxFeatures.
func TestCheckDots(t *testing.T) {
	pts := func(n int) []geo.Feature {
		out := make([]geo.Feature, n)
		for i := range out {
			out[i] = geo.Feature{Geometry: orb.Point{40, 36}}
		}
		return out
	}
	points := geo.Collection{ID: "points", GeometryType: "Point"}
	sc := func(l Layer) Scene {
		return Scene{Width: DefaultWidth, Height: DefaultHeight, Scale: 1, Layers: []Layer{l}}
	}
	for _, c := range []struct {
		name string
		l    Layer
		f    Format
		ok   bool
	}{
		{"dots in a PNG", Layer{Collection: points, Dots: true, Features: pts(MaxFeatures + 1)}, PNG, true},
		{"dots in an SVG", Layer{Collection: points, Dots: true, Features: pts(MaxFeatures + 1)}, SVG, false},
		{"dots in a PDF", Layer{Collection: points, Dots: true, Features: pts(MaxFeatures + 1)}, PDF, false},
		{"too many dots", Layer{Collection: points, Dots: true, Features: pts(MaxDots + 1)}, PNG, false},
		{"points not tiled", Layer{Collection: points, Features: pts(MaxFeatures + 1)}, PNG, false},
		{"areas of a tiled layer", Layer{Collection: points, Dots: true, Features: append(pts(10), make([]geo.Feature, MaxFeatures+1)...)}, PNG, false},
		{"events are never dots", Layer{Collection: geo.Collection{ID: "events", Role: geo.RoleEvents}, Dots: true, Features: pts(MaxFeatures + 1)}, PNG, false},
	} {
		err := Check(sc(c.l), c.f)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrTooLarge)) {
			t.Errorf("%s: %v, want ok %v", c.name, err, c.ok)
		}
	}
}
