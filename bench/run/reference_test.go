package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
)

func TestRefDateFilter(t *testing.T) {
	got, err := refDateFilter("2026-01-31")
	if err != nil {
		t.Fatal(err)
	}
	// The day [2026-01-31, 2026-02-01) against [valid_from, valid_to).
	want := "valid_from < '2026-02-01T00:00:00Z' AND (valid_to IS NULL OR valid_to > '2026-01-31T00:00:00Z')"
	if got != want {
		t.Errorf("refDateFilter = %s\nwant %s", got, want)
	}
	if _, err := refDateFilter("2026-13-01"); err == nil {
		t.Error("a bad date was accepted")
	}
}

func TestRefPaths(t *testing.T) {
	p := refItemsPath("areas", "38,35,39,36", 100, "2026-01-15")
	u, err := url.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/collections/bench_ref.areas/items.json" {
		t.Errorf("path %s", u.Path)
	}
	q := u.Query()
	if q.Get("bbox") != "38,35,39,36" || q.Get("limit") != "100" || !strings.Contains(q.Get("filter"), "valid_to > '2026-01-15T00:00:00Z'") {
		t.Errorf("query %v", q)
	}
	if !strings.Contains(p, "bbox=38,35,39,36") {
		t.Errorf("the commas of bbox are escaped: %s", p)
	}
	if p := refItemsPath("points", "39,35,39.5,35.5", 1000, ""); strings.Contains(p, "filter") {
		t.Errorf("no date but a filter: %s", p)
	}
	if p := refItemsPath("facilities", "", 1000, "2026-01-15"); strings.Contains(p, "bbox") {
		t.Errorf("no bbox but one asked: %s", p)
	}
	if got, want := refItemPath("points", "point-000001-2025-10-01"), "/collections/bench_ref.points/items/point-000001-2025-10-01.json"; got != want {
		t.Errorf("refItemPath = %s, want %s", got, want)
	}
	tile := maptile.New(621, 403, 10)
	tp := refTilePath("areas", tile, "2026-01-15")
	u, err = url.Parse(tp)
	if err != nil {
		t.Fatal(err)
	}
	// pg_tileserv's order is z/x/y, controlmap's (OGC) z/row/column.
	if u.Path != "/bench_ref.areas/10/621/403.pbf" {
		t.Errorf("tile path %s", u.Path)
	}
	if q := u.Query(); q.Get("buffer") != "64" || q.Get("properties") != tileProps["areas"] || q.Get("filter") == "" {
		t.Errorf("tile query %v", q)
	}
	if cm := tilePath("areas", tile, "2026-01-15"); !strings.Contains(cm, "/10/403/621?") {
		t.Errorf("controlmap tile path %s", cm)
	}
}

func TestBBoxCases(t *testing.T) {
	hot, cold := bboxCases("b", "polygons", "areas", [4]float64{38, 35, 39, 36}, 100, "2026-01-15")
	if hot.Path != pathB("2026-01-15") {
		t.Errorf("hot path %s, want %s", hot.Path, pathB("2026-01-15"))
	}
	if hot.Live.Server != featureserv || hot.Live.Path != refItemsPath("areas", "38,35,39,36", 100, "2026-01-15") {
		t.Errorf("hot reference %+v", hot.Live)
	}
	if len(cold.Paths) != coldShifts || len(cold.Live.Paths) != coldShifts {
		t.Fatalf("cold lists of %d and %d, want %d", len(cold.Paths), len(cold.Live.Paths), coldShifts)
	}
	seen := map[string]bool{hot.Path: true}
	for i, p := range cold.Paths {
		if seen[p] {
			t.Fatalf("path %s asked twice", p)
		}
		seen[p] = true
		bbox := strings.TrimPrefix(strings.Split(p, "&")[0], "/collections/areas/items?bbox=")
		if !strings.Contains(cold.Live.Paths[i], "bbox="+bbox+"&") {
			t.Fatalf("reference path %d %s is not for bbox %s", i, cold.Live.Paths[i], bbox)
		}
	}
	_, nodate := bboxCases("b-nodate", "", "areas", [4]float64{38, 35, 39, 36}, 100, "")
	if strings.Contains(nodate.Paths[0], "datetime") || strings.Contains(nodate.Live.Paths[0], "filter") {
		t.Errorf("a case without a date asks one: %s, %s", nodate.Paths[0], nodate.Live.Paths[0])
	}
}

