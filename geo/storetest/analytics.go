package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/controlmap/controlmap/geo"
)

// The analytics fixture: polygons of two sides, "a" and "b", whose areas
// are known in closed form (boxes between two meridians and two parallels).
// Two unit squares, one at the equator and one at 36°N; a square that
// overlaps the one at 36°N (counted once); a square with a hole; a version
// boundary at the instant asked (2026-01-10); a polygon without the
// property; land both sides claim throughout; a region that touches a
// version it does not overlap.
const analyticsCatalog = `{"collections": [
  {"id": "territory", "title": "Territory", "description": "Analytics fixture.",
   "geometry_type": "Polygon", "dated": true, "group_key": "zone", "required": ["zone"],
   "style": {"property": "controller", "colors": {"a": "#111111", "b": "#222222"}, "default_color": "#999999"},
   "attribution": "controlmap tests", "license": "CC0-1.0", "license_url": "https://creativecommons.org/publicdomain/zero/1.0/"}
]}`

func analyticsFeatures() []obj {
	hole := [][2]float64{{42.5, 36.25}, {42.5, 36.75}, {43.5, 36.75}, {43.5, 36.25}, {42.5, 36.25}}
	f := func(id, zone, controller string, from, to any, rings ...[][2]float64) obj {
		props := obj{"zone": zone}
		if controller != "" {
			props["controller"] = controller
		}
		return feature(id, polygon(rings...), dated(props, from, to, srcCM))
	}
	return []obj{
		f("eq-1", "eq", "a", "2026-01-01", "2026-01-10", rect(0, 0, 1, 1)),
		f("eq-2", "eq", "b", "2026-01-10", nil, rect(0, 0, 1, 1)),
		f("n36-1", "n36", "a", "2026-01-01", nil, rect(40, 36, 41, 37)),
		f("n36-east", "n36e", "a", "2026-01-05", nil, rect(40.5, 36, 41.5, 37)),
		f("ring-1", "ring", "b", "2026-01-01", "2026-01-20", rect(42, 36, 44, 37), hole),
		f("ring-2", "ring", "a", "2026-01-20", nil, rect(42, 36, 44, 37), hole),
		f("nobody-1", "nobody", "", "2026-01-01", nil, rect(10, 10, 11, 11)),
		// Land both sides claim throughout: it never changes hands.
		f("x1", "claim-x", "a", "2026-01-01", nil, rect(10, 0, 11, 1)),
		f("y1", "claim-y", "b", "2026-01-01", nil, rect(10.5, 0, 11.5, 1)),
		// q takes part of p1 and touches p2 along a meridian: only p1 is
		// a version of the region that changed.
		f("p1", "p1", "a", "2026-01-01", "2026-01-12", rect(20, 0, 21, 1)),
		f("p2", "p2", "a", "2026-01-01", "2026-01-12", rect(22, 0, 23, 1)),
		f("q", "q", "b", "2026-01-12", nil, rect(20.5, 0, 22, 1)),
	}
}

// AnalyticsFixture is the dataset RunAnalytics hands the store.
func AnalyticsFixture() *geo.Dataset {
	ds, err := geo.LoadDir(fstest.MapFS{
		geo.CatalogFile:     {Data: []byte(analyticsCatalog)},
		"territory.geojson": {Data: featureCollection(analyticsFeatures())},
	})
	if err != nil {
		panic(fmt.Sprintf("storetest: analytics fixture does not load: %v", err))
	}
	return ds
}

