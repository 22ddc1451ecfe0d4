package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/propjson"
)

// The collections of the fixture with their extents, written out by hand.
var wantCollections = []struct {
	id, title  string
	count      int
	bound      orb.Bound
	start, end string // RFC 3339; "" for an open end
	properties []string
}{
	{"facilities", "Detention facilities", 7, bound(40.73, 36.05, 42.05, 36.99), "", "",
		[]string{"confidence", "controller", "estimated", "figures", "name", "name_ar", "population", "position_note", "site", "status"}},
	{"events", "Events", 4, bound(40.73, 36.05, 41.1486, 36.5), "2026-01-19T22:30:00Z", "2026-01-21T18:00:00Z",
		[]string{"count", "kind", "tags", "title"}},
	{"border", "Borders", 2, bound(36.6, 34.4, 42.36, 37.11), "", "",
		[]string{"admin", "name"}},
	{"areas", "Areas of control", 4, bound(38, 35, 44, 37.3), "2026-01-01T00:00:00Z", "",
		[]string{"approximate", "confidence", "controller", "zone"}},
	{"villages", "Villages", 25, bound(38.125, 35.5, 41.125, 35.5), "", "",
		[]string{"district", "even", "n", "name"}},
}

func bound(minLon, minLat, maxLon, maxLat float64) orb.Bound {
	return orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}
}

func rfc3339(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("storetest: bug: %v", err)
	}
	return v
}

func (c checker) collections(t *testing.T) {
	cols, err := c.store.Collections(context.Background())
	if err != nil {
		t.Fatalf("Collections: %v", err)
	}
	if len(cols) != len(wantCollections) {
		t.Fatalf("%d collections, want %d", len(cols), len(wantCollections))
	}
	for i, w := range wantCollections {
		got := cols[i]
		if got.ID != w.id || got.Title != w.title {
			t.Errorf("collection %d is %s %q, want %s %q (catalogue order)", i, got.ID, got.Title, w.id, w.title)
			continue
		}
		// The hand-written summary first, then every field against the fixture.
		if got.Count != w.count {
			t.Errorf("%s: count %d, want %d", w.id, got.Count, w.count)
		}
		if !nearBound(got.Extent.Bound, w.bound) || got.Extent.Empty {
			t.Errorf("%s: bbox %v (empty %v), want %v", w.id, got.Extent.Bound, got.Extent.Empty, w.bound)
		}
		start, end := rfc3339(t, w.start), rfc3339(t, w.end)
		if !got.Extent.Time.Start.Equal(start) || !got.Extent.Time.End.Equal(end) {
			t.Errorf("%s: temporal extent %s, want %s", w.id, got.Extent.Time, geo.Interval{Start: start, End: end})
		}
		if !slices.Equal(got.Properties, w.properties) {
			t.Errorf("%s: properties %v, want %v", w.id, got.Properties, w.properties)
		}
		want, _ := c.fx.Collection(w.id)
		checkCollection(t, got, want)
	}
}

func (c checker) collection(t *testing.T) {
	for _, w := range wantCollections {
		got, err := c.store.Collection(context.Background(), w.id)
		if err != nil {
			t.Errorf("Collection(%s): %v", w.id, err)
			continue
		}
		want, _ := c.fx.Collection(w.id)
		checkCollection(t, got, want)
	}
}

func (c checker) collectionNotFound(t *testing.T) {
	for _, id := range []string{"nope", "", "Facilities", "facilities ", "../facilities"} {
		_, err := c.store.Collection(context.Background(), id)
		if !errors.Is(err, geo.ErrNotFound) {
			t.Errorf("Collection(%q): %v, want ErrNotFound", id, err)
		}
	}
}

func (c checker) item(t *testing.T) {
	for _, tc := range []struct{ collection, id string }{
		{"facilities", "al-hol-1"},
		{"facilities", "al-hol-3"},
		{"facilities", "roj-1"},
		{"events", "2026-01-20-ceasefire"},
		{"border", "border-Turkey"},
		{"areas", "ne-2"},
		{"villages", "v25"},
	} {
		got, err := c.store.Item(context.Background(), tc.collection, tc.id)
		if err != nil {
			t.Errorf("Item(%s, %s): %v", tc.collection, tc.id, err)
			continue
		}
		want := c.fixtureFeature(t, tc.collection, tc.id)
		c.checkFeature(t, got, want)
		if es, ok := c.store.(geo.EncodedItemStore); ok {
			enc, err := es.ItemEncoded(context.Background(), tc.collection, tc.id)
			if err != nil {
				t.Errorf("ItemEncoded(%s, %s): %v", tc.collection, tc.id, err)
				continue
			}
			c.checkEncodedFeature(t, enc, want)
		}
	}
}