func TestIDCases(t *testing.T) {
	ids := []string{"p-1", "p-2", "p-3", "p-4", "p-5"}
	cs := idCases(ids)
	if len(cs) != 2 || cs[0].ID != "d-cold" || cs[1].ID != "d-cold-nocache" {
		t.Fatalf("cases %+v", cs)
	}
	c, nc := cs[0], cs[1]
	var got []string
	for i, p := range c.Paths {
		id := strings.TrimPrefix(p, "/collections/points/items/")
		got = append(got, id)
		if c.Live.Paths[i] != refItemPath("points", id) {
			t.Errorf("reference path %d %s, want the same id %s", i, c.Live.Paths[i], id)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("ids %v, want every one once", got)
	}
	// The same requests, of controlmap and of the reference (paired with
	// the cache-off run in an interleaved run).
	if !nc.NoCache || nc.RefID != "d-cold" || c.RefID != "" || !slices.Equal(nc.Paths, c.Paths) || !slices.Equal(nc.Live.Paths, c.Live.Paths) || nc.Live.Server != c.Live.Server {
		t.Errorf("the cache-off case %+v", nc)
	}
	if !slices.Equal(ids, []string{"p-1", "p-2", "p-3", "p-4", "p-5"}) {
		t.Error("idCases shuffled its argument")
	}
	if again := idCases(ids); !slices.Equal(again[0].Paths, c.Paths) {
		t.Error("the order is not the same from run to run")
	}
}

func TestTileCase(t *testing.T) {
	dates := []string{"2025-10-01", "2026-01-15"}
	hot := tileCase("points", 10, pointCentre, 880, dates, false)
	if hot.cold() || hot.Live.Server != tileserv || !strings.Contains(hot.Live.Path, ".pbf?") || hot.Ratio != 5 {
		t.Errorf("hot tile case %+v", hot)
	}
	cold := tileCase("areas", 7, polygonCentre, 5, dates, true)
	n := len(tilesIn(coldTileArea, 7))
	if len(cold.Paths) != 2*n || len(cold.Live.Paths) != 2*n {
		t.Errorf("cold z7: %d paths, %d reference paths; want %d", len(cold.Paths), len(cold.Live.Paths), 2*n)
	}
	if !strings.HasSuffix(cold.Paths[n], "datetime=2026-01-15") || !strings.Contains(cold.Live.Paths[n], "2026-01-15") {
		t.Errorf("the second date's first tile: %s, %s", cold.Paths[n], cold.Live.Paths[n])
	}
	deep := tileCase("points", 13, pointCentre, 0, append(dates, "2026-02-01", "2026-02-15"), true)
	if len(deep.Paths) != coldTilesMax || len(deep.Live.Paths) != coldTilesMax || deep.Ratio != 0 {
		t.Errorf("z13: %d paths, ratio %v; want %d and none", len(deep.Paths), deep.Ratio, coldTilesMax)
	}
}

func TestRefTableSQL(t *testing.T) {
	setup, finish, err := refTableSQL(refTables[0])
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(append(setup, finish...), ";\n")
	for _, want := range []string{
		`CREATE EXTENSION IF NOT EXISTS postgis`,
		`CREATE SCHEMA IF NOT EXISTS "bench_ref"`,
		`CREATE TABLE "bench_ref"."areas" (id text PRIMARY KEY, "area" text, "name" text, "controller" text, "status" text, valid_from timestamptz NOT NULL, valid_to timestamptz, sources jsonb, geom geometry(Polygon, 4326) NOT NULL)`,
		`CREATE TEMPORARY TABLE "areas_load" (id text, "area" text, "name" text, "controller" text, "status" text, valid_from timestamptz, valid_to timestamptz, sources jsonb, wkb bytea) ON COMMIT DROP`,
		`ST_SetSRID(ST_GeomFromWKB(wkb), 4326) FROM "areas_load"`,
		`CREATE INDEX "areas_geom_idx" ON "bench_ref"."areas" USING gist (geom)`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the statements lack %s:\n%s", want, all)
		}
	}
	if strings.Contains(all, "$1") || strings.Contains(all, "'") {
		t.Errorf("a statement carries a value:\n%s", all)
	}
	if got, want := refTables[0].copyColumns(), []string{"id", "area", "name", "controller", "status", "valid_from", "valid_to", "sources", "wkb"}; !slices.Equal(got, want) {
		t.Errorf("copyColumns = %v, want %v", got, want)
	}
	for _, bad := range []refTable{
		{Name: "x", Geometry: "Polygon; DROP TABLE y"},
		{Name: "", Geometry: "Point"},
		{Name: "x", Geometry: "Point", Properties: []string{"geom"}},
	} {
		if _, _, err := refTableSQL(bad); err == nil {
			t.Errorf("refTableSQL(%+v) accepted", bad)
		}
	}
	// Quoting keeps odd names names.
	setup, _, _ = refTableSQL(refTable{Name: `a"b`, Geometry: "Point", Properties: []string{`c"d`}})
	if !strings.Contains(strings.Join(setup, ";"), `"bench_ref"."a""b"`) || !strings.Contains(strings.Join(setup, ";"), `"c""d" text`) {
		t.Errorf("names not quoted: %v", setup)
	}
}

