package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

func TestItemsQueries(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		ids     []string
		matched int
	}{
		{"every facility", "/collections/facilities/items",
			[]string{"al-hol-1", "al-hol-2", "al-hol-3", "roj-1", "shaddadi-1", "shaddadi-2", "shaddadi-3"}, 7},
		{"a date is the whole UTC day", "/collections/facilities/items?datetime=2026-01-20",
			[]string{"al-hol-2", "roj-1", "shaddadi-2"}, 3},
		{"an instant at a change", "/collections/facilities/items?datetime=2026-01-21T00:00:00Z",
			[]string{"al-hol-3", "roj-1", "shaddadi-3"}, 3},
		{"an interval", "/collections/facilities/items?datetime=2026-01-19/2026-01-20",
			[]string{"al-hol-2", "roj-1", "shaddadi-2"}, 3},
		{"open start", "/collections/facilities/items?datetime=../2026-01-17",
			[]string{"al-hol-1", "roj-1", "shaddadi-1"}, 3},
		{"open end", "/collections/facilities/items?datetime=2026-01-22/..",
			[]string{"al-hol-3", "roj-1", "shaddadi-3"}, 3},
		{"bbox around al-Hol", "/collections/facilities/items?bbox=41,36.3,41.2,36.4",
			[]string{"al-hol-1", "al-hol-2", "al-hol-3"}, 3},
		{"bbox with bbox-crs", "/collections/facilities/items?bbox=41,36.3,41.2,36.4&bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84&datetime=2026-01-20",
			[]string{"al-hol-2"}, 1},
		{"six-number bbox", "/collections/facilities/items?bbox=41,36.3,-10,41.2,36.4,10&datetime=2026-01-20",
			[]string{"al-hol-2"}, 1},
		{"bbox inside a polygon matches it", "/collections/areas/items?bbox=39,36,39.1,36.1&datetime=2026-01-25",
			[]string{"ne-2"}, 1},
		{"bbox inside a hole", "/collections/areas/items?bbox=40.74,36.49,40.76,36.51&datetime=2026-01-25",
			[]string{"hasakah-1"}, 1},
		{"property filter", "/collections/facilities/items?controller=sdf",
			[]string{"al-hol-1", "al-hol-2", "roj-1", "shaddadi-1"}, 4},
		{"two filters and a date", "/collections/facilities/items?controller=sdf&status=besieged&datetime=2026-01-19",
			[]string{"al-hol-2"}, 1},
		{"number filter compared as text", "/collections/villages/items?n=7", []string{"v07"}, 1},
		{"boolean filter", "/collections/villages/items?even=true&district=a", []string{"v02", "v04", "v06", "v08", "v10"}, 5},
		{"undated collection ignores datetime", "/collections/border/items?datetime=2026-01-20",
			[]string{"border-Turkey", "border-iraq"}, 2},
		{"event instants", "/collections/events/items?datetime=2026-01-21",
			[]string{"2026-01-21-hol-handover", "2026-01-21-transfer"}, 2},
		{"paging", "/collections/villages/items?limit=10&offset=20",
			[]string{"v21", "v22", "v23", "v24", "v25"}, 25},
		{"offset past the end", "/collections/villages/items?offset=100", []string{}, 25},
		{"limit larger than the maximum is clamped", "/collections/villages/items?limit=20000&offset=23", []string{"v24", "v25"}, 25},
		{"limit too large for an integer is clamped", "/collections/villages/items?limit=99999999999999999999999&offset=24", []string{"v25"}, 25},
		{"no match", "/collections/facilities/items?controller=nobody", []string{}, 0},
	}
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var fc featureCollection
				rec := getJSON(t, e, tt.target, &fc)
				if ct := rec.Header().Get("Content-Type"); ct != "application/geo+json" {
					t.Errorf("Content-Type %q, want application/geo+json", ct)
				}
				if got := fc.ids(); !reflect.DeepEqual(got, tt.ids) {
					t.Errorf("ids %v, want %v", got, tt.ids)
				}
				if fc.NumberMatched != tt.matched || fc.NumberReturned != len(tt.ids) {
					t.Errorf("numberMatched %d, numberReturned %d; want %d, %d", fc.NumberMatched, fc.NumberReturned, tt.matched, len(tt.ids))
				}
				if fc.Type != "FeatureCollection" || fc.TimeStamp != "2026-02-01T12:00:00Z" {
					t.Errorf("type %q timeStamp %q", fc.Type, fc.TimeStamp)
				}
			})
		}
	})
}

