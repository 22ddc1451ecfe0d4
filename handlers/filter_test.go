package handlers_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

func itemsURL(collection string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "/collections/" + collection + "/items?" + v.Encode()
}

// TestFilterItems asks items with CQL2 filters, in both encodings, with
// sorting and paging, on both stores.
func TestFilterItems(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var fc featureCollection
		getJSON(t, e, itemsURL("facilities", "filter", "controller = 'government'"), &fc)
		if got := fc.ids(); !slices.Equal(got, []string{"al-hol-3", "shaddadi-3"}) || fc.NumberMatched != 2 {
			t.Errorf("text filter: %v (%d matched)", got, fc.NumberMatched)
		}
		var js featureCollection
		getJSON(t, e, itemsURL("facilities", "filter-lang", "cql2-json", "filter", `{"op":"=","args":[{"property":"controller"},"government"]}`), &js)
		if !slices.Equal(js.ids(), fc.ids()) {
			t.Errorf("JSON filter %v, text filter %v", js.ids(), fc.ids())
		}
		var with featureCollection
		getJSON(t, e, itemsURL("facilities", "filter", "status = 'normal'", "datetime", "2026-01-20", "bbox", "40,35.5,42.5,37.5",
			"filter-crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"), &with)
		if got := with.ids(); !slices.Equal(got, []string{"roj-1"}) {
			t.Errorf("filter with datetime and bbox: %v, want [roj-1]", got)
		}

		// Paging through a sorted, filtered answer follows the next links,
		// which keep filter and sortby, and gives every match once, in order.
		want := []string{"al-hol-3", "roj-1", "shaddadi-3", "al-hol-2", "shaddadi-2", "shaddadi-1", "al-hol-1"}
		target := itemsURL("facilities", "filter", "TRUE", "sortby", "-valid_to", "limit", "3")
		var got []string
		for target != "" && len(got) < 20 {
			var page featureCollection
			getJSON(t, e, target, &page)
			got = append(got, page.ids()...)
			target = ""
			if next, ok := findLink(page.Links, "next", ""); ok {
				if !strings.Contains(next.Href, "sortby=-valid_to") || !strings.Contains(next.Href, "filter=TRUE") {
					t.Errorf("next link %s lost filter or sortby", next.Href)
				}
				target = pathOf(t, next.Href)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages %v, want %v", got, want)
		}

		// A download holds only the matches.
		rec := get(t, e, itemsURL("facilities", "filter", "controller = 'sdf'", "download", "1"), 200)
		var dl featureCollection
		if err := json.Unmarshal(rec.Body.Bytes(), &dl); err != nil {
			t.Fatal(err)
		}
		if got := dl.ids(); !slices.Equal(got, []string{"al-hol-1", "al-hol-2", "roj-1", "shaddadi-1"}) {
			t.Errorf("download %v", got)
		}

		// Two filters never share a cached answer.
		var a, b featureCollection
		getJSON(t, e, itemsURL("facilities", "filter", "controller = 'sdf'"), &a)
		getJSON(t, e, itemsURL("facilities", "filter", "controller = 'contested'"), &b)
		if slices.Equal(a.ids(), b.ids()) {
			t.Errorf("two filters, one answer: %v", a.ids())
		}
	})
}

// TestFilterTiles checks that a tile holds only the features the filter
// keeps, and that the TileJSON carries the filter into its tile URLs.
func TestFilterTiles(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		tile := maptile.At(orb.Point{41.1486, 36.3756}, 10) // al-Hol
		path := "/collections/facilities/tiles/WebMercatorQuad/10/" + strconv.Itoa(int(tile.Y)) + "/" + strconv.Itoa(int(tile.X))
		q := func(filter string) string {
			return path + "?" + url.Values{"datetime": {"2026-01-22"}, "filter": {filter}}.Encode()
		}
		gov := get(t, e, q("controller = 'government'"), 200).Body.Len()
		sdf := get(t, e, q("controller = 'sdf'"), 200).Body.Len()
		if gov == 0 || sdf != 0 {
			t.Errorf("al-Hol's tile on 22 January: %d bytes for the government filter (want some), %d for SDF (want none)", gov, sdf)
		}
		var doc struct {
			Tiles []string `json:"tiles"`
		}
		getJSON(t, e, "/collections/facilities/tiles/WebMercatorQuad?"+url.Values{"filter": {"controller = 'sdf'"}}.Encode(), &doc)
		if len(doc.Tiles) != 1 || !strings.Contains(doc.Tiles[0], "filter=controller") {
			t.Errorf("TileJSON tiles %v do not carry the filter", doc.Tiles)
		}
		p := getProblem(t, e, q("nope = 1"), 400)
		if p.Parameter != "filter" || !strings.Contains(p.Detail, `unknown property "nope"`) {
			t.Errorf("tile with a bad filter: %+v", p)
		}
	})
}

