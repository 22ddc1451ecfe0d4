package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/propjson"
)

// ExtentTolerance is how far, in degrees, a store's collection bbox may be
// from the exact one: PostGIS keeps cached boxes in single precision.
const ExtentTolerance = 1e-4

// Run checks that the store built by open answers the contract queries over
// the fixture dataset exactly as written in this package. open is called once,
// with a fresh Fixture(); the store must not change while Run reads it.
func Run(t *testing.T, open func(t *testing.T, ds *geo.Dataset) geo.Store) {
	t.Helper()
	s := open(t, Fixture())
	if s == nil {
		t.Fatal("storetest: open returned a nil store")
	}
	c := checker{store: s, fx: Fixture()}
	t.Run("Collections", c.collections)
	t.Run("Collection", c.collection)
	t.Run("CollectionNotFound", c.collectionNotFound)
	t.Run("Item", c.item)
	t.Run("ItemNotFound", c.itemNotFound)
	t.Run("ItemsAll", c.itemsAll)
	t.Run("ItemsUnknownCollection", c.itemsUnknownCollection)
	t.Run("Simplify", c.simplify)
	t.Run("Properties", c.properties)
	t.Run("BBox", func(t *testing.T) { c.itemsTable(t, bboxCases()) })
	t.Run("Datetime", c.datetime)
	t.Run("Events", func(t *testing.T) { c.itemsTable(t, eventCases()) })
	t.Run("OpenEnds", func(t *testing.T) { c.itemsTable(t, openEndCases()) })
	t.Run("Undated", func(t *testing.T) { c.itemsTable(t, undatedCases()) })
	t.Run("Paging", c.paging)
	t.Run("PagesConcatenate", c.pagesConcatenate)
	t.Run("Filters", func(t *testing.T) { c.itemsTable(t, filterCases()) })
	t.Run("Combined", func(t *testing.T) { c.itemsTable(t, combinedCases()) })
	t.Run("CQL2", c.filterTable)
	t.Run("Version", c.version)
	t.Run("Ping", c.ping)
	t.Run("CanceledContext", c.canceled)
}

// itemsCase is one Items query and its answer written out by hand.
type itemsCase struct {
	name       string
	collection string
	q          geo.Query
	want       []string // ids of the page, in order
	matched    int      // NumberMatched; -1 means len(want)
}

type checker struct {
	store geo.Store
	fx    *geo.Dataset // the expected data; never handed to the store
}

func (c checker) itemsTable(t *testing.T, cases []itemsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			page := c.items(t, tc.collection, tc.q)
			matched := tc.matched
			if matched < 0 {
				matched = len(tc.want)
			}
			c.checkPage(t, tc.collection, page, tc.want, matched)
			q := tc.q
			q.EncodedProperties = true
			c.checkEncodedPage(t, tc.collection, c.items(t, tc.collection, q), tc.want, matched)
			c.checkKnown(t, tc.collection, tc.q, tc.want, matched)
			q = tc.q
			q.EncodedProperties = true
			c.checkKnown(t, tc.collection, q, tc.want, matched)
			// Uncounted: the same page; NumberMatched the same or zero.
			q = tc.q
			q.Uncounted = true
			uncounted := c.items(t, tc.collection, q)
			if uncounted.NumberMatched != 0 && uncounted.NumberMatched != matched {
				t.Errorf("Uncounted: NumberMatched %d, want %d or 0", uncounted.NumberMatched, matched)
			}
			c.checkPage(t, tc.collection, uncounted, tc.want, uncounted.NumberMatched)
			c.checkKnown(t, tc.collection, q, tc.want, matched)
			// Unordered: the same features, in any order, without an
			// offset or keys; with a limit, as many of the matches.
			q = tc.q
			q.Unordered = true
			unordered := c.items(t, tc.collection, q)
			switch {
			case q.Offset > 0 || len(q.SortBy) > 0:
				c.checkPage(t, tc.collection, unordered, tc.want, matched)
			case q.Limit > 0 && matched > q.Limit:
				all := tc.q
				all.Limit = 0
				among := ids(c.items(t, tc.collection, all).Features)
				seen := map[string]bool{}
				for _, id := range ids(unordered.Features) {
					if !slices.Contains(among, id) || seen[id] {
						t.Errorf("Unordered: %s is not a match, or is twice", id)
					}
					seen[id] = true
				}
				if len(unordered.Features) != q.Limit {
					t.Errorf("Unordered: %d features, want %d", len(unordered.Features), q.Limit)
				}
			default:
				slices.SortFunc(unordered.Features, func(a, b geo.Feature) int { return strings.Compare(a.ID, b.ID) })
				c.checkPage(t, tc.collection, unordered, tc.want, matched)
			}
		})
	}
}

