package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
)

func TestLanding(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	for _, tc := range []struct {
		name, target string
		headers      []string
	}{
		{"f=json", "/?f=json", nil},
		{"Accept: application/json", "/", []string{"Accept", "application/json"}},
		{"GDAL's Accept", "/", []string{"Accept", "application/geo+json, application/json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc struct {
				Title string     `json:"title"`
				Links []linkBody `json:"links"`
			}
			rec := getJSON(t, e, tc.target, &doc, tc.headers...)
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if vary := strings.Join(rec.Header().Values("Vary"), ","); !strings.Contains(vary, "Accept") {
				t.Errorf("Vary %q lacks Accept", vary)
			}
			want := map[string]string{
				"self":         "http://example.com/?f=json",
				"service-desc": "http://example.com/api",
				"service-doc":  "http://example.com/api.html",
				"conformance":  "http://example.com/conformance",
				"data":         "http://example.com/collections",
			}
			for rel, href := range want {
				if l, ok := findLink(doc.Links, rel, ""); !ok || l.Href != href {
					t.Errorf("link %s = %+v, want %s", rel, l, href)
				}
			}
			if l, _ := findLink(doc.Links, "service-desc", ""); l.Type != "application/vnd.oai.openapi+json;version=3.0" {
				t.Errorf("service-desc type %q", l.Type)
			}
		})
	}
	for _, tc := range []struct {
		name, target string
		headers      []string
	}{
		{"a browser", "/", []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}},
		{"anything", "/", []string{"Accept", "*/*"}},
		{"f=html", "/?f=html", []string{"Accept", "application/json"}},
		{"html preferred", "/", []string{"Accept", "application/json;q=0.5, text/html"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, e, tc.target, http.StatusOK, tc.headers...)
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want the map page", ct)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	var doc struct {
		ConformsTo []string `json:"conformsTo"`
	}
	rec := getJSON(t, e, "/conformance", &doc)
	want := []string{
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
		"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
		"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
		"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
		"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
		"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
		"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
		"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
		"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
		"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
		"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
		"http://www.opengis.net/spec/cql2/1.0/conf/array-functions",
		"http://www.opengis.net/spec/cql2/1.0/conf/property-property",
	}
	if !reflect.DeepEqual(doc.ConformsTo, want) {
		t.Errorf("conformsTo %v", doc.ConformsTo)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
}

// collectionBody is a decoded collection description.
type collectionBody struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	ItemType    string `json:"itemType"`
	Extent      struct {
		Spatial struct {
			BBox [][]float64 `json:"bbox"`
			CRS  string      `json:"crs"`
		} `json:"spatial"`
		Temporal struct {
			Interval [][]*string `json:"interval"`
			TRS      string      `json:"trs"`
		} `json:"temporal"`
	} `json:"extent"`
	Links        []linkBody `json:"links"`
	GeometryType string     `json:"geometry_type"`
	Dated        bool       `json:"dated"`
	GroupKey     string     `json:"group_key"`
	Attribution  string     `json:"attribution"`
	Style        geo.Style  `json:"style"`
}

