package geo_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

const testCatalog = `{"collections": [
  {"id": "facilities", "title": "Facilities", "description": "d", "geometry_type": "Point", "dated": true,
   "group_key": "site", "required": ["name", "controller"],
   "style": {"property": "controller", "colors": {"sdf": "#e3b505"}, "default_color": "#555555", "label": "name"},
   "attribution": "a", "license": "CC-BY-4.0", "license_url": "https://creativecommons.org/licenses/by/4.0/"},
  {"id": "areas", "title": "Areas", "geometry_type": "Polygon", "dated": true, "group_key": "", "required": [],
   "style": {"property": "", "colors": {}, "default_color": "#555555"}},
  {"id": "border", "title": "Border", "geometry_type": "LineString", "dated": false,
   "style": {"property": "", "colors": {}, "default_color": "#000000"}}
]}`

// facility is a valid feature of the test "facilities" collection.
func facility(id, site, from, to any) map[string]any {
	return map[string]any{
		"type":     "Feature",
		"id":       id,
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{41.1486, 36.3756}},
		"properties": map[string]any{
			"site": site, "name": "Camp " + site.(string), "controller": "sdf",
			"valid_from": from, "valid_to": to,
			"sources": []any{map[string]any{"publisher": "AP", "title": "t", "url": "https://example.org", "date": "2026-01-21"}},
		},
	}
}

func area(id string, coords [][][2]float64) map[string]any {
	return map[string]any{
		"type": "Feature", "id": id,
		"geometry": map[string]any{"type": "Polygon", "coordinates": coords},
		"properties": map[string]any{
			"valid_from": "2026-01-01", "valid_to": nil,
			"sources": []any{map[string]any{"publisher": "controlmap"}},
		},
	}
}

func borderLine(id string, props map[string]any) map[string]any {
	p := map[string]any{"sources": []any{map[string]any{"publisher": "Natural Earth"}}}
	for k, v := range props {
		p[k] = v
	}
	return map[string]any{
		"type": "Feature", "id": id,
		"geometry":   map[string]any{"type": "LineString", "coordinates": [][2]float64{{41, 36}, {42, 37}}},
		"properties": p,
	}
}

func props(f map[string]any) map[string]any { return f["properties"].(map[string]any) }