func TestRefRow(t *testing.T) {
	start := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	f := geo.Feature{ID: "point-1", Geometry: orb.Point{39.1, 35.2},
		Properties: map[string]any{"site": "s1", "name": "Point 1", "controller": "sdf"},
		Valid:      geo.Interval{Start: start}, Sources: []geo.Source{{Publisher: "p", Date: "2025-10-01"}}}
	row, err := refRow(refTables[1], f)
	if err != nil {
		t.Fatal(err)
	}
	if len(row) != len(refTables[1].copyColumns()) {
		t.Fatalf("%d values for %d columns", len(row), len(refTables[1].copyColumns()))
	}
	if row[0] != "point-1" || row[1] != "s1" || row[4] != nil || row[5] != start || row[6] != nil {
		t.Errorf("row %v (status absent and an open end should be NULL)", row[:7])
	}
	if row[7] != `[{"publisher":"p","date":"2025-10-01"}]` {
		t.Errorf("sources %v", row[7])
	}
	g, err := wkb.Unmarshal(row[8].([]byte))
	if err != nil || !orb.Equal(g, f.Geometry) {
		t.Errorf("wkb %v, %v", g, err)
	}
	f.Properties["status"] = 3.0
	if _, err := refRow(refTables[1], f); err == nil {
		t.Error("a number in a text column was accepted")
	}
}

func TestRefConfig(t *testing.T) {
	for _, server := range []string{featureserv, tileserv} {
		conf, err := refConfig(server, "127.0.0.1:9100", "127.0.0.1:9101", 40)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`HttpHost = "127.0.0.1"`, "HttpPort = 9100", "HttpsPort = 9101", "DbPoolMaxConns = 40"} {
			if !strings.Contains(conf, want) {
				t.Errorf("%s config lacks %s:\n%s", server, want, conf)
			}
		}
		if _, err := refConfig(server, "0.0.0.0:9100", "127.0.0.1:9101", 40); err == nil {
			t.Errorf("%s: a config listening beyond loopback", server)
		}
	}
	conf, _ := refConfig(featureserv, "127.0.0.1:1", "127.0.0.1:2", 40)
	if !strings.Contains(conf, `TableIncludes = ["bench_ref"]`) || !strings.Contains(conf, "LimitMax = 10000") {
		t.Errorf("pg_featureserv config:\n%s", conf)
	}
	if _, err := refConfig("mapserver", "127.0.0.1:1", "127.0.0.1:2", 40); err == nil {
		t.Error("an unknown server got a config")
	}
	if refPool(32) <= 32 {
		t.Error("the pool is not larger than the connections")
	}
}

