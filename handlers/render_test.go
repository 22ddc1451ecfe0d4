package handlers_test

import (
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// shippedStores runs f as a subtest per backend holding the shipped
// dataset: memory always, PostGIS when a server is available.
func shippedStores(t *testing.T, f func(t *testing.T, e *echo.Echo)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		st, err := memory.Load(data.FS)
		if err != nil {
			t.Fatal(err)
		}
		f(t, newServer(t, st))
	})
	t.Run("postgis", func(t *testing.T) {
		ds, err := geo.LoadDir(data.FS)
		if err != nil {
			t.Fatal(err)
		}
		f(t, newServer(t, pgtest.NewStore(t, ds)))
	})
}

// The box the pixel tests draw: the study area.
const (
	testBBox              = "37.5,34.3,42.4,37.35"
	testWidth, testHeight = 1200, 675
)

// webMercator projects lon, lat into a w by h picture fitting box b,
// centred, keeping the aspect ratio: the test's own projection.
func webMercator(b orb.Bound, w, h float64) func(orb.Point) (float64, float64) {
	merc := func(p orb.Point) (float64, float64) {
		s := math.Sin(p[1] * math.Pi / 180)
		return (p[0] + 180) / 360, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
	}
	x0, y1 := merc(b.Min)
	x1, y0 := merc(b.Max)
	k := math.Min(w/(x1-x0), h/(y1-y0))
	cx, cy := (x0+x1)/2, (y0+y1)/2
	return func(p orb.Point) (float64, float64) {
		x, y := merc(p)
		return (x-cx)*k + w/2, (y-cy)*k + h/2
	}
}

func testProjection(t *testing.T) func(orb.Point) (float64, float64) {
	t.Helper()
	b, err := geo.ParseBBox(testBBox)
	if err != nil {
		t.Fatal(err)
	}
	return webMercator(b, testWidth, testHeight)
}