func TestItemsPaging(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		// Follow next links from the first page to the last, as QGIS and GDAL do.
		target := "/collections/villages/items?limit=10&datetime=2026-01-20&district=b"
		var seen []string
		pages := 0
		for target != "" {
			var fc featureCollection
			rec := getJSON(t, e, target, &fc)
			pages++
			seen = append(seen, fc.ids()...)
			if fc.NumberMatched != 15 {
				t.Errorf("page %d: numberMatched %d, want 15", pages, fc.NumberMatched)
			}
			next, ok := findLink(fc.Links, "next", "application/geo+json")
			header := rec.Header().Get("Link")
			target = ""
			if ok {
				target = pathOf(t, next.Href)
				q, _ := url.ParseQuery(strings.SplitN(target, "?", 2)[1])
				for _, p := range []string{"limit", "datetime", "district"} {
					if q.Get(p) == "" {
						t.Errorf("next link %s lost %s", next.Href, p)
					}
				}
				if !strings.Contains(header, "<"+next.Href+`>; rel="next"; type="application/geo+json"`) {
					t.Errorf("Link header %q lacks the next link %s", header, next.Href)
				}
			}
			if pages > 1 {
				prev, ok := findLink(fc.Links, "prev", "")
				if !ok || !strings.Contains(header, `rel="prev"`) {
					t.Errorf("page %d has no prev link (header %q)", pages, header)
				} else if !strings.Contains(prev.Href, "limit=10") {
					t.Errorf("prev link %s lost limit", prev.Href)
				}
			}
			if pages > 5 {
				t.Fatal("paging does not end")
			}
		}
		want := []string{"v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25"}
		if pages != 2 || !reflect.DeepEqual(seen, want) {
			t.Errorf("%d pages with %v, want 2 with %v", pages, seen, want)
		}

		// The prev link of the second page leads back to the first.
		var second featureCollection
		getJSON(t, e, "/collections/villages/items?limit=10&offset=10", &second)
		prev, _ := findLink(second.Links, "prev", "")
		if prev.Href != "http://example.com/collections/villages/items?limit=10" {
			t.Errorf("prev link %q", prev.Href)
		}
		var partial featureCollection
		getJSON(t, e, "/collections/villages/items?limit=10&offset=3", &partial)
		prev, _ = findLink(partial.Links, "prev", "")
		if prev.Href != "http://example.com/collections/villages/items?limit=10" {
			t.Errorf("prev link of offset 3 %q should go to offset 0", prev.Href)
		}
		if _, ok := findLink(partial.Links, "next", ""); !ok {
			t.Error("offset 3 of 25 has no next link")
		}
	})
}

func TestItemsLinks(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var fc featureCollection
		getJSON(t, e, "/collections/facilities/items?datetime=2026-01-18/2026-01-21&limit=2", &fc)
		want := map[string]linkBody{
			"self":       {Href: "http://example.com/collections/facilities/items?datetime=2026-01-18/2026-01-21&limit=2", Type: "application/geo+json"},
			"alternate":  {Href: "http://example.com/collections/facilities/items?datetime=2026-01-18/2026-01-21&f=json&limit=2", Type: "application/json"},
			"collection": {Href: "http://example.com/collections/facilities", Type: "application/json"},
			"next":       {Href: "http://example.com/collections/facilities/items?datetime=2026-01-18/2026-01-21&limit=2&offset=2", Type: "application/geo+json"},
		}
		for rel, w := range want {
			l, ok := findLink(fc.Links, rel, "")
			if !ok || l.Href != w.Href || l.Type != w.Type {
				t.Errorf("link %s = %+v, want %+v", rel, l, w)
			}
		}
		if _, ok := findLink(fc.Links, "prev", ""); ok {
			t.Error("first page has a prev link")
		}

		// f=json: the same body as application/json, links swapped.
		rec := getJSON(t, e, "/collections/facilities/items?f=json&limit=2", &fc)
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("f=json: Content-Type %q", ct)
		}
		if l, _ := findLink(fc.Links, "alternate", ""); l.Type != "application/geo+json" || strings.Contains(l.Href, "f=json") {
			t.Errorf("f=json alternate %+v", l)
		}
		if l, _ := findLink(fc.Links, "next", ""); l.Type != "application/json" || !strings.Contains(l.Href, "f=json") {
			t.Errorf("f=json next %+v", l)
		}
	})
}

func TestItemsProperties(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var fc featureCollection
		getJSON(t, e, "/collections/facilities/items?datetime=2026-01-25&controller=government&limit=1", &fc)
		if len(fc.Features) != 1 {
			t.Fatalf("want one feature, got %v", fc.ids())
		}
		props := fc.Features[0].Properties
		if props["valid_from"] != "2026-01-21T00:00:00Z" || props["valid_to"] != nil {
			t.Errorf("validity %v..%v, want 2026-01-21T00:00:00Z..null", props["valid_from"], props["valid_to"])
		}
		if _, ok := props["valid_to"]; !ok {
			t.Error("valid_to missing; an open end must be null")
		}
		srcs, _ := props["sources"].([]any)
		if len(srcs) != 2 || srcs[0].(map[string]any)["publisher"] != "AP" {
			t.Errorf("sources %v", props["sources"])
		}

		var sel featureCollection
		getJSON(t, e, "/collections/facilities/items?properties=name,valid_from&datetime=2026-01-25&limit=1", &sel)
		if got := sel.Features[0].Properties; len(got) != 2 || got["name"] != "al-Hol camp" || got["valid_from"] == nil {
			t.Errorf("properties=name,valid_from gave %v", got)
		}
		var none featureCollection
		getJSON(t, e, "/collections/facilities/items?properties=&limit=1", &none)
		if got := none.Features[0].Properties; len(got) != 0 {
			t.Errorf("properties= gave %v, want none", got)
		}
	})
}

