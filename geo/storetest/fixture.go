package storetest

import (
	"encoding/json"
	"fmt"
	"testing/fstest"

	"github.com/controlmap/controlmap/geo"
)

// fixtureCatalog lists the fixture's collections in catalogue order.
const fixtureCatalog = `{"collections": [
  {"id": "facilities", "title": "Detention facilities", "description": "Camps and prisons with their controller over time.",
   "geometry_type": "Point", "dated": true, "group_key": "site", "required": ["name", "controller"], "role": "sites",
   "style": {"property": "controller", "colors": {"sdf": "#e3b505", "government": "#c0392b", "contested": "#8e44ad"}, "default_color": "#555555", "label": "name"},
   "attribution": "controlmap contributors", "license": "CC-BY-4.0", "license_url": "https://creativecommons.org/licenses/by/4.0/"},
  {"id": "events", "title": "Events", "description": "Dated events of the timeline.",
   "geometry_type": "Point", "dated": true, "group_key": "", "required": ["title", "kind"], "role": "events",
   "style": {"property": "kind", "colors": {"escape": "#000000"}, "default_color": "#333333", "label": "title"},
   "attribution": "controlmap contributors", "license": "CC-BY-4.0", "license_url": "https://creativecommons.org/licenses/by/4.0/"},
  {"id": "border", "title": "Borders", "description": "Undated boundary lines.",
   "geometry_type": "LineString", "dated": false, "group_key": "", "required": ["name"],
   "style": {"property": "", "colors": {}, "default_color": "#000000"},
   "attribution": "Natural Earth", "license": "public domain", "license_url": "https://www.naturalearthdata.com/about/terms-of-use/"},
  {"id": "areas", "title": "Areas of control", "description": "Schematic areas.",
   "geometry_type": "Polygon", "dated": true, "group_key": "zone", "required": ["controller"],
   "style": {"property": "controller", "colors": {"sdf": "#e3b505", "government": "#c0392b"}, "default_color": "#999999"},
   "attribution": "controlmap contributors", "license": "CC-BY-4.0", "license_url": "https://creativecommons.org/licenses/by/4.0/"},
  {"id": "villages", "title": "Villages", "description": "Generated points for paging.",
   "geometry_type": "Point", "dated": false, "group_key": "", "required": ["name"],
   "style": {"property": "district", "colors": {"a": "#111111", "b": "#222222"}, "default_color": "#333333", "label": "name"},
   "attribution": "controlmap tests", "license": "CC0-1.0", "license_url": "https://creativecommons.org/publicdomain/zero/1.0/"}
]}`

// The fixture's facts, in words (the expectations in this package are written
// by hand from them):
//
// facilities (Point, dated, group key site):
//
//	al-hol-1   al-hol    ..         → 2026-01-18  sdf         normal
//	al-hol-2   al-hol    2026-01-18 → 2026-01-21  sdf         besieged
//	al-hol-3   al-hol    2026-01-21 → ..          government  normal, population 24000
//	shaddadi-1 shaddadi  ..         → 2026-01-19  sdf         normal
//	shaddadi-2 shaddadi  2026-01-19 → 2026-01-21  contested   contested
//	shaddadi-3 shaddadi  2026-01-21 → ..          government  normal
//	roj-1      roj       ..         → ..          sdf         estimated position
//
// al-Hol is at 41.1486,36.3756, al-Shaddadi at 40.73,36.05, Roj at 42.05,36.99.
//
// events (Point, dated instants): 2026-01-19-shaddadi-escape at 22:30Z,
// 2026-01-20-ceasefire at midnight, 2026-01-21-hol-handover at 09:00Z and
// 2026-01-21-transfer at 18:00Z.
//
// border (LineString, undated): border-Turkey and border-iraq (byte order puts
// the capital T first; a locale collation would not).
//
// areas (Polygon, dated, group key zone): ne-1, a large SDF rectangle
// 38..42.4 × 35..37.3 from 2026-01-01 to 2026-01-21; ne-2, the same rectangle
// held by the government from 2026-01-21 with a hole 40.7..40.8 × 36.45..36.55
// around Hasakah; hasakah-1, that hole, SDF, from 2026-01-21; corridor-1, an
// L-shaped contested polygon east of the rectangle from 2026-01-01.
//
// villages (Point, undated): v01..v25 at lon 38 + i/8, lat 35.5, with n = i,
// even = i%2 == 0, district "a" for i ≤ 10 and "b" after.