// boxKM2 is the area in km² of the box between two meridians and two
// parallels on the WGS84 ellipsoid, in closed form: the longitude span
// times a²/2 times the difference of q (the authalic function) at the two
// latitudes. The fixture's polygons have geodesic edges, which differ from
// parallels by far less than the 0.1% the checks allow.
func boxKM2(lon0, lat0, lon1, lat1 float64) float64 {
	const a, f = 6378137.0, 1 / 298.257223563
	e2 := f * (2 - f)
	e := math.Sqrt(e2)
	q := func(latDeg float64) float64 {
		s := math.Sin(latDeg * math.Pi / 180)
		return (1 - e2) * (s/(1-e2*s*s) - 1/(2*e)*math.Log((1-e*s)/(1+e*s)))
	}
	return (lon1 - lon0) * math.Pi / 180 * a * a / 2 * (q(lat1) - q(lat0)) / 1e6
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// RunAnalytics runs the analytics contract against the store that open
// returns, holding AnalyticsFixture.
func RunAnalytics(t *testing.T, open func(t *testing.T, ds *geo.Dataset) geo.AnalyticsStore) {
	t.Helper()
	st := open(t, AnalyticsFixture())
	ctx := context.Background()
	eq := boxKM2(0, 0, 1, 1)
	n36 := boxKM2(40, 36, 41, 37)
	n36Both := boxKM2(40, 36, 41.5, 37)
	ring := boxKM2(42, 36, 44, 37) - boxKM2(42.5, 36.25, 43.5, 36.75)

	t.Run("Areas", func(t *testing.T) {
		at := []time.Time{day("2026-01-01"), day("2026-01-05"), day("2026-01-10"), day("2026-01-20"), day("2025-12-31")}
		// Every box of a degree at the equator has the area eq.
		want := []map[string]float64{
			{"a": 4*eq + n36, "b": ring + eq},
			{"a": 4*eq + n36Both, "b": ring + eq},
			{"a": 3*eq + n36Both, "b": 2*eq + ring},
			{"a": n36Both + ring + eq, "b": 3.5 * eq},
			{},
		}
		got, err := st.Areas(ctx, "territory", "controller", at)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(at) {
			t.Fatalf("%d entries for %d instants", len(got), len(at))
		}
		for i, w := range want {
			if !got[i].At.Equal(at[i]) {
				t.Errorf("entry %d is at %v, want %v", i, got[i].At, at[i])
			}
			checkAreas(t, at[i].Format("2006-01-02"), got[i].KM2, w)
		}
	})
	t.Run("AreasOfNoProperty", func(t *testing.T) {
		got, err := st.Areas(ctx, "territory", "nope", []time.Time{day("2026-01-05")})
		if err != nil || len(got) != 1 || len(got[0].KM2) != 0 {
			t.Errorf("areas by a property no feature has: %v, %v", got, err)
		}
	})
	t.Run("Changes", func(t *testing.T) {
		got, err := st.RegionChanges(ctx, "territory", "controller", day("2026-01-01"), day("2026-01-25"))
		if err != nil {
			t.Fatal(err)
		}
		// a to b: the equator square and the half of p1 that q took; the
		// land both claim (x1, y1) is no change.
		want := []geo.ChangeRegion{
			{From: "a", To: "b", KM2: 1.5 * eq, FromIDs: []string{"eq-1", "p1"}, ToIDs: []string{"eq-2", "q"}},
			{From: "b", To: "a", KM2: ring, FromIDs: []string{"ring-1"}, ToIDs: []string{"ring-2"}},
		}
		checkChanges(t, got, want)
		if len(got) == 2 {
			// The region that changed around the hole keeps the hole.
			if km2 := geo.GeodesicArea(got[1].Geometry) / 1e6; !near(km2, ring, 0.001) {
				t.Errorf("ring region measures %.1f km², want %.1f", km2, ring)
			}
		}
	})
	t.Run("ChangeAtAVersionBoundary", func(t *testing.T) {
		got, err := st.RegionChanges(ctx, "territory", "controller", day("2026-01-10").Add(-time.Microsecond), day("2026-01-10"))
		if err != nil {
			t.Fatal(err)
		}
		checkChanges(t, got, []geo.ChangeRegion{{From: "a", To: "b", KM2: eq, FromIDs: []string{"eq-1"}, ToIDs: []string{"eq-2"}}})
	})
	t.Run("NoChange", func(t *testing.T) {
		for _, span := range [][2]string{{"2026-01-05", "2026-01-09"}, {"2026-01-15", "2026-01-15"}} {
			got, err := st.RegionChanges(ctx, "territory", "controller", day(span[0]), day(span[1]))
			if err != nil || len(got) != 0 {
				t.Errorf("changes from %s to %s, where there are none: %v, %v", span[0], span[1], got, err)
			}
		}
	})
	t.Run("UnknownCollection", func(t *testing.T) {
		if _, err := st.Areas(ctx, "nope", "controller", []time.Time{day("2026-01-05")}); !errors.Is(err, geo.ErrNotFound) {
			t.Errorf("Areas of an unknown collection: %v", err)
		}
		if _, err := st.RegionChanges(ctx, "nope", "controller", day("2026-01-05"), day("2026-01-06")); !errors.Is(err, geo.ErrNotFound) {
			t.Errorf("RegionChanges of an unknown collection: %v", err)
		}
	})
}

func near(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

func checkAreas(t *testing.T, at string, got, want map[string]float64) {
	t.Helper()
	keys := func(m map[string]float64) []string {
		var k []string
		for x := range m {
			k = append(k, x)
		}
		slices.Sort(k)
		return k
	}
	if !slices.Equal(keys(got), keys(want)) {
		t.Errorf("%s: sides %v, want %v", at, keys(got), keys(want))
		return
	}
	for k, w := range want {
		if !near(got[k], w, 0.001) {
			t.Errorf("%s: %s holds %.2f km², want %.2f (within 0.1%%)", at, k, got[k], w)
		}
	}
}

func checkChanges(t *testing.T, got, want []geo.ChangeRegion) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d regions, want %d: %+v", len(got), len(want), got)
		return
	}
	for i, w := range want {
		g := got[i]
		if g.From != w.From || g.To != w.To || !slices.Equal(g.FromIDs, w.FromIDs) || !slices.Equal(g.ToIDs, w.ToIDs) {
			t.Errorf("region %d: %s→%s %v→%v, want %s→%s %v→%v", i, g.From, g.To, g.FromIDs, g.ToIDs, w.From, w.To, w.FromIDs, w.ToIDs)
		}
		if !near(g.KM2, w.KM2, 0.001) {
			t.Errorf("region %d (%s→%s): %.2f km², want %.2f", i, g.From, g.To, g.KM2, w.KM2)
		}
		if len(g.Geometry) == 0 {
			t.Errorf("region %d has no geometry", i)
		}
	}
}
