package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/propjson"
)

// This file checks the properties a store encodes for answers
// (geo.Feature.PropertiesJSON, geo.Query.EncodedProperties): whatever a
// store returns, the properties an answer writes must be the bytes that
// writing the values it returns without the flag gives.

// encodedOf returns f's encoded properties object as an answer writes it
// (PropertiesJSON followed by PropertiesJSONTail), or nil when the store
// gave none. A tail without a head is a store's error, reported.
func encodedOf(t *testing.T, f geo.Feature) []byte {
	t.Helper()
	if f.PropertiesJSON == nil {
		if f.PropertiesJSONTail != nil {
			t.Errorf("feature %s: PropertiesJSONTail %s without PropertiesJSON", f.ID, f.PropertiesJSONTail)
		}
		return nil
	}
	return EncodedProperties(f)
}

// EncodedProperties returns f's encoded properties object whole: its
// PropertiesJSON followed by its PropertiesJSONTail, in memory of its own,
// or nil when f has no PropertiesJSON.
func EncodedProperties(f geo.Feature) []byte {
	if f.PropertiesJSON == nil {
		return nil
	}
	// Not slices.Concat, which gives nil for an empty head: an empty
	// encoding must be seen as one (and fail the comparison), not as none.
	whole := make([]byte, 0, len(f.PropertiesJSON)+len(f.PropertiesJSONTail))
	return append(append(whole, f.PropertiesJSON...), f.PropertiesJSONTail...)
}

// written returns the properties object an answer writes for f with every
// property: f's encoding if the store gave one, else its values encoded.
func written(t *testing.T, f geo.Feature) []byte {
	t.Helper()
	if enc := encodedOf(t, f); enc != nil {
		return enc
	}
	b, err := propjson.Encode(f)
	if err != nil {
		t.Fatalf("feature %s: encode properties: %v", f.ID, err)
	}
	return b
}

// checkEncodedPage checks a page asked with EncodedProperties against the
// fixture: ids, count, geometry, validity and the properties written.
func (c checker) checkEncodedPage(t *testing.T, collection string, page geo.Page, want []string, matched int) {
	t.Helper()
	if got := ids(page.Features); !slices.Equal(got, want) || page.NumberMatched != matched {
		t.Errorf("with EncodedProperties: ids %v (%d matched), want %v (%d)", got, page.NumberMatched, want, matched)
		return
	}
	for i, f := range page.Features {
		fx := c.fixtureFeature(t, collection, want[i])
		wantProps, err := propjson.Encode(fx)
		if err != nil {
			t.Fatal(err)
		}
		if got := written(t, f); !bytes.Equal(got, wantProps) {
			t.Errorf("feature %s with EncodedProperties: properties\n got %s\nwant %s", f.ID, got, wantProps)
		}
		if !f.Valid.Start.Equal(fx.Valid.Start) || !f.Valid.End.Equal(fx.Valid.End) || f.Thing != fx.Thing {
			t.Errorf("feature %s with EncodedProperties: validity %s, thing %q; want %s, %q", f.ID, f.Valid, f.Thing, fx.Valid, fx.Thing)
		}
	}
}

// RunEncoding checks, on a dataset of random and hostile property values
// (quotes, control characters, invalid UTF-8, U+2028, big and tiny numbers,
// -0, numbers of several Go types, nested objects and arrays, odd keys and
// sources, validity finer than a microsecond), that the properties a store
// encodes are byte for byte what writing the values it returns gives: for
// every feature of Items with and without geo.Query.EncodedProperties, and
// of Item. open is called once.
func RunEncoding(t *testing.T, open func(t *testing.T, ds *geo.Dataset) geo.Store) {
	t.Helper()
	ds := HostileDataset(1, 300)
	s := open(t, ds)
	ctx := context.Background()
	plain, err := s.Items(ctx, hostileCollection, geo.Query{})
	if err != nil {
		t.Fatalf("Items: %v", err)
	}
	enc, err := s.Items(ctx, hostileCollection, geo.Query{EncodedProperties: true})
	if err != nil {
		t.Fatalf("Items with EncodedProperties: %v", err)
	}
	if !slices.Equal(ids(plain.Features), ids(enc.Features)) || len(plain.Features) != len(ds.Features[hostileCollection]) {
		t.Fatalf("Items with EncodedProperties returned %d features, without %d; the dataset has %d",
			len(enc.Features), len(plain.Features), len(ds.Features[hostileCollection]))
	}
	encoded := 0
	for i, f := range plain.Features {
		want, err := propjson.Encode(f) // the fallback: the values the store returns, written
		if err != nil {
			t.Fatalf("feature %s: encode properties: %v", f.ID, err)
		}
		if got := encodedOf(t, f); got != nil && !bytes.Equal(got, want) {
			t.Errorf("feature %s without the flag: PropertiesJSON\n got %s\nwant %s", f.ID, got, want)
		}
		e := enc.Features[i]
		if got := encodedOf(t, e); got != nil {
			encoded++
			if !json.Valid(got) {
				t.Errorf("feature %s: PropertiesJSON is not JSON: %s", f.ID, got)
			}
		}
		if got := written(t, e); !bytes.Equal(got, want) {
			t.Errorf("feature %s with EncodedProperties: properties\n got %q\nwant %q", f.ID, got, want)
		}
		if i%10 == 0 {
			it, err := s.Item(ctx, hostileCollection, f.ID)
			if err != nil {
				t.Fatalf("Item(%s): %v", f.ID, err)
			}
			if got := written(t, it); !bytes.Equal(got, want) {
				t.Errorf("Item(%s): properties\n got %q\nwant %q", f.ID, got, want)
			}
			if es, ok := s.(geo.EncodedItemStore); ok {
				it, err := es.ItemEncoded(ctx, hostileCollection, f.ID)
				if err != nil {
					t.Fatalf("ItemEncoded(%s): %v", f.ID, err)
				}
				if got := written(t, it); !bytes.Equal(got, want) {
					t.Errorf("ItemEncoded(%s): properties\n got %q\nwant %q", f.ID, got, want)
				}
			}
		}
	}
	t.Logf("%d of %d features came with their properties encoded", encoded, len(enc.Features))
	// The flag changes nothing about which features match.
	b := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{5, 5}}
	for _, q := range []geo.Query{{BBox: &b}, {Time: geo.Day(hostileDay0.AddDate(0, 0, 3))}, {Limit: 7, Offset: 20}, {Filters: map[string]string{"k": "1"}}} {
		a, err1 := s.Items(ctx, hostileCollection, q)
		q.EncodedProperties = true
		e, err2 := s.Items(ctx, hostileCollection, q)
		if err1 != nil || err2 != nil {
			t.Fatalf("Items(%s): %v, %v", describe(q), err1, err2)
		}
		if !slices.Equal(ids(a.Features), ids(e.Features)) || a.NumberMatched != e.NumberMatched {
			t.Errorf("Items(%s): %v (%d) with EncodedProperties, %v (%d) without", describe(q),
				ids(e.Features), e.NumberMatched, ids(a.Features), a.NumberMatched)
		}
	}
}

