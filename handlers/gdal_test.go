package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// The GDAL tests drive the real server with GDAL's OGC API – Features driver
// (Debian gdal-bin), the way a GIS analyst would: ogrinfo lists every
// collection with its feature count, ogr2ogr copies a collection of many
// pages to a GeoPackage, and datetime and bbox queries return exactly the
// features the domain says they should.

// pointsCount is the size of the generated collection: 30 pages at GDAL's
// default page size of 100, 300 at its old default of 10.
const pointsCount = 3000

// requireGDAL returns the path of ogrinfo and ogr2ogr, or skips the test
// loudly (fails it under CI=true) when gdal-bin is not installed.
func requireGDAL(t *testing.T) (ogrinfo, ogr2ogr string) {
	t.Helper()
	var err1, err2 error
	ogrinfo, err1 = exec.LookPath("ogrinfo")
	ogr2ogr, err2 = exec.LookPath("ogr2ogr")
	if err1 != nil || err2 != nil {
		msg := "SKIPPING the GDAL interoperability tests: ogrinfo/ogr2ogr not found (install the Debian package gdal-bin)"
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(msg + "; CI=true requires them")
		}
		t.Skip(msg)
	}
	return ogrinfo, ogr2ogr
}

// gdalDataset is the storetest fixture plus "points": pointsCount dated
// points on a grid, each valid for ten days from one of thirty start dates.
func gdalDataset(t *testing.T) *geo.Dataset {
	t.Helper()
	fsys := storetest.FixtureFS()
	var cat map[string][]map[string]any
	if err := json.Unmarshal(fsys[geo.CatalogFile].Data, &cat); err != nil {
		t.Fatal(err)
	}
	cat["collections"] = append(cat["collections"], map[string]any{
		"id": "points", "title": "Generated points", "description": "Dated points on a grid, for paging.",
		"geometry_type": "Point", "dated": true, "group_key": "", "required": []string{"name"},
		"style":       map[string]any{"property": "", "colors": map[string]string{}, "default_color": "#123456"},
		"attribution": "controlmap tests", "license": "CC0-1.0", "license_url": "https://creativecommons.org/publicdomain/zero/1.0/",
	})
	catJSON, err := json.Marshal(cat)
	if err != nil {
		t.Fatal(err)
	}
	fsys[geo.CatalogFile].Data = catJSON
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feats := make([]map[string]any, pointsCount)
	for i := range feats {
		from := start.AddDate(0, 0, i%30)
		feats[i] = map[string]any{
			"type": "Feature", "id": fmt.Sprintf("p%04d", i),
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{36 + float64(i%100)*0.05, 33 + float64(i/100)*0.1}},
			"properties": map[string]any{
				"name": fmt.Sprintf("Point %d", i), "n": i, "parity": []string{"even", "odd"}[i%2],
				"valid_from": from.Format("2006-01-02"), "valid_to": from.AddDate(0, 0, 10).Format("2006-01-02"),
				"sources": []map[string]string{{"publisher": "controlmap tests"}},
			},
		}
	}
	b, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": feats})
	if err != nil {
		t.Fatal(err)
	}
	fsys["points.geojson"] = &fstest.MapFile{Data: b}
	ds, err := geo.LoadDir(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestGDAL(t *testing.T) {
	ogrinfo, ogr2ogr := requireGDAL(t)
	ds := gdalDataset(t)
	for _, backend := range []string{"memory", "postgis"} {
		t.Run(backend, func(t *testing.T) {
			var st geo.Store = memory.New(ds)
			if backend == "postgis" {
				st = pgtest.NewStore(t, ds)
			}
			reqs := &requestLog{}
			srv := httptest.NewServer(reqs.wrap(handlers.New(st, handlers.Options{Logger: testLogger(t)})))
			defer srv.Close()
			g := gdal{t: t, ogrinfo: ogrinfo, ogr2ogr: ogr2ogr, dir: t.TempDir()}
			// sent checks, after a subtest, that GDAL's requests all
			// succeeded and that one of them contained want.
			sent := func(t *testing.T, want string) {
				t.Helper()
				uris := reqs.all()
				found := false
				for _, u := range uris {
					found = found || strings.Contains(u, want)
					if !strings.HasPrefix(u, "200 ") {
						t.Errorf("GDAL request failed: %s", u)
					}
				}
				if !found {
					t.Errorf("no request contained %q:\n%s", want, strings.Join(uris, "\n"))
				}
			}

			t.Run("ogrinfo lists every collection with its count", func(t *testing.T) {
				g.t = t
				counts := g.layerCounts("OAPIF:" + srv.URL)
				want := map[string]int{}
				for _, c := range ds.Collections {
					want[c.ID] = len(ds.Features[c.ID])
				}
				if !reflect.DeepEqual(counts, want) {
					t.Errorf("ogrinfo found %v, want %v", counts, want)
				}
				sent(t, "/collections")
			})

			t.Run("ogr2ogr copies every feature of a many-page collection", func(t *testing.T) {
				g.t = t
				gpkg := filepath.Join(g.dir, "points.gpkg")
				g.run(g.ogr2ogr, "-f", "GPKG", gpkg, "OAPIF:"+srv.URL, "points")
				if got := g.layerCounts(gpkg); got["points"] != pointsCount {
					t.Errorf("the GeoPackage holds %v, want %d points", got, pointsCount)
				}
				ids := g.ids(gpkg, "points")
				if len(ids) != pointsCount || ids[0] != "p0000" || ids[pointsCount-1] != fmt.Sprintf("p%04d", pointsCount-1) {
					t.Errorf("the GeoPackage holds %d distinct ids (%v … %v)", len(ids), first(ids), last(ids))
				}
				sent(t, "/collections/points/items?limit=") // and the next pages, with offset
			})

			t.Run("a datetime query returns exactly the valid features", func(t *testing.T) {
				g.t = t
				iv, _ := geo.ParseDatetime("2026-01-20")
				want := expectedIDs(ds, "points", geo.Query{Time: iv})
				got := g.ids("OAPIF:"+srv.URL+"/collections/points?datetime=2026-01-20", "points")
				if len(want) == 0 || !reflect.DeepEqual(got, want) {
					t.Errorf("datetime=2026-01-20: %d features, want %d", len(got), len(want))
				}
				iv, _ = geo.ParseDatetime("2026-01-05/2026-01-06")
				want = expectedIDs(ds, "points", geo.Query{Time: iv})
				got = g.ids("OAPIF:"+srv.URL+"/collections/points?datetime=2026-01-05/2026-01-06", "points")
				if len(want) == 0 || len(want) == pointsCount || !reflect.DeepEqual(got, want) {
					t.Errorf("datetime=2026-01-05/2026-01-06: %d features, want %d", len(got), len(want))
				}
				sent(t, "datetime=2026-01-05/2026-01-06&limit=10&offset=10")
			})

			t.Run("a bbox query returns exactly the features in the box", func(t *testing.T) {
				g.t = t
				box := orb.Bound{Min: orb.Point{37.02, 34.03}, Max: orb.Point{38.51, 35.47}}
				want := expectedIDs(ds, "points", geo.Query{BBox: &box})
				// GDAL's own spatial filter, sent to the server as bbox.
				got := g.ids("OAPIF:"+srv.URL, "points", "-spat", "37.02", "34.03", "38.51", "35.47")
				if len(want) == 0 || !reflect.DeepEqual(got, want) {
					t.Errorf("-spat: %d features, want %d", len(got), len(want))
				}
				// The same box, with a date, written into the URL.
				iv, _ := geo.ParseDatetime("2026-01-20")
				want = expectedIDs(ds, "points", geo.Query{BBox: &box, Time: iv})
				got = g.ids("OAPIF:"+srv.URL+"/collections/points?bbox=37.02,34.03,38.51,35.47&datetime=2026-01-20", "points")
				if len(want) == 0 || !reflect.DeepEqual(got, want) {
					t.Errorf("bbox and datetime in the URL: %d features, want %d", len(got), len(want))
				}
				sent(t, "bbox=37.02")
			})

			t.Run("an equality -where is sent to the server", func(t *testing.T) {
				g.t = t
				want := expectedIDs(ds, "facilities", geo.Query{Filters: map[string]string{"controller": "sdf"}})
				got := g.ids("OAPIF:"+srv.URL, "facilities", "-where", "controller = 'sdf'")
				if !reflect.DeepEqual(got, want) {
					t.Errorf("-where controller = 'sdf': %v, want %v", got, want)
				}
				sent(t, "controller=sdf") // GDAL found the filter in /api and sent it
			})

			t.Run("ogrinfo reads the GeoJSON download", func(t *testing.T) {
				g.t = t
				url := srv.URL + "/collections/points/items?f=geojson&download=1&datetime=2026-01-20"
				iv, _ := geo.ParseDatetime("2026-01-20")
				want := expectedIDs(ds, "points", geo.Query{Time: iv})
				counts := g.layerCounts(url)
				if len(counts) != 1 {
					t.Fatalf("ogrinfo on the download found layers %v", counts)
				}
				for _, n := range counts {
					if n != len(want) {
						t.Errorf("the download holds %d features, want %d", n, len(want))
					}
				}
				if got := g.ids(url, ""); !reflect.DeepEqual(got, want) {
					t.Errorf("the download's ids differ: %d, want %d", len(got), len(want))
				}
				sent(t, "download=1")
			})
		})
	}
}

// TestGDALShippedData lists the shipped dataset's collections with ogrinfo.
func TestGDALShippedData(t *testing.T) {
	ogrinfo, ogr2ogr := requireGDAL(t)
	if _, err := os.Stat("../data/catalog.json"); err != nil {
		t.Skip("no shipped dataset in ../data")
	}
	ds, err := geo.LoadDir(os.DirFS("../data"))
	if err != nil {
		t.Fatalf("the shipped dataset does not load: %v", err)
	}
	srv := httptest.NewServer(handlers.New(memory.New(ds), handlers.Options{Logger: testLogger(t)}))
	defer srv.Close()
	g := gdal{t: t, ogrinfo: ogrinfo, ogr2ogr: ogr2ogr, dir: t.TempDir()}
	want := map[string]int{}
	for _, c := range ds.Collections {
		want[c.ID] = len(ds.Features[c.ID])
	}
	if got := g.layerCounts("OAPIF:" + srv.URL); !reflect.DeepEqual(got, want) {
		t.Errorf("ogrinfo found %v, want %v", got, want)
	}
}

// gdal runs GDAL's command-line tools for one test.
type gdal struct {
	t                *testing.T
	ogrinfo, ogr2ogr string
	dir              string
}

// run runs a GDAL tool and returns its standard output; a failure fails the test.
func (g gdal) run(tool string, args ...string) string {
	g.t.Helper()
	cmd := exec.CommandContext(g.t.Context(), tool, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_DEBUG=OFF", "GDAL_HTTP_MAX_RETRY=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		g.t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", filepath.Base(tool), strings.Join(args, " "), err, truncate(stdout.String()), stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, "ERROR") {
		g.t.Errorf("%s %s reported: %s", filepath.Base(tool), strings.Join(args, " "), s)
	}
	return stdout.String()
}

var (
	layerNameRE    = regexp.MustCompile(`(?m)^Layer name: (\S+)`)
	featureCountRE = regexp.MustCompile(`(?m)^Feature Count: (\d+)`)
)

// layerCounts runs ogrinfo -so -al on a dataset and returns each layer's
// feature count.
func (g gdal) layerCounts(dataset string) map[string]int {
	g.t.Helper()
	out := g.run(g.ogrinfo, "-ro", "-so", "-al", dataset)
	names := layerNameRE.FindAllStringSubmatch(out, -1)
	counts := featureCountRE.FindAllStringSubmatch(out, -1)
	if len(names) != len(counts) {
		g.t.Fatalf("ogrinfo listed %d layers and %d counts:\n%s", len(names), len(counts), truncate(out))
	}
	got := map[string]int{}
	for i := range names {
		n, _ := strconv.Atoi(counts[i][1])
		got[names[i][1]] = n
	}
	return got
}

// ids copies a layer (every layer when empty) of dataset to GeoJSON with
// ogr2ogr, extra options included, and returns the feature ids, sorted.
func (g gdal) ids(dataset, layer string, extra ...string) []string {
	g.t.Helper()
	out := filepath.Join(g.dir, fmt.Sprintf("ids-%d.geojson", time.Now().UnixNano()))
	args := append([]string{"-f", "GeoJSON", out, dataset}, extra...)
	if layer != "" {
		args = append(args, layer)
	}
	g.run(g.ogr2ogr, args...)
	b, err := os.ReadFile(out)
	if err != nil {
		g.t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			ID         any            `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		g.t.Fatalf("ogr2ogr wrote no GeoJSON: %v", err)
	}
	ids := []string{}
	for _, f := range fc.Features {
		// GDAL keeps a string id as the "id" field; the GeoJSON id member
		// then holds its own feature number.
		id, ok := f.Properties["id"].(string)
		if !ok {
			id, _ = f.ID.(string)
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// expectedIDs returns the sorted ids of the features of a collection that q
// matches, by the domain's own rule.
func expectedIDs(ds *geo.Dataset, collection string, q geo.Query) []string {
	ids := []string{}
	for _, f := range ds.Features[collection] {
		if q.Match(f) {
			ids = append(ids, f.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// requestLog records the status and URI of every request a server answers.
type requestLog struct {
	mu   sync.Mutex
	uris []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.uris = append(l.uris, fmt.Sprintf("%d %s", rec.status, r.URL.RequestURI()))
	})
}

// all returns the requests so far and forgets them.
func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.uris
	l.uris = nil
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