// renderPNG gets a picture and decodes it.
func renderPNG(t *testing.T, e *echo.Echo, query string) image.Image {
	t.Helper()
	rec := get(t, e, "/render.png?"+query, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type %q", ct)
	}
	img, err := png.Decode(rec.Body)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// styleColor reads the colour a collection's style gives a value.
func styleColor(t *testing.T, e *echo.Echo, collection, value string) color.NRGBA {
	t.Helper()
	var col struct {
		Style struct {
			Colors map[string]string `json:"colors"`
		} `json:"style"`
	}
	getJSON(t, e, "/collections/"+collection, &col)
	hex, ok := col.Style.Colors[value]
	if !ok {
		t.Fatalf("%s has no colour for %q", collection, value)
	}
	var c color.NRGBA
	c.A = 255
	if _, err := fmt.Sscanf(hex, "#%02x%02x%02x", &c.R, &c.G, &c.B); err != nil {
		t.Fatalf("colour %q: %v", hex, err)
	}
	return c
}

func near(a color.Color, b color.NRGBA, tol int) bool {
	c := color.NRGBAModel.Convert(a).(color.NRGBA)
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(c.R, b.R) <= tol && d(c.G, b.G) <= tol && d(c.B, b.B) <= tol
}

// siteOn returns the published position and controller of a facility on a date.
func siteOn(t *testing.T, e *echo.Echo, site, date string) (orb.Point, string) {
	t.Helper()
	var fc geojson.FeatureCollection
	getJSON(t, e, "/collections/facilities/items?site="+site+"&datetime="+date, &fc)
	if len(fc.Features) == 0 {
		t.Fatalf("no %s on %s", site, date)
	}
	f := fc.Features[len(fc.Features)-1] // the version that starts last, as the map keeps
	for _, g := range fc.Features {
		if g.Properties.MustString("valid_from", "") > f.Properties.MustString("valid_from", "") {
			f = g
		}
	}
	return f.Geometry.(orb.Point), f.Properties.MustString("controller", "")
}

// TestRenderSiteColour checks the picture's pixels at al-Shaddadi prison's
// published position: the SDF's colour on 15 January 2026, the
// government's on 20 January (FACTS: the SDF lost the prison on 19 January).
func TestRenderSiteColour(t *testing.T) {
	shippedStores(t, func(t *testing.T, e *echo.Echo) {
		proj := testProjection(t)
		for _, c := range []struct{ date, controller string }{{"2026-01-15", "sdf"}, {"2026-01-20", "government"}} {
			at, ctrl := siteOn(t, e, "al-shaddadi-prison", c.date)
			if ctrl != c.controller {
				t.Fatalf("%s: the data says %q held al-Shaddadi prison, want %q", c.date, ctrl, c.controller)
			}
			want := styleColor(t, e, "facilities", ctrl)
			img := renderPNG(t, e, "date="+c.date+"&bbox="+testBBox)
			if b := img.Bounds(); b.Dx() != testWidth || b.Dy() != testHeight {
				t.Fatalf("size %v", b)
			}
			x, y := proj(at)
			px, py := int(math.Floor(x)), int(math.Floor(y))
			for dx := -2; dx <= 2; dx++ {
				for dy := -2; dy <= 2; dy++ {
					if got := img.At(px+dx, py+dy); !near(got, want, 3) {
						t.Errorf("%s: pixel (%d,%d) near al-Shaddadi prison at %v is %v, want %s's colour %v", c.date, px+dx, py+dy, at, got, ctrl, want)
					}
				}
			}
		}
	})
}

// TestRenderScale2 checks that scale=2 doubles the pixels of the same picture.
func TestRenderScale2(t *testing.T) {
	e := newServer(t, shippedMemory(t))
	img := renderPNG(t, e, "date=2026-01-20&bbox="+testBBox+"&scale=2")
	if b := img.Bounds(); b.Dx() != 2*testWidth || b.Dy() != 2*testHeight {
		t.Fatalf("size %v, want %d×%d", b, 2*testWidth, 2*testHeight)
	}
	at, ctrl := siteOn(t, e, "al-shaddadi-prison", "2026-01-20")
	x, y := testProjection(t)(at)
	if got, want := img.At(int(2*x), int(2*y)), styleColor(t, e, "facilities", ctrl); !near(got, want, 3) {
		t.Errorf("pixel at al-Shaddadi prison %v, want %v", got, want)
	}
}

func shippedMemory(t *testing.T) geo.Store {
	t.Helper()
	st, err := memory.Load(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRenderHatched checks the change view: inside a region that changed
// hands from the SDF to the government between 15 and 20 January, pixels
// along a line alternate between the stripes (close to the government's
// colour) and the lighter ground between them.
func TestRenderHatched(t *testing.T) {
	shippedStores(t, func(t *testing.T, e *echo.Echo) {
		var fc geojson.FeatureCollection
		getJSON(t, e, "/analytics/change?collection=control_areas&from=2026-01-15&to=2026-01-20", &fc)
		gov := styleColor(t, e, "control_areas", "government")
		img := renderPNG(t, e, "date=2026-01-20&since=2026-01-15&bbox="+testBBox)
		proj := testProjection(t)
		found := false
		for _, f := range fc.Features {
			if f.Properties.MustString("to_controller", "") != "government" {
				continue
			}
			// Lines of 40 pixels from points on a grid inside the region.
			b := f.Geometry.Bound()
			for lon := b.Min[0]; lon < b.Max[0] && !found; lon += 0.1 {
				for lat := b.Min[1]; lat < b.Max[1] && !found; lat += 0.1 {
					if !inside(f.Geometry, orb.Point{lon, lat}) || !inside(f.Geometry, orb.Point{lon + 0.4, lat}) {
						continue
					}
					x, y := proj(orb.Point{lon, lat})
					found = alternates(img, int(x), int(y), 40, gov)
				}
			}
		}
		if !found {
			t.Fatal("no line inside a region gained by the government alternates between stripes and ground")
		}
		// Without since, the same place is not hatched.
		plain := renderPNG(t, e, "date=2026-01-20&bbox="+testBBox)
		for _, f := range fc.Features {
			b := f.Geometry.Bound()
			for lon := b.Min[0]; lon < b.Max[0]; lon += 0.1 {
				for lat := b.Min[1]; lat < b.Max[1]; lat += 0.1 {
					if inside(f.Geometry, orb.Point{lon, lat}) && inside(f.Geometry, orb.Point{lon + 0.4, lat}) {
						x, y := proj(orb.Point{lon, lat})
						if alternates(plain, int(x), int(y), 40, gov) {
							t.Fatalf("the picture without since is hatched at %v", orb.Point{lon, lat})
						}
					}
				}
			}
		}
	})
}

// inside reports whether p lies in g (or on its edge), by the store's own
// test of a geometry against a box, here a box of one point.
func inside(g orb.Geometry, p orb.Point) bool {
	return geo.IntersectsBound(g, orb.Bound{Min: p, Max: p})
}

// alternates reports whether the n pixels right of x, y fall into runs
// close to stripe and runs far lighter, at least three of each.
func alternates(img image.Image, x, y, n int, stripe color.NRGBA) bool {
	var runs []bool
	for i := 0; i < n; i++ {
		c := color.NRGBAModel.Convert(img.At(x+i, y)).(color.NRGBA)
		var on bool
		switch {
		case near(c, stripe, 40):
			on = true
		case int(c.R)+int(c.G)+int(c.B) > int(stripe.R)+int(stripe.G)+int(stripe.B)+120:
			on = false
		default:
			continue // an edge pixel
		}
		if len(runs) == 0 || runs[len(runs)-1] != on {
			runs = append(runs, on)
		}
	}
	return len(runs) >= 6
}

// TestPagePicture: the map page's og:image, the widget's, and oEmbed's
// thumbnail are pictures of the state in the page's URL that the render
// draws (a 200 PNG of the declared size): the view becomes the box a map of
// the picture's size shows, the selection the feature; what the render
// would refuse (a selection whose layer is not drawn, an unknown layer) is
// left out rather than pointing at a 400.
func TestPagePicture(t *testing.T) {
	e := newServer(t, shippedMemory(t))
	reMeta := regexp.MustCompile(`<meta property="(og:image|og:image:width|og:image:height)" content="([^"]*)">`)
	picture := func(page string) url.Values {
		t.Helper()
		body := get(t, e, page, http.StatusOK).Body.String()
		meta := map[string]string{}
		for _, m := range reMeta.FindAllStringSubmatch(body, -1) {
			meta[m[1]] = html.UnescapeString(m[2])
		}
		u, err := url.Parse(meta["og:image"])
		if err != nil || u.Path != "/render.png" {
			t.Fatalf("%s: og:image %q", page, meta["og:image"])
		}
		img := renderPNG(t, e, u.RawQuery)
		if b := img.Bounds(); strconv.Itoa(b.Dx()) != meta["og:image:width"] || strconv.Itoa(b.Dy()) != meta["og:image:height"] {
			t.Errorf("%s: a %v picture declared %s×%s", page, b, meta["og:image:width"], meta["og:image:height"])
		}
		return u.Query()
	}
	q := picture("/?date=2026-01-21&view=36.38,41.15,9&layers=control_areas,facilities&sel=facilities:al-hol&f.controller=sdf")
	if q.Get("feature") != "facilities:al-hol" || q.Get("date") != "2026-01-21" || q.Get("layers") != "control_areas,facilities" || q.Get("f.controller") != "sdf" || q.Has("view") {
		t.Errorf("og:image parameters %v", q)
	}
	// The box a 1200×675 map shows at zoom 9 round the view's centre:
	// 1200 pixels of 256·2⁹ per world.
	b, err := geo.ParseBBox(q.Get("bbox"))
	if err != nil {
		t.Fatal(err)
	}
	if c := b.Center(); math.Abs(c[0]-41.15) > 1e-3 || math.Abs(b.Max[0]-b.Min[0]-1200.0/(256*512)*360) > 1e-3 {
		t.Errorf("bbox %v: centre %v, width %v", b, c, b.Max[0]-b.Min[0])
	}
	// Without a date, the picture of the date the page opens on.
	if q := picture("/embed"); q.Get("date") == "" {
		t.Errorf("the widget's og:image has no date: %v", q)
	}
	// A selection whose layer is not drawn, and unknown layers, are left out.
	if q := picture("/?date=2026-01-21&layers=control_areas&sel=facilities:al-hol"); q.Has("feature") || q.Get("layers") != "control_areas" {
		t.Errorf("og:image parameters %v", q)
	}
	if q := picture("/?date=2026-01-21&layers=nowhere&since=2026-01-15"); q.Has("layers") || q.Get("since") != "2026-01-15" {
		t.Errorf("og:image parameters %v", q)
	}
	// oEmbed's thumbnail: the same picture of the URL's state.
	var o struct {
		ThumbnailURL    string `json:"thumbnail_url"`
		ThumbnailWidth  int    `json:"thumbnail_width"`
		ThumbnailHeight int    `json:"thumbnail_height"`
	}
	getJSON(t, e, "/oembed?url="+url.QueryEscape("http://example.com/?date=2026-01-20&sel=facilities:al-hol"), &o)
	u, err := url.Parse(o.ThumbnailURL)
	if err != nil || u.Path != "/render.png" || u.Query().Get("date") != "2026-01-20" || u.Query().Get("feature") != "facilities:al-hol" {
		t.Fatalf("thumbnail %q", o.ThumbnailURL)
	}
	if b := renderPNG(t, e, u.RawQuery).Bounds(); b.Dx() != o.ThumbnailWidth || b.Dy() != o.ThumbnailHeight {
		t.Errorf("thumbnail %v, declared %d×%d", b, o.ThumbnailWidth, o.ThumbnailHeight)
	}
}
