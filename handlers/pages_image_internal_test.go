package handlers

import (
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestViewBound: the box a Leaflet map of w×h pixels shows at a view, in
// Web Mercator: w/256/2^zoom of the world's 360° wide, centred on the
// view; north and south where the mercator y of the centre ± h/2 falls.
func TestViewBound(t *testing.T) {
	b, ok := viewBound("36.38,41.15,9", 1200, 675)
	if !ok {
		t.Fatal("a good view refused")
	}
	wantW := 1200.0 / 256 / 512 * 360
	if got := b.Max[0] - b.Min[0]; math.Abs(got-wantW) > 1e-9 {
		t.Errorf("width %.6f°, want %.6f°", got, wantW)
	}
	if c := (b.Min[0] + b.Max[0]) / 2; math.Abs(c-41.15) > 1e-9 {
		t.Errorf("centred on lon %.6f, want 41.15", c)
	}
	// At 36°N a degree of latitude is longer on the map than one of
	// longitude (1/cos φ): the box is less tall, in degrees, than
	// 675/1200 of its width, and its middle in mercator y is the view's.
	h := b.Max[1] - b.Min[1]
	if h >= wantW*675/1200 || h < wantW*675/1200*math.Cos(37*math.Pi/180) {
		t.Errorf("height %.6f° for width %.6f° at 36°N", h, wantW)
	}
	merc := func(lat float64) float64 { return math.Log(math.Tan(math.Pi/4 + lat*math.Pi/360)) }
	if mid := (merc(b.Min[1]) + merc(b.Max[1])) / 2; math.Abs(mid-merc(36.38)) > 1e-9 {
		t.Errorf("not centred on lat 36.38 in mercator: %.9f vs %.9f", mid, merc(36.38))
	}
	for _, bad := range []string{"", "chart", "36,41", "a,b,c", "91,41,9", "36,181,9", "36,41,21", "36,41,-1", "NaN,41,9"} {
		if _, ok := viewBound(bad, 1200, 675); ok {
			t.Errorf("view %q accepted", bad)
		}
	}
}

func TestPageImageQuery(t *testing.T) {
	q := url.Values{"date": {"2026-01-20"}, "view": {"36.38,41.15,9"}, "layers": {"control_areas,facilities"},
		"sel": {"facilities:al-hol"}, "since": {"2026-01-15"}, "f.controller": {"sdf"}, "lang": {"ar"}}
	got := pageImageQuery(q, "2026-01-20", nil)
	b, _ := viewBound("36.38,41.15,9", cardWidth, cardHeight)
	want := url.Values{"date": {"2026-01-20"}, "bbox": {boundParam(b)}, "layers": {"control_areas,facilities"},
		"feature": {"facilities:al-hol"}, "since": {"2026-01-15"}, "f.controller": {"sdf"}, "width": {"1200"}, "height": {"675"}}
	if got.Encode() != want.Encode() {
		t.Errorf("pageImageQuery = %s\nwant %s", got.Encode(), want.Encode())
	}
	// The chart widget shows as the map of its date; a bbox is kept.
	got = pageImageQuery(url.Values{"view": {"chart"}}, "2026-01-20", nil)
	if got.Encode() != "date=2026-01-20&height=675&width=1200" {
		t.Errorf("chart: %s", got.Encode())
	}
	got = pageImageQuery(url.Values{"bbox": {"40,35,42,37"}}, "2026-01-20", nil)
	if got.Get("bbox") != "40,35,42,37" {
		t.Errorf("bbox: %s", got.Encode())
	}
	// What the render refuses is dropped, and only that.
	refuses := func(names ...string) func(url.Values) string {
		return func(v url.Values) string {
			for _, n := range names {
				if v.Has(n) {
					return n
				}
			}
			return ""
		}
	}
	got = pageImageQuery(q, "2026-01-20", refuses("feature"))
	if got.Has("feature") || !got.Has("since") || !got.Has("layers") || !got.Has("bbox") {
		t.Errorf("refusing the feature: %s", got.Encode())
	}
	got = pageImageQuery(q, "2026-01-20", refuses("layers", "since"))
	if !got.Has("feature") || got.Has("since") || got.Has("layers") || !got.Has("bbox") {
		t.Errorf("refusing the layers and since: %s", got.Encode())
	}
	// Many refused: all dropped.
	many := url.Values{"date": {"2026-01-20"}}
	for _, k := range []string{"f.a-1", "f.b-2", "f.c-3", "f.d-4", "f.e-5", "f.f-6"} {
		many.Set(k, "x")
	}
	refusesFilters := func(v url.Values) string {
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if strings.HasPrefix(k, "f.") {
				return k
			}
		}
		return ""
	}
	if got := pageImageQuery(many, "2026-01-20", refusesFilters); got.Encode() != "date=2026-01-20&height=675&width=1200" {
		t.Errorf("six refused filters: %s", got.Encode())
	}
	// A refused date is not dropped (the page's own date; nothing to fall
	// back on), nor does the loop run for ever.
	got = pageImageQuery(q, "2026-01-20", refuses("date"))
	if got.Get("date") != "2026-01-20" {
		t.Errorf("refusing the date: %s", got.Encode())
	}
}

func TestPageDescription(t *testing.T) {
	title, desc := pageDescription(url.Values{"sel": {"facilities:al-hol"}, "since": {"2026-01-15"}}, "2026-01-20", "The SDF held al-Hol.")
	if title != "Changes in control of north-east Syria from 15 January 2026 to 20 January 2026" {
		t.Errorf("title %q", title)
	}
	if desc != title+". Selected: al-hol. The SDF held al-Hol." {
		t.Errorf("description %q", desc)
	}
	long := make([]rune, 500)
	for i := range long {
		long[i] = 'é'
	}
	if _, d := pageDescription(nil, "2026-01-20", string(long)); len([]rune(d)) != 300 {
		t.Errorf("a long summary gives %d characters", len([]rune(d)))
	}
}
