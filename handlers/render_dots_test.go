package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/render"
	"github.com/controlmap/controlmap/handlers"
)

// Pictures drawn from many features: the points as dots, renders bounded
// when many run at once, reads that fail or come back in another order,
// and the same picture from both stores.

// concurrentItems counts the Items calls in flight, and the most at once.
type concurrentItems struct {
	*memory.Store
	now, most atomic.Int32
}

func (c *concurrentItems) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	time.Sleep(5 * time.Millisecond) // long enough for the others to pile up
	return c.Store.Items(ctx, collection, q)
}

// TestRenderBounded: however many pictures are asked at once, no more
// scenes are read from the store at a time than there are processors (a
// waiting request holds no scene, so memory is that of GOMAXPROCS
// pictures; a scene reads its layers one after another, but for a PNG's
// dots, read beside them), and every one is drawn.
func TestRenderBounded(t *testing.T) {
	st, err := memory.Load(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	cs := &concurrentItems{Store: st}
	e := newServer(t, cs)
	const asked = 16
	var wg sync.WaitGroup
	codes := make([]int, asked)
	for i := range asked {
		wg.Go(func() {
			// Distinct pictures: none is shared by the cache or singleflight.
			codes[i] = do(t, e, http.MethodGet, fmt.Sprintf("/render.svg?date=2026-01-20&width=%d&layers=facilities,events", 600+i), "").Code
		})
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("picture %d: status %d", i, code)
		}
	}
	if most, procs := cs.most.Load(), int32(runtime.GOMAXPROCS(0)); most > procs || most == 0 {
		t.Errorf("%d store reads at once for %d pictures asked together; at most %d (GOMAXPROCS)", most, asked, procs)
	}
}

