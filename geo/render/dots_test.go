package render

import (
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"

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
		return Scene{Width: DefaultWidth, Height: DefaultHeight, Scale: 1, Layers: []Layer{l},
			View: orb.Bound{Min: orb.Point{35, 32}, Max: orb.Point{43, 38}}}
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
		{"a MultiPoint counts its points", Layer{Collection: points, Features: []geo.Feature{{Geometry: make(orb.MultiPoint, MaxFeatures+1)}}}, SVG, false},
		{"dots of a MultiPoint", Layer{Collection: points, Dots: true, Features: []geo.Feature{{Geometry: make(orb.MultiPoint, MaxDots+1)}}}, PNG, false},
		{"a fifth of MaxDots, small", Layer{Collection: points, Dots: true, Features: pts(MaxDots / 5)}, PNG, true},
	} {
		err := Check(sc(c.l), c.f)
		if c.name == "a fifth of MaxDots, small" {
			// The same dots at zoom 14 and scale 2 are larger (radius 4 px,
			// twice the pixels across): more than MaxDots of the smallest.
			big := sc(c.l)
			big.Scale, big.Width, big.Height = 2, 1200, 1200
			big.View = orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{40.001, 36.001}}
			if err := Check(big, PNG); !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s at zoom 14, scale 2: %v, want ErrTooLarge", c.name, err)
			}
		}
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrTooLarge)) {
			t.Errorf("%s: %v, want ok %v", c.name, err, c.ok)
		}
	}
}

// TestHatchRaster: the hatching blended through a mask of the region is
// the hatching hatch cuts out of the stripes with the region, drawn by
// canvas's rasterizer: the same pixels to within anti-aliasing, at scale 1
// and 2, and none outside the region.
func TestHatchRaster(t *testing.T) {
	for _, scale := range []int{1, 2} {
		region := &canvas.Path{}
		region.MoveTo(20, 30)
		region.LineTo(170, 50)
		region.LineTo(120, 180)
		region.LineTo(40, 150)
		region.Close()
		c := color.NRGBA{200, 30, 30, 230}
		draw := func(vector bool) *image.RGBA {
			ras := rasterizer.New(200, 200, canvas.DPMM(float64(scale)), canvas.DefaultColorSpace)
			img := ras.Image.(*image.RGBA)
			for i := range img.Pix {
				img.Pix[i] = 255
			}
			ctx := canvas.NewContext(ras)
			ctx.SetCoordSystem(canvas.CartesianIV)
			d := &drawer{ctx: ctx, img: img, sc: &Scene{Scale: scale}}
			if vector {
				d.drawPath(hatch(region), c, stroke{})
			} else if !d.hatchRaster(region, c) {
				t.Fatal("hatchRaster: no raster")
			}
			return img
		}
		a, b := draw(false), draw(true)
		var differ, hatched int
		for y := range a.Rect.Dy() {
			for x := range a.Rect.Dx() {
				ca, cb := a.RGBAAt(x, y), b.RGBAAt(x, y)
				if max(absInt(int(ca.R)-int(cb.R)), absInt(int(ca.G)-int(cb.G)), absInt(int(ca.B)-int(cb.B))) > 60 {
					differ++
				}
				if ca.G < 128 {
					hatched++
				}
				// Outside the region's box nothing is drawn.
				if (x < 19*scale || x > 171*scale || y < 29*scale || y > 181*scale) && ca != (color.RGBA{255, 255, 255, 255}) {
					t.Fatalf("scale %d: pixel %d,%d outside the region is %v", scale, x, y, ca)
				}
			}
		}
		n := a.Rect.Dx() * a.Rect.Dy()
		if hatched < n/20 || differ > n/100 {
			t.Errorf("scale %d: %d pixels hatched, %d differ from the vector hatching by more than 60 (of %d)", scale, hatched, differ, n)
		}
	}
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestDotCollection: the map draws from tiles, and a picture as dots, a
// point collection of more than TileThreshold features that is neither
// events nor the basemap; a large collection of areas is drawn as areas.
func TestDotCollection(t *testing.T) {
	for _, c := range []struct {
		col  geo.Collection
		want bool
	}{
		{geo.Collection{ID: "points", GeometryType: "Point", Count: TileThreshold + 1}, true},
		{geo.Collection{ID: "points", GeometryType: "MultiPoint", Count: TileThreshold + 1}, true},
		{geo.Collection{ID: "points", GeometryType: "Point", Count: TileThreshold}, false},
		{geo.Collection{ID: "zones", GeometryType: "Polygon", Count: 40000}, false},
		{geo.Collection{ID: "events", GeometryType: "Point", Role: geo.RoleEvents, Count: 40000}, false},
		{geo.Collection{ID: "basemap", GeometryType: "Point", Count: 40000}, false},
	} {
		if got := DotCollection(c.col); got != c.want {
			t.Errorf("%s %s of %d: %v, want %v", c.col.ID, c.col.GeometryType, c.col.Count, got, c.want)
		}
	}
}