// checkKnown asks q with a Known that knows every other feature of the
// page (the first, the third, ...). A store asks it about every feature of
// the page in order, or never; the page has the same features and count
// (or, asked Uncounted, none);
// a known feature is whole or has its Collection and ID alone, and every
// other is whole (with EncodedProperties, as checkEncodedPage checks it).
func (c checker) checkKnown(t *testing.T, collection string, q geo.Query, want []string, matched int) {
	t.Helper()
	known := map[string]bool{}
	for i, id := range want {
		known[id] = i%2 == 0
	}
	var asked []string
	q.Known = func(id string) bool {
		asked = append(asked, id)
		return known[id]
	}
	page := c.items(t, collection, q)
	if asked != nil && !slices.Equal(asked, want) {
		t.Errorf("Known: asked about %v, want every feature of the page in order (%v) or none", asked, want)
	}
	if got := ids(page.Features); !slices.Equal(got, want) || (page.NumberMatched != matched && !(q.Uncounted && page.NumberMatched == 0)) {
		t.Errorf("Known: ids %v (%d matched), want %v (%d)", got, page.NumberMatched, want, matched)
		return
	}
	var whole geo.Page
	var wholeIDs []string
	for _, f := range page.Features {
		if known[f.ID] && f.Geometry == nil {
			if !reflect.DeepEqual(f, geo.Feature{Collection: collection, ID: f.ID}) {
				t.Errorf("Known: feature %s without its geometry has more than its collection and id: %+v", f.ID, f)
			}
			continue
		}
		whole.Features = append(whole.Features, f)
		wholeIDs = append(wholeIDs, f.ID)
	}
	whole.NumberMatched = matched
	if q.EncodedProperties {
		c.checkEncodedPage(t, collection, whole, wholeIDs, matched)
	} else {
		c.checkPage(t, collection, whole, wholeIDs, matched)
	}
}

func (c checker) items(t *testing.T, collection string, q geo.Query) geo.Page {
	t.Helper()
	page, err := c.store.Items(context.Background(), collection, q)
	if err != nil {
		t.Fatalf("Items(%s, %s): %v", collection, describe(q), err)
	}
	return page
}

// checkPage compares a page with the fixture features of the given ids, in
// that order, and the total.
func (c checker) checkPage(t *testing.T, collection string, page geo.Page, want []string, matched int) {
	t.Helper()
	got := ids(page.Features)
	if !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	if page.NumberMatched != matched {
		t.Errorf("NumberMatched %d, want %d", page.NumberMatched, matched)
	}
	if len(got) == len(want) {
		for i, f := range page.Features {
			c.checkFeature(t, f, c.fixtureFeature(t, collection, want[i]))
		}
	}
}

