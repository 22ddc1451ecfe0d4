package storetest

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// The expected answers below are written by hand from the fixture described
// in fixture.go. Ids are in byte order.

func villageIDs(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("v%02d", i))
	}
	return out
}

func bbox(minLon, minLat, maxLon, maxLat float64) *orb.Bound {
	b := bound(minLon, minLat, maxLon, maxLat)
	return &b
}

// when parses an OGC datetime value; the fixture's values are all valid.
func when(s string) geo.Interval {
	iv, err := geo.ParseDatetime(s)
	if err != nil {
		panic(fmt.Sprintf("storetest: bug: %v", err))
	}
	return iv
}

func instant(rfc3339 string) geo.Interval {
	iv := when(rfc3339)
	return geo.Instant(iv.Start)
}

func eq(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

var (
	holBox     = bbox(41.10, 36.33, 41.20, 36.42) // around al-Hol; inside the big area, far from its centre
	twoSites   = bbox(40, 35.5, 41.5, 36.5)       // al-Hol and al-Shaddadi, not Roj
	inHole     = bbox(40.72, 36.47, 40.78, 36.53) // inside ne-2's hole around Hasakah
	acrossHole = bbox(40.65, 36.40, 40.75, 36.50) // across the hole's south-west corner
)

func bboxCases() []itemsCase {
	return []itemsCase{
		{"points in a box", "facilities", geo.Query{BBox: holBox}, []string{"al-hol-1", "al-hol-2", "al-hol-3"}, -1},
		{"point on the box corner", "facilities", geo.Query{BBox: bbox(41.1486, 36.3756, 41.5, 36.5)}, []string{"al-hol-1", "al-hol-2", "al-hol-3"}, -1},
		{"points of two sites", "facilities", geo.Query{BBox: twoSites}, []string{"al-hol-1", "al-hol-2", "al-hol-3", "shaddadi-1", "shaddadi-2", "shaddadi-3"}, -1},
		{"points outside", "facilities", geo.Query{BBox: bbox(30, 30, 31, 31)}, nil, -1},
		{"the whole world", "facilities", geo.Query{BBox: bbox(-180, -90, 180, 90)}, []string{"al-hol-1", "al-hol-2", "al-hol-3", "roj-1", "shaddadi-1", "shaddadi-2", "shaddadi-3"}, -1},
		{"polygon covering a small box whose centre lies outside it", "areas", geo.Query{BBox: holBox}, []string{"ne-1", "ne-2"}, -1},
		{"box inside a polygon's hole", "areas", geo.Query{BBox: inHole}, []string{"hasakah-1", "ne-1"}, -1},
		{"box across a hole's edge", "areas", geo.Query{BBox: acrossHole}, []string{"hasakah-1", "ne-1", "ne-2"}, -1},
		{"box in an L's bound but not its area", "areas", geo.Query{BBox: bbox(43.5, 35.5, 43.6, 35.6)}, nil, -1},
		{"box in an L's arm", "areas", geo.Query{BBox: bbox(43.05, 35.5, 43.1, 35.6)}, []string{"corridor-1"}, -1},
		{"polygons around a box", "areas", geo.Query{BBox: bbox(37, 34, 45, 38)}, []string{"corridor-1", "hasakah-1", "ne-1", "ne-2"}, -1},
		{"line crossing a box with no vertex in it", "border", geo.Query{BBox: bbox(41.5, 36.4, 41.6, 36.55)}, []string{"border-iraq"}, -1},
		{"box in a line's bound but away from it", "border", geo.Query{BBox: bbox(41.9, 35.0, 42.2, 35.3)}, nil, -1},
		{"box at the vertex two lines share", "border", geo.Query{BBox: bbox(42.3, 37.05, 42.4, 37.2)}, []string{"border-Turkey", "border-iraq"}, -1},
		{"villages in a strip", "villages", geo.Query{BBox: bbox(38.95, 35.4, 39.55, 35.6)}, villageIDs(8, 12), -1},
	}
}

var (
	before = []string{"al-hol-2", "roj-1", "shaddadi-2"} // 2026-01-20: al-Hol besieged, al-Shaddadi contested
	after  = []string{"al-hol-3", "roj-1", "shaddadi-3"} // from 2026-01-21: both held by the government
)

// datetimeCases are days and instants on facilities around the change date
// 2026-01-21, when al-Hol and al-Shaddadi change controller.
func datetimeCases() []itemsCase {
	return []itemsCase{
		{"early date in the open-start versions", "facilities", geo.Query{Time: when("2026-01-10")}, []string{"al-hol-1", "roj-1", "shaddadi-1"}, -1},
		{"2026-01-18 al-Hol besieged", "facilities", geo.Query{Time: when("2026-01-18")}, []string{"al-hol-2", "roj-1", "shaddadi-1"}, -1},
		{"2026-01-19 al-Shaddadi contested", "facilities", geo.Query{Time: when("2026-01-19")}, []string{"al-hol-2", "roj-1", "shaddadi-2"}, -1},
		{"day before the change", "facilities", geo.Query{Time: when("2026-01-20")}, before, -1},
		{"change date", "facilities", geo.Query{Time: when("2026-01-21")}, after, -1},
		{"day after the change", "facilities", geo.Query{Time: when("2026-01-22")}, after, -1},
		{"far after, in the open-end versions", "facilities", geo.Query{Time: when("2030-06-01")}, after, -1},
		{"last microsecond before the change", "facilities", geo.Query{Time: when("2026-01-20T23:59:59.999999Z")}, before, -1},
		{"the change instant", "facilities", geo.Query{Time: when("2026-01-21T00:00:00Z")}, after, -1},
		{"the change instant in another zone", "facilities", geo.Query{Time: when("2026-01-21T03:00:00+03:00")}, after, -1},
		{"an instant interval at the change", "facilities", geo.Query{Time: instant("2026-01-21T00:00:00Z")}, after, -1},
		{"an instant interval before the change", "facilities", geo.Query{Time: instant("2026-01-20T12:00:00Z")}, before, -1},
	}
}

func eventCases() []itemsCase {
	const (
		escape    = "2026-01-19-shaddadi-escape"
		ceasefire = "2026-01-20-ceasefire"
		handover  = "2026-01-21-hol-handover"
		transfer  = "2026-01-21-transfer"
	)
	return []itemsCase{
		{"two events in a day", "events", geo.Query{Time: when("2026-01-21")}, []string{handover, transfer}, -1},
		{"event at midnight is in its day", "events", geo.Query{Time: when("2026-01-20")}, []string{ceasefire}, -1},
		{"late-evening event in its day", "events", geo.Query{Time: when("2026-01-19")}, []string{escape}, -1},
		{"no event on a day", "events", geo.Query{Time: when("2026-01-22")}, nil, -1},
		{"at the event's instant", "events", geo.Query{Time: when("2026-01-21T09:00:00Z")}, []string{handover}, -1},
		{"a second after the event", "events", geo.Query{Time: when("2026-01-21T09:00:01Z")}, nil, -1},
		{"a microsecond before the event", "events", geo.Query{Time: when("2026-01-21T08:59:59.999999Z")}, nil, -1},
		{"instant query on an instant event", "events", geo.Query{Time: instant("2026-01-20T00:00:00Z")}, []string{ceasefire}, -1},
		{"two days", "events", geo.Query{Time: when("2026-01-19/2026-01-20")}, []string{escape, ceasefire}, -1},
		{"closed end at the event", "events", geo.Query{Time: when("../2026-01-19T22:30:00Z")}, []string{escape}, -1},
		{"start just after the event", "events", geo.Query{Time: when("2026-01-19T22:30:00.000001Z/..")}, []string{ceasefire, handover, transfer}, -1},
		{"start at an event", "events", geo.Query{Time: when("2026-01-21T18:00:00Z/..")}, []string{transfer}, -1},
		{"event-sized interval", "events", geo.Query{Time: when("2026-01-20T00:00:00Z/2026-01-20T00:00:00Z")}, []string{ceasefire}, -1},
	}
}

func openEndCases() []itemsCase {
	all := []string{"al-hol-1", "al-hol-2", "al-hol-3", "roj-1", "shaddadi-1", "shaddadi-2", "shaddadi-3"}
	return []itemsCase{
		{"open start up to a date", "facilities", geo.Query{Time: when("../2026-01-17")}, []string{"al-hol-1", "roj-1", "shaddadi-1"}, -1},
		{"open start up to the last second", "facilities", geo.Query{Time: when("../2026-01-17T23:59:59Z")}, []string{"al-hol-1", "roj-1", "shaddadi-1"}, -1},
		{"open start including the first change", "facilities", geo.Query{Time: when("/2026-01-18")}, []string{"al-hol-1", "al-hol-2", "roj-1", "shaddadi-1"}, -1},
		{"open end from a date", "facilities", geo.Query{Time: when("2026-02-01/..")}, after, -1},
		{"open end from the change instant", "facilities", geo.Query{Time: when("2026-01-21T00:00:00Z/")}, after, -1},
		{"open end from the day before", "facilities", geo.Query{Time: when("2026-01-20/..")}, []string{"al-hol-2", "al-hol-3", "roj-1", "shaddadi-2", "shaddadi-3"}, -1},
		{"closed interval over two versions", "facilities", geo.Query{Time: when("2026-01-18/2026-01-19")}, []string{"al-hol-2", "roj-1", "shaddadi-1", "shaddadi-2"}, -1},
		{"closed interval over every change", "facilities", geo.Query{Time: when("2026-01-17/2026-01-21")}, all, -1},
		{"unbounded", "facilities", geo.Query{Time: when("../..")}, all, -1},
		{"areas before any start", "areas", geo.Query{Time: when("../2025-12-31")}, nil, -1},
		{"areas at the first start", "areas", geo.Query{Time: when("2026-01-01")}, []string{"corridor-1", "ne-1"}, -1},
		{"areas the day before the change", "areas", geo.Query{Time: when("2026-01-20")}, []string{"corridor-1", "ne-1"}, -1},
		{"areas at the change", "areas", geo.Query{Time: when("2026-01-21")}, []string{"corridor-1", "hasakah-1", "ne-2"}, -1},
		{"areas far in the future", "areas", geo.Query{Time: when("2099-12-31/..")}, []string{"corridor-1", "hasakah-1", "ne-2"}, -1},
	}
}

func undatedCases() []itemsCase {
	return []itemsCase{
		{"lines on a date", "border", geo.Query{Time: when("2026-01-21")}, []string{"border-Turkey", "border-iraq"}, -1},
		{"lines long ago", "border", geo.Query{Time: when("../1900-01-01")}, []string{"border-Turkey", "border-iraq"}, -1},
		{"lines at an instant", "border", geo.Query{Time: instant("2026-01-21T09:00:00Z")}, []string{"border-Turkey", "border-iraq"}, -1},
		{"points on a date", "villages", geo.Query{Time: when("2026-01-20")}, villageIDs(1, 25), -1},
		{"points in the future", "villages", geo.Query{Time: when("2100-01-01/..")}, villageIDs(1, 25), -1},
	}
}

func pagingCases() []itemsCase {
	return []itemsCase{
		{"first page", "villages", geo.Query{Limit: 10}, villageIDs(1, 10), 25},
		{"second page", "villages", geo.Query{Limit: 10, Offset: 10}, villageIDs(11, 20), 25},
		{"last, short page", "villages", geo.Query{Limit: 10, Offset: 20}, villageIDs(21, 25), 25},
		{"offset at the end", "villages", geo.Query{Limit: 10, Offset: 25}, nil, 25},
		{"offset past the end", "villages", geo.Query{Limit: 10, Offset: 100}, nil, 25},
		{"offset past the end without a limit", "villages", geo.Query{Offset: 30}, nil, 25},
		{"last feature", "villages", geo.Query{Limit: 1, Offset: 24}, []string{"v25"}, 25},
		{"offset without a limit", "villages", geo.Query{Offset: 22}, villageIDs(23, 25), 25},
		{"limit larger than the collection", "villages", geo.Query{Limit: 10000}, villageIDs(1, 25), 25},
		{"no limit", "villages", geo.Query{Limit: 0}, villageIDs(1, 25), 25},
		{"negative limit means none", "villages", geo.Query{Limit: -1}, villageIDs(1, 25), 25},
		{"filtered total", "villages", geo.Query{Limit: 4, Offset: 12, Filters: eq("district", "b")}, villageIDs(23, 25), 15},
		{"dated page", "facilities", geo.Query{Time: when("2026-01-21"), Limit: 2}, []string{"al-hol-3", "roj-1"}, 3},
		{"dated next page", "facilities", geo.Query{Time: when("2026-01-21"), Limit: 2, Offset: 2}, []string{"shaddadi-3"}, 3},
		{"nothing matched", "villages", geo.Query{Limit: 5, Filters: eq("district", "z")}, nil, 0},
		{"nothing matched past the end", "villages", geo.Query{Limit: 5, Offset: 5, Filters: eq("district", "z")}, nil, 0},
	}
}

func filterCases() []itemsCase {
	return []itemsCase{
		{"string", "villages", geo.Query{Filters: eq("district", "a")}, villageIDs(1, 10), -1},
		{"string with a space", "villages", geo.Query{Filters: eq("name", "Village 07")}, []string{"v07"}, -1},
		{"number", "villages", geo.Query{Filters: eq("n", "7")}, []string{"v07"}, -1},
		{"number not written as stored", "villages", geo.Query{Filters: eq("n", "07")}, nil, -1},
		{"bool true", "villages", geo.Query{Filters: eq("even", "true")},
			[]string{"v02", "v04", "v06", "v08", "v10", "v12", "v14", "v16", "v18", "v20", "v22", "v24"}, -1},
		{"bool false", "villages", geo.Query{Filters: eq("even", "false")},
			[]string{"v01", "v03", "v05", "v07", "v09", "v11", "v13", "v15", "v17", "v19", "v21", "v23", "v25"}, -1},
		{"unknown property", "villages", geo.Query{Filters: eq("nope", "x")}, nil, -1},
		{"unknown property, empty value", "villages", geo.Query{Filters: eq("nope", "")}, nil, -1},
		{"no value matches", "villages", geo.Query{Filters: eq("district", "c")}, nil, -1},
		{"case matters", "villages", geo.Query{Filters: eq("district", "A")}, nil, -1},
		{"controller", "facilities", geo.Query{Filters: eq("controller", "government")}, []string{"al-hol-3", "shaddadi-3"}, -1},
		{"two properties", "facilities", geo.Query{Filters: eq("controller", "sdf", "status", "besieged")}, []string{"al-hol-2"}, -1},
		{"bool on one feature", "facilities", geo.Query{Filters: eq("estimated", "true")}, []string{"roj-1"}, -1},
		{"number on one feature", "facilities", geo.Query{Filters: eq("population", "24000")}, []string{"al-hol-3"}, -1},
		{"array never matches", "facilities", geo.Query{Filters: eq("figures", "population")}, nil, -1},
		{"Arabic text", "facilities", geo.Query{Filters: eq("name_ar", "مخيم الهول")}, []string{"al-hol-1", "al-hol-2", "al-hol-3"}, -1},
		{"group key", "areas", geo.Query{Filters: eq("zone", "ne")}, []string{"ne-1", "ne-2"}, -1},
		{"event count", "events", geo.Query{Filters: eq("count", "150")}, []string{"2026-01-21-transfer"}, -1},
	}
}

func combinedCases() []itemsCase {
	return []itemsCase{
		{"bbox and day before", "facilities", geo.Query{BBox: twoSites, Time: when("2026-01-20")}, []string{"al-hol-2", "shaddadi-2"}, -1},
		{"bbox, day and property", "facilities", geo.Query{BBox: twoSites, Time: when("2026-01-20"), Filters: eq("controller", "sdf")}, []string{"al-hol-2"}, -1},
		{"bbox, change date and property", "facilities", geo.Query{BBox: twoSites, Time: when("2026-01-21"), Filters: eq("controller", "government")}, []string{"al-hol-3", "shaddadi-3"}, -1},
		{"property that held only before", "facilities", geo.Query{Time: when("2026-01-22"), Filters: eq("status", "besieged")}, nil, -1},
		{"hole after the change", "areas", geo.Query{BBox: inHole, Time: when("2026-01-22")}, []string{"hasakah-1"}, -1},
		{"hole before the change", "areas", geo.Query{BBox: inHole, Time: when("2026-01-20")}, []string{"ne-1"}, -1},
		{"covering polygon by controller", "areas", geo.Query{BBox: holBox, Time: when("2026-01-22"), Filters: eq("controller", "government")}, []string{"ne-2"}, -1},
		{"events near al-Hol on the change date", "events", geo.Query{BBox: holBox, Time: when("2026-01-21")}, []string{"2026-01-21-hol-handover"}, -1},
		{"villages by bbox and properties", "villages", geo.Query{BBox: bbox(39.40, 35, 40.10, 36), Filters: eq("district", "b", "even", "true")}, []string{"v12", "v14", "v16"}, -1},
		{"villages by bbox and properties, paged", "villages", geo.Query{BBox: bbox(39.40, 35, 40.10, 36), Filters: eq("district", "b", "even", "true"), Limit: 2, Offset: 1}, []string{"v14", "v16"}, 3},
		{"undated lines by bbox and date", "border", geo.Query{BBox: bbox(41.5, 36.4, 41.6, 36.55), Time: when("2026-01-21")}, []string{"border-iraq"}, -1},
	}
}
