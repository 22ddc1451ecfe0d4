package handlers_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

type areaBody struct {
	Collection  string `json:"collection"`
	Property    string `json:"property"`
	Approximate bool   `json:"approximate"`
	Series      []struct {
		Date     string             `json:"date"`
		AreaKM2  map[string]float64 `json:"area_km2"`
		TotalKM2 float64            `json:"total_km2"`
	} `json:"series"`
	Sources []map[string]any `json:"sources"`
}

// TestAnalyticsArea checks the area series of the fixture's areas on both
// stores: the collection's first date and its change, each side's area,
// the hole of the government's area filled by the SDF's Hasakah.
func TestAnalyticsArea(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var doc areaBody
		rec := getJSON(t, e, "/analytics/area?collection=areas", &doc)
		if doc.Collection != "areas" || doc.Property != "controller" || !doc.Approximate || len(doc.Sources) == 0 {
			t.Errorf("document %+v", doc)
		}
		var dates []string
		for _, s := range doc.Series {
			dates = append(dates, s.Date)
		}
		if !slices.Equal(dates, []string{"2026-01-01", "2026-01-21"}) {
			t.Fatalf("dates %v", dates)
		}
		first, second := doc.Series[0], doc.Series[1]
		big, l := first.AreaKM2["sdf"], first.AreaKM2["contested"]
		if big < 90000 || l < 1000 || len(first.AreaKM2) != 2 {
			t.Errorf("2026-01-01: %v", first.AreaKM2)
		}
		gov, hasakah := second.AreaKM2["government"], second.AreaKM2["sdf"]
		if hasakah < 50 || hasakah > 120 || math.Abs(gov+hasakah-big) > 0.001*big || second.AreaKM2["contested"] != l {
			t.Errorf("2026-01-21: %v (the government's area plus Hasakah should be the SDF's area of 1 January, %.1f)", second.AreaKM2, big)
		}
		if math.Abs(first.TotalKM2-(big+l)) > 0.2 {
			t.Errorf("total %.1f, want %.1f", first.TotalKM2, big+l)
		}

		// One instant.
		var one areaBody
		getJSON(t, e, "/analytics/area?collection=areas&datetime=2026-01-25", &one)
		if len(one.Series) != 1 || one.Series[0].Date != "2026-01-25" || one.Series[0].AreaKM2["government"] != gov {
			t.Errorf("one instant: %+v", one.Series)
		}

		// Cached with an ETag like every answer.
		etag := rec.Header().Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		get(t, e, "/analytics/area?collection=areas", 304, "If-None-Match", etag)
	})
}

