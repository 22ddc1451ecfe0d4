package handlers_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"
)

// Pictures as SVG and PDF, and their parameters: filters, bad input and
// caching.

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
