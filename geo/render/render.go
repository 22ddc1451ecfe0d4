package render

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"runtime"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/pdf"
	"github.com/tdewolff/canvas/renderers/rasterizer"
	"github.com/tdewolff/canvas/renderers/svg"
)

// Format is a picture's file format.
type Format int

// Formats.
const (
	PNG Format = iota
	SVG
	PDF
)

// MediaType is the media type of the format.
func (f Format) MediaType() string {
	switch f {
	case SVG:
		return "image/svg+xml"
	case PDF:
		return "application/pdf"
	}
	return "image/png"
}

// ErrTooLarge is returned (wrapped) for a scene past the limits above.
var ErrTooLarge = errors.New("render: picture too large")

// Renderer draws pictures, at most n at a time. It is safe for concurrent
// use; its zero value is not.
type Renderer struct {
	slots chan *fonts
}

// New returns a renderer drawing at most n pictures at once (at least 1):
// each holds a raster of up to MaxPixels pixels and its own fonts while it
// draws, so n bounds the memory drawing takes.
func New(n int) (*Renderer, error) {
	n = max(n, 1)
	r := &Renderer{slots: make(chan *fonts, n)}
	for range n {
		f, err := loadFonts()
		if err != nil {
			return nil, err
		}
		r.slots <- f
	}
	return r, nil
}

// Check reports whether sc's size is within the limits for a picture in
// format f: at most MaxFeatures features (a MultiPoint counting its
// points), the points of dot layers (Layer.Dots) among them but in a PNG,
// where they may be up to MaxDots more of the smallest size (dotWeight).
// The features of a layer still to be read (Layer.Load) are checked, with
// the others', when they come.
func Check(sc Scene, f Format) error {
	switch {
	case sc.Width < MinWidth || sc.Width > MaxSide || sc.Height < MinHeight || sc.Height > MaxSide:
		return fmt.Errorf("%w: %d×%d pixels; width %d to %d, height %d to %d", ErrTooLarge, sc.Width, sc.Height, MinWidth, MaxSide, MinHeight, MaxSide)
	case sc.Scale < 1 || sc.Scale > MaxScale:
		return fmt.Errorf("%w: scale %d; 1 to %d", ErrTooLarge, sc.Scale, MaxScale)
	case sc.Width*sc.Height*sc.Scale*sc.Scale > MaxPixels:
		return fmt.Errorf("%w: %d×%d at scale %d is %d pixels; at most %d", ErrTooLarge, sc.Width, sc.Height, sc.Scale, sc.Width*sc.Height*sc.Scale*sc.Scale, MaxPixels)
	}
	var c counts
	for _, l := range sc.Layers {
		if err := c.add(sc, l, f); err != nil {
			return err
		}
	}
	return nil
}

// counts are the features and dots of a picture counted so far, against
// MaxFeatures and MaxDots.
type counts struct {
	n, dots int
}

// add counts l's features (a MultiPoint draws every point: it counts as
// that many) and reports whether the picture is still within the limits.
func (c *counts) add(sc Scene, l Layer, f Format) error {
	for _, ft := range l.Features {
		k := max(1, pointCount(ft.Geometry))
		if f == PNG && dotLayer(l) && IsPoints(ft.Geometry) {
			c.dots += k
		} else {
			c.n += k
		}
	}
	if c.n > MaxFeatures {
		return fmt.Errorf("%w: %d features; at most %d", ErrTooLarge, c.n, MaxFeatures)
	}
	if w := dotWeight(sc); float64(c.dots)*w > MaxDots {
		return fmt.Errorf("%w: %d points drawn as dots of %.1f times the smallest size; at most %d of that size", ErrTooLarge, c.dots, w, MaxDots)
	}
	return nil
}

