package postgis

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

// TestScalarsAsEncodingJSON: the members scalars reads from an object's
// text are those encoding/json decodes whose values a tile carries, with
// the same values; text that is not one JSON object is an error.
func TestScalarsAsEncodingJSON(t *testing.T) {
	for _, text := range []string{
		`{}`,
		` { } `,
		`{"a": 1}`,
		`{"controller":"sdf","name":"Point 33","site":"point-000033","sources":[{"publisher":"controlmap generator","title":"synthetic","date":"2025-12-03"}],"status":"contested","valid_from":"2025-12-03T00:00:00Z","valid_to":null}`,
		`{"name": "Point 33", "site": "point-000033", "status": "contested", "controller": "sdf"}`,
		`{"esc": "Tal \"Abyad\" \u00e9\\ \/ \n\t", "k\u00e9y": "v", "\"q\"": true}`,
		`{"n": -0, "f": 1.5e300, "g": 1E-7, "h": 12345678901234567890, "i": -3.25}`,
		`{"t": true, "f": false, "z": null, "o": {"a": [1, "}", {"b": null}], "c": "]"}, "l": ["x", 2, [], {}], "after": "x"}`,
		"{\n\t\"ws\" :\r\n \"x\" ,\"y\":[ ] }",
		`{"utf": "دير الزور", "emoji": "🗺"}`,
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		want := tileScalars(m)
		got, err := newTileRows("t", maptile.New(0, 0, 0)).scalars(nil, []byte(text))
		if err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		slices.SortFunc(got, byKey)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", text, got, want)
		}
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{`, `{"a"}`, `{"a": }`, `{"a": 1,}`, `{"a": 1} x`, `{"a": "b}`, `{"a": [1, 2}`, `{"a": tru}`, `{"a": 1 "b": 2}`, "{\"a\": \"\x01\"}", `{a: 1}`} {
		if got, err := newTileRows("t", maptile.New(0, 0, 0)).scalars(nil, []byte(bad)); err == nil {
			t.Errorf("%q: no error (%v)", bad, got)
		}
	}
	// In the order written.
	got, err := newTileRows("t", maptile.New(0, 0, 0)).scalars(nil, []byte(`{"b": 1, "a": {"x": 2}, "c": "3", "a2": false}`))
	if err != nil || len(got) != 3 || got[0].k != "b" || got[1].k != "c" || got[2].k != "a2" {
		t.Errorf("order: %v, %v", got, err)
	}
	// Beyond a float64 (jsonb's numeric holds it): left out, as no tile
	// value can hold it, and the rest read.
	got, err = newTileRows("t", maptile.New(0, 0, 0)).scalars(nil, []byte(`{"huge": 1e400, "x": "y"}`))
	if err != nil || len(got) != 1 || got[0].k != "x" {
		t.Errorf("1e400: %v, %v", got, err)
	}
}

// FuzzScalars: scalars never panics, and on any object encoding/json
// decodes, written again as the server writes properties (json.Marshal)
// and with white space as PostgreSQL writes jsonb, it reads the members
// encoding/json reads, with the same values.
func FuzzScalars(f *testing.F) {
	for _, s := range []string{`{}`, `{"a": 1}`, `{"a": "x\"y", "b": [1, {"c": "]"}], "d": null, "e": true}`,
		`{"n": -1.5e-300, "s": "\u00e9\ud83d\uddfa", "o": {"p": {"q": []}}}`, `{"a": 1e400}`, `[]`, `{"a"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		newTileRows("t", maptile.New(0, 0, 0)).scalars(nil, b) // must not panic
		var m map[string]any
		if json.Unmarshal(b, &m) != nil || m == nil {
			return
		}
		want := tileScalars(m)
		compact, err := json.Marshal(m)
		if err != nil {
			return
		}
		spaced, err := json.MarshalIndent(m, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range [][]byte{compact, spaced} {
			got, err := newTileRows("t", maptile.New(0, 0, 0)).scalars(nil, text)
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			slices.SortFunc(got, byKey)
			if !slices.EqualFunc(got, want, func(a, b ownValue) bool {
				return a.k == b.k && a.v.Kind == b.v.Kind && a.v.S == b.v.S &&
					(a.v.F == b.v.F || a.v.F != a.v.F && b.v.F != b.v.F)
			}) {
				t.Fatalf("%s:\n got %v\nwant %v", text, got, want)
			}
		}
	})
}

// tileScalars is what a tile carries of the members encoding/json decoded
// into m: the strings, numbers and booleans, by key.
func tileScalars(m map[string]any) []ownValue {
	var out []ownValue
	for k, v := range m {
		tv := geo.TileValue{}
		switch x := v.(type) {
		case string:
			tv = geo.TileValue{Kind: geo.TileString, S: x}
		case float64:
			tv = geo.TileValue{Kind: geo.TileNumber, F: x}
		case bool:
			tv = geo.TileValue{Kind: geo.TileBool}
			if x {
				tv.F = 1
			}
		default:
			continue
		}
		out = append(out, ownValue{k: k, v: tv})
	}
	slices.SortFunc(out, byKey)
	return out
}
