package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

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
	st := &paintedStamp{dotStamp: newDotStamp(4, 2), fill: fill, edge: edge}
	st.draw(img, 10, 10) // disc to 4 px, rim 3 to 5 px
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
	st.draw(img, 0, 19.5) // cut by two edges
	if c := at(0, 19); c.R != 205 || c.G != 25 {
		t.Errorf("corner dot's centre %v, want red", c)
	}
}

// TestDotStamp: a stamped dot is the exact dot (each pixel's coverage by
// the distance of its centre from the disc's and the ring's edges) centred
// on the nearest eighth of a pixel, within the rounding of coverages to
// bytes, wherever its centre lies and at each style's size; nothing is
// drawn beyond the exact dot's reach. Painted in its two colours and laid
// over in one blend (paintedStamp), it is the same within rounding.
func TestDotStamp(t *testing.T) {
	fill, edge := color.NRGBA{200, 0, 0, 230}, color.NRGBA{255, 255, 255, 230}
	for _, size := range [][2]float64{{2.5, 0.5}, {4, 1}, {8, 2}, {2.5, 1.2}} {
		r, w := size[0], size[1]
		st := newDotStamp(r, w)
		for i := range 400 {
			cx, cy := 19+float64(i%19)/9.5, 20-float64(i/19)/10.5 // across pixels, both ways
			// Where the stamp puts the centre: within 1/16 px of it.
			phase, x0, y0, ok := st.place(cx, cy)
			qx := float64(x0+st.half) + float64(phase%stampPhases)/stampPhases
			qy := float64(y0+st.half) + float64(phase/stampPhases)/stampPhases
			if !ok || math.Abs(qx-cx) > 1.0/16+1e-9 || math.Abs(qy-cy) > 1.0/16+1e-9 {
				t.Fatalf("(%v, %v) drawn at (%v, %v)", cx, cy, qx, qy)
			}
			got, want := image.NewRGBA(image.Rect(0, 0, 40, 40)), image.NewRGBA(image.Rect(0, 0, 40, 40))
			for j := range got.Pix {
				got.Pix[j], want.Pix[j] = 40, 40
			}
			painted := image.NewRGBA(got.Rect)
			copy(painted.Pix, got.Pix)
			blendStamp(st, got, cx, cy, fill, edge)
			exactDot(want, qx, qy, r, w, fill, edge)
			// The stamp painted in the two colours, laid over in one blend.
			(&paintedStamp{dotStamp: st, fill: fill, edge: edge}).draw(painted, cx, cy)
			for j := range got.Pix {
				if d := int(got.Pix[j]) - int(want.Pix[j]); d > 2 || d < -2 {
					t.Fatalf("dot r %v w %v at (%v, %v): pixel byte %d is %d, exactly %d", r, w, cx, cy, j, got.Pix[j], want.Pix[j])
				}
				if d := int(painted.Pix[j]) - int(got.Pix[j]); d > 2 || d < -2 {
					t.Fatalf("painted dot r %v w %v at (%v, %v): pixel byte %d is %d, blended %d", r, w, cx, cy, j, painted.Pix[j], got.Pix[j])
				}
			}
		}
	}
}

// exactDot is the dot drawDots draws, computed for the exact centre (the
// definition dotStamp works out ahead).
func exactDot(img *image.RGBA, cx, cy, r, w float64, fill, edge color.NRGBA) {
	reach := r + w/2 + 0.5
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			dist := math.Sqrt(dx*dx + dy*dy)
			disc := clamp01(r + 0.5 - dist)
			ring := clamp01(reach-dist) - clamp01(r-w/2+0.5-dist)
			i := img.PixOffset(x, y)
			blend(img.Pix[i:i+4:i+4], fill, disc)
			blend(img.Pix[i:i+4:i+4], edge, ring)
		}
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