// Render draws sc and writes it to w in format f. It waits for a free slot
// until ctx ends. It returns what the legend lists.
func (r *Renderer) Render(ctx context.Context, w io.Writer, sc Scene, f Format) (Drawn, error) {
	if err := Check(sc, f); err != nil {
		return nil, err
	}
	if f != PNG && slices.ContainsFunc(sc.Layers, func(l Layer) bool { return l.Load != nil }) {
		// Only a raster draws a layer while it is read: the others read
		// it now, once what was given passed, and check all of it again.
		sc.Layers = slices.Clone(sc.Layers)
		for i, l := range sc.Layers {
			if l.Load != nil {
				feats, err := l.Load(ctx)
				if err != nil {
					return nil, err
				}
				sc.Layers[i].Features, sc.Layers[i].Load = feats, nil
			}
		}
		if err := Check(sc, f); err != nil {
			return nil, err
		}
	}
	var fs *fonts
	select {
	case fs = <-r.slots:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { r.slots <- fs }()
	wd, ht := float64(sc.Width), float64(sc.Height)
	bw := bufio.NewWriter(w)
	var drawn Drawn
	var err error
	switch f {
	case SVG, PDF:
		c := canvas.New(wd, ht)
		if drawn, err = compose(ctx, &sc, fs, c, false); err != nil {
			return nil, err
		}
		if f == SVG {
			s := svg.New(bw, wd, ht, &svg.Options{SizeUnits: "px", ImageEncoding: canvas.Lossless})
			c.RenderTo(s)
			if err := s.Close(); err != nil {
				return nil, fmt.Errorf("render: svg: %w", err)
			}
			break
		}
		// A CSS pixel is 1/96 inch.
		const mmPerPx = 25.4 / 96
		p := pdf.New(bw, wd*mmPerPx, ht*mmPerPx, nil)
		c.RenderViewTo(p, canvas.Identity.Scale(mmPerPx, mmPerPx))
		if err := p.Close(); err != nil {
			return nil, fmt.Errorf("render: pdf: %w", err)
		}
	default:
		// Drawn straight onto the raster, not recorded on a canvas first
		// (which copies every path and keeps them all until the end).
		ras := rasterizer.New(wd, ht, canvas.DPMM(float64(sc.Scale)), canvas.DefaultColorSpace)
		if drawn, err = compose(ctx, &sc, fs, ras, true); err != nil {
			return nil, err
		}
		ras.Close()
		if err := writePNG(bw, ras.Image.(*image.RGBA), runtime.GOMAXPROCS(0)); err != nil {
			return nil, fmt.Errorf("render: png: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("render: write: %w", err)
	}
	return drawn, nil
}

// compose draws the scene on r, a canvas or a raster of its size in CSS
// pixels, origin at the top left; raster when it is a PNG's (see
// drawer.raster). Drawing stops, with ctx's error, once ctx is done.
func compose(ctx context.Context, sc *Scene, fs *fonts, r canvas.Renderer, raster bool) (Drawn, error) {
	// stop tells the layers still read (Layer.Load) that the picture is
	// over: it has failed, or every layer is drawn.
	ctx, stop := context.WithCancel(ctx)
	w, h := float64(sc.Width), float64(sc.Height)
	cc := canvas.NewContext(r)
	cc.SetCoordSystem(canvas.CartesianIV)
	pr := fit(sc.View, w, h)
	d := &drawer{ctx: cc, pr: pr, f: fs, sc: sc, w: w, h: h, raster: raster, cancelled: ctx.Err, img: rasterImage(r),
		u:    math.Max(0.75, math.Min(1.5, math.Min(w/DefaultWidth, h/DefaultHeight))),
		zoom: math.Log2(pr.k / 256)}
	d.drawPath(canvas.Rectangle(w, h), colBackground, stroke{})
	// On a raster, the dots of a tiled layer (tens of thousands) are drawn
	// on one of their own while the layers below them are drawn, then
	// laid over them at their turn.
	pending := make([]*dotsDrawing, len(sc.Layers))
	if _, ok := d.img.(*image.RGBA); ok {
		var loaded counts // what Check counted: the layers not to be read
		for _, l := range sc.Layers {
			_ = loaded.add(*sc, l, PNG)
		}
		var limits dotsLimits
		limits.counts = loaded
		for i, l := range sc.Layers {
			if dotLayer(l) {
				pending[i] = d.startDots(ctx, l, &limits)
			}
		}
	}
	// No goroutine outlives the picture (nor its slot), nor waits for a
	// read the picture no longer needs.
	defer func() {
		stop()
		for _, p := range pending {
			if p != nil {
				<-p.done
			}
		}
	}()
	for i, l := range sc.Layers {
		if d.err != nil {
			break // the picture has failed: the layers above need not wait
		}
		d.drawLayer(l, pending[i])
		// The change view lies over the areas and under the lines, as on
		// the map (its pane is between them).
		if sc.Changes != nil && l.Collection.ID == sc.Changes.Areas.ID {
			d.drawChanges()
		} else if sc.Changes != nil && i == len(sc.Layers)-1 && !hasLayer(sc, sc.Changes.Areas.ID) {
			d.drawChanges()
		}
	}
	if sc.Changes != nil && len(sc.Layers) == 0 {
		d.drawChanges()
	}
	if d.err != nil {
		return nil, d.err
	}
	d.frame()
	return d.legend.drawn(), nil
}

func hasLayer(sc *Scene, id string) bool {
	for _, l := range sc.Layers {
		if l.Collection.ID == id {
			return true
		}
	}
	return false
}

// rasterImage is the image r draws on when it is a rasterizer, else nil.
func rasterImage(r canvas.Renderer) image.Image {
	if ras, ok := r.(*rasterizer.Rasterizer); ok {
		return ras.Image
	}
	return nil
}

// pointCount is how many points g draws (as points(g), without a copy).
func pointCount(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.Collection:
		n := 0
		for _, c := range g {
			n += pointCount(c)
		}
		return n
	}
	return 0
}
