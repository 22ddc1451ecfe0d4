package handlers

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

func TestAppendCoord(t *testing.T) {
	tests := []struct {
		v         float64
		precision int
		want      string
	}{
		{41.1486, 6, "41.1486"},
		{41.1486, 15, "41.1486"},
		{41.1486, 2, "41.15"},
		{41.1486, 0, "41"},
		{36.3756, 3, "36.376"},
		{40, 6, "40"},
		{-0.0000001, 6, "0"},
		{-0.4, 0, "0"},
		{-0.6, 0, "-1"},
		{math.Copysign(0, -1), 6, "0"},
		{-12.5000001, 6, "-12.5"},
		{0.1 + 0.2, 6, "0.3"},
		{0.1 + 0.2, 15, "0.3"},
		{179.9999999, 6, "180"},
		{1e-7, 15, "0.0000001"},
	}
	for _, tt := range tests {
		if got := string(appendCoord(nil, tt.v, tt.precision)); got != tt.want {
			t.Errorf("appendCoord(%v, %d) = %s, want %s", tt.v, tt.precision, got, tt.want)
		}
	}
}

func TestWriteGeometry(t *testing.T) {
	tests := []struct {
		g    orb.Geometry
		want string
	}{
		{nil, `null`},
		{orb.Point{1.23456789, -2}, `{"type":"Point","coordinates":[1.234568,-2]}`},
		{orb.MultiPoint{{1, 2}, {3, 4}}, `{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}`},
		{orb.LineString{{1, 2}, {3, 4}}, `{"type":"LineString","coordinates":[[1,2],[3,4]]}`},
		{orb.MultiLineString{{{1, 2}, {3, 4}}}, `{"type":"MultiLineString","coordinates":[[[1,2],[3,4]]]}`},
		{orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`},
		{orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`},
		{orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}}, `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[1,2],[3,4]]}]}`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := writeGeometry(&buf, tt.g, 6); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("got %s, want %s", buf.String(), tt.want)
		}
		if !json.Valid(buf.Bytes()) {
			t.Errorf("%s is not JSON", buf.String())
		}
	}
	var buf bytes.Buffer
	if err := writeGeometry(&buf, orb.Point{math.NaN(), 0}, 6); err == nil {
		t.Error("NaN written without an error")
	}
}