// TestAnalyticsChange checks the regions and the sites that changed hands
// between two dates, on both stores.
func TestAnalyticsChange(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var fc featureCollection
		getJSON(t, e, "/analytics/change?collection=areas&from=2026-01-15&to=2026-01-25", &fc)
		if got := fc.ids(); !slices.Equal(got, []string{"sdf-to-government"}) || fc.NumberMatched != 1 {
			t.Fatalf("regions %v (%d matched)", got, fc.NumberMatched)
		}
		p := fc.Features[0].Properties
		if p["from_controller"] != "sdf" || p["to_controller"] != "government" || p["approximate"] != true ||
			p["from"] != "2026-01-15" || p["to"] != "2026-01-25" {
			t.Errorf("properties %v", p)
		}
		if v, _ := p["versions"].([]any); len(v) != 2 || v[0] != "ne-1" || v[1] != "ne-2" {
			t.Errorf("versions %v", p["versions"])
		}
		if srcs, _ := p["sources"].([]any); len(srcs) == 0 {
			t.Error("no sources")
		}
		// RFC 7946: outer rings counter-clockwise, holes clockwise.
		g, err := geojson.UnmarshalGeometry(fc.Features[0].Geometry)
		if err != nil {
			t.Fatal(err)
		}
		polys := orb.MultiPolygon{}
		switch x := g.Geometry().(type) {
		case orb.Polygon:
			polys = append(polys, x)
		case orb.MultiPolygon:
			polys = x
		}
		for _, poly := range polys {
			for j, r := range poly {
				if (j == 0) != (r.Orientation() == orb.CCW) {
					t.Errorf("ring %d of a region is %v", j, r.Orientation())
				}
			}
		}
		var area areaBody
		getJSON(t, e, "/analytics/area?collection=areas&datetime=2026-01-25", &area)
		if got, want := p["area_km2"].(float64), area.Series[0].AreaKM2["government"]; math.Abs(got-want) > 0.005*want {
			t.Errorf("region of %.1f km², the government's whole area %.1f", got, want)
		}

		var sites featureCollection
		getJSON(t, e, "/analytics/change?collection=facilities&from=2026-01-15&to=2026-01-25", &sites)
		if got := sites.ids(); !slices.Equal(got, []string{"al-hol", "shaddadi"}) {
			t.Errorf("sites %v, want al-hol and shaddadi (Roj camp did not change)", got)
		}
		for _, f := range sites.Features {
			if f.Properties["from_controller"] != "sdf" || f.Properties["to_controller"] != "government" || f.Properties["name"] == nil {
				t.Errorf("site %s: %v", f.ID, f.Properties)
			}
		}
		var none featureCollection
		getJSON(t, e, "/analytics/change?collection=facilities&from=2026-01-22&to=2026-01-25", &none)
		if len(none.Features) != 0 || none.NumberMatched != 0 {
			t.Errorf("changes where none happened: %v", none.ids())
		}

		rec := get(t, e, "/analytics/change?collection=areas&from=2026-01-15&to=2026-01-25&download=1", 200)
		if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, `filename="areas-changes-2026-01-15-2026-01-25.geojson"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
	})
}

func TestAnalyticsBadParameters(t *testing.T) {
	e := newServer(t, memoryFixture())
	for _, c := range []struct{ target, param, detail string }{
		{"/analytics/area", "collection", "required"},
		{"/analytics/area?collection=nope", "collection", "no such collection"},
		{"/analytics/area?collection=facilities", "collection", "holds no polygons"},
		{"/analytics/area?collection=areas&datetime=2026-02-30", "datetime", "not a date"},
		{"/analytics/area?collection=areas&colour=red", "colour", "unknown parameter"},
		{"/analytics/change?collection=areas&to=2026-01-25", "from", "required"},
		{"/analytics/change?collection=areas&from=2026-01-25&to=2026-01-15", "from", "after to"},
		{"/analytics/change?collection=areas&from=yesterday&to=2026-01-15", "from", "not a date"},
		{"/analytics/change?collection=border&from=2026-01-15&to=2026-01-25", "collection", "no style property"},
		{"/analytics/change?collection=villages&from=2026-01-15&to=2026-01-25", "collection", "changes are computed for"},
	} {
		p := getProblem(t, e, c.target, 400)
		if p.Parameter != c.param || !strings.Contains(p.Detail, c.detail) {
			t.Errorf("%s: %s %q, want %s saying %q", c.target, p.Parameter, p.Detail, c.param, c.detail)
		}
	}
}

// TestAnalyticsGDAL reads the change regions with ogrinfo.
func TestAnalyticsGDAL(t *testing.T) {
	ogrinfo, ogr2ogr := requireGDAL(t)
	srv := httptest.NewServer(newServer(t, memoryFixture()))
	defer srv.Close()
	g := gdal{t: t, ogrinfo: ogrinfo, ogr2ogr: ogr2ogr, dir: t.TempDir()}
	out := g.run(ogrinfo, "-ro", "-al", srv.URL+"/analytics/change?collection=areas&from=2026-01-15&to=2026-01-25")
	for _, want := range []string{"Feature Count: 1", "Geometry: Polygon", "from_controller (String) = sdf", "to_controller (String) = government", "area_km2 ("} {
		if !strings.Contains(out, want) {
			t.Errorf("ogrinfo output lacks %q:\n%s", want, truncate(out))
		}
	}
}

// TestAnalyticsStoresAgree asks both stores for the area series of the
// fixture through the API and compares every area (within 0.5%).
func TestAnalyticsStoresAgree(t *testing.T) {
	bodies := map[string][]byte{}
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		bodies[t.Name()] = get(t, e, "/analytics/area?collection=areas", 200).Body.Bytes()
	})
	if len(bodies) != 2 {
		return
	}
	var docs []areaBody
	for _, b := range bodies {
		var d areaBody
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	for i := range docs[0].Series {
		for k, v := range docs[0].Series[i].AreaKM2 {
			if w := docs[1].Series[i].AreaKM2[k]; math.Abs(v-w) > 0.005*v {
				t.Errorf("%s %s: %.1f and %.1f km²", docs[0].Series[i].Date, k, v, w)
			}
		}
	}
}

// countingAnalytics counts the store's Areas calls and the instants asked.
type countingAnalytics struct {
	*memory.Store
	instants int
}

func (c *countingAnalytics) Areas(ctx context.Context, collection, property string, at []time.Time) ([]geo.AreaAt, error) {
	c.instants += len(at)
	return c.Store.Areas(ctx, collection, property, at)
}

// TestAnalyticsAreaByEpoch checks that dates between the same two changes
// share one computation: the second date of an epoch, and the series after
// it, ask the store only for instants of epochs not computed yet.
func TestAnalyticsAreaByEpoch(t *testing.T) {
	st := &countingAnalytics{Store: memory.New(storetest.Fixture())}
	e := newServer(t, st)
	var a, b areaBody
	getJSON(t, e, "/analytics/area?collection=areas&datetime=2026-01-22", &a)
	getJSON(t, e, "/analytics/area?collection=areas&datetime=2026-01-25T12:00:00Z", &b)
	if st.instants != 1 {
		t.Errorf("two dates of one epoch asked the store for %d instants, want 1", st.instants)
	}
	if b.Series[0].Date != "2026-01-25T12:00:00Z" || !reflect.DeepEqual(a.Series[0].AreaKM2, b.Series[0].AreaKM2) {
		t.Errorf("%+v and %+v", a.Series, b.Series)
	}
	var series areaBody
	getJSON(t, e, "/analytics/area?collection=areas", &series)
	// The series is 2026-01-01 and 2026-01-21: the second shares the epoch
	// of 22 January.
	if st.instants != 2 || len(series.Series) != 2 || !reflect.DeepEqual(series.Series[1].AreaKM2, a.Series[0].AreaKM2) {
		t.Errorf("after the series the store was asked %d instants (want 2): %+v", st.instants, series.Series)
	}
	// With the cache off, every request computes.
	off := &countingAnalytics{Store: memory.New(storetest.Fixture())}
	e = serverWith(t, off, handlers.Options{CacheBytes: -1})
	getJSON(t, e, "/analytics/area?collection=areas&datetime=2026-01-22", &a)
	getJSON(t, e, "/analytics/area?collection=areas&datetime=2026-01-25", &b)
	if off.instants != 2 {
		t.Errorf("cache off: the store was asked %d instants, want 2", off.instants)
	}
}
