package geo_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
)

func TestSnap(t *testing.T) {
	for _, tc := range []struct {
		in   orb.Point
		grid float64
		want orb.Point
	}{
		{orb.Point{41.1486, 36.3756}, 0.05, orb.Point{41.15, 36.4}},
		{orb.Point{40.73, 36.05}, 0.05, orb.Point{40.75, 36.05}},
		{orb.Point{-0.026, -12.3449}, 0.01, orb.Point{-0.03, -12.34}},
		{orb.Point{38.99, 35.51}, 0.5, orb.Point{39, 35.5}},
		{orb.Point{1.23456789, 2.3456789}, 0.001, orb.Point{1.235, 2.346}},
		{orb.Point{1.23456789, 2.3456789}, 0, orb.Point{1.23456789, 2.3456789}},
	} {
		if got := geo.Snap(tc.in, tc.grid); got != tc.want {
			t.Errorf("Snap(%v, %v) = %v, want %v", tc.in, tc.grid, got, tc.want)
		}
	}
	// Equal neighbours merge, so a line snapped to a coarse grid has no
	// zero-length segments.
	ls := geo.Snap(orb.LineString{{0, 0}, {0.001, 0.001}, {0.2, 0}, {0.21, 0.01}}, 0.1).(orb.LineString)
	if want := (orb.LineString{{0, 0}, {0.2, 0}}); !orb.Equal(ls, want) {
		t.Errorf("snapped line %v, want %v", ls, want)
	}
}

// honestyCatalog declares every honesty rule: a closed claim_status, a grid
// per confidence, a point collection checked against dated areas.
const honestyCatalog = `{
  "precision_by_confidence": {"low": 0.05, "medium": 0.01},
  "collections": [
    {"id": "sites", "title": "Sites", "geometry_type": "Point", "dated": true, "group_key": "site",
     "required": ["claim_status"], "style": {"colors": {}},
     "values": {"claim_status": ["confirmed", "reported", "claimed", "disputed"]},
     "inside": {"areas": "areas", "property": "controller", "status": "status", "explaining": ["besieged", "unknown"]}},
    {"id": "areas", "title": "Areas", "geometry_type": "Polygon", "dated": true, "group_key": "area", "style": {"colors": {}}},
    {"id": "secret", "title": "Secret", "geometry_type": "Point", "max_precision": 0.1, "style": {"colors": {}}}
  ]}`

type jobj = map[string]any

func feat(id string, geom any, p jobj) jobj {
	return jobj{"type": "Feature", "id": id, "geometry": geom, "properties": p}
}

func pt(lon, lat float64) jobj { return jobj{"type": "Point", "coordinates": []float64{lon, lat}} }

func honestFC(t *testing.T, feats ...jobj) []byte {
	t.Helper()
	b, err := json.Marshal(jobj{"type": "FeatureCollection", "features": feats})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var src = []any{jobj{"publisher": "AP", "date": "2026-01-20"}}

// site returns a dated site version with the given extra properties.
func site(id string, lon, lat float64, from, to string, extra jobj) jobj {
	p := jobj{"site": id, "claim_status": "reported", "controller": "sdf", "status": "normal",
		"valid_from": from, "valid_to": nil, "sources": src}
	if to != "" {
		p["valid_to"] = to
	}
	for k, v := range extra {
		p[k] = v
	}
	return feat(id+"-"+from, pt(lon, lat), p)
}

// honestyFS is a dataset with a government area over lon 39.99..41, lat 36..37
// from 2026-01-19, and the given sites.
func honestyFS(t *testing.T, sites ...jobj) fstest.MapFS {
	area := feat("gov-2026-01-19", jobj{"type": "Polygon", "coordinates": [][][]float64{{{39.99, 36}, {41, 36}, {41, 37}, {39.99, 37}, {39.99, 36}}}},
		jobj{"area": "gov", "controller": "government", "valid_from": "2026-01-19", "valid_to": nil, "sources": src})
	secret := feat("hideout", pt(38.123456, 35.654321), jobj{"sources": src})
	return fstest.MapFS{
		geo.CatalogFile:  {Data: []byte(honestyCatalog)},
		"sites.geojson":  {Data: honestFC(t, sites...)},
		"areas.geojson":  {Data: honestFC(t, area)},
		"secret.geojson": {Data: honestFC(t, secret)},
	}
}

func TestLoadRoundsPositionsToTheirEvidence(t *testing.T) {
	ds, err := geo.LoadDir(honestyFS(t,
		site("low", 38.123456, 35.654321, "2026-01-01", "", jobj{"estimated": true, "confidence": "low"}),
		site("medium", 38.123456, 35.654321, "2026-01-01", "", jobj{"estimated": true, "confidence": "medium"}),
		site("surveyed", 38.123456, 35.654321, "2026-01-01", "", nil),
		site("capped", 38.123456, 35.654321, "2026-01-01", "", jobj{"max_precision": 0.5}),
		site("capped-low", 38.123456, 35.654321, "2026-01-01", "", jobj{"estimated": true, "confidence": "low", "max_precision": 0.01}),
	))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		p    orb.Point
		grid any
	}{
		"low-2026-01-01":        {orb.Point{38.1, 35.65}, 0.05},
		"medium-2026-01-01":     {orb.Point{38.12, 35.65}, 0.01},
		"surveyed-2026-01-01":   {orb.Point{38.123456, 35.654321}, nil},
		"capped-2026-01-01":     {orb.Point{38, 35.5}, 0.5},
		"capped-low-2026-01-01": {orb.Point{38.1, 35.65}, 0.05}, // a finer cap cannot refine the confidence's grid
	}
	for _, f := range ds.Features["sites"] {
		w := want[f.ID]
		if f.Geometry != w.p {
			t.Errorf("%s published at %v, want %v", f.ID, f.Geometry, w.p)
		}
		if got := f.Properties[geo.PropPositionPrecision]; got != w.grid {
			t.Errorf("%s position_precision %v, want %v", f.ID, got, w.grid)
		}
	}
	hideout := ds.Features["secret"][0]
	if hideout.Geometry != (orb.Point{38.1, 35.7}) || hideout.Properties[geo.PropPositionPrecision] != 0.1 {
		t.Errorf("the collection's max_precision was not applied: %v %v", hideout.Geometry, hideout.Properties)
	}
	// The extent is computed from what is published.
	col, _ := ds.Collection("secret")
	if col.Extent.Bound.Min != (orb.Point{38.1, 35.7}) {
		t.Errorf("extent %v holds the raw position", col.Extent.Bound)
	}
}