// FixtureFS returns the fixture dataset as a folder: catalog.json and one
// GeoJSON file per collection, in the format of docs/data-format.md. Each call
// returns a new map the caller may change.
func FixtureFS() fstest.MapFS {
	return fstest.MapFS{
		geo.CatalogFile:      {Data: []byte(fixtureCatalog)},
		"facilities.geojson": {Data: featureCollection(facilities())},
		"events.geojson":     {Data: featureCollection(events())},
		"border.geojson":     {Data: featureCollection(borders())},
		"areas.geojson":      {Data: featureCollection(areas())},
		"villages.geojson":   {Data: featureCollection(villages())},
	}
}

// Fixture returns the small dataset the contract suite runs against, loaded
// and validated by geo.LoadDir like real data. Each call returns a new
// Dataset. It panics if the fixture does not load, which is a bug in this
// package.
func Fixture() *geo.Dataset {
	ds, err := geo.LoadDir(FixtureFS())
	if err != nil {
		panic(fmt.Sprintf("storetest: fixture does not load: %v", err))
	}
	return ds
}

type obj = map[string]any

func featureCollection(feats []obj) []byte {
	b, err := json.MarshalIndent(obj{"type": "FeatureCollection", "features": feats}, "", " ")
	if err != nil {
		panic(fmt.Sprintf("storetest: marshal fixture: %v", err))
	}
	return b
}

func feature(id string, geometry obj, props obj) obj {
	return obj{"type": "Feature", "id": id, "geometry": geometry, "properties": props}
}

func point(lon, lat float64) obj { return obj{"type": "Point", "coordinates": []float64{lon, lat}} }

func line(coords ...[2]float64) obj { return obj{"type": "LineString", "coordinates": coords} }

func polygon(rings ...[][2]float64) obj { return obj{"type": "Polygon", "coordinates": rings} }

