package postgis

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/controlmap/controlmap/geo"
)

// TestTileBatchKey: tiles share a statement exactly when their collection,
// time and property filters are the same, however the filters are spelled
// in the map; names and values that run into each other stay apart.
func TestTileBatchKey(t *testing.T) {
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	at := geo.Instant(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	from := geo.Interval{Start: day.Start}
	until := geo.Interval{End: day.Start}
	same := [][2]geo.Query{
		{{}, {Filters: map[string]string{}}},
		// The same instants, in another zone.
		{{Time: day}, {Time: geo.Interval{Start: day.Start.In(time.FixedZone("", 5*3600)), End: day.End.In(time.FixedZone("", -3600))}}},
		{{Filters: map[string]string{"a": "1", "b": "2"}}, {Filters: map[string]string{"b": "2", "a": "1"}}},
	}
	for _, p := range same {
		if tileBatchKey("points", p[0]) != tileBatchKey("points", p[1]) {
			t.Errorf("%+v and %+v: different statements", p[0], p[1])
		}
	}
	queries := []geo.Query{{}, {Time: day}, {Time: at}, {Time: from}, {Time: until},
		{Filters: map[string]string{"a": "1"}}, {Filters: map[string]string{"a": "2"}}, {Filters: map[string]string{"b": "1"}},
		{Filters: map[string]string{"a1": ""}}, {Filters: map[string]string{"a": "1", "b": ""}}, {Filters: map[string]string{"a": "1b"}},
		{Filters: map[string]string{"": ""}}, {Filters: map[string]string{"a:1": "1"}}, {Filters: map[string]string{"a": ":1"}},
		{Time: day, Filters: map[string]string{"a": "1"}}}
	seen := map[string]string{}
	for _, col := range []string{"points", "areas", "points1", ""} {
		for _, q := range queries {
			k := tileBatchKey(col, q)
			label := col + " " + q.Time.String() + " " + strings.Join(sortedFilters(q.Filters), ",")
			if prev, ok := seen[k]; ok {
				t.Errorf("%s and %s share a statement", prev, label)
			}
			seen[k] = label
		}
	}
}

func sortedFilters(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