// checkEncodedFeature checks a feature asked for with its properties
// encoded (geo.EncodedItemStore) against the fixture's: id, geometry,
// validity, the properties an answer writes, and its values where the
// store gave them.
func (c checker) checkEncodedFeature(t *testing.T, got, want geo.Feature) {
	t.Helper()
	wantProps, err := propjson.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	if w := written(t, got); !bytes.Equal(w, wantProps) {
		t.Errorf("feature %s encoded: properties\n got %s\nwant %s", want.ID, w, wantProps)
	}
	if got.Properties == nil && got.Sources == nil {
		got.Properties, got.Sources = want.Properties, want.Sources // left out, as allowed
	}
	c.checkFeature(t, got, want)
}

func (c checker) itemNotFound(t *testing.T) {
	for _, tc := range []struct{ collection, id string }{
		{"facilities", "nope"},
		{"facilities", ""},
		{"facilities", "AL-HOL-1"},
		{"facilities", "v01"}, // exists, in another collection
		{"nope", "al-hol-1"},
		{"", "al-hol-1"},
	} {
		_, err := c.store.Item(context.Background(), tc.collection, tc.id)
		if !errors.Is(err, geo.ErrNotFound) {
			t.Errorf("Item(%q, %q): %v, want ErrNotFound", tc.collection, tc.id, err)
		}
		if es, ok := c.store.(geo.EncodedItemStore); ok {
			if _, err := es.ItemEncoded(context.Background(), tc.collection, tc.id); !errors.Is(err, geo.ErrNotFound) {
				t.Errorf("ItemEncoded(%q, %q): %v, want ErrNotFound", tc.collection, tc.id, err)
			}
		}
	}
}

func (c checker) itemsAll(t *testing.T) {
	all := map[string][]string{
		"facilities": {"al-hol-1", "al-hol-2", "al-hol-3", "roj-1", "shaddadi-1", "shaddadi-2", "shaddadi-3"},
		"events":     {"2026-01-19-shaddadi-escape", "2026-01-20-ceasefire", "2026-01-21-hol-handover", "2026-01-21-transfer"},
		"border":     {"border-Turkey", "border-iraq"}, // byte order: 'T' < 'i'
		"areas":      {"corridor-1", "hasakah-1", "ne-1", "ne-2"},
		"villages":   villageIDs(1, 25),
	}
	for _, w := range wantCollections {
		t.Run(w.id, func(t *testing.T) {
			c.checkPage(t, w.id, c.items(t, w.id, geo.Query{}), all[w.id], len(all[w.id]))
			c.checkEncodedPage(t, w.id, c.items(t, w.id, geo.Query{EncodedProperties: true}), all[w.id], len(all[w.id]))
		})
	}
}

func (c checker) itemsUnknownCollection(t *testing.T) {
	for _, id := range []string{"nope", "", "Villages"} {
		_, err := c.store.Items(context.Background(), id, geo.Query{})
		if !errors.Is(err, geo.ErrNotFound) {
			t.Errorf("Items(%q): %v, want ErrNotFound", id, err)
		}
	}
}

// datetime runs the change-date cases, each a day or an instant on
// facilities, and checks that each finds exactly one version of each thing.
func (c checker) datetime(t *testing.T) {
	for _, tc := range datetimeCases() {
		t.Run(tc.name, func(t *testing.T) {
			page := c.items(t, tc.collection, tc.q)
			c.checkPage(t, tc.collection, page, tc.want, len(tc.want))
			seen := map[string]int{}
			for _, f := range page.Features {
				seen[f.Thing]++
			}
			for _, thing := range []string{"al-hol", "shaddadi", "roj"} {
				if seen[thing] != 1 {
					t.Errorf("%d versions of %s, want exactly 1", seen[thing], thing)
				}
			}
		})
	}
}

func (c checker) paging(t *testing.T) {
	for _, tc := range pagingCases() {
		t.Run(tc.name, func(t *testing.T) {
			c.checkPage(t, tc.collection, c.items(t, tc.collection, tc.q), tc.want, tc.matched)
		})
	}
}

// pagesConcatenate walks every collection in pages of several sizes and checks
// that the pages joined are the whole, with the right total on every page.
func (c checker) pagesConcatenate(t *testing.T) {
	for _, w := range wantCollections {
		for _, limit := range []int{1, 2, 3, 7, 10, 24, 25, 26} {
			var got []geo.Feature
			for offset := 0; ; offset += limit {
				page := c.items(t, w.id, geo.Query{Limit: limit, Offset: offset})
				if page.NumberMatched != w.count {
					t.Errorf("%s limit %d offset %d: NumberMatched %d, want %d", w.id, limit, offset, page.NumberMatched, w.count)
				}
				if len(page.Features) > limit {
					t.Fatalf("%s limit %d offset %d: %d features", w.id, limit, offset, len(page.Features))
				}
				got = append(got, page.Features...)
				if len(page.Features) < limit || offset > w.count {
					break
				}
			}
			whole := c.items(t, w.id, geo.Query{})
			if !slices.Equal(ids(got), ids(whole.Features)) || len(got) != w.count {
				t.Errorf("%s in pages of %d: %v, want %v", w.id, limit, ids(got), ids(whole.Features))
			}
		}
	}
}