const hostileCollection = "hostile"

var hostileDay0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// HostileDataset returns n point features of one dated collection, without
// a group key, whose properties and sources are random and hostile values
// from the seed (see RunEncoding). No value holds a NUL character, which
// PostgreSQL cannot store.
func HostileDataset(seed uint64, n int) *geo.Dataset {
	r := rand.New(rand.NewPCG(seed, seed+1))
	feats := make([]geo.Feature, n)
	for i := range feats {
		props := map[string]any{"k": fmt.Sprint(r.IntN(3))}
		for range r.IntN(6) {
			props[hostileString(r)] = hostileValue(r, 0)
		}
		var valid geo.Interval
		switch r.IntN(4) {
		case 0: // undated
		case 1:
			valid.Start = hostileDay0.AddDate(0, 0, r.IntN(10)).Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
		default:
			valid.Start = hostileDay0.AddDate(0, 0, r.IntN(10))
			valid.End = valid.Start.AddDate(0, 0, 1+r.IntN(5))
		}
		var srcs []geo.Source
		switch r.IntN(3) {
		case 0:
		case 1:
			srcs = []geo.Source{}
		default:
			for range 1 + r.IntN(3) {
				s := geo.Source{Publisher: hostileString(r)}
				if r.IntN(2) == 0 {
					s.Title = hostileString(r)
				}
				if r.IntN(2) == 0 {
					s.URL = "https://example.org/?a=1&b=" + hostileString(r)
				}
				if r.IntN(2) == 0 {
					s.Date = "2026-01-0" + fmt.Sprint(1+r.IntN(9))
				}
				srcs = append(srcs, s)
			}
		}
		feats[i] = geo.Feature{ID: fmt.Sprintf("h%04d", i), Collection: hostileCollection,
			Geometry: orb.Point{r.Float64() * 10, r.Float64() * 10}, Properties: props, Valid: valid, Sources: srcs}
	}
	return &geo.Dataset{
		Collections: []geo.Collection{{ID: hostileCollection, Title: "Hostile values", GeometryType: "Point", Dated: true}},
		Features:    map[string][]geo.Feature{hostileCollection: feats},
		Digest:      fmt.Sprintf("hostile-%d-%d", seed, n),
	}
}

// hostilePieces are what hostileString joins: JSON's special characters,
// every control character but NUL, HTML's, JavaScript's line separators,
// non-ASCII text, an emoji, and invalid UTF-8.
var hostilePieces = func() []string {
	p := []string{`"`, `\`, `/`, "\x7f", "\u2028", "\u2029", "<", ">", "&", "é", "مخيم الهول", "🗺️", "\xff", "\xc3", "\xed\xa0\x80", " ", "a", "name", "0"}
	for c := byte(1); c < 0x20; c++ {
		p = append(p, string([]byte{c}))
	}
	return p
}()

func hostileString(r *rand.Rand) string {
	var b strings.Builder
	for range 1 + r.IntN(6) {
		b.WriteString(hostilePieces[r.IntN(len(hostilePieces))])
	}
	return b.String()
}

// hostileNumbers are numbers at the edges of JSON's and float64's forms.
var hostileNumbers = []any{0.0, math.Copysign(0, -1), 1.0, -1.0, 0.1, 1e-6, 9.99e-7, 1e-7, 5e-324, math.MaxFloat64, -math.MaxFloat64,
	1e20, 1e21, -1.23e21, 123456789012345678.0, 24000.0, 3, int64(-9007199254740993), int32(7), float32(0.1), json.Number("1.50"), json.Number("-0")}

func hostileValue(r *rand.Rand, depth int) any {
	k := r.IntN(10)
	if depth >= 3 && k >= 8 {
		k = 0
	}
	switch k {
	case 0, 1:
		return hostileString(r)
	case 2, 3:
		return hostileNumbers[r.IntN(len(hostileNumbers))]
	case 4:
		return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.IntN(0x7ff))<<52) // finite: exponent below all ones
	case 5:
		return r.IntN(2) == 0
	case 6:
		if r.IntN(2) == 0 {
			return nil
		}
		return []string{hostileString(r), "b"} // a typed slice, as a dataset built in code may hold
	case 7:
		return r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
	case 8:
		m := map[string]any{}
		for range r.IntN(4) {
			m[hostileString(r)] = hostileValue(r, depth+1)
		}
		return m
	default:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = hostileValue(r, depth+1)
		}
		return l
	}
}