func fcJSON(t testing.TB, feats ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": feats})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validFS is a dataset folder that loads without problems.
func validFS(t testing.TB) fstest.MapFS {
	t.Helper()
	return fstest.MapFS{
		"catalog.json": {Data: []byte(testCatalog)},
		"facilities.geojson": {Data: fcJSON(t,
			facility("hol-2", "al-hol", "2026-01-21", nil),
			facility("hol-1", "al-hol", nil, "2026-01-21"),
			facility("roj-1", "roj", "2026-01-01T06:00:00+03:00", nil),
		)},
		"areas.geojson":  {Data: fcJSON(t, area("a1", [][][2]float64{{{40, 35}, {42, 35}, {42, 37}, {40, 37}, {40, 35}}}))},
		"border.geojson": {Data: fcJSON(t, borderLine("b1", nil))},
	}
}

func TestLoadDir(t *testing.T) {
	ds, err := geo.LoadDir(validFS(t))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range ds.Collections {
		ids = append(ids, c.ID)
	}
	if got, want := strings.Join(ids, ","), "facilities,areas,border"; got != want {
		t.Errorf("collections %s, want catalogue order %s", got, want)
	}
	fac := ds.Features["facilities"]
	if len(fac) != 3 || fac[0].ID != "hol-1" || fac[1].ID != "hol-2" || fac[2].ID != "roj-1" {
		t.Fatalf("facilities not sorted by id: %+v", fac)
	}
	f := fac[2]
	if f.Thing != "roj" || f.Collection != "facilities" {
		t.Errorf("thing %q collection %q", f.Thing, f.Collection)
	}
	if got := f.Valid.String(); got != "2026-01-01T03:00:00Z/.." {
		t.Errorf("validity %s, want 2026-01-01T03:00:00Z/..", got)
	}
	if _, ok := f.Properties["valid_from"]; ok {
		t.Error("valid_from should be a typed field, not a property")
	}
	if _, ok := f.Properties["sources"]; ok {
		t.Error("sources should be a typed field, not a property")
	}
	if want := (geo.Source{Publisher: "AP", Title: "t", URL: "https://example.org", Date: "2026-01-21"}); len(f.Sources) != 1 || f.Sources[0] != want {
		t.Errorf("sources %+v, want %+v", f.Sources, want)
	}
	if f.Geometry != (orb.Point{41.1486, 36.3756}) {
		t.Errorf("geometry %v", f.Geometry)
	}
	col, ok := ds.Collection("facilities")
	if !ok {
		t.Fatal("no facilities collection")
	}
	if col.Count != 3 || !col.Extent.Time.IsUnbounded() || col.Extent.Bound != (orb.Bound{Min: orb.Point{41.1486, 36.3756}, Max: orb.Point{41.1486, 36.3756}}) {
		t.Errorf("facilities extent %+v count %d", col.Extent, col.Count)
	}
	if got := strings.Join(col.Properties, ","); got != "controller,name,site" {
		t.Errorf("properties %s", got)
	}
	if col.Style.Colors["sdf"] != "#e3b505" || col.LicenseURL == "" {
		t.Errorf("catalogue fields lost: %+v", col)
	}
	areas, _ := ds.Collection("areas")
	if got := areas.Extent.Time.String(); got != "2026-01-01T00:00:00Z/.." {
		t.Errorf("areas temporal extent %s", got)
	}
	border, _ := ds.Collection("border")
	if !border.Extent.Time.IsUnbounded() || !ds.Features["border"][0].Valid.IsUnbounded() {
		t.Errorf("undated collection should have unbounded validity")
	}
	if len(ds.Digest) == 0 {
		t.Error("empty digest")
	}

	again, err := geo.LoadDir(validFS(t))
	if err != nil || again.Digest != ds.Digest {
		t.Errorf("digest not stable: %s vs %s (%v)", again.Digest, ds.Digest, err)
	}
	changed := validFS(t)
	changed["border.geojson"] = &fstest.MapFile{Data: fcJSON(t, borderLine("b1", map[string]any{"name": "x"}))}
	other, err := geo.LoadDir(changed)
	if err != nil || other.Digest == ds.Digest {
		t.Errorf("digest did not change with the data: %v", err)
	}
}

func TestLoadFilesSubset(t *testing.T) {
	fsys := validFS(t)
	cat, err := geo.ReadCatalog(fsys)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"border.geojson", "areas.geojson"}
	ds, err := geo.LoadFiles(fsys, cat, files, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Collections) != 2 || ds.Collections[0].ID != "areas" || ds.Collections[1].ID != "border" {
		t.Errorf("collections %+v, want areas and border in catalogue order", ds.Collections)
	}
	if files[0] != "border.geojson" {
		t.Error("LoadFiles reordered the caller's slice")
	}
	if _, err := geo.LoadFiles(fsys, cat, files, true); err == nil || !strings.Contains(err.Error(), `collection "facilities" is in catalog.json but its file is missing`) {
		t.Errorf("with all set, a missing file should be a problem; got %v", err)
	}
}