// TestFilterHostile sends bad and hostile filters: each is a 400 problem
// naming the parameter, with the position (text) or pointer (JSON) at fault.
func TestFilterHostile(t *testing.T) {
	e := newServer(t, memoryFixture())
	many := make([]string, 600)
	for i := range many {
		many[i] = "'x'"
	}
	var coords []string
	for i := 0; i < 1100; i++ {
		coords = append(coords, "1 1")
	}
	cases := []struct {
		name    string
		kv      []string
		param   string
		pos     int
		pointer string
		detail  string
	}{
		{"unbalanced quote", []string{"filter", "name = 'al-Hol"}, "filter", 8, "", "unbalanced quote"},
		{"invalid WKT", []string{"filter", "S_INTERSECTS(geometry, POLYGON((1 1, 2 2)))"}, "filter", 24, "", "invalid geometry"},
		{"unknown function", []string{"filter", "name = upper('x')"}, "filter", 8, "", "unknown function upper"},
		{"unknown property", []string{"filter", "colour = 'red'"}, "filter", 1, "", `unknown property "colour"`},
		{"deep nesting", []string{"filter", strings.Repeat("(", 300) + "TRUE" + strings.Repeat(")", 300)}, "filter", 0, "", "nested too deeply"},
		{"NOT chain", []string{"filter", strings.Repeat("NOT ", 500) + "TRUE"}, "filter", 0, "", "nested too deeply"},
		{"long IN list", []string{"filter", "name IN (" + strings.Join(many, ",") + ")"}, "filter", 0, "", "too long"},
		{"many vertices", []string{"filter", "S_INTERSECTS(geometry, LINESTRING(" + strings.Join(coords, ",") + "))"}, "filter", 0, "", "too many vertices"},
		{"JSON member", []string{"filter-lang", "cql2-json", "filter", `{"op":"and","args":[{"op":"=","args":[{"property":"name"},"x"]},{"op":"zap","args":[]}]}`}, "filter", 0, "/args/1/op", "unknown operator"},
		{"JSON not JSON", []string{"filter-lang", "cql2-json", "filter", `{"op":`}, "filter", 0, "", "not valid JSON"},
		{"unknown language", []string{"filter-lang", "ecql", "filter", "TRUE"}, "filter-lang", 0, "", "cql2-text or cql2-json"},
		{"other CRS", []string{"filter-crs", "EPSG:3857", "filter", "TRUE"}, "filter-crs", 0, "", "only"},
		{"SQL in a string stays a string", []string{"filter", "name = 'x''; DROP TABLE features; --'"}, "", 0, "", ""},
		{"sort by an unknown name", []string{"sortby", "colour"}, "sortby", 0, "", `unknown property "colour"`},
		{"sort by geometry", []string{"sortby", "geometry"}, "sortby", 0, "", "unknown property"},
		{"sort twice", []string{"sortby", "name,-name"}, "sortby", 0, "", "named twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := itemsURL("facilities", c.kv...)
			if c.param == "" { // a string that only looks like SQL matches nothing
				var fc featureCollection
				getJSON(t, e, target, &fc)
				if fc.NumberMatched != 0 {
					t.Errorf("matched %d", fc.NumberMatched)
				}
				return
			}
			p := getProblem(t, e, target, 400)
			if p.Parameter != c.param || !strings.Contains(p.Detail, c.detail) {
				t.Errorf("problem %s %q, want parameter %s saying %q", p.Parameter, truncate(p.Detail), c.param, c.detail)
			}
			if c.pos > 0 && p.Position != c.pos {
				t.Errorf("position %d, want %d", p.Position, c.pos)
			}
			if p.Pointer != c.pointer {
				t.Errorf("pointer %q, want %q", p.Pointer, c.pointer)
			}
		})
	}
}

// TestQueryables checks the queryables document and its link.
func TestQueryables(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var doc struct {
			AdditionalProperties *bool                     `json:"additionalProperties"`
			Properties           map[string]map[string]any `json:"properties"`
		}
		rec := getJSON(t, e, "/collections/facilities/queryables", &doc)
		if ct := rec.Header().Get("Content-Type"); ct != "application/schema+json" {
			t.Errorf("Content-Type %q", ct)
		}
		if doc.AdditionalProperties == nil || *doc.AdditionalProperties {
			t.Error("additionalProperties is not false")
		}
		for _, name := range []string{"controller", "status", "name", "population", "geometry", "id", "valid_from", "valid_to"} {
			if _, ok := doc.Properties[name]; !ok {
				t.Errorf("queryable %s missing", name)
			}
		}
		if _, ok := doc.Properties["sources"]; ok {
			t.Error("sources is listed but cannot be filtered")
		}
		if f := doc.Properties["geometry"]["format"]; f != "geometry-point-or-multipoint" {
			t.Errorf("geometry format %v", f)
		}
		if typ := doc.Properties["population"]["type"]; typ == nil {
			t.Error("population has no type")
		}
		var col struct {
			Links []linkBody `json:"links"`
		}
		getJSON(t, e, "/collections/facilities", &col)
		if l, ok := findLink(col.Links, "http://www.opengis.net/def/rel/ogc/1.0/queryables", ""); !ok || !strings.HasSuffix(l.Href, "/collections/facilities/queryables") {
			t.Errorf("no queryables link: %+v", col.Links)
		}
	})
}
