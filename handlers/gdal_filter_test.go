package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/handlers"
)

// TestGDALWhere finds out what GDAL's -where (an OGR SQL attribute filter)
// becomes at the server, and shows who did the filtering: the server (the
// answers GDAL received held only matching features: numberMatched is the
// expected count) or GDAL (the answers held the whole collection).
//
// What GDAL 3.6 (Debian 12's gdal-bin 3.6.2) does, found by experiment and
// pinned here:
//
//   - It never sends a -where as a CQL2 filter. It reads neither
//     /conformance nor the queryables link; it would send
//     filter=…&filter-lang=cql-text only if /api offered filter-lang
//     "cql-text", the pre-standard name (this server offers cql2-text and
//     cql2-json), or with the undocumented configuration option
//     OGR_OAPIF_ALLOW_CQL_TEXT=YES; the server refuses cql-text with 400.
//   - An equality of a property that /api lists as a query parameter
//     (controller = 'sdf') is sent as that parameter (controller=sdf), and
//     the terms of an AND are sent so one by one; the server filters those.
//   - Everything else (IN, OR, NOT, <, >, LIKE, …) is evaluated by GDAL
//     itself on every feature of the collection, which it pages through.
//   - A comparison of a date property with a date is sent as the datetime
//     parameter, which asks something else: valid_from >= '2026-01-20' is
//     sent as datetime=2026-01-20T/.. (not a date-time: 400), and with a
//     full date-time GDAL gets and keeps the features valid at any time
//     since, whatever their valid_from.
//   - The query of a connection string, OAPIF:…/collections/x?filter=…,
//     is appended to every URL GDAL asks. That is how a CQL2 filter reaches
//     the server from GDAL 3.6, and -where and -spat still add their own
//     parameters to it.
//
// The filters are also asked of the server directly (plain HTTP, as curl
// would), in the CQL2 that GDAL's cql-text builder writes.
func TestGDALWhere(t *testing.T) {
	ogrinfo, ogr2ogr := requireGDAL(t)
	major, minor := gdalVersion(t, ogrinfo)
	// legacy: GDAL 3.6 or older, whose behaviour is pinned above. A later
	// GDAL may send -where as CQL2; then only its results, and that a
	// filter it sent was applied by the server, are checked.
	legacy := major < 3 || major == 3 && minor <= 6
	t.Logf("GDAL %d.%d; the GDAL 3.6 behaviour is asserted: %v", major, minor, legacy)

	ds := gdalDataset(t)
	points, ok := ds.Collection("points")
	if !ok {
		t.Fatal("the GDAL dataset has no points collection")
	}
	schema := cql2.Schema{Properties: points.Properties}
	// want returns the ids of the points a CQL2 text filter matches, by the
	// domain's rule; count, when not -1, is the size worked out by hand
	// from how the points are generated, so that the rule is checked too.
	want := func(t *testing.T, cql string, count int) []string {
		t.Helper()
		e, err := cql2.ParseText(cql, schema, cql2.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", cql, err)
		}
		ids := expectedIDs(ds, "points", geo.Query{Filter: e})
		if count >= 0 && len(ids) != count {
			t.Fatalf("%s matches %d points by the domain's rule, want %d", cql, len(ids), count)
		}
		if len(ids) == 0 || len(ids) == pointsCount {
			t.Fatalf("%s matches %d of %d points: no test of a filter", cql, len(ids), pointsCount)
		}
		return ids
	}

	for _, backend := range []string{"memory", "postgis"} {
		t.Run(backend, func(t *testing.T) {
			var st geo.Store = memory.New(ds)
			if backend == "postgis" {
				st = pgtest.NewStore(t, ds)
			}
			log := &pageLog{ds: ds, schema: schema}
			srv := httptest.NewServer(log.wrap(handlers.New(st, handlers.Options{Logger: testLogger(t)})))
			defer srv.Close()
			g := gdal{t: t, ogrinfo: ogrinfo, ogr2ogr: ogr2ogr, dir: t.TempDir()}

			// The server's own answer to a filter, asked directly.
			direct := func(t *testing.T, q url.Values) []string {
				t.Helper()
				q.Set("limit", "10000")
				var fc struct {
					NumberMatched  int `json:"numberMatched"`
					NumberReturned int `json:"numberReturned"`
					Features       []struct {
						ID string `json:"id"`
					} `json:"features"`
				}
				u := srv.URL + "/collections/points/items?" + q.Encode()
				status := httpGetJSON(t, u, &fc)
				if status != http.StatusOK {
					t.Fatalf("GET %s: %d", u, status)
				}
				ids := []string{}
				for _, f := range fc.Features {
					ids = append(ids, f.ID)
				}
				sort.Strings(ids)
				if fc.NumberMatched != len(ids) || fc.NumberReturned != len(ids) {
					t.Errorf("GET %s: numberMatched %d, numberReturned %d, %d features", u, fc.NumberMatched, fc.NumberReturned, len(ids))
				}
				return ids
			}

			t.Run("-where beyond equality is evaluated by GDAL, not sent", func(t *testing.T) {
				g.t = t
				for _, tc := range []struct {
					where string // OGR SQL, and the same condition in CQL2 text
					count int
				}{
					{"n < 25", 25},
					{"n >= 10 AND n < 20", 10},
					{"n IN (1, 2, 2999)", 3},
					{"parity = 'odd' OR n < 3", 1502},
					{"NOT (parity = 'odd')", 1500},
					{"name LIKE 'Point 12%'", 111}, // Point 12, 120-129, 1200-1299
				} {
					wantIDs := want(t, tc.where, tc.count)
					log.reset()
					got := g.ids("OAPIF:"+srv.URL, "points", "-oo", "PAGE_SIZE=1000", "-where", tc.where)
					if !reflect.DeepEqual(got, wantIDs) {
						t.Errorf("-where %q: GDAL wrote %d features (%v … %v), want %d", tc.where, len(got), first(got), last(got), len(wantIDs))
					}
					// GDAL asked the server for every point and filtered
					// them itself.
					for _, p := range log.check(t) {
						if legacy && (p.query.Has("filter") || p.matched != pointsCount) {
							t.Errorf("-where %q: GDAL 3.6 asked the server to filter: %s (numberMatched %d)", tc.where, p, p.matched)
						}
					}
				}
			})

			t.Run("-where equality is sent as a query parameter, the rest evaluated by GDAL", func(t *testing.T) {
				g.t = t
				wantIDs := want(t, "parity = 'odd' AND n < 100", 50)
				log.reset()
				got := g.ids("OAPIF:"+srv.URL, "points", "-oo", "PAGE_SIZE=1000", "-where", "parity = 'odd' AND n < 100")
				if !reflect.DeepEqual(got, wantIDs) {
					t.Errorf("GDAL wrote %d features, want %d", len(got), len(wantIDs))
				}
				// The server filtered on parity (check compares each page
				// with its own query); GDAL kept n < 100 of those.
				sentParity := false
				for _, p := range log.check(t) {
					if p.query.Get("parity") == "odd" {
						sentParity = true
					}
					if legacy && p.query.Has("filter") {
						t.Errorf("GDAL 3.6 sent a filter: %s", p)
					}
				}
				if legacy && !sentParity {
					t.Errorf("GDAL 3.6 did not send parity=odd:\n%s", log)
				}
			})

			t.Run("a CQL2 filter in the connection string is applied by the server", func(t *testing.T) {
				g.t = t
				for _, tc := range []struct {
					cql   string
					count int
					extra []string // more ogr2ogr options
					and   string   // what extra adds, in CQL2
				}{
					{cql: "n < 25 OR name LIKE 'Point 29%'", count: 25 + 111},
					{cql: "parity = 'odd' AND n BETWEEN 100 AND 140", count: 20},
					// i%30 >= 19: 11 start dates of 30
					{cql: "valid_from >= DATE('2026-01-20')", count: pointsCount * 11 / 30},
					{cql: "S_INTERSECTS(geometry, BBOX(37.02, 34.03, 38.51, 35.47)) AND parity = 'even'", count: -1},
					// -where and -spat add their parameters to the filter's.
					{cql: "n < 1000", count: -1, extra: []string{"-where", "parity = 'odd'", "-spat", "36", "33", "40", "34"},
						and: "parity = 'odd' AND S_INTERSECTS(geometry, BBOX(36, 33, 40, 34))"},
				} {
					full := tc.cql
					if tc.and != "" {
						full = "(" + tc.cql + ") AND " + tc.and
					}
					wantIDs := want(t, full, tc.count)
					// What curl would ask, and the server answers.
					if d := direct(t, url.Values{"filter": {full}}); !reflect.DeepEqual(d, wantIDs) {
						t.Errorf("%s asked directly: %d features, want %d", full, len(d), len(wantIDs))
					}
					dataset := "OAPIF:" + srv.URL + "/collections/points?filter=" + escapeQuery(tc.cql)
					log.reset()
					args := append([]string{"-oo", "PAGE_SIZE=100"}, tc.extra...)
					got := g.ids(dataset, "points", args...)
					if !reflect.DeepEqual(got, wantIDs) {
						t.Errorf("%s: GDAL wrote %d features (%v … %v), want %d", full, len(got), first(got), last(got), len(wantIDs))
					}
					// Every page GDAL asked for carried the filter, and the
					// pages that asked the whole question (with the -where
					// and -spat parameters) held exactly the matching points.
					var served []string
					for _, p := range log.check(t) {
						if p.query.Get("filter") != tc.cql {
							t.Errorf("%s: a request without the filter: %s", tc.cql, p)
						}
						if tc.and == "" || p.query.Has("parity") && p.query.Has("bbox") {
							if p.matched != len(wantIDs) {
								t.Errorf("%s: numberMatched %d, want %d", p, p.matched, len(wantIDs))
							}
							served = append(served, p.ids...)
						}
					}
					sort.Strings(served)
					if served = slices.Compact(served); !reflect.DeepEqual(served, wantIDs) {
						t.Errorf("%s: the server sent GDAL %d points, want %d:\n%s", full, len(served), len(wantIDs), log)
					}
				}
			})

			t.Run("ogrinfo counts what the server's filter and -where leave", func(t *testing.T) {
				g.t = t
				cql := "n < 300 AND name LIKE 'Point 1%'" // Point 1, 10-19, 100-199
				dataset := "OAPIF:" + srv.URL + "/collections/points?filter=" + escapeQuery(cql)
				for _, tc := range []struct {
					where, and string
					count      int
				}{
					{"", "", 111},
					{"parity = 'even'", "parity = 'even'", 55},
					{"n >= 150", "n >= 150", 50},
				} {
					full := cql
					args := []string{"-ro", "-so", dataset, "points"}
					if tc.where != "" {
						full += " AND " + tc.and
						args = append(args, "-where", tc.where)
					}
					wantIDs := want(t, full, tc.count)
					log.reset()
					out := g.run(g.ogrinfo, args...)
					m := featureCountRE.FindStringSubmatch(out)
					if m == nil || m[1] != strconv.Itoa(len(wantIDs)) {
						t.Errorf("ogrinfo %s: %v, want Feature Count: %d\n%s", strings.Join(args, " "), m, len(wantIDs), truncate(out))
					}
					pages := log.check(t)
					for _, p := range pages {
						if p.query.Get("filter") != cql {
							t.Errorf("a request without the filter: %s", p)
						}
					}
					if len(pages) == 0 {
						t.Errorf("ogrinfo asked for no points:\n%s", log)
					}
				}
			})

			t.Run("a name that is no queryable is refused, and GDAL says why", func(t *testing.T) {
				g.t = t
				dataset := "OAPIF:" + srv.URL + "/collections/points?filter=" + escapeQuery("colour = 'red'")
				const why = `unknown property \"colour\"`
				out := filepath.Join(g.dir, "colour.geojson")
				_, stderr, err := g.try(nil, g.ogr2ogr, "-f", "GeoJSON", out, dataset, "points")
				if err == nil || !strings.Contains(stderr, "HTTP error code : 400") || !strings.Contains(stderr, why) {
					t.Errorf("ogr2ogr with an unknown name: err %v, stderr %s", err, stderr)
				}
				// ogrinfo prints the same problem, but exits with 0
				// (Feature Count: 0), so its exit status is not checked.
				if _, stderr, _ := g.try(nil, g.ogrinfo, "-ro", "-so", dataset, "points"); !strings.Contains(stderr, why) {
					t.Errorf("ogrinfo with an unknown name: stderr %s", stderr)
				}
			})

			t.Run("GDAL 3.6 sends a date comparison as datetime", func(t *testing.T) {
				if !legacy {
					t.Logf("GDAL %d.%d: not pinned", major, minor)
					return
				}
				g.t = t
				// A date alone: GDAL writes 2026-01-20T, which is no date-time.
				log.reset()
				out := filepath.Join(g.dir, "date.geojson")
				_, stderr, err := g.try(nil, g.ogr2ogr, "-f", "GeoJSON", out, "OAPIF:"+srv.URL, "points", "-where", "valid_from >= '2026-01-20'")
				if err == nil || !strings.Contains(stderr, `datetime=\"2026-01-20T/..\"`) {
					t.Errorf("-where valid_from >= '2026-01-20': err %v, stderr %s", err, stderr)
				}
				if !strings.Contains(log.String(), "400 /collections/points/items?limit=10&datetime=2026-01-20T%2F..") {
					t.Errorf("GDAL did not send datetime=2026-01-20T/..:\n%s", log)
				}
				// A date-time: GDAL asks datetime=2026-01-20T00:00:00Z/.. and
				// keeps what comes back: the points valid at any time since,
				// not those whose validity starts then.
				iv, err := geo.ParseDatetime("2026-01-20T00:00:00Z/..")
				if err != nil {
					t.Fatal(err)
				}
				validSince := expectedIDs(ds, "points", geo.Query{Time: iv})
				startSince := want(t, "valid_from >= TIMESTAMP('2026-01-20T00:00:00Z')", pointsCount*11/30)
				if len(validSince) <= len(startSince) {
					t.Fatalf("the two questions have the same answer (%d, %d): no test", len(validSince), len(startSince))
				}
				log.reset()
				got := g.ids("OAPIF:"+srv.URL, "points", "-oo", "PAGE_SIZE=1000", "-where", "valid_from >= '2026-01-20T00:00:00Z'")
				if !reflect.DeepEqual(got, validSince) {
					t.Errorf("GDAL wrote %d features, want the %d valid since 2026-01-20 (and not the %d that start then)", len(got), len(validSince), len(startSince))
				}
				sent := false
				for _, p := range log.check(t) {
					sent = sent || p.query.Get("datetime") == "2026-01-20T00:00:00Z/.."
				}
				if !sent {
					t.Errorf("GDAL did not send datetime=2026-01-20T00:00:00Z/..:\n%s", log)
				}
			})

			t.Run("GDAL 3.6's pre-standard cql-text is refused; its text is CQL2", func(t *testing.T) {
				if !legacy {
					t.Logf("GDAL %d.%d: not pinned", major, minor)
					return
				}
				g.t = t
				// With OGR_OAPIF_ALLOW_CQL_TEXT=YES (undocumented) GDAL 3.6
				// sends what it would send a server offering cql-text.
				for _, tc := range []struct {
					where, sent string
					count       int
				}{
					{"n < 25", "n < 25", 25},
					{"parity = 'odd' AND n < 100", "(parity = 'odd') AND (n < 100)", 50},
					{"parity = 'odd' OR n < 3", "(parity = 'odd') OR (n < 3)", 1502},
					{"NOT (parity = 'odd')", "NOT (parity = 'odd')", 1500},
					{"name LIKE 'Point 12%'", "name LIKE 'Point 12%'", 111},
				} {
					log.reset()
					out := filepath.Join(g.dir, fmt.Sprintf("cqltext-%d.geojson", time.Now().UnixNano()))
					_, stderr, err := g.try([]string{"OGR_OAPIF_ALLOW_CQL_TEXT=YES"}, g.ogr2ogr, "-f", "GeoJSON", out, "OAPIF:"+srv.URL, "points", "-where", tc.where)
					if err == nil || !strings.Contains(stderr, "want cql2-text or cql2-json") {
						t.Errorf("-where %q with cql-text: err %v, stderr %s", tc.where, err, stderr)
					}
					sent := false
					for _, p := range log.all() {
						if p.query.Get("filter") == tc.sent && p.query.Get("filter-lang") == "cql-text" && p.status == http.StatusBadRequest {
							sent = true
						}
					}
					if !sent {
						t.Errorf("-where %q: GDAL did not send filter=%s&filter-lang=cql-text:\n%s", tc.where, tc.sent, log)
					}
					// The same text, as cql2-text (the default), is what the
					// -where asks.
					wantIDs := want(t, tc.where, tc.count)
					if d := direct(t, url.Values{"filter": {tc.sent}, "filter-lang": {"cql2-text"}}); !reflect.DeepEqual(d, wantIDs) {
						t.Errorf("filter=%s: %d features, want %d", tc.sent, len(d), len(wantIDs))
					}
				}
			})

			t.Run("the same filters asked directly, as curl would", func(t *testing.T) {
				g.t = t
				box := orb.Bound{Min: orb.Point{37.02, 34.03}, Max: orb.Point{38.51, 35.47}}
				for _, tc := range []struct {
					name  string
					q     url.Values
					cql   string // the same question in CQL2 text, for the domain
					count int
				}{
					{"string equality", url.Values{"filter": {"parity = 'odd'"}}, "parity = 'odd'", 1500},
					{"IN", url.Values{"filter": {"n IN (1, 2, 2999)"}}, "n IN (1, 2, 2999)", 3},
					{"AND and OR", url.Values{"filter": {"(parity = 'odd' AND n < 100) OR n = 2000"}}, "(parity = 'odd' AND n < 100) OR n = 2000", 51},
					{"numbers", url.Values{"filter": {"n >= 10 AND n < 20"}}, "n >= 10 AND n < 20", 10},
					{"LIKE", url.Values{"filter": {"name LIKE 'Point 12%'"}}, "name LIKE 'Point 12%'", 111},
					{"CASEI", url.Values{"filter": {"CASEI(name) LIKE CASEI('point 12%')"}}, "name LIKE 'Point 12%'", 111},
					{"a date", url.Values{"filter": {"valid_from >= DATE('2026-01-20')"}}, "valid_from >= DATE('2026-01-20')", pointsCount * 11 / 30},
					{"bbox with a filter (-spat with -where)", url.Values{"bbox": {"37.02,34.03,38.51,35.47"}, "filter": {"parity = 'even'"}},
						"S_INTERSECTS(geometry, BBOX(37.02, 34.03, 38.51, 35.47)) AND parity = 'even'", -1},
					{"cql2-json", url.Values{"filter-lang": {"cql2-json"}, "filter": {`{"op":"and","args":[{"op":"=","args":[{"property":"parity"},"odd"]},{"op":"<","args":[{"property":"n"},100]}]}`}},
						"parity = 'odd' AND n < 100", 50},
				} {
					wantIDs := want(t, tc.cql, tc.count)
					if tc.q.Has("bbox") {
						if bb := expectedIDs(ds, "points", geo.Query{BBox: &box}); len(bb) <= len(wantIDs) {
							t.Fatalf("%s: the filter removes nothing from the box", tc.name)
						}
					}
					if got := direct(t, tc.q); !reflect.DeepEqual(got, wantIDs) {
						t.Errorf("%s (%s): %d features, want %d", tc.name, tc.q.Encode(), len(got), len(wantIDs))
					}
				}
			})
		})
	}
}
