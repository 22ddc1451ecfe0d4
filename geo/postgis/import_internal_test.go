package postgis

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/controlmap/controlmap/geo"
)

func TestImportRows(t *testing.T) {
	t0 := time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC)
	ds := &geo.Dataset{
		Collections: []geo.Collection{{ID: "events"}, {ID: "border"}},
		Features: map[string][]geo.Feature{
			"events": {{ID: "e1", Geometry: orb.Point{40, 36}, Properties: map[string]any{"kind": "escape"},
				Valid: geo.Instant(t0), Sources: []geo.Source{{Publisher: "AP"}}}},
			"border": {{ID: "b1", Thing: "iq", Geometry: orb.LineString{{41, 36}, {42, 37}}}},
		},
	}
	rows, metas, err := importRows(ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(metas) != 2 || !strings.Contains(metas[0], `"id":"events"`) {
		t.Errorf("metas = %v", metas)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	// Collections in id order: border first.
	b, e := rows[0], rows[1]
	if b[0] != "border" || b[1] != "b1" || b[2] != "iq" || string(b[4].([]byte)) != "{}" || string(b[5].([]byte)) != "[]" || b[6] != nil || b[7] != nil {
		t.Errorf("border row = %v", b)
	}
	g, err := wkb.Unmarshal(b[3].([]byte))
	if err != nil || !orb.Equal(g, orb.LineString{{41, 36}, {42, 37}}) {
		t.Errorf("border geometry = %v, %v", g, err)
	}
	if e[2] != nil || string(e[4].([]byte)) != `{"kind":"escape"}` || string(e[5].([]byte)) != `[{"publisher":"AP"}]` || e[6] != t0 || e[7] != t0 {
		t.Errorf("event row = %v", e)
	}
	if len(importRowsColumns) != len(e) {
		t.Errorf("%d columns for rows of %d values", len(importRowsColumns), len(e))
	}
	if want := `{"kind":"escape","sources":[{"publisher":"AP"}],"valid_from":"2026-01-21T00:00:00Z","valid_to":"2026-01-21T00:00:00Z"}`; e[8] != want {
		t.Errorf("event's encoded properties = %v, want %s", e[8], want)
	}
	if want := `{"sources":[],"valid_from":null,"valid_to":null}`; b[8] != want {
		t.Errorf("border's encoded properties = %v, want %s", b[8], want)
	}
}

// TestEncodeProperties checks that the encoding Import stores is that of
// the values as the database gives them back, not as they were given: -0
// (jsonb keeps 0), invalid UTF-8 (sent as U+FFFD, which comes back as the
// character itself), a time finer than a microsecond (timestamptz keeps
// whole microseconds), numbers of other Go types, and empty sources.
func TestEncodeProperties(t *testing.T) {
	negZero := math.Copysign(0, -1)
	f := geo.Feature{ID: "x", Geometry: orb.Point{1, 2},
		Properties: map[string]any{"z": negZero, "list": []any{negZero, map[string]any{"n": negZero}},
			"bad": "a\xffb", "i": int64(7), "f32": float32(0.5)},
		Valid:   geo.Interval{Start: time.Date(2026, 1, 21, 10, 0, 0, 123456789, time.UTC)},
		Sources: []geo.Source{}}
	row, err := importRow("c", f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"bad":"a` + "\uFFFD" + `b","f32":0.5,"i":7,"list":[0,{"n":0}],"sources":[],"valid_from":"2026-01-21T10:00:00.123456Z","valid_to":null,"z":0}`
	if row[8] != want {
		t.Errorf("encoded properties\n got %s\nwant %s", row[8], want)
	}
}

func TestImportRowsRejects(t *testing.T) {
	ok := geo.Feature{ID: "a", Geometry: orb.Point{1, 2}}
	tests := []struct {
		name string
		ds   *geo.Dataset
		want string
	}{
		{"nil dataset", nil, "no dataset"},
		{"unknown collection", &geo.Dataset{Collections: []geo.Collection{{ID: "a"}}, Features: map[string][]geo.Feature{"b": {ok}}}, `b.geojson: unknown collection "b"`},
		{"no id", &geo.Dataset{Collections: []geo.Collection{{ID: "a"}}, Features: map[string][]geo.Feature{"a": {{Geometry: orb.Point{1, 2}}}}}, "a.geojson: no id"},
		{"no geometry", &geo.Dataset{Collections: []geo.Collection{{ID: "a"}}, Features: map[string][]geo.Feature{"a": {{ID: "x"}}}}, "a.geojson: feature x: no geometry"},
		{"backwards validity", &geo.Dataset{Collections: []geo.Collection{{ID: "a"}}, Features: map[string][]geo.Feature{"a": {{ID: "x", Geometry: orb.Point{1, 2},
			Valid: geo.Interval{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}}}}, "a.geojson: feature x: valid_to 2026-01-01T00:00:00Z is before valid_from"},
		{"NUL in id", &geo.Dataset{Collections: []geo.Collection{{ID: "a"}}, Features: map[string][]geo.Feature{"a": {{ID: "x\x00", Geometry: orb.Point{1, 2}}}}}, "PostgreSQL cannot store"},
		{"NUL in nested property", &geo.Dataset{Collections: []geo.Collection{{ID: "a"}}, Features: map[string][]geo.Feature{"a": {{ID: "x", Geometry: orb.Point{1, 2},
			Properties: map[string]any{"figures": []any{map[string]any{"label": "a\x00"}}}}}}}, "a.geojson: feature x: a property or source holds a NUL"},
		{"NUL in source", &geo.Dataset{Collections: []geo.Collection{{ID: "a"}}, Features: map[string][]geo.Feature{"a": {{ID: "x", Geometry: orb.Point{1, 2},
			Sources: []geo.Source{{Publisher: "\x00"}}}}}}, "a.geojson: feature x: a property or source holds a NUL"},
		{"unencodable property", &geo.Dataset{Collections: []geo.Collection{{ID: "a"}}, Features: map[string][]geo.Feature{"a": {{ID: "x", Geometry: orb.Point{1, 2},
			Properties: map[string]any{"f": func() {}}}}}}, "a.geojson: feature x: cannot encode properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := importRows(tt.ds)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if tt.ds != nil && !errors.Is(err, geo.ErrInvalidData) {
				t.Errorf("err = %v, want geo.ErrInvalidData", err)
			}
		})
	}
}