func TestLoadProblems(t *testing.T) {
	type change func(t testing.TB, fsys fstest.MapFS)
	setFacilities := func(feats ...map[string]any) change {
		return func(t testing.TB, fsys fstest.MapFS) {
			fsys["facilities.geojson"] = &fstest.MapFile{Data: fcJSON(t, feats...)}
		}
	}
	with := func(f map[string]any, edit func(p map[string]any)) map[string]any {
		edit(props(f))
		return f
	}
	tests := []struct {
		name    string
		change  change
		file    string
		feature string
		reason  string
	}{
		{"duplicate id", setFacilities(
			facility("hol-1", "al-hol", nil, "2026-01-21"),
			facility("hol-1", "al-hol", "2026-01-21", nil),
		), "facilities.geojson", "hol-1", "duplicate id (features #0 and #1)"},
		{"overlapping versions", setFacilities(
			facility("hol-1", "al-hol", nil, "2026-01-22"),
			facility("hol-2", "al-hol", "2026-01-21", nil),
		), "facilities.geojson", "hol-2", "validity overlaps feature hol-1"},
		{"overlapping instant at a start", setFacilities(
			facility("hol-1", "al-hol", "2026-01-21", "2026-01-21"),
			facility("hol-2", "al-hol", "2026-01-21", nil),
		), "facilities.geojson", "hol-2", "validity overlaps feature hol-1"},
		{"missing sources", setFacilities(with(facility("hol-1", "al-hol", nil, nil), func(p map[string]any) { delete(p, "sources") })),
			"facilities.geojson", "hol-1", "sources must be a non-empty array"},
		{"empty sources", setFacilities(with(facility("hol-1", "al-hol", nil, nil), func(p map[string]any) { p["sources"] = []any{} })),
			"facilities.geojson", "hol-1", "sources must be a non-empty array"},
		{"source without publisher", setFacilities(with(facility("hol-1", "al-hol", nil, nil), func(p map[string]any) { p["sources"] = []any{map[string]any{"title": "x"}} })),
			"facilities.geojson", "hol-1", "sources[0] has no publisher"},
		{"malformed valid_from", setFacilities(facility("hol-1", "al-hol", "2026-13-01", nil)),
			"facilities.geojson", "hol-1", `valid_from: "2026-13-01" is not a date`},
		{"valid_to without a zone", setFacilities(facility("hol-1", "al-hol", nil, "2026-01-21T10:00:00")),
			"facilities.geojson", "hol-1", "valid_to: "},
		{"numeric date", setFacilities(facility("hol-1", "al-hol", 20260121, nil)),
			"facilities.geojson", "hol-1", "valid_from must be a string date or null"},
		{"end before start", setFacilities(facility("hol-1", "al-hol", "2026-01-21", "2026-01-20")),
			"facilities.geojson", "hol-1", "valid_to 2026-01-20T00:00:00Z is before valid_from 2026-01-21T00:00:00Z"},
		{"dated feature without valid_to", setFacilities(with(facility("hol-1", "al-hol", nil, nil), func(p map[string]any) { delete(p, "valid_to") })),
			"facilities.geojson", "hol-1", "dated feature needs valid_from and valid_to"},
		{"missing required property", setFacilities(with(facility("hol-1", "al-hol", nil, nil), func(p map[string]any) { delete(p, "controller") })),
			"facilities.geojson", "hol-1", "missing required properties: controller"},
		{"empty required property", setFacilities(with(facility("hol-1", "al-hol", nil, nil), func(p map[string]any) { p["name"] = "" })),
			"facilities.geojson", "hol-1", "missing required properties: name"},
		{"group key not a string", setFacilities(with(facility("hol-1", "al-hol", nil, nil), func(p map[string]any) { p["site"] = 7 })),
			"facilities.geojson", "hol-1", `property "site" (the thing this feature is a version of) must be a non-empty string`},
		{"no id", setFacilities(facility(nil, "al-hol", nil, nil)),
			"facilities.geojson", "#0", "no id"},
		{"wrong geometry type", func(t testing.TB, fsys fstest.MapFS) {
			f := facility("hol-1", "al-hol", nil, nil)
			f["geometry"] = map[string]any{"type": "LineString", "coordinates": [][2]float64{{0, 0}, {1, 1}}}
			setFacilities(f)(t, fsys)
		}, "facilities.geojson", "hol-1", "geometry is a LineString but the collection holds Point"},
		{"coordinates out of range", func(t testing.TB, fsys fstest.MapFS) {
			f := facility("hol-1", "al-hol", nil, nil)
			f["geometry"] = map[string]any{"type": "Point", "coordinates": []float64{36.37, 141.1}}
			setFacilities(f)(t, fsys)
		}, "facilities.geojson", "hol-1", "outside lon -180..180, lat -90..90"},
		{"missing geometry", func(t testing.TB, fsys fstest.MapFS) {
			f := facility("hol-1", "al-hol", nil, nil)
			f["geometry"] = nil
			setFacilities(f)(t, fsys)
		}, "facilities.geojson", "hol-1", "no geometry"},
		{"self-intersecting polygon", func(t testing.TB, fsys fstest.MapFS) {
			fsys["areas.geojson"] = &fstest.MapFile{Data: fcJSON(t, area("bowtie", [][][2]float64{{{40, 35}, {42, 37}, {42, 35}, {40, 37}, {40, 35}}}))}
		}, "areas.geojson", "bowtie", "ring 0 crosses itself"},
		{"undated feature with validity", func(t testing.TB, fsys fstest.MapFS) {
			fsys["border.geojson"] = &fstest.MapFile{Data: fcJSON(t, borderLine("b1", map[string]any{"valid_from": "2026-01-01"}))}
		}, "border.geojson", "b1", `collection "border" is undated but the feature has valid_from or valid_to`},
		{"not a feature", func(t testing.TB, fsys fstest.MapFS) {
			fsys["border.geojson"] = &fstest.MapFile{Data: []byte(`{"type":"FeatureCollection","features":[{"id":"b1","type":"Point"}]}`)}
		}, "border.geojson", "b1", "not a GeoJSON Feature"},
		{"non-GeoJSON file", func(t testing.TB, fsys fstest.MapFS) {
			fsys["border.geojson"] = &fstest.MapFile{Data: []byte("id,name\n1,border\n")}
		}, "border.geojson", "", "not GeoJSON"},
		{"not a FeatureCollection", func(t testing.TB, fsys fstest.MapFS) {
			fsys["border.geojson"] = &fstest.MapFile{Data: []byte(`{"type":"Feature","geometry":null,"properties":{}}`)}
		}, "border.geojson", "", `not a GeoJSON FeatureCollection (type "Feature")`},
		{"unknown collection", func(t testing.TB, fsys fstest.MapFS) {
			fsys["rivers.geojson"] = &fstest.MapFile{Data: fcJSON(t, borderLine("r1", nil))}
		}, "rivers.geojson", "", `unknown collection "rivers" (not in catalog.json)`},
		{"missing collection file", func(t testing.TB, fsys fstest.MapFS) {
			delete(fsys, "areas.geojson")
		}, "areas.geojson", "", `collection "areas" is in catalog.json but its file is missing`},
		{"catalogue not JSON", func(t testing.TB, fsys fstest.MapFS) {
			fsys["catalog.json"] = &fstest.MapFile{Data: []byte("collections: []")}
		}, "catalog.json", "", "not a valid catalogue"},
		{"catalogue with an unknown field", func(t testing.TB, fsys fstest.MapFS) {
			fsys["catalog.json"] = &fstest.MapFile{Data: []byte(`{"collections":[], "colections":[]}`)}
		}, "catalog.json", "", "not a valid catalogue"},
		{"catalogue missing", func(t testing.TB, fsys fstest.MapFS) {
			delete(fsys, "catalog.json")
		}, "catalog.json", "", "cannot read"},
		{"catalogue bad slug", func(t testing.TB, fsys fstest.MapFS) {
			fsys["catalog.json"] = &fstest.MapFile{Data: []byte(`{"collections":[{"id":"Bad Id","title":"x","geometry_type":"Point"}]}`)}
		}, "catalog.json", "", `id "Bad Id" is not a slug`},
		{"catalogue unknown geometry type", func(t testing.TB, fsys fstest.MapFS) {
			fsys["catalog.json"] = &fstest.MapFile{Data: []byte(`{"collections":[{"id":"x","title":"x","geometry_type":"Circle"}]}`)}
		}, "catalog.json", "", `unknown geometry_type "Circle"`},
		{"catalogue duplicate collection", func(t testing.TB, fsys fstest.MapFS) {
			fsys["catalog.json"] = &fstest.MapFile{Data: []byte(`{"collections":[{"id":"x","title":"x","geometry_type":"Point"},{"id":"x","title":"y","geometry_type":"Point"}]}`)}
		}, "catalog.json", "", `collection "x" is listed twice`},
		{"catalogue collection without title", func(t testing.TB, fsys fstest.MapFS) {
			fsys["catalog.json"] = &fstest.MapFile{Data: []byte(`{"collections":[{"id":"x","geometry_type":"Point"}]}`)}
		}, "catalog.json", "", `collection "x" has no title`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := validFS(t)
			tt.change(t, fsys)
			ds, err := geo.LoadDir(fsys)
			if err == nil {
				t.Fatalf("LoadDir succeeded with %d collections, want a problem", len(ds.Collections))
			}
			if ds != nil {
				t.Error("a failed load should return no dataset")
			}
			if !errors.Is(err, geo.ErrInvalidData) {
				t.Errorf("error does not match ErrInvalidData: %v", err)
			}
			var le *geo.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError: %v", err, err)
			}
			found := false
			for _, p := range le.Problems {
				if p.File == tt.file && p.Feature == tt.feature && strings.Contains(p.Reason, tt.reason) {
					found = true
				}
				if strings.HasPrefix(p.Reason, "geo: ") {
					t.Errorf("problem reason %q repeats the package prefix", p.Reason)
				}
			}
			if !found {
				t.Fatalf("no problem (file %q, feature %q, reason containing %q) in:\n%v", tt.file, tt.feature, tt.reason, err)
			}
			// The message printed to a user names all three too.
			want := tt.file + ": "
			if tt.feature != "" {
				want += "feature " + tt.feature + ": "
			}
			named := false
			for _, line := range strings.Split(err.Error(), "\n") {
				line = strings.TrimSpace(line)
				named = named || strings.HasPrefix(line, want) && strings.Contains(line, tt.reason)
			}
			if !named {
				t.Errorf("no line of the message starts %q and says %q:\n%v", want, tt.reason, err)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	fsys := validFS(t)
	fsys["facilities.geojson"] = &fstest.MapFile{Data: fcJSON(t,
		facility("hol-1", "al-hol", "2026-13-01", nil),
		facility("roj-1", "roj", nil, nil),
		facility("roj-1", "roj", nil, nil),
	)}
	fsys["border.geojson"] = &fstest.MapFile{Data: []byte("not json")}
	_, err := geo.LoadDir(fsys)
	var le *geo.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("want a *LoadError, got %v", err)
	}
	want := []geo.Problem{
		{File: "border.geojson", Reason: "not GeoJSON"},
		{File: "facilities.geojson", Feature: "hol-1", Reason: "valid_from"},
		{File: "facilities.geojson", Feature: "roj-1", Reason: "duplicate id"},
	}
	if len(le.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(le.Problems), len(want), err)
	}
	for i, w := range want {
		p := le.Problems[i]
		if p.File != w.File || p.Feature != w.Feature || !strings.Contains(p.Reason, w.Reason) {
			t.Errorf("problem %d = %+v, want %+v", i, p, w)
		}
	}
	if got := le.Problems[1].String(); !strings.HasPrefix(got, "facilities.geojson: feature hol-1: valid_from: ") {
		t.Errorf("Problem.String() = %q", got)
	}
	if !strings.HasPrefix(err.Error(), "geo: invalid data: 3 problem(s)\n  border.geojson: not GeoJSON") {
		t.Errorf("LoadError message:\n%s", err)
	}
}