func TestLoadHonestyProblems(t *testing.T) {
	for name, tc := range map[string]struct {
		site jobj
		want string
	}{
		"unknown claim_status": {site("a", 38, 35, "2026-01-01", "", jobj{"claim_status": "rumoured"}),
			`sites.geojson: feature a-2026-01-01: property "claim_status": "rumoured" is not one of confirmed, reported, claimed, disputed`},
		"claim_status not text": {site("a", 38, 35, "2026-01-01", "", jobj{"claim_status": 3}),
			`feature a-2026-01-01: property "claim_status": 3 is not one of`},
		"missing claim_status": {site("a", 38, 35, "2026-01-01", "", jobj{"claim_status": nil}),
			`sites.geojson: feature a-2026-01-01: missing required properties: claim_status`},
		"estimate without a graded confidence": {site("a", 38, 35, "2026-01-01", "", jobj{"estimated": true, "confidence": "high"}),
			`feature a-2026-01-01: an estimated point needs a confidence the catalogue gives a precision for (low, medium); has "high"`},
		"position_precision given": {site("a", 38, 35, "2026-01-01", "", jobj{"position_precision": 0.000001}),
			`feature a-2026-01-01: property "position_precision" is written by the server`},
		"bad max_precision": {site("a", 38, 35, "2026-01-01", "", jobj{"max_precision": "fine"}),
			`feature a-2026-01-01: property "max_precision": "fine": want a grid in degrees`},
		"held inside the other side's area": {site("a", 40.5, 36.5, "2026-01-20", "", nil),
			`sites.geojson: feature a-2026-01-20: controller "sdf" differs from the controller "government" of area gov-2026-01-19 (areas), which it lies in on overlapping dates; a status that explains it is needed (one of besieged, unknown), has "normal"`},
		"rounded into the area": {site("a", 39.976, 36.5, "2026-01-20", "", jobj{"estimated": true, "confidence": "low"}),
			`feature a-2026-01-20: controller "sdf" differs`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := geo.LoadDir(honestyFS(t, tc.site))
			var le *geo.LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant a LoadError saying %q", err, tc.want)
			}
		})
	}
	// What the rule accepts: the same controller, a status that explains
	// the difference, dates before the area's, a point outside it.
	_, err := geo.LoadDir(honestyFS(t,
		site("same", 40.5, 36.5, "2026-01-20", "", jobj{"controller": "government"}),
		site("besieged", 40.6, 36.5, "2026-01-20", "", jobj{"status": "besieged"}),
		site("unknown", 40.7, 36.5, "2026-01-20", "", jobj{"controller": "unknown", "status": "unknown"}),
		site("before", 40.5, 36.6, "2026-01-01", "2026-01-19", nil),
		site("outside", 39.5, 36.5, "2026-01-20", "", nil),
	))
	if err != nil {
		t.Errorf("a dataset that keeps the rules was refused: %v", err)
	}
}

// TestInsideRuleIsBounded gives the rule more point and area pairs than it
// checks: one problem naming the file, found without checking them.
func TestInsideRuleIsBounded(t *testing.T) {
	n := int(math.Sqrt(geo.MaxInsidePairs)) + 2
	sites := make([]jobj, n)
	for i := range sites {
		sites[i] = site(fmt.Sprintf("s%d", i), 30+float64(i%1000)/1000, 30+float64(i/1000)/1000, "2026-01-01", "", nil)
	}
	areas := make([]jobj, n)
	for i := range areas {
		x := 10 + float64(i%1000)/100
		y := 10 + float64(i/1000)/100
		areas[i] = feat(fmt.Sprintf("a%d", i), jobj{"type": "Polygon", "coordinates": [][][]float64{{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y + 0.001}, {x, y}}}},
			jobj{"area": fmt.Sprintf("a%d", i), "controller": "government", "valid_from": "2026-01-19", "valid_to": nil, "sources": src})
	}
	fsys := honestyFS(t)
	fsys["sites.geojson"].Data = honestFC(t, sites...)
	fsys["areas.geojson"].Data = honestFC(t, areas...)
	_, err := geo.LoadDir(fsys)
	want := fmt.Sprintf("sites.geojson: the inside rule would check %d points against %d areas of areas", n, n)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v\nwant one saying %q", err, want)
	}
}