func TestCollections(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var doc struct {
			Links       []linkBody       `json:"links"`
			Collections []collectionBody `json:"collections"`
		}
		getJSON(t, e, "/collections", &doc)
		var ids []string
		for _, c := range doc.Collections {
			ids = append(ids, c.ID)
		}
		if want := []string{"facilities", "events", "border", "areas", "villages"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("ids %v, want catalogue order %v", ids, want)
		}
		if l, ok := findLink(doc.Links, "self", ""); !ok || l.Href != "http://example.com/collections" {
			t.Errorf("self link %+v", l)
		}

		var c collectionBody
		getJSON(t, e, "/collections/areas", &c)
		if c.Title != "Areas of control" || c.ItemType != "feature" || c.GeometryType != "Polygon" || !c.Dated || c.GroupKey != "zone" ||
			c.Attribution != "controlmap contributors" || c.Style.Property != "controller" || c.Style.Colors["sdf"] != "#e3b505" {
			t.Errorf("collection %+v", c)
		}
		if got := c.Extent.Spatial.BBox; !reflect.DeepEqual(got, [][]float64{{38, 35, 44, 37.3}}) || !strings.HasSuffix(c.Extent.Spatial.CRS, "CRS84") {
			t.Errorf("spatial extent %v %s", got, c.Extent.Spatial.CRS)
		}
		iv := c.Extent.Temporal.Interval
		if len(iv) != 1 || len(iv[0]) != 2 || iv[0][0] == nil || *iv[0][0] != "2026-01-01T00:00:00Z" || iv[0][1] != nil {
			t.Errorf("temporal extent %v, want [[2026-01-01T00:00:00Z, null]]", iv)
		}
		for _, want := range []linkBody{
			{Rel: "self", Type: "application/json", Href: "http://example.com/collections/areas"},
			{Rel: "items", Type: "application/geo+json", Href: "http://example.com/collections/areas/items"},
			{Rel: "items", Type: "application/json", Href: "http://example.com/collections/areas/items?f=json"},
			{Rel: "license", Type: "text/html", Href: "https://creativecommons.org/licenses/by/4.0/"},
			{Rel: "describedby", Type: "application/schema+json", Href: "http://example.com/collections/areas/schema"},
			{Rel: "enclosure", Type: "application/geo+json", Href: "http://example.com/collections/areas/items?download=1&f=geojson"},
			{Rel: "alternate", Type: "text/html", Href: "http://example.com/"},
		} {
			if l, ok := findLink(c.Links, want.Rel, want.Type); !ok || l.Href != want.Href {
				t.Errorf("link %s %s = %+v, want %s", want.Rel, want.Type, l, want.Href)
			}
		}

		// Both ends open: [[null, null]]; undated: the same.
		for _, id := range []string{"facilities", "border"} {
			getJSON(t, e, "/collections/"+id, &c)
			if iv := c.Extent.Temporal.Interval; len(iv) != 1 || iv[0][0] != nil || iv[0][1] != nil {
				t.Errorf("%s: temporal extent %v, want [[null, null]]", id, iv)
			}
		}
	})
}

func TestSchema(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var doc struct {
			Schema     string `json:"$schema"`
			Properties struct {
				Properties struct {
					Required   []string                  `json:"required"`
					Properties map[string]map[string]any `json:"properties"`
				} `json:"properties"`
			} `json:"properties"`
		}
		rec := getJSON(t, e, "/collections/facilities/schema", &doc)
		if ct := rec.Header().Get("Content-Type"); ct != "application/schema+json" {
			t.Errorf("Content-Type %q", ct)
		}
		props := doc.Properties.Properties.Properties
		for name, typ := range map[string]any{"name": "string", "population": "integer", "estimated": "boolean", "figures": "array"} {
			if got := props[name]["type"]; !reflect.DeepEqual(got, typ) {
				t.Errorf("property %s type %v, want %v", name, got, typ)
			}
		}
		if !reflect.DeepEqual(props["valid_to"]["type"], []any{"string", "null"}) {
			t.Errorf("valid_to %v", props["valid_to"])
		}
		if req := doc.Properties.Properties.Required; !reflect.DeepEqual(req, []string{"controller", "name", "sources", "valid_from", "valid_to"}) {
			t.Errorf("required %v", req)
		}
	})
}