func TestRefBins(t *testing.T) {
	dir := t.TempDir()
	bins, err := refBins(func(string) string { return "" })
	if err != nil || len(bins) != 0 {
		t.Errorf("no variables: %v, %v", bins, err)
	}
	if _, err := refBins(func(k string) string { return dir + "/missing" }); err == nil {
		t.Error("a missing binary was accepted")
	}
	if _, err := refBins(func(k string) string { return dir }); err == nil {
		t.Error("a folder was accepted")
	}
}

// TestBrowserEncodingCase: the whole layer is also asked with the
// Accept-Encoding browsers send, and nginx serves a precompressed copy of
// the same bytes for it (issue 10: compared at 80% of nginx).
func TestBrowserEncodingCase(t *testing.T) {
	var found bool
	for _, c := range cases(discovery{pointID: "p", polygonID: "q"}) {
		if c.ID == "a-browser" {
			found = true
			if c.Path != pathA() || c.Header != browserAcceptEncoding || !strings.Contains(c.Header, "br") || !strings.Contains(c.Header, "gzip") {
				t.Errorf("a-browser = %+v", c)
			}
		}
	}
	if !found {
		t.Error("no a-browser case")
	}
	if conf := nginxConf("/tmp/x", "/tmp/x/www", "127.0.0.1:1"); !strings.Contains(conf, "gzip_static on;") {
		t.Errorf("nginx does not serve the precompressed copies:\n%s", conf)
	}
	b := bytes.Repeat([]byte(`{"type":"Feature"},`), 100)
	zr, err := gzip.NewReader(bytes.NewReader(gzipBest(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, b) {
		t.Error("gzipBest does not round-trip")
	}
}

// TestCQLCases: the CQL2 cases ask controlmap a filter its parser takes,
// pg_featureserv the same box and day, and the cold list changes the box
// and the date at every request, the same in both lists.
func TestCQLCases(t *testing.T) {
	dates := []string{"2025-10-01", "2025-11-12", "2026-01-15"}
	hot, cold, nc := cqlCases(dates)
	u, err := url.Parse(hot.Path)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := "S_INTERSECTS(geometry, BBOX(39,35,39.5,35.5)) AND T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('2026-01-15'))"
	if u.Path != "/collections/points/items" || q.Get("filter") != want || q.Get("limit") != "1000" || q.Has("bbox") || q.Has("datetime") || q.Has("filter-lang") {
		t.Errorf("hot path %s (filter %q)", hot.Path, q.Get("filter"))
	}
	if _, err := cql2.ParseText(q.Get("filter"), cql2.Schema{Properties: []string{"site", "name", "controller", "status"}}, cql2.DefaultLimits); err != nil {
		t.Errorf("controlmap's parser refuses the filter: %v", err)
	}
	ru, err := url.Parse(hot.Live.Path)
	if err != nil {
		t.Fatal(err)
	}
	rq := ru.Query()
	wantRef := "INTERSECTS(geom, ENVELOPE(39,35,39.5,35.5)) AND valid_from < '2026-01-16T00:00:00Z' AND (valid_to IS NULL OR valid_to > '2026-01-15T00:00:00Z')"
	if hot.Live.Server != featureserv || ru.Path != "/collections/bench_ref.points/items.json" || rq.Get("filter") != wantRef || rq.Get("limit") != "1000" || rq.Has("bbox") {
		t.Errorf("hot reference path %s (filter %q)", hot.Live.Path, rq.Get("filter"))
	}
	if strings.Contains(hot.Path, " ") || strings.Contains(hot.Live.Path, " ") {
		t.Errorf("a space in a path: %s, %s", hot.Path, hot.Live.Path)
	}
	if len(cold.Paths) != coldShifts || len(cold.Live.Paths) != coldShifts || cold.Check != cqlChecks {
		t.Fatalf("cold: %d paths, %d reference paths, check %d", len(cold.Paths), len(cold.Live.Paths), cold.Check)
	}
	seen := map[string]bool{hot.Path: true}
	var prevBox, prevDate string
	for i, p := range cold.Paths {
		if seen[p] {
			t.Fatalf("path %s asked twice", p)
		}
		seen[p] = true
		f, _ := url.Parse(p)
		filter := f.Query().Get("filter")
		box := between(filter, "BBOX(", ")")
		date := between(filter, "DATE('", "'")
		if date != dates[i%len(dates)] {
			t.Fatalf("path %d asks %s, want %s", i, date, dates[i%len(dates)])
		}
		if box == prevBox || date == prevDate {
			t.Fatalf("path %d keeps the box or the date of the one before: %s", i, filter)
		}
		prevBox, prevDate = box, date
		r, _ := url.Parse(cold.Live.Paths[i])
		rf := r.Query().Get("filter")
		day, _ := time.Parse(time.DateOnly, date)
		if between(rf, "ENVELOPE(", ")") != box || !strings.Contains(rf, "valid_to > '"+date+"T00:00:00Z'") ||
			!strings.Contains(rf, "valid_from < '"+day.AddDate(0, 0, 1).Format(time.DateOnly)+"T00:00:00Z'") {
			t.Fatalf("reference path %d %s is not the question of %s", i, rf, filter)
		}
	}
	if !nc.NoCache || nc.RefID != "g-cql2-cold" || cold.RefID != "" || !slices.Equal(nc.Paths, cold.Paths) || !slices.Equal(nc.Live.Paths, cold.Live.Paths) || nc.Check != cold.Check {
		t.Errorf("the cache-off case %s %v %s", nc.ID, nc.NoCache, nc.RefID)
	}
	if _, c, _ := cqlCases(nil); !strings.Contains(c.Paths[0], "2026-01-15") {
		t.Errorf("without dates of change the cold case asks %s", c.Paths[0])
	}
	var ids []string
	for _, c := range cases(discovery{pointID: "p", polygonID: "q", dates: dates}) {
		if strings.HasPrefix(c.ID, "g-") {
			ids = append(ids, c.ID)
		}
	}
	if !slices.Equal(ids, []string{"g-cql2", "g-cql2-cold", "g-cql2-cold-nocache"}) || !hasRef("g-cql2-cold") {
		t.Errorf("the CQL2 cases of cases(): %v", ids)
	}
}

func between(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	s, _, _ = strings.Cut(s, to)
	return s
}

func TestCheckIndexes(t *testing.T) {
	if got := checkIndexes(60000, 4); !slices.Equal(got, []int{0, 15000, 30000, 45000}) {
		t.Errorf("checkIndexes(60000, 4) = %v", got)
	}
	if got := checkIndexes(3, 24); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("checkIndexes(3, 24) = %v", got)
	}
}

// TestRefServersPair: pair measures only cases that ask a reference server,
// and says why when that server is not there.
func TestRefServersPair(t *testing.T) {
	ctx := context.Background()
	c := benchCase{ID: "d-cold", Title: "ids", Live: refCase{Server: featureserv, Paths: []string{"/x"}}}
	var none *refServers
	if _, ok := none.pair(ctx, c, "memory"); ok {
		t.Error("a run without reference servers paired a case")
	}
	rs := &refServers{bins: map[string]string{featureserv: "/bin/pg_featureserv"}, running: map[string]*refServer{featureserv: {name: featureserv}}}
	if _, ok := rs.pair(ctx, benchCase{ID: "a"}, "memory"); ok {
		t.Error("a case that asks no reference server was paired")
	}
	r, ok := rs.pair(ctx, benchCase{ID: "e-cold-z7", Live: refCase{Server: tileserv}}, "memory")
	if !ok || r.ID != "e-cold-z7" || r.Skipped != "not run: PG_TILESERV_BIN not set" {
		t.Errorf("a server whose binary was not given: %+v, %v", r, ok)
	}
	// pg_featureserv is known but not running (it did not start again).
	r, ok = rs.pair(ctx, c, "memory")
	if !ok || r.ID != "d-cold" || !strings.Contains(r.Skipped, "did not start again") {
		t.Errorf("a server that is not running: %+v, %v", r, ok)
	}
	if got := rs.stop(); len(got) != 0 {
		t.Errorf("stop = %v", got)
	}
}
