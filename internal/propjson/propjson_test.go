package propjson

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// encodingJSON is what encoding/json writes for s with HTML escaping off.
func encodingJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "al-Hol", "مخيم الهول", `quote " backslash \ slash /`, "<script>&amp;</script>",
		"\x00\x01\b\f\n\r\t\x1f\x7f", "\u2028\u2029", "bad \xff\xfe utf8 \xc3", "emoji 🗺️", "\xed\xa0\x80 surrogate"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		strs = append(strs, string(b))
	}
	for _, s := range strs {
		if got, want := string(AppendString(nil, s)), encodingJSON(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 24000, 0.1, 1e-6, 9.99e-7, 1e-7, 1.5e-10, 1e20, 1e21, 1.23e21, 1e100, -3.5e-8,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789.123}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		fs = append(fs, math.Float64frombits(r.Uint64()))
	}
	for _, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendFloat(nil, f); string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

// TestWriteMatchesSelect checks the direct writer against the map
// geo.Feature.Select builds, written by WriteValue (the way features were
// written before it).
func TestWriteMatchesSelect(t *testing.T) {
	f := geo.Feature{ID: "x", Geometry: orb.Point{1, 2}, Properties: map[string]any{
		"name": "al-Hol <camp>", "population": 24000.0, "estimated": true, "figures": []any{map[string]any{"b": 1.0, "a": "x"}},
		"note": nil, "n": json.Number("1.50"), "zeta": "z", "alpha": "a",
	}, Valid: geo.Interval{Start: time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC)},
		Sources: []geo.Source{{Publisher: "AP", Title: "t", URL: "https://e.org/?a=1&b=<2>"}, {Publisher: "MEE", Date: "2026-01-20"}}}
	noSources := f
	noSources.Sources = nil
	selections := [][]string{nil, {}, {"name"}, {"valid_to", "name", "sources"}, {"valid_from", "valid_from"}, {"missing"}, {"figures", "alpha", "zeta"}}
	for _, feat := range []geo.Feature{f, noSources} {
		for _, sel := range selections {
			var got, want bytes.Buffer
			if err := Write(&got, feat, sel); err != nil {
				t.Fatal(err)
			}
			if err := WriteValue(&want, map[string]any(feat.Select(sel).Properties)); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("properties %q:\n got %s\nwant %s", sel, got.String(), want.String())
			}
		}
	}
}

// A store may decode numbers as float64, json.Number or int; the bytes
// written must not depend on it, and maps must come out sorted.
func TestWriteValueCanonical(t *testing.T) {
	a := map[string]any{"b": 24000.0, "a": []any{1.5, "x", true, nil}, "c": map[string]any{"z": 1.0, "y": "<&>"}}
	b := map[string]any{"c": map[string]any{"y": "<&>", "z": json.Number("1.0")}, "a": []any{json.Number("1.50"), "x", true, nil}, "b": int64(24000)}
	var ba, bb bytes.Buffer
	if err := WriteValue(&ba, a); err != nil {
		t.Fatal(err)
	}
	if err := WriteValue(&bb, b); err != nil {
		t.Fatal(err)
	}
	const want = `{"a":[1.5,"x",true,null],"b":24000,"c":{"y":"<&>","z":1}}`
	if ba.String() != want || bb.String() != want {
		t.Errorf("got\n%s\n%s\nwant\n%s", ba.String(), bb.String(), want)
	}
}