func TestWriteFeatureCollectionIsValidJSON(t *testing.T) {
	body, err := featureCollectionBody(featureCollection{
		features: []geo.Feature{{ID: `a"b`, Geometry: orb.Point{1, 2}, Properties: map[string]any{"name": "x\u2028y"}}},
		links:    []link{{Href: "http://h/?a=1&b=2", Rel: "self"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewBuffer(body)
	var v map[string]any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if v["numberReturned"] != 1.0 || v["numberMatched"] != 0.0 {
		t.Errorf("%s", buf.String())
	}
}

// coordSamples are values of the kinds coordinates take: generated ones of
// five decimals, ones with every decimal a float64 holds, halves at many
// precisions (where rounding must go as strconv rounds), values next to
// those, and the extremes.
func coordSamples() []float64 {
	vals := []float64{0, math.Copysign(0, -1), 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, -0.125, 1e-7, -1e-7, 5e-7, 0.1 + 0.2,
		179.9999999, -179.9999995, 41.1486, 36.3756, 1 << 40, 1e12, -1e15, 1e300, math.SmallestNonzeroFloat64,
		math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN()}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		lon := r.Float64()*360 - 180
		vals = append(vals, lon, math.Round(lon*1e5)/1e5, math.Round(lon*1e6)/1e6, math.Round(lon*1e9)/1e9)
		// A half at precision p, and its neighbours.
		p := r.IntN(10)
		half := (math.Floor(lon*math.Pow10(p)) + 0.5) / math.Pow10(p)
		vals = append(vals, half, math.Nextafter(half, math.Inf(1)), math.Nextafter(half, math.Inf(-1)))
		vals = append(vals, math.Float64frombits(r.Uint64())) // any bits at all
	}
	return vals
}

// TestAppendCoordFastMatchesExact holds the fast path to strconv's bytes on
// every sample at every precision, and checks that it is the path taken for
// coordinates of at most six decimals at the default precision.
func TestAppendCoordFastMatchesExact(t *testing.T) {
	fast := 0
	for _, v := range coordSamples() {
		for p := 0; p <= MaxPrecision; p++ {
			want := string(appendCoordExact(nil, v, p))
			if got := string(appendCoord([]byte("x"), v, p)[1:]); got != want {
				t.Fatalf("appendCoord(%v (%#x), %d) = %s, strconv gives %s", v, math.Float64bits(v), p, got, want)
			}
		}
		if math.Abs(v) <= 180 && math.Round(v*1e6)/1e6 == v {
			if _, ok := appendCoordFast(nil, v, DefaultPrecision); !ok {
				t.Errorf("appendCoordFast(%v, %d) left a six-decimal coordinate to strconv", v, DefaultPrecision)
			}
			fast++
		}
	}
	if fast < 50000 {
		t.Fatalf("only %d samples of six decimals or fewer: the fast path is not exercised", fast)
	}
}

// FuzzAppendCoord holds the fast path to strconv's bytes on any value and
// precision.
func FuzzAppendCoord(f *testing.F) {
	for _, v := range []float64{41.1486, 2.5, -0.125, 1e-7, 179.9999995} {
		f.Add(v, uint8(6))
	}
	f.Fuzz(func(t *testing.T, v float64, p uint8) {
		prec := int(p) % (MaxPrecision + 1)
		want := string(appendCoordExact(nil, v, prec))
		if got := string(appendCoord(nil, v, prec)); got != want {
			t.Fatalf("appendCoord(%v (%#x), %d) = %s, strconv gives %s", v, math.Float64bits(v), prec, got, want)
		}
	})
}

// circle is a polygon of n vertices on a circle about (x, 35).
func circle(n int, x float64) orb.Polygon {
	r := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		r = append(r, orb.Point{x + math.Cos(a)*0.12345, 35 + math.Sin(a)*0.12345})
	}
	return orb.Polygon{append(r, r[0])}
}

// TestEncodeFeaturesSized checks the estimate a page's buffer is sized by,
// against the bytes the features take, on pages whose first feature says
// little of the rest: a small polygon before large ones (sized for small
// ones, the buffer doubled and was copied a dozen times), and a point with
// long properties before polygons (which a plain bytes-per-position would
// size several times over); and that a section holds no more than a quarter
// over its bytes whatever the estimate was.
func TestEncodeFeaturesSized(t *testing.T) {
	long := map[string]any{"note": strings.Repeat("a long note about the point ", 20)}
	pages := map[string][]geo.Feature{
		"small polygon first": {{ID: "small", Geometry: circle(200, 38)}},
		"point first":         {{ID: "point", Geometry: orb.Point{38.1, 35.2}, Properties: long}},
	}
	for key, feats := range pages {
		for i := range 30 {
			feats = append(feats, geo.Feature{ID: "large", Geometry: circle(2000, 38+float64(i)*0.01), Properties: map[string]any{"name": "x"}})
		}
		for _, prec := range []int{DefaultPrecision, MaxPrecision} {
			name := key + " at precision " + strconv.Itoa(prec)
			write := func(b *bytes.Buffer, f geo.Feature) error { return writeFeature(b, f, nil, prec, nil) }
			var first, rest bytes.Buffer
			if err := write(&first, feats[0]); err != nil {
				t.Fatal(err)
			}
			for _, f := range feats[1:] {
				rest.WriteByte(',')
				if err := write(&rest, f); err != nil {
					t.Fatal(err)
				}
			}
			if est := sizeAfterFirst(feats, first.Len(), prec, nil); est < rest.Len() || est > rest.Len()*3/2 {
				t.Errorf("%s: %d bytes estimated for %d", name, est, rest.Len())
			}
			sec, err := encodeFeatures(feats, prec, nil, write)
			if err != nil {
				t.Fatal(err)
			}
			if n, c := len(sec.body), cap(sec.body); c < n || c > n*5/4+collectionEndRoom {
				t.Errorf("%s: section of %d bytes has a capacity of %d", name, n, c)
			}
		}
	}
}

// TestEncodeFeaturesSizedKnown: a page of which some features are written
// from encodings kept before (returned without geometry, geo.Query.Known)
// is sized from those encodings' bytes, whether the first feature is one
// of them or not: a large polygon known first and small ones after, and a
// small one first and large known ones after (the first page was
// estimated 4.6 MB for 0.44 MB when it was taken from the first feature).
func TestEncodeFeaturesSizedKnown(t *testing.T) {
	for name, sizes := range map[string][]int{
		"large known first": append([]int{2000}, slices.Repeat([]int{200}, 99)...),
		"small first":       append([]int{200}, slices.Repeat([]int{2000}, 19)...),
	} {
		var feats []geo.Feature
		kept := map[string][]byte{}
		want := 0
		for i, n := range sizes {
			f := geo.Feature{ID: "f" + strconv.Itoa(i), Geometry: circle(n, 38+float64(i)*0.01)}
			var b bytes.Buffer
			if err := writeFeature(&b, f, nil, DefaultPrecision, nil); err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				want += 1 + b.Len()
			}
			if n == 2000 { // known: returned by its id alone
				kept[f.ID] = b.Bytes()
				f = geo.Feature{ID: f.ID}
			}
			feats = append(feats, f)
		}
		encoded := func(id string) int {
			if b, ok := kept[id]; ok {
				return len(b)
			}
			return -1
		}
		first := len(kept[feats[0].ID])
		if first == 0 {
			var b bytes.Buffer
			_ = writeFeature(&b, feats[0], nil, DefaultPrecision, nil)
			first = b.Len()
		}
		if est := sizeAfterFirst(feats, first, DefaultPrecision, encoded); est < want || est > want*3/2 {
			t.Errorf("%s: %d bytes estimated for %d", name, est, want)
		}
		sec, err := encodeFeatures(feats, DefaultPrecision, encoded, func(b *bytes.Buffer, f geo.Feature) error {
			if k, ok := kept[f.ID]; ok {
				b.Write(k)
				return nil
			}
			return writeFeature(b, f, nil, DefaultPrecision, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, c := len(sec.body), cap(sec.body); c < n || c > n*5/4+collectionEndRoom {
			t.Errorf("%s: section of %d bytes has a capacity of %d", name, n, c)
		}
	}
}

// TestCollectionBodyOfOneSection checks the answers made of one section: the
// first is written in the section's own room (no copy of the features), the
// others copy; each is the whole document with its own links, and none
// changes what the section holds. Run with -race, the concurrent answers
// also check that only one writes past the section's bytes.
func TestCollectionBodyOfOneSection(t *testing.T) {
	feats := []geo.Feature{
		{ID: "a", Geometry: orb.Point{38.5, 35.25}, Properties: map[string]any{"name": "x"}},
		{ID: "b", Geometry: orb.LineString{{38, 35}, {38.1, 35.1}}},
	}
	sec, err := encodeFeatures(feats, DefaultPrecision, nil, func(b *bytes.Buffer, f geo.Feature) error {
		return writeFeature(b, f, nil, DefaultPrecision, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	before := string(sec.body)
	want := func(i int) string {
		return before + `],"numberMatched":7,"numberReturned":2,"links":[{"href":"http://h/` + strconv.Itoa(i) + `","rel":"self"}]}` + "\n"
	}
	const n = 16
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			bodies[i] = collectionBody(sec, featureCollection{numberMatched: 7, links: []link{{Href: "http://h/" + strconv.Itoa(i), Rel: "self"}}})
		})
	}
	wg.Wait()
	inPlace := 0
	for i, b := range bodies {
		if string(b) != want(i) {
			t.Errorf("answer %d:\n%s\nwant\n%s", i, b, want(i))
		}
		if &b[0] == &sec.body[0] {
			inPlace++
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("answer %d is not JSON: %v", i, err)
		}
	}
	if inPlace != 1 {
		t.Errorf("%d answers written in the section's room, want exactly 1", inPlace)
	}
	if string(sec.body) != before {
		t.Errorf("the section changed:\n%s\nwas\n%s", sec.body, before)
	}
}

// TestPositions counts the positions of every kind of geometry.
func TestPositions(t *testing.T) {
	ring := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}
	tests := []struct {
		g    orb.Geometry
		want int
	}{
		{nil, 0},
		{orb.Point{1, 2}, 1},
		{orb.MultiPoint{{1, 2}, {3, 4}}, 2},
		{orb.LineString{{1, 2}, {3, 4}, {5, 6}}, 3},
		{ring, 4},
		{orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}, {9, 10}}}, 5},
		{orb.Polygon{ring, ring}, 8},
		{orb.MultiPolygon{{ring}, {ring, ring}}, 12},
		{orb.Collection{orb.Point{1, 2}, orb.Polygon{ring}}, 5},
		{orb.Bound{}, 0},
	}
	for _, tt := range tests {
		if got := positions(tt.g); got != tt.want {
			t.Errorf("positions(%T) = %d, want %d", tt.g, got, tt.want)
		}
	}
}

