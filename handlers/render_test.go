package handlers_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/render"
	"github.com/controlmap/controlmap/handlers"
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

// svgTexts parses an SVG, failing the test unless it is well-formed XML
// with an svg root, and returns the text of its text elements.
func svgTexts(t *testing.T, body []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(body))
	var texts []string
	depth, root := 0, ""
	var cur strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
			if tok.Name.Local == "text" {
				depth++
				cur.Reset()
			}
		case xml.CharData:
			if depth > 0 {
				cur.Write(tok)
			}
		case xml.EndElement:
			if tok.Name.Local == "text" {
				depth--
				texts = append(texts, cur.String())
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	return texts
}

// TestRenderSVG checks the SVG: well-formed, its text carrying the date in
// words and the attribution, and a legend naming exactly the controllers
// drawn (those of the areas, sites and crossings of the date).
func TestRenderSVG(t *testing.T) {
	shippedStores(t, func(t *testing.T, e *echo.Echo) {
		for _, date := range []string{"2026-01-15", "2026-01-20", "2026-02-05"} {
			rec := get(t, e, "/render.svg?date="+date+"&bbox="+testBBox, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); ct != "image/svg+xml" {
				t.Fatalf("Content-Type %q", ct)
			}
			// Opened on its own it is a document: nothing in it may run.
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none';") || strings.Contains(csp, "script") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			texts := svgTexts(t, rec.Body.Bytes())
			all := strings.Join(texts, "\n")
			words := map[string]string{"2026-01-15": "15 January 2026", "2026-01-20": "20 January 2026", "2026-02-05": "5 February 2026"}[date]
			for _, want := range []string{words, "controlmap contributors (CC BY 4.0)", "CC-BY-4.0", "Areas are schematic"} {
				if !strings.Contains(all, want) {
					t.Errorf("%s: the SVG's text lacks %q", date, want)
				}
			}
			drawn := map[string]bool{}
			for _, col := range []string{"control_areas", "facilities", "crossings"} {
				var fc geojson.FeatureCollection
				getJSON(t, e, "/collections/"+col+"/items?limit=1000&bbox="+shownBBox()+"&datetime="+date, &fc)
				for _, f := range latest(fc.Features) {
					drawn[f.Properties.MustString("controller", "")] = true
				}
			}
			var col struct {
				Terms map[string]map[string]struct {
					Label string `json:"label"`
				} `json:"terms"`
			}
			getJSON(t, e, "/collections/control_areas", &col)
			for value, term := range col.Terms["controller"] {
				listed := slices.Contains(texts, term.Label)
				if listed != drawn[value] {
					t.Errorf("%s: controller %q (%q): in the legend %v, drawn %v", date, value, term.Label, listed, drawn[value])
				}
			}
		}
	})
}

// TestRenderFilters: the map page's filters (f.PROPERTY, the values kept)
// are drawn: the legend names only the controllers kept, and the same as
// the items API answers with the same filter; an empty one keeps nothing
// of the layers with the property; a malformed one is a 400 naming it.
func TestRenderFilters(t *testing.T) {
	shippedStores(t, func(t *testing.T, e *echo.Echo) {
		const date = "2026-01-20"
		legend := func(query string) []string {
			t.Helper()
			return svgTexts(t, get(t, e, "/render.svg?date="+date+"&bbox="+testBBox+query, http.StatusOK).Body.Bytes())
		}
		var col struct {
			Terms map[string]map[string]struct {
				Label string `json:"label"`
			} `json:"terms"`
		}
		getJSON(t, e, "/collections/control_areas", &col)
		label := func(v string) string { return col.Terms["controller"][v].Label }
		all, kept := legend(""), legend("&f.controller=government,sdf")
		if !slices.Contains(all, label("turkey_sna")) || !slices.Contains(all, label("government")) {
			t.Fatalf("the unfiltered legend lacks the controllers of %s: %v", date, all)
		}
		if slices.Contains(kept, label("turkey_sna")) || !slices.Contains(kept, label("government")) || !slices.Contains(kept, label("sdf")) {
			t.Errorf("f.controller=government,sdf: legend %v", kept)
		}
		// The facilities drawn are those the API keeps with the same filter.
		var fc geojson.FeatureCollection
		getJSON(t, e, "/collections/facilities/items?limit=1000&datetime="+date+"&bbox="+shownBBox()+"&filter="+url.QueryEscape(`controller IN ('government')`), &fc)
		govOnly := legend("&f.controller=government")
		for _, f := range latest(fc.Features) {
			if name := f.Properties.MustString("name", ""); !slices.Contains(govOnly, name) && slices.Contains(all, name) {
				t.Errorf("f.controller=government: %q (government) not drawn", name)
			}
		}
		if slices.Contains(govOnly, label("sdf")) {
			t.Errorf("f.controller=government: legend %v", govOnly)
		}
		// Empty: none of the layers with the property.
		if none := legend("&f.controller="); slices.Contains(none, label("government")) || slices.Contains(none, label("sdf")) {
			t.Errorf("f.controller= (none kept): legend %v", none)
		}
		for _, bad := range []string{"f.contr%22oller=sdf", "f.controller=%ZZ"} {
			rec := get(t, e, "/render.png?date="+date+"&"+bad, http.StatusBadRequest)
			if !strings.Contains(rec.Body.String(), `"f.contr`) {
				t.Errorf("%s: %s", bad, rec.Body.String())
			}
		}
	})
}