func TestItemsPrecision(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		tests := []struct{ query, want string }{
			{"", `{"type":"Point","coordinates":[41.1486,36.3756]}`},
			{"&precision=2", `{"type":"Point","coordinates":[41.15,36.38]}`},
			{"&precision=0", `{"type":"Point","coordinates":[41,36]}`},
			{"&precision=15", `{"type":"Point","coordinates":[41.1486,36.3756]}`},
		}
		for _, tt := range tests {
			var fc featureCollection
			getJSON(t, e, "/collections/facilities/items?limit=1"+tt.query, &fc)
			if got := string(fc.Features[0].Geometry); got != tt.want {
				t.Errorf("%s: geometry %s, want %s", tt.query, got, tt.want)
			}
		}
	})
}

func TestItemsDownload(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		tests := []struct {
			target, filename string
			count            int
		}{
			{"/collections/facilities/items?f=geojson&download=1&datetime=2026-01-21", "facilities-2026-01-21.geojson", 3},
			{"/collections/facilities/items?f=geojson&download=1&datetime=2026-01-21T10:00:00Z", "facilities-2026-01-21.geojson", 3},
			{"/collections/facilities/items?download=1&datetime=2026-01-19/2026-01-21", "facilities.geojson", 5},
			{"/collections/villages/items?download=1", "villages.geojson", 25},
			{"/collections/villages/items?download=true&district=a", "villages.geojson", 10},
		}
		for _, tt := range tests {
			var fc featureCollection
			rec := getJSON(t, e, tt.target, &fc)
			if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="`+tt.filename+`"` {
				t.Errorf("%s: Content-Disposition %q, want file %s", tt.target, cd, tt.filename)
			}
			if fc.NumberReturned != tt.count || fc.NumberMatched != tt.count {
				t.Errorf("%s: %d of %d features, want all %d", tt.target, fc.NumberReturned, fc.NumberMatched, tt.count)
			}
			if _, ok := findLink(fc.Links, "next", ""); ok {
				t.Errorf("%s: a download has a next link", tt.target)
			}
			if rec.Header().Get("Link") != "" {
				t.Errorf("%s: a download has a Link header", tt.target)
			}
		}
	})
}

func TestItemFeature(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		type feature struct {
			Type       string         `json:"type"`
			ID         string         `json:"id"`
			Geometry   map[string]any `json:"geometry"`
			Properties map[string]any `json:"properties"`
			Links      []linkBody     `json:"links"`
		}
		var f feature
		rec := getJSON(t, e, "/collections/facilities/items/al-hol-3", &f)
		if ct := rec.Header().Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("Content-Type %q", ct)
		}
		if f.Type != "Feature" || f.ID != "al-hol-3" || f.Properties["controller"] != "government" || f.Properties["population"] != 24000.0 {
			t.Errorf("feature %+v", f)
		}
		for rel, href := range map[string]string{
			"self":       "http://example.com/collections/facilities/items/al-hol-3",
			"alternate":  "http://example.com/collections/facilities/items/al-hol-3?f=json",
			"collection": "http://example.com/collections/facilities",
		} {
			if l, ok := findLink(f.Links, rel, ""); !ok || l.Href != href {
				t.Errorf("link %s = %+v, want %s", rel, l, href)
			}
		}
		f = feature{}
		rec = getJSON(t, e, "/collections/facilities/items/al-hol-3?f=json&properties=name&precision=1", &f)
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("f=json Content-Type %q", ct)
		}
		if len(f.Properties) != 1 || !reflect.DeepEqual(f.Geometry["coordinates"], []any{41.1, 36.4}) {
			t.Errorf("properties=name&precision=1 gave %v %v", f.Properties, f.Geometry)
		}
		// Byte order puts the capital T first; the id with a capital is found as is.
		getJSON(t, e, "/collections/border/items/border-Turkey", &f)
		if f.ID != "border-Turkey" {
			t.Errorf("got %q", f.ID)
		}
		p := getProblem(t, e, "/collections/facilities/items/nope", http.StatusNotFound)
		if !strings.Contains(p.Detail, `"nope"`) || !strings.Contains(p.Detail, "facilities") {
			t.Errorf("404 detail %q does not name the feature and collection", p.Detail)
		}
		p = getProblem(t, e, "/collections/nope/items/al-hol-3", http.StatusNotFound)
		if !strings.Contains(p.Detail, `"nope"`) {
			t.Errorf("404 detail %q does not name the collection", p.Detail)
		}
	})
}

func TestItemsBodyIsGeoJSON(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		rec := get(t, e, "/collections/areas/items?datetime=2026-01-25", http.StatusOK)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"type", "features", "numberMatched", "numberReturned", "timeStamp", "links"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("member %s missing", k)
			}
		}
		if !strings.Contains(rec.Body.String(), `"coordinates":[[[38,35],[42.4,35],[42.4,37.3],[38,37.3],[38,35]],[[40.7,36.45],`) {
			t.Errorf("polygon with hole not written as expected: %s", truncate(rec.Body.String()))
		}
	})
}