// TestRenderSameOnBothStores: the picture of detailed generated areas (200
// to 2,000 positions each) is the same from PostGIS, which sends them
// simplified to the picture's resolution (geo.Query.Simplify), as from the
// memory store, which draws them whole: at scale 1 and 2, a zoomed-in box
// too, few pixels differ and none by much.
func TestRenderSameOnBothStores(t *testing.T) {
	ds := gen.Scale(1, gen.Options{Polygons: 120, Points: 10, Facilities: 5, Events: 5})
	mem := newServer(t, memory.New(ds))
	pg := newServer(t, pgtest.NewStore(t, gen.Scale(1, gen.Options{Polygons: 120, Points: 10, Facilities: 5, Events: 5})))
	// A box of 0.2° around the middle of an area, at a date it is valid.
	f := ds.Features[gen.Areas][0]
	c := f.Geometry.Bound().Center()
	zoomed := fmt.Sprintf("date=%s&layers=%s&bbox=%g,%g,%g,%g", f.Valid.Start.Format(time.DateOnly), gen.Areas, c[0]-0.1, c[1]-0.1, c[0]+0.1, c[1]+0.1)
	for _, q := range []string{
		"date=2026-01-15&layers=" + gen.Areas,
		"date=2026-01-15&layers=" + gen.Areas + "&scale=2&width=600&height=400",
		zoomed,
	} {
		a, b := renderPNG(t, mem, q), renderPNG(t, pg, q)
		if a.Bounds() != b.Bounds() {
			t.Fatalf("%s: sizes %v and %v", q, a.Bounds(), b.Bounds())
		}
		var differ, worst int
		r := a.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				ca, cb := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA), color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
				d := max(absDiff(ca.R, cb.R), absDiff(ca.G, cb.G), absDiff(ca.B, cb.B))
				if d > 8 {
					differ++
				}
				worst = max(worst, d)
			}
		}
		share := float64(differ) / float64(r.Dx()*r.Dy())
		t.Logf("%s: %.3f%% of pixels differ by more than 8, at most by %d", q, 100*share, worst)
		if share > 0.01 {
			t.Errorf("%s: %.2f%% of pixels differ by more than 8 (at most by %d); want under 1%%", q, 100*share, worst)
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestRenderDots: a point layer of more than render.TileThreshold features
// (the map draws it from vector tiles) is drawn in a PNG as the tiles draw
// it, a dot in the colour of the point's value, and the default picture of
// such a dataset is answered rather than refused; an SVG of it is refused
// (400 naming bbox), saying that a PNG draws it.
func TestRenderDots(t *testing.T) {
	opts := gen.Options{Polygons: 5, Points: 3 * render.MaxFeatures, Facilities: 3, Events: 3}
	ds := gen.Scale(2, opts)
	const date = "2026-01-15"
	day := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	valid := func(f geo.Feature) bool { return geo.Day(day).Intersects(f.Valid) }
	// A point with no other within 0.01° (a dot is 8 pixels wide at the
	// zoom of a 0.2° box): its dot is not drawn over.
	var lone geo.Feature
	pts := ds.Features[gen.Points]
search:
	for _, f := range pts {
		if !valid(f) {
			continue
		}
		p := f.Geometry.(orb.Point)
		for _, g := range pts {
			if q := g.Geometry.(orb.Point); g.ID != f.ID && valid(g) && math.Abs(q[0]-p[0]) < 0.01 && math.Abs(q[1]-p[1]) < 0.01 {
				continue search
			}
		}
		lone = f
		break
	}
	if lone.ID == "" {
		t.Fatal("no lone point in the generated data")
	}
	n := 0
	for _, f := range pts {
		if valid(f) {
			n++
		}
	}
	if n <= render.MaxFeatures {
		t.Fatalf("%d points on %s; the test needs more than %d", n, date, render.MaxFeatures)
	}
	p := lone.Geometry.(orb.Point)
	box := orb.Bound{Min: orb.Point{p[0] - 0.1, p[1] - 0.1}, Max: orb.Point{p[0] + 0.1, p[1] + 0.1}}
	for _, name := range []string{"memory", "postgis"} {
		t.Run(name, func(t *testing.T) {
			var st geo.Store = memory.New(gen.Scale(2, opts))
			if name == "postgis" {
				st = pgtest.NewStore(t, gen.Scale(2, opts))
			}
			e := newServer(t, st)
			want := styleColor(t, e, gen.Points, lone.Properties["controller"].(string))
			q := fmt.Sprintf("date=%s&layers=%s&bbox=%g,%g,%g,%g", date, gen.Points, box.Min[0], box.Min[1], box.Max[0], box.Max[1])
			img := renderPNG(t, e, q)
			x, y := webMercator(box, testWidth, testHeight)(p)
			if c := img.At(int(x), int(y)); !near(c, want, 40) {
				t.Errorf("pixel at %s (%.0f, %.0f): %v, want about %v (the dot of %s)", lone.ID, x, y, c, want, lone.Properties["controller"])
			}
			// Every layer, the whole extent: more than MaxFeatures points.
			whole := gen.DefaultOptions().Bound
			all := fmt.Sprintf("date=%s&bbox=%g,%g,%g,%g", date, whole.Min[0], whole.Min[1], whole.Max[0], whole.Max[1])
			renderPNG(t, e, all)
			rec := get(t, e, "/render.svg?"+all, http.StatusBadRequest)
			if b := rec.Body.String(); !strings.Contains(b, `"parameter":"bbox"`) || !strings.Contains(b, "ask a PNG") {
				t.Errorf("SVG of every point: %s", b)
			}
		})
	}
}

// failingItems fails a picture's reads of one collection after a pause,
// holds its reads of another until their context ends (or 10 s pass), and
// counts the reads in flight.
type failingItems struct {
	geo.Store
	fail, hold string
	inFlight   atomic.Int32
	cancelled  atomic.Int32 // held reads ended by their context
}

func (s *failingItems) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	if !q.Uncounted {
		// Not a picture's read: the data's change dates (the wrapper
		// hides the store's own Changes).
		return s.Store.Items(ctx, collection, q)
	}
	switch collection {
	case s.fail:
		time.Sleep(20 * time.Millisecond) // the dots' read is under way
		return geo.Page{}, fmt.Errorf("%w: the store went away", geo.ErrUnavailable)
	case s.hold:
		select {
		case <-ctx.Done():
			s.cancelled.Add(1)
			return geo.Page{}, ctx.Err()
		case <-time.After(10 * time.Second):
		}
	}
	return s.Store.Items(ctx, collection, q)
}