func (c checker) fixtureFeature(t *testing.T, collection, id string) geo.Feature {
	t.Helper()
	for _, f := range c.fx.Features[collection] {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("storetest: bug: no feature %s/%s in the fixture", collection, id)
	return geo.Feature{}
}

// checkFeature compares every field of a feature with the fixture's.
func (c checker) checkFeature(t *testing.T, got, want geo.Feature) {
	t.Helper()
	if got.ID != want.ID || got.Collection != want.Collection || got.Thing != want.Thing {
		t.Errorf("feature %s: id/collection/thing = %q/%q/%q, want %q/%q/%q",
			want.ID, got.ID, got.Collection, got.Thing, want.ID, want.Collection, want.Thing)
	}
	if !reflect.DeepEqual(got.Geometry, want.Geometry) {
		t.Errorf("feature %s: geometry %#v, want %#v", want.ID, got.Geometry, want.Geometry)
	}
	if !reflect.DeepEqual(got.Properties, want.Properties) {
		t.Errorf("feature %s: properties\n got %#v\nwant %#v", want.ID, got.Properties, want.Properties)
	}
	if !got.Valid.Start.Equal(want.Valid.Start) || !got.Valid.End.Equal(want.Valid.End) {
		t.Errorf("feature %s: validity %s, want %s", want.ID, got.Valid, want.Valid)
	}
	if !reflect.DeepEqual(got.Sources, want.Sources) {
		t.Errorf("feature %s: sources %+v, want %+v", want.ID, got.Sources, want.Sources)
	}
	if enc := encodedOf(t, got); enc != nil {
		if w, err := propjson.Encode(want); err != nil || !bytes.Equal(enc, w) {
			t.Errorf("feature %s: PropertiesJSON\n got %s\nwant %s (%v)", want.ID, enc, w, err)
		}
	}
}

func ids(fs []geo.Feature) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func describe(q geo.Query) string {
	var parts []string
	if q.BBox != nil {
		parts = append(parts, fmt.Sprintf("bbox=%v,%v", q.BBox.Min, q.BBox.Max))
	}
	if !q.Time.IsUnbounded() {
		parts = append(parts, "datetime="+q.Time.String())
	}
	for _, k := range sortedKeys(q.Filters) {
		parts = append(parts, k+"="+q.Filters[k])
	}
	if q.Limit != 0 || q.Offset != 0 {
		parts = append(parts, fmt.Sprintf("limit=%d offset=%d", q.Limit, q.Offset))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkCollection compares a collection's catalogue fields, count, property
// names and extent with the fixture's.
func checkCollection(t *testing.T, got, want geo.Collection) {
	t.Helper()
	if got.ID != want.ID || got.Title != want.Title || got.Description != want.Description ||
		got.GeometryType != want.GeometryType || got.Dated != want.Dated || got.GroupKey != want.GroupKey ||
		got.Attribution != want.Attribution || got.License != want.License || got.LicenseURL != want.LicenseURL {
		t.Errorf("collection %s: catalogue fields\n got %+v\nwant %+v", want.ID, got, want)
	}
	if !sameStrings(got.Required, want.Required) {
		t.Errorf("collection %s: required %v, want %v", want.ID, got.Required, want.Required)
	}
	gs, ws := got.Style, want.Style
	if gs.Property != ws.Property || gs.DefaultColor != ws.DefaultColor || gs.Label != ws.Label || len(gs.Colors) != len(ws.Colors) {
		t.Errorf("collection %s: style %+v, want %+v", want.ID, gs, ws)
	}
	for k, v := range ws.Colors {
		if gs.Colors[k] != v {
			t.Errorf("collection %s: style colour %s = %q, want %q", want.ID, k, gs.Colors[k], v)
		}
	}
	if got.Count != want.Count {
		t.Errorf("collection %s: count %d, want %d", want.ID, got.Count, want.Count)
	}
	if !sameStrings(got.Properties, want.Properties) {
		t.Errorf("collection %s: properties %v, want %v", want.ID, got.Properties, want.Properties)
	}
	if got.Extent.Empty != want.Extent.Empty || !nearBound(got.Extent.Bound, want.Extent.Bound) {
		t.Errorf("collection %s: spatial extent %v (empty %v), want %v (empty %v)",
			want.ID, got.Extent.Bound, got.Extent.Empty, want.Extent.Bound, want.Extent.Empty)
	}
	if !got.Extent.Time.Start.Equal(want.Extent.Time.Start) || !got.Extent.Time.End.Equal(want.Extent.Time.End) {
		t.Errorf("collection %s: temporal extent %s, want %s", want.ID, got.Extent.Time, want.Extent.Time)
	}
}

func sameStrings(a, b []string) bool { return len(a) == len(b) && (len(a) == 0 || slices.Equal(a, b)) }

func nearBound(a, b orb.Bound) bool {
	for _, d := range []float64{a.Min[0] - b.Min[0], a.Min[1] - b.Min[1], a.Max[0] - b.Max[0], a.Max[1] - b.Max[1]} {
		if math.Abs(d) > ExtentTolerance {
			return false
		}
	}
	return true
}

func (c checker) version(t *testing.T) {
	ctx := context.Background()
	v1, err := c.store.Version(ctx)
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	if v1 == "" {
		t.Error("Version is empty")
	}
	v2, err := c.store.Version(ctx)
	if err != nil || v2 != v1 {
		t.Errorf("Version changed without a change of data: %q then %q (%v)", v1, v2, err)
	}
}

func (c checker) ping(t *testing.T) {
	if err := c.store.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// canceled checks that a store honours a context canceled before the call.
func (c checker) canceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func() error{
		"Collections": func() error { _, err := c.store.Collections(ctx); return err },
		"Collection":  func() error { _, err := c.store.Collection(ctx, "facilities"); return err },
		"Items":       func() error { _, err := c.store.Items(ctx, "facilities", geo.Query{}); return err },
		"Item":        func() error { _, err := c.store.Item(ctx, "facilities", "al-hol-1"); return err },
	}
	names := []string{"Collections", "Collection", "Items", "Item"}
	if es, ok := c.store.(geo.EncodedItemStore); ok {
		calls["ItemEncoded"] = func() error { _, err := es.ItemEncoded(ctx, "facilities", "al-hol-1"); return err }
		names = append(names, "ItemEncoded")
	}
	for _, name := range names {
		err := calls[name]()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v, want an error matching context.Canceled", name, err)
		}
	}
}