// TestWriteLinksAsEncodingJSON: writeLinks writes exactly what encoding/json
// writes for the same links with HTML escaping off, for an empty list,
// empty optional members, and strings with quotes, control characters, HTML,
// U+2028 and invalid UTF-8.
func TestWriteLinksAsEncodingJSON(t *testing.T) {
	pieces := []string{"", "a", "http://h/x?a=1&b=<2>", `"`, `\`, "\n", "\t", "\b", "\f", "\r", "\x00", "\x1f", "\x7f", "é", "ج", "\u2028", "\u2029", "\xff", "\xe2\x80", "🗺", " "}
	r := rand.New(rand.NewPCG(3, 4))
	str := func() string {
		var b strings.Builder
		for range r.IntN(5) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	lists := [][]link{{}, {{Href: "h", Rel: "self"}}, {{Href: "", Rel: "", Type: "t", Title: ""}}}
	for range 3000 {
		l := make([]link, r.IntN(4))
		for i := range l {
			l[i] = link{Href: str(), Rel: str(), Type: str(), Title: str()}
		}
		lists = append(lists, l)
	}
	for _, l := range lists {
		var want, got bytes.Buffer
		if err := writeJSON(&want, l); err != nil {
			t.Fatal(err)
		}
		writeLinks(&got, l)
		if got.String() != want.String() {
			t.Fatalf("links %q:\n got %s\nwant %s", l, got.String(), want.String())
		}
	}
}