// TestRenderDotsRead: a PNG whose dots are read beside the other layers
// answers as the same picture from a store that reads them in any order
// (here: reversed); when another layer's read fails, the answer is the
// store's error, the dots' read still running is cancelled, and no read
// is left running.
func TestRenderDotsRead(t *testing.T) {
	ds := gen.Scale(1, gen.Options{Polygons: 30, Points: render.TileThreshold + 500, Facilities: 5, Events: 5})
	st := memory.New(ds)
	date := ds.Features[gen.Points][0].Valid.Start.Format(time.DateOnly)
	target := "/render.png?date=" + date
	want := do(t, newServer(t, st), http.MethodGet, target)
	if want.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", target, want.Code, want.Body)
	}
	if got := do(t, newServer(t, reversedItems{st}), http.MethodGet, target); got.Code != http.StatusOK || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Errorf("points read in another order: %d, same picture %v", got.Code, bytes.Equal(got.Body.Bytes(), want.Body.Bytes()))
	}
	fs := &failingItems{Store: st, fail: gen.Events, hold: gen.Points}
	rec := do(t, newServer(t, fs), http.MethodGet, target)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("events failing: %d %s", rec.Code, rec.Body)
	}
	if n := fs.inFlight.Load(); n != 0 {
		t.Errorf("%d reads still running after the answer", n)
	}
	if n := fs.cancelled.Load(); n != 1 {
		t.Errorf("the dots' read ended by its context %d times, want 1 (cancelled when the picture failed)", n)
	}
}

// reversedItems answers pages in reverse order, as a store may for
// geo.Query.Unordered.
type reversedItems struct{ *memory.Store }

func (s reversedItems) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	p, err := s.Store.Items(ctx, collection, q)
	if q.Unordered {
		slices.Reverse(p.Features)
	}
	return p, err
}

// TestRenderTwoReads: a PNG of two dot layers and others reads at most
// two layers at a time (its dot layers one after another, beside the
// others), and draws them all.
func TestRenderTwoReads(t *testing.T) {
	ds := gen.Scale(1, gen.Options{Polygons: 20, Points: render.TileThreshold + 200, Facilities: render.TileThreshold + 100, Events: 5})
	cs := &concurrentItems{Store: memory.New(ds)}
	date := ds.Features[gen.Points][0].Valid.Start.Format(time.DateOnly)
	if rec := do(t, newServer(t, cs), http.MethodGet, "/render.png?date="+date); rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if most := cs.most.Load(); most != 2 {
		t.Errorf("%d reads at once, want 2 (the dots' reader beside the others)", most)
	}
}

// TestRenderDotsPooled: the dots' raster and the PNG's buffers are reused
// from one picture to the next (geo/render's pools): a picture drawn again
// after others of other dots (another date, a smaller box, another size)
// is the same bytes as the first time, and differs from them.
func TestRenderDotsPooled(t *testing.T) {
	ds := gen.Scale(1, gen.Options{Polygons: 10, Points: render.TileThreshold + 500, Facilities: 5, Events: 5})
	e := serverWith(t, memory.New(ds), handlers.Options{CacheBytes: -1})
	p := ds.Features[gen.Points][0].Geometry.(orb.Point)
	targets := []string{
		"/render.png?date=2026-01-15",
		"/render.png?date=2025-10-01",
		fmt.Sprintf("/render.png?date=2025-10-01&bbox=%g,%g,%g,%g", p[0]-0.3, p[1]-0.3, p[0]+0.3, p[1]+0.3),
		"/render.png?date=2026-01-15&width=600&height=400",
	}
	first := map[string][]byte{}
	for _, target := range targets {
		first[target] = do(t, e, http.MethodGet, target).Body.Bytes()
	}
	for i, a := range targets {
		for _, b := range targets[:i] {
			if bytes.Equal(first[a], first[b]) {
				t.Fatalf("%s and %s are the same picture: the test compares nothing", a, b)
			}
		}
	}
	for i := len(targets) - 1; i >= 0; i-- {
		rec := do(t, e, http.MethodGet, targets[i])
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), first[targets[i]]) {
			t.Errorf("%s drawn again: status %d, %d bytes, not the %d of the first time", targets[i], rec.Code, rec.Body.Len(), len(first[targets[i]]))
		}
	}
}