// TestDotsAnyOrder: the picture of a dot layer is the same, byte for byte,
// whatever order its features come in (a store may return them in any
// order: geo.Query.Unordered), overlapping dots of different colours and
// edges included; and it is not the picture without them.
func TestDotsAnyOrder(t *testing.T) {
	r, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	points := geo.Collection{ID: "points", GeometryType: "Point", Count: TileThreshold + 1,
		Style: geo.Style{Property: "controller"}}
	var feats []geo.Feature
	for i := range 3000 {
		// Clusters of three that overlap, one of them a claim.
		p := orb.Point{36 + float64(i/3%60)*0.1, 33 + float64(i/180)*0.25 + float64(i%3)*0.004}
		props := map[string]any{"controller": []string{"sdf", "government", "turkey"}[i%3]}
		if i%7 == 0 {
			props["claim_status"] = "claimed"
		}
		feats = append(feats, geo.Feature{ID: fmt.Sprintf("p%05d", i), Collection: "points", Geometry: p, Properties: props})
	}
	picture := func(fs []geo.Feature) []byte {
		var buf bytes.Buffer
		sc := Scene{Width: 600, Height: 400, Scale: 1, View: orb.Bound{Min: orb.Point{35, 32}, Max: orb.Point{43, 38}},
			Layers: []Layer{{Collection: points, Dots: true, Features: fs}}}
		if _, err := r.Render(context.Background(), &buf, sc, PNG); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	want := picture(feats)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3 {
		shuffled := slices.Clone(feats)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if !bytes.Equal(picture(shuffled), want) {
			t.Fatal("the dots drawn in another order make another picture")
		}
	}
	if bytes.Equal(picture(nil), want) {
		t.Fatal("the picture without its dots is the same")
	}
}

// TestCompositeDots: dots drawn on a transparent raster and laid over an
// image (how a picture draws them while the layers below are drawn) are
// the dots blended into the image one by one, within rounding; outside
// the box they were drawn in nothing changes.
func TestCompositeDots(t *testing.T) {
	pl := dotsPlan{zoom: 12, values: []string{"a", "b"}, drawn: []bool{true, true},
		fills: []color.NRGBA{{200, 30, 30, 230}, {20, 20, 220, 230}}}
	for i := range 40 {
		pl.dots = append(pl.dots, dotAt{x: 20 + float64(i%8)*3.3, y: 20 + float64(i/8)*2.9, value: i % 2, doubtful: i%5 == 0})
	}
	base := image.NewRGBA(image.Rect(0, 0, 80, 60))
	for i := range base.Pix {
		base.Pix[i] = uint8(100 + i%97) // any opaque picture below
		if i%4 == 3 {
			base.Pix[i] = 255
		}
	}
	direct := image.NewRGBA(base.Rect)
	copy(direct.Pix, base.Pix)
	pl.stamp(direct, 1)
	layer := image.NewRGBA(base.Rect)
	dirty := pl.stamp(layer, 1)
	over := image.NewRGBA(base.Rect)
	copy(over.Pix, base.Pix)
	composite(over, layer, dirty)
	changed := 0
	for i := range over.Pix {
		if d := int(over.Pix[i]) - int(direct.Pix[i]); d > 2 || d < -2 {
			t.Fatalf("byte %d: %d laid over, %d blended", i, over.Pix[i], direct.Pix[i])
		}
		if over.Pix[i] != base.Pix[i] {
			changed++
			if x, y := (i%(4*80))/4, i/(4*80); !image.Pt(x, y).In(dirty) {
				t.Fatalf("pixel (%d, %d) changed outside %v", x, y, dirty)
			}
		}
	}
	if changed == 0 {
		t.Fatal("no dot drawn")
	}
}

// TestLoadedLayer: a dot layer still to be read (Layer.Load) is read once
// and drawn as if its features had been given, checked against the limits
// with the others' when it comes (too many dots, or too many together
// with a layer given); its error is the picture's; an SVG reads it before
// anything is drawn and counts its points among MaxFeatures.
func TestLoadedLayer(t *testing.T) {
	r, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	points := geo.Collection{ID: "points", GeometryType: "Point", Count: TileThreshold + 1, Style: geo.Style{Property: "controller"}}
	pts := func(n int) []geo.Feature {
		out := make([]geo.Feature, n)
		for i := range out {
			out[i] = geo.Feature{ID: fmt.Sprintf("p%d", i), Geometry: orb.Point{36 + float64(i%100)*0.05, 33 + float64(i/100%100)*0.04},
				Properties: map[string]any{"controller": "sdf"}}
		}
		return out
	}
	view := orb.Bound{Min: orb.Point{35, 32}, Max: orb.Point{43, 38}}
	picture := func(f Format, layers ...Layer) ([]byte, error) {
		var buf bytes.Buffer
		_, err := r.Render(context.Background(), &buf, Scene{Width: 600, Height: 400, Scale: 1, View: view, Layers: layers}, f)
		return buf.Bytes(), err
	}
	var loads atomic.Int32 // two loaded layers are read side by side
	later := func(fs []geo.Feature, err error) func(context.Context) ([]geo.Feature, error) {
		return func(context.Context) ([]geo.Feature, error) { loads.Add(1); return fs, err }
	}
	given, err := picture(PNG, Layer{Collection: points, Dots: true, Features: pts(3000)})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := picture(PNG, Layer{Collection: points, Dots: true, Load: later(pts(3000), nil)})
	if err != nil || !bytes.Equal(loaded, given) || loads.Load() != 1 {
		t.Fatalf("loaded: %v, same picture %v, %d loads", err, bytes.Equal(loaded, given), loads.Load())
	}
	if _, err := picture(PNG, Layer{Collection: points, Dots: true, Load: later(pts(MaxDots+1), nil)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many dots loaded: %v", err)
	}
	half := func() Layer { return Layer{Collection: points, Dots: true, Load: later(pts(MaxDots/2+1), nil)} }
	if _, err := picture(PNG, half(), half()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("two loaded layers, too many dots together: %v", err)
	}
	if _, err := picture(PNG, Layer{Collection: points, Dots: true, Features: pts(MaxDots/2 + 1)}, half()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a given and a loaded layer, too many dots together: %v", err)
	}
	failed := errors.New("the store went away")
	if _, err := picture(PNG, Layer{Collection: points, Dots: true, Load: later(nil, failed)}); !errors.Is(err, failed) {
		t.Errorf("a failed read: %v", err)
	}
	if _, err := picture(SVG, Layer{Collection: points, Dots: true, Load: later(pts(MaxFeatures+1), nil)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an SVG of too many loaded points: %v", err)
	}
	if svg, err := picture(SVG, Layer{Collection: points, Dots: true, Load: later(pts(10), nil)}); err != nil || bytes.Count(svg, []byte("<path")) < 10 {
		t.Errorf("an SVG of 10 loaded points: %v, %d paths", err, bytes.Count(svg, []byte("<path")))
	}
	before := loads.Load()
	if _, err := picture(SVG, Layer{Collection: points, Features: pts(MaxFeatures + 1)}, Layer{Collection: points, Dots: true, Load: later(pts(10), nil)}); !errors.Is(err, ErrTooLarge) || loads.Load() != before {
		t.Errorf("an SVG too large without its loaded layer: %v, %d reads of it (want none)", err, loads.Load()-before)
	}
	// A PNG that fails on one loaded layer tells the next one, still being
	// read, that it is over, rather than waiting for it.
	var abandoned atomic.Bool
	slow := Layer{Collection: points, Dots: true, Load: func(ctx context.Context) ([]geo.Feature, error) {
		select {
		case <-ctx.Done():
			abandoned.Store(true)
			return nil, ctx.Err()
		case <-time.After(20 * time.Second):
			return pts(10), nil
		}
	}}
	if _, err := picture(PNG, Layer{Collection: points, Dots: true, Load: later(nil, failed)}, slow); !errors.Is(err, failed) || !abandoned.Load() {
		t.Errorf("a failed read and one still running: %v, the other told to stop %v", err, abandoned.Load())
	}
}

// TestBlendRows: the colour laid over at a coverage is, byte for byte,
// (c·a + p·(255−a) + 127) / 255 for every channel, with a the colour's
// alpha times the coverage, over every byte value below.
func TestBlendRows(t *testing.T) {
	for _, c := range []color.NRGBA{{200, 30, 90, 82}, {255, 255, 255, 255}, {0, 0, 0, 1}, {17, 250, 3, 230}} {
		for _, m := range []uint8{1, 77, 128, 254, 255} {
			img := image.NewRGBA(image.Rect(0, 0, 256, 1))
			for x := range 256 {
				img.Pix[4*x], img.Pix[4*x+1], img.Pix[4*x+2], img.Pix[4*x+3] = uint8(x), uint8(255-x), uint8(x*7), uint8(x)
			}
			before := slices.Clone(img.Pix)
			mask := make([]uint8, 256)
			for i := range mask {
				mask[i] = m
			}
			blendRows(img, image.Point{}, mask, 256, 1, c)
			a := (uint32(c.A)*uint32(m) + 127) / 255
			if m == 255 {
				a = uint32(c.A)
			}
			for i, p := range before {
				cv := []uint32{uint32(c.R), uint32(c.G), uint32(c.B), 255}[i%4]
				if want := uint8((cv*a + uint32(p)*(255-a) + 127) / 255); img.Pix[i] != want {
					t.Fatalf("colour %v coverage %d, byte %d (%d below): %d, want %d", c, m, i, p, img.Pix[i], want)
				}
			}
		}
	}
}

// blendStamp blends into img the dot of st centred on (cx, cy) in raster
// pixels, its disc in fill, then its ring in edge over it: the two blends
// a paintedStamp does in one, the tests' reference.
func blendStamp(st *dotStamp, img *image.RGBA, cx, cy float64, fill, edge color.NRGBA) image.Rectangle {
	phase, x0, y0, ok := st.place(cx, cy)
	if !ok {
		return image.Rectangle{}
	}
	cov := st.cover[phase]
	b := img.Rect.Intersect(image.Rect(x0, y0, x0+st.side, y0+st.side))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := cov[2*(y-y0)*st.side:]
		for x := b.Min.X; x < b.Max.X; x++ {
			c := row[2*(x-x0) : 2*(x-x0)+2 : 2*(x-x0)+2]
			if c[0]|c[1] == 0 {
				continue
			}
			i := img.PixOffset(x, y)
			px := img.Pix[i : i+4 : i+4]
			blend8(px, fill, c[0])
			blend8(px, edge, c[1])
		}
	}
	return b
}