func TestDecodeFeaturesGeometryShape(t *testing.T) {
	col := geo.Collection{ID: "misc", Title: "M", GeometryType: "Geometry"}
	tests := []struct {
		name, geometry, reason string
	}{
		{"point without coordinates", `{"type":"Point","coordinates":null}`, "Point has no coordinates"},
		{"point with one number", `{"type":"Point","coordinates":[41]}`, "position has 1 numbers"},
		{"point with four numbers", `{"type":"Point","coordinates":[41,36,0,0]}`, "position has 4 numbers"},
		{"point with a string", `{"type":"Point","coordinates":[41,"36"]}`, "holds a non-number"},
		{"line of numbers", `{"type":"LineString","coordinates":[41,36]}`, "not nested arrays of positions"},
		{"polygon too shallow", `{"type":"Polygon","coordinates":[[41,36],[42,36],[42,37],[41,36]]}`, "not nested arrays of positions"},
		{"null member of a collection", `{"type":"GeometryCollection","geometries":[null]}`, "GeometryCollection member 0 is null"},
		{"empty collection", `{"type":"GeometryCollection","geometries":[]}`, "empty GeometryCollection"},
		{"bad member of a collection", `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[]}]}`, "position has 0 numbers"},
		{"unknown type", `{"type":"Circle","coordinates":[41,36]}`, `unknown geometry type "Circle"`},
		{"geometry not an object", `[41,36]`, "not a GeoJSON geometry object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"g1","geometry":` + tt.geometry +
				`,"properties":{"sources":[{"publisher":"x"}]}}]}`)
			feats, probs := geo.DecodeFeatures(col, "misc.geojson", b)
			if len(feats) != 0 || len(probs) != 1 {
				t.Fatalf("got %d features, problems %v; want one problem", len(feats), probs)
			}
			p := probs[0]
			if p.File != "misc.geojson" || p.Feature != "g1" || !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("problem %+v, want misc.geojson / g1 / %q", p, tt.reason)
			}
		})
	}
}