func TestTimeline(t *testing.T) {
	type timeline struct {
		Start  *string           `json:"start"`
		End    *string           `json:"end"`
		Dates  []string          `json:"dates"`
		Events featureCollection `json:"events"`
		Links  []linkBody        `json:"links"`
	}
	tests := []struct {
		target string
		dates  []string
		events []string
	}{
		{"/timeline", []string{"2026-01-01", "2026-01-18", "2026-01-19", "2026-01-20", "2026-01-21"},
			[]string{"2026-01-19-shaddadi-escape", "2026-01-20-ceasefire", "2026-01-21-hol-handover", "2026-01-21-transfer"}},
		{"/timeline?from=2026-01-19&to=2026-01-20", []string{"2026-01-19", "2026-01-20"},
			[]string{"2026-01-19-shaddadi-escape", "2026-01-20-ceasefire"}},
		{"/timeline?from=2026-01-21", []string{"2026-01-21"},
			[]string{"2026-01-21-hol-handover", "2026-01-21-transfer"}},
		{"/timeline?to=2026-01-18", []string{"2026-01-01", "2026-01-18"}, []string{}},
		{"/timeline?from=2026-01-20&to=2026-01-20", []string{"2026-01-20"}, []string{"2026-01-20-ceasefire"}},
		{"/timeline?from=2026-03-01", []string{}, []string{}},
	}
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		for _, tt := range tests {
			var tl timeline
			getJSON(t, e, tt.target, &tl)
			if !reflect.DeepEqual(tl.Dates, tt.dates) {
				t.Errorf("%s: dates %v, want %v", tt.target, tl.Dates, tt.dates)
			}
			if got := tl.Events.ids(); !reflect.DeepEqual(got, tt.events) {
				t.Errorf("%s: events %v, want %v", tt.target, got, tt.events)
			}
			if tl.Events.Type != "FeatureCollection" || tl.Events.NumberReturned != len(tt.events) {
				t.Errorf("%s: events %+v", tt.target, tl.Events)
			}
			// The fixture's facilities have open starts and ends.
			if tl.Start != nil || tl.End != nil {
				t.Errorf("%s: start %v end %v, want null, null", tt.target, tl.Start, tl.End)
			}
		}
		var tl timeline
		getJSON(t, e, "/timeline?from=2026-01-19", &tl)
		if len(tl.Events.Features) == 0 || tl.Events.Features[0].Properties["sources"] == nil {
			t.Error("events lack their sources")
		}
	})
}

func TestTimelineBounds(t *testing.T) {
	// Only bounded dated collections: start and end are dates.
	ds := storetest.Fixture()
	var keep []geo.Collection
	for _, c := range ds.Collections {
		if c.ID == "events" || c.ID == "border" {
			keep = append(keep, c)
		}
	}
	ds.Collections = keep
	e := newServer(t, memory.New(ds))
	var tl struct {
		Start *string `json:"start"`
		End   *string `json:"end"`
	}
	getJSON(t, e, "/timeline", &tl)
	if tl.Start == nil || *tl.Start != "2026-01-19" || tl.End == nil || *tl.End != "2026-01-21" {
		t.Errorf("start %v end %v, want 2026-01-19 and 2026-01-21", tl.Start, tl.End)
	}
}

func TestHealth(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	for _, target := range []string{"/healthz", "/readyz"} {
		rec := get(t, e, target, http.StatusOK)
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", target, rec.Header().Get("Cache-Control"))
		}
	}
	down := newServer(t, failingStore{err: geo.ErrUnavailable, pingErr: errors.New("dial tcp: connection refused")})
	get(t, down, "/healthz", http.StatusOK)
	rec := get(t, down, "/readyz", http.StatusServiceUnavailable)
	if rec.Header().Get("Retry-After") == "" || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("readyz when down: headers %v", rec.Header())
	}
	if strings.Contains(rec.Body.String(), "dial tcp") {
		t.Errorf("readyz leaks the cause: %s", rec.Body.String())
	}
	slow := newServer(t, failingStore{pingErr: context.DeadlineExceeded})
	get(t, slow, "/readyz", http.StatusServiceUnavailable)
}

func TestAPIDoc(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	rec := get(t, e, "/api.html", http.StatusOK)
	body := rec.Body.String()
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{"/collections/{collectionId}/items", "datetime", "/collections/facilities/items", "controller", "/timeline"} {
		if !strings.Contains(body, want) {
			t.Errorf("api.html lacks %q", want)
		}
	}
}