func TestParseCatalogHonestyRules(t *testing.T) {
	for name, tc := range map[string]struct{ catalog, want string }{
		"inside unknown areas": {`{"collections": [{"id": "s", "title": "S", "geometry_type": "Point", "dated": true, "style": {"colors": {}},
		  "inside": {"areas": "nowhere", "property": "controller", "status": "status", "explaining": ["besieged"]}}]}`,
			`collection "s": inside: areas "nowhere" is not a collection of the catalogue`},
		"inside areas not polygons": {`{"collections": [{"id": "s", "title": "S", "geometry_type": "Point", "dated": true, "style": {"colors": {}},
		  "inside": {"areas": "s", "property": "controller", "status": "status", "explaining": ["besieged"]}}]}`,
			`collection "s": inside: areas "s" must be a dated Polygon or MultiPolygon collection`},
		"inside without explanations": {`{"collections": [{"id": "s", "title": "S", "geometry_type": "Point", "dated": true, "style": {"colors": {}},
		  "inside": {"areas": "a", "property": "controller", "status": "status", "explaining": []}},
		  {"id": "a", "title": "A", "geometry_type": "Polygon", "dated": true, "style": {"colors": {}}}]}`,
			`inside: property, status and explaining are all needed`},
		"grid too coarse": {`{"precision_by_confidence": {"low": 5}, "collections": []}`, `precision_by_confidence "low": 5`},
		"negative max_precision": {`{"collections": [{"id": "s", "title": "S", "geometry_type": "Point", "max_precision": -1, "style": {"colors": {}}}]}`,
			`collection "s": max_precision -1`},
		"empty value list": {`{"collections": [{"id": "s", "title": "S", "geometry_type": "Point", "values": {"claim_status": []}, "style": {"colors": {}}}]}`,
			`collection "s": values of "claim_status": the list is empty`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := geo.ParseCatalog([]byte(tc.catalog))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), geo.CatalogFile) {
				t.Errorf("error %v, want one naming %s and saying %q", err, geo.CatalogFile, tc.want)
			}
		})
	}
}

// TestShippedDataKeepsTheHonestyRules loads the shipped dataset: its
// estimated sites are published on their confidence's grid, and putting
// back what the data said before issue 11 (Tabqa prison the SDF's, status
// normal, after the government took Tabqa) is refused by the inside rule.
func TestShippedDataKeepsTheHonestyRules(t *testing.T) {
	fsys := fstest.MapFS{}
	entries, err := fs.ReadDir(data.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(data.FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		fsys[e.Name()] = &fstest.MapFile{Data: b}
	}
	ds, err := geo.LoadDir(fsys)
	if err != nil {
		t.Fatal(err)
	}
	col, _ := ds.Collection("facilities")
	grids := col.PrecisionByConfidence
	if grids["low"] != 0.05 {
		t.Fatalf("the shipped catalogue grids estimated points of low confidence on %v°, want 0.05°", grids["low"])
	}
	rounded := 0
	for _, f := range ds.Features["facilities"] {
		if est, _ := f.Properties["estimated"].(bool); !est {
			if _, ok := f.Properties[geo.PropPositionPrecision]; ok {
				t.Errorf("%s is not an estimate but was rounded", f.ID)
			}
			continue
		}
		grid := grids[f.Properties["confidence"].(string)]
		p := f.Geometry.(orb.Point)
		if f.Properties[geo.PropPositionPrecision] != grid || geo.Snap(p, grid) != p {
			t.Errorf("%s at %v, position_precision %v: not on its %v° grid", f.ID, p, f.Properties[geo.PropPositionPrecision], grid)
		}
		rounded++
	}
	if rounded == 0 {
		t.Fatal("no estimated facility in the shipped data")
	}

	var fc map[string]any
	if err := json.Unmarshal(fsys["facilities.geojson"].Data, &fc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range fc["features"].([]any) {
		f := f.(map[string]any)
		if f["id"] == "tabqa-prison-2026-01-18" {
			p := f["properties"].(map[string]any)
			p["controller"], p["status"] = "sdf", "normal"
			found = true
		}
	}
	if !found {
		t.Fatal("no version tabqa-prison-2026-01-18 in the shipped data")
	}
	b, _ := json.Marshal(fc)
	fsys["facilities.geojson"] = &fstest.MapFile{Data: b}
	_, err = geo.LoadDir(fsys)
	want := `facilities.geojson: feature tabqa-prison-2026-01-18: controller "sdf" differs from the controller "government"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v\nwant one saying %q", err, want)
	}
}
