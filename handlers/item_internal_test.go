package handlers

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// The answer of one feature, sized once (featureBody, positionBytes).

// TestFeatureBody: a feature's answer is writeFeature's bytes and a
// newline, in a buffer at most a quarter larger than them, for a point, a
// polygon of many positions, a point with long properties of which none is
// written, and a feature without links.
func TestFeatureBody(t *testing.T) {
	links := []link{
		{Href: "http://localhost:8080/collections/points/items/p-1", Rel: "self", Type: "application/geo+json", Title: "This document"},
		{Href: "http://localhost:8080/collections/points/items/p-1?f=json", Rel: "alternate", Type: "application/json", Title: "This document as json"},
		{Href: "http://localhost:8080/collections/points", Rel: "collection", Type: "application/json", Title: "The collection"},
	}
	ring := orb.Ring{}
	for i := range 2000 {
		a := float64(i) / 2000 * 2 * math.Pi
		ring = append(ring, orb.Point{math.Round((39+math.Cos(a))*1e5) / 1e5, math.Round((35+math.Sin(a))*1e5) / 1e5})
	}
	ring = append(ring, ring[0])
	point := geo.Feature{ID: "p-1", Geometry: orb.Point{39.12345, 35.54321},
		Properties: map[string]any{"controller": "sdf", "name": "Point 1"}, Valid: geo.Interval{}}
	point.PropertiesJSON = []byte(`{"controller":"sdf","name":"Point 1","valid_from":null,"valid_to":null,"sources":[]}`)
	long := point
	long.Properties = map[string]any{"note": strings.Repeat("a long note ", 200)}
	long.PropertiesJSON = []byte(`{"note":"` + strings.Repeat("a long note ", 200) + `","valid_from":null,"valid_to":null,"sources":[]}`)
	// An encoding kept in two parts, as the embedded store keeps it, with
	// a tail longer than the room featureBody adds for what it does not
	// count: a size that left the tail out would grow the buffer.
	split := long
	split.PropertiesJSON, split.PropertiesJSONTail = long.PropertiesJSON[:9], long.PropertiesJSON[9:]
	for _, tc := range []struct {
		name  string
		f     geo.Feature
		props []string
		links []link
	}{
		{"point", point, nil, links},
		{"polygon", geo.Feature{ID: "a-1", Geometry: orb.Polygon{ring}, Properties: map[string]any{}}, nil, links},
		{"long properties left out", long, []string{"controller"}, links},
		{"no links", point, nil, nil},
		{"encoding in two parts", split, nil, nil},
	} {
		got, err := featureBody(tc.f, tc.props, 6, tc.links)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := writeFeature(&want, tc.f, tc.props, 6, tc.links); err != nil {
			t.Fatal(err)
		}
		want.WriteByte('\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: got %s\nwant %s", tc.name, got, want.Bytes())
		}
		if cap(got) > len(got)+len(got)/4 {
			t.Errorf("%s: %d bytes in a buffer of %d", tc.name, len(got), cap(got))
		}
		if whole := append(slices.Clip(tc.f.PropertiesJSON), tc.f.PropertiesJSONTail...); tc.props == nil && whole != nil &&
			!bytes.Contains(got, append([]byte(`"properties":`), whole...)) {
			t.Errorf("%s: %s does not hold the properties %s", tc.name, got, whole)
		}
	}
	// The encoding in two parts is sized as the same encoding in one: as
	// many allocations (a size without the tail grows the buffer).
	one := testing.AllocsPerRun(20, func() { _, _ = featureBody(long, nil, 6, links) })
	two := testing.AllocsPerRun(20, func() { _, _ = featureBody(split, nil, 6, links) })
	if one != two {
		t.Errorf("featureBody: %v allocations with the encoding in two parts, %v in one", two, one)
	}
}

// TestPositionBytes: positionBytes bounds the longest position at every
// precision (a longitude and latitude with every decimal place taken), and a
// feature's answer is sized once at any precision: as many allocations at
// the largest precision as at the default one.
func TestPositionBytes(t *testing.T) {
	if got := positionBytes(DefaultPrecision); got != len("[-179.999999,-89.999999],") {
		t.Errorf("positionBytes(%d) = %d", DefaultPrecision, got)
	}
	for prec := 0; prec <= MaxPrecision; prec++ {
		for _, p := range [][2]float64{{-179.99999999999997, -89.99999999999997}, {-179.123456789012345, -89.123456789012345}, {180, 90}} {
			b := append([]byte{'['}, appendCoord(nil, p[0], prec)...)
			b = append(append(b, ','), appendCoord(nil, p[1], prec)...)
			b = append(b, ']', ',')
			if len(b) > positionBytes(prec) {
				t.Errorf("precision %d: %s is %d bytes, positionBytes %d", prec, b, len(b), positionBytes(prec))
			}
		}
	}
	ring := orb.Ring{}
	for i := range 500 {
		a := float64(i) / 500 * 2 * math.Pi
		ring = append(ring, orb.Point{-179 + math.Cos(a)/3, -89 + math.Sin(a)/3}) // every decimal place taken
	}
	ring = append(ring, ring[0])
	f := geo.Feature{ID: "a-1", Geometry: orb.Polygon{ring}, Properties: map[string]any{}}
	allocs := func(prec int) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := featureBody(f, nil, prec, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	if at6, at15 := allocs(DefaultPrecision), allocs(MaxPrecision); at15 > at6 {
		t.Errorf("featureBody allocates %.0f times at precision %d, %.0f at %d: its buffer is not sized for the precision", at15, MaxPrecision, at6, DefaultPrecision)
	}
}