func rect(minLon, minLat, maxLon, maxLat float64) [][2]float64 {
	return [][2]float64{{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}
}

// dated adds validity (nil for an open end) and sources to props.
func dated(props obj, from, to any, sources ...obj) obj {
	props[geo.PropValidFrom] = from
	props[geo.PropValidTo] = to
	return sourced(props, sources...)
}

func sourced(props obj, sources ...obj) obj {
	list := make([]any, len(sources))
	for i, s := range sources {
		list[i] = s
	}
	props[geo.PropSources] = list
	return props
}

var (
	srcAP  = obj{"publisher": "AP", "title": "Syrian forces take over al-Hol camp", "url": "https://example.org/ap/al-hol", "date": "2026-01-21"}
	srcMEE = obj{"publisher": "Middle East Eye", "title": "Inside al-Hol", "url": "https://example.org/mee/al-hol", "date": "2026-01-20"}
	srcRT  = obj{"publisher": "Reuters", "title": "Fighting near al-Shaddadi", "date": "2026-01-19"}
	srcNE  = obj{"publisher": "Natural Earth", "url": "https://www.naturalearthdata.com/"}
	srcCM  = obj{"publisher": "controlmap", "title": "schematic"}
)

func facilities() []obj {
	hol := point(41.1486, 36.3756)
	shad := point(40.73, 36.05)
	return []obj{
		feature("al-hol-1", hol, dated(obj{"site": "al-hol", "name": "al-Hol camp", "name_ar": "مخيم الهول", "controller": "sdf", "status": "normal"}, nil, "2026-01-18", srcMEE)),
		feature("al-hol-2", hol, dated(obj{"site": "al-hol", "name": "al-Hol camp", "name_ar": "مخيم الهول", "controller": "sdf", "status": "besieged"}, "2026-01-18", "2026-01-21", srcMEE)),
		feature("al-hol-3", hol, dated(obj{"site": "al-hol", "name": "al-Hol camp", "name_ar": "مخيم الهول", "controller": "government", "status": "normal",
			"population": 24000, "figures": []any{obj{"label": "population", "value": 24000, "unit": "people", "date": "2026-01-20", "source": "Middle East Eye"}}},
			"2026-01-21", nil, srcAP, srcMEE)),
		feature("shaddadi-1", shad, dated(obj{"site": "shaddadi", "name": "al-Shaddadi prison", "controller": "sdf", "status": "normal"}, nil, "2026-01-19", srcRT)),
		feature("shaddadi-2", shad, dated(obj{"site": "shaddadi", "name": "al-Shaddadi prison", "controller": "contested", "status": "contested"}, "2026-01-19", "2026-01-21", srcRT)),
		feature("shaddadi-3", shad, dated(obj{"site": "shaddadi", "name": "al-Shaddadi prison", "controller": "government", "status": "normal"}, "2026-01-21T00:00:00Z", nil, srcRT)),
		feature("roj-1", point(42.05, 36.99), dated(obj{"site": "roj", "name": "Roj camp", "controller": "sdf", "status": "normal",
			"estimated": true, "confidence": "medium", "position_note": "placed at the camp's reported village"}, nil, nil, srcMEE)),
	}
}

func events() []obj {
	return []obj{
		feature("2026-01-21-hol-handover", point(41.1486, 36.3756), dated(obj{"title": "al-Hol handed over", "kind": "handover", "tags": []any{"handover", "al-hol"}}, "2026-01-21T09:00:00Z", "2026-01-21T09:00:00Z", srcAP)),
		feature("2026-01-19-shaddadi-escape", point(40.73, 36.05), dated(obj{"title": "Escape from al-Shaddadi", "kind": "escape", "count": 120, "tags": []any{"escape", "shaddadi"}}, "2026-01-19T22:30:00Z", "2026-01-19T22:30:00Z", srcRT)),
		feature("2026-01-20-ceasefire", point(40.75, 36.5), dated(obj{"title": "Ceasefire announced", "kind": "ceasefire", "tags": []any{}}, "2026-01-20", "2026-01-20", srcRT)),
		feature("2026-01-21-transfer", point(40.75, 36.5), dated(obj{"title": "First transfer to Iraq", "kind": "transfer", "count": 150, "tags": []any{"transfer", "iraq", "al-hol"}}, "2026-01-21T18:00:00Z", "2026-01-21T18:00:00Z", srcAP)),
	}
}

func borders() []obj {
	return []obj{
		feature("border-iraq", line([2]float64{42.36, 37.11}, [2]float64{41.8, 36.6}, [2]float64{41.29, 36.35}, [2]float64{41.0, 34.4}),
			sourced(obj{"name": "Iraq–Syria border", "admin": "IRQ"}, srcNE)),
		feature("border-Turkey", line([2]float64{36.6, 36.8}, [2]float64{39.0, 36.7}, [2]float64{42.36, 37.11}),
			sourced(obj{"name": "Turkey–Syria border", "admin": "TUR"}, srcNE)),
	}
}

func areas() []obj {
	big := rect(38, 35, 42.4, 37.3)
	hole := [][2]float64{{40.7, 36.45}, {40.7, 36.55}, {40.8, 36.55}, {40.8, 36.45}, {40.7, 36.45}}
	ell := [][2]float64{{43, 35}, {44, 35}, {44, 35.2}, {43.2, 35.2}, {43.2, 36}, {43, 36}, {43, 35}}
	return []obj{
		feature("ne-1", polygon(big), dated(obj{"zone": "ne", "controller": "sdf", "approximate": true, "confidence": "low"}, "2026-01-01", "2026-01-21", srcCM)),
		feature("ne-2", polygon(big, hole), dated(obj{"zone": "ne", "controller": "government", "approximate": true, "confidence": "low"}, "2026-01-21", nil, srcCM)),
		feature("hasakah-1", polygon(rect(40.7, 36.45, 40.8, 36.55)), dated(obj{"zone": "hasakah", "controller": "sdf", "approximate": true, "confidence": "medium"}, "2026-01-21", nil, srcCM)),
		feature("corridor-1", polygon(ell), dated(obj{"zone": "corridor", "controller": "contested", "approximate": true, "confidence": "low"}, "2026-01-01", nil, srcCM)),
	}
}

// villages generates the 25 points used for paging.
func villages() []obj {
	out := make([]obj, 0, 25)
	for i := 1; i <= 25; i++ {
		district := "a"
		if i > 10 {
			district = "b"
		}
		out = append(out, feature(fmt.Sprintf("v%02d", i), point(38+float64(i)/8, 35.5),
			sourced(obj{"name": fmt.Sprintf("Village %02d", i), "n": i, "even": i%2 == 0, "district": district}, srcCM)))
	}
	return out
}