// shownBBox is the box the test pictures show: testBBox widened to 16:9.
func shownBBox() string { return "36.9,34.3,43.0,37.35" }

// latest keeps one version per thing, the one that starts last (the map's
// latestVersions).
func latest(fs []*geojson.Feature) []*geojson.Feature {
	idx := map[string]int{}
	var out []*geojson.Feature
	for _, f := range fs {
		k := fmt.Sprint(f.Properties["site"], f.Properties["area"], f.Properties["crossing"])
		if i, ok := idx[k]; ok {
			if f.Properties.MustString("valid_from", "") > out[i].Properties.MustString("valid_from", "") {
				out[i] = f
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, f)
	}
	return out
}

// TestRenderBadParams checks that every bad parameter is a 400 problem
// naming it, limits included.
func TestRenderBadParams(t *testing.T) {
	e := newServer(t, shippedMemory(t))
	for _, c := range []struct{ query, param, detail string }{
		{"", "date", "required"},
		{"date=2026-13-01", "date", ""},
		{"date=tomorrow", "date", ""},
		{"date=2026-01-20&since=2026-01-25", "since", "after date"},
		{"date=2026-01-20&width=2401", "width", "2400"},
		{"date=2026-01-20&width=10", "width", ""},
		{"date=2026-01-20&width=wide", "width", ""},
		{"date=2026-01-20&height=0", "height", ""},
		{"date=2026-01-20&height=99999999999999999999", "height", ""},
		{"date=2026-01-20&scale=3", "scale", ""},
		{"date=2026-01-20&width=2400&height=2400&scale=2", "scale", "5760000"},
		{"date=2026-01-20&bbox=1,2,3", "bbox", ""},
		{"date=2026-01-20&bbox=40,36,39,37", "bbox", ""},
		{"date=2026-01-20&layers=facilities,nope", "layers", "nope"},
		{"date=2026-01-20&feature=facilities", "feature", ""},
		{"date=2026-01-20&layers=facilities&feature=control_areas:x", "feature", ""},
		{"date=2026-01-20&colour=red", "colour", ""},
		{"date=2026-01-20&width=800&width=900", "width", ""},
	} {
		for _, path := range []string{"/render.png", "/render.svg", "/render.pdf"} {
			p := getProblem(t, e, path+"?"+c.query, http.StatusBadRequest)
			if p.Parameter != c.param || !strings.Contains(p.Detail, c.detail) {
				t.Errorf("%s?%s: parameter %q, detail %q; want %q and %q", path, c.query, p.Parameter, p.Detail, c.param, c.detail)
			}
		}
	}
}

// TestRenderCached checks ETags, 304s, the cache and canonical keys.
func TestRenderCached(t *testing.T) {
	shippedStores(t, func(t *testing.T, e *echo.Echo) {
		first := get(t, e, "/render.png?date=2026-01-20&layers=facilities,control_areas", http.StatusOK)
		tag := first.Header().Get("ETag")
		if tag == "" || first.Header().Get("X-Cache") != "miss" {
			t.Fatalf("ETag %q, X-Cache %q", tag, first.Header().Get("X-Cache"))
		}
		if cc := first.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
			t.Errorf("Cache-Control %q for a past date", cc)
		}
		if first.Header().Get("Content-Encoding") != "" {
			t.Errorf("a PNG was content-coded")
		}
		// The same picture asked another way: layers in another order.
		again := get(t, e, "/render.png?layers=control_areas,facilities&date=2026-01-20", http.StatusOK, "Accept-Encoding", "gzip")
		if again.Header().Get("ETag") != tag || again.Header().Get("X-Cache") != "hit" || !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) {
			t.Errorf("same picture: ETag %q (want %s), X-Cache %q, same bytes %v", again.Header().Get("ETag"), tag, again.Header().Get("X-Cache"), bytes.Equal(again.Body.Bytes(), first.Body.Bytes()))
		}
		get(t, e, "/render.png?date=2026-01-20&layers=facilities,control_areas", http.StatusNotModified, "If-None-Match", tag)
		other := get(t, e, "/render.png?date=2026-01-21&layers=facilities,control_areas", http.StatusOK)
		if other.Header().Get("ETag") == tag {
			t.Error("another date has the same ETag")
		}
		svg := get(t, e, "/render.svg?date=2026-01-20&layers=facilities,control_areas", http.StatusOK)
		if svg.Header().Get("ETag") == tag {
			t.Error("the SVG has the PNG's ETag")
		}
	})
}

// TestRenderPDF checks that the PDF is one.
func TestRenderPDF(t *testing.T) {
	e := newServer(t, shippedMemory(t))
	rec := get(t, e, "/render.pdf?date=2026-01-20", http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "application/pdf" || !bytes.HasPrefix(rec.Body.Bytes(), []byte("%PDF-")) {
		t.Fatalf("Content-Type %q, body starts %q", ct, rec.Body.Bytes()[:min(8, rec.Body.Len())])
	}
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
