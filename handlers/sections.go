package handlers

import (
	"bytes"
	"context"
	"strconv"
	"sync/atomic"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/cache"
)

// Dated state changes only on a few dates, and readers ask for the same
// layers at many dates between two changes, so besides whole answers
// (cache.go) the server keeps what they are built from, on the same budget:
//
//   - the features of an items answer, keyed by the data version, the
//     collection and the query with its time reduced to the epoch of the
//     layer (dataState.timeKey): every date between two changes shares one
//     entry, and only the links and the envelope are written per URL;
//   - the encoding of each large feature (a polygon of hundreds of
//     vertices), which bbox queries shifted a little return again and again.

// queryKey is the part of a cache key for a query's filters and paging.
func queryKey(q geo.Query) []string {
	parts := []string{boundKey(q.BBox), strconv.Itoa(q.Limit), strconv.Itoa(q.Offset)}
	for _, k := range sortedKeys(q.Filters) {
		parts = append(parts, k, q.Filters[k])
	}
	if q.Filter != nil {
		parts = append(parts, "filter", q.Filter.String())
	}
	for _, k := range q.SortBy {
		if k.Desc {
			parts = append(parts, "sort-", k.Name)
		} else {
			parts = append(parts, "sort+", k.Name)
		}
	}
	return parts
}

func boundKey(b *orb.Bound) string {
	if b == nil {
		return "-"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return f(b.Min[0]) + "," + f(b.Min[1]) + "," + f(b.Max[0]) + "," + f(b.Max[1])
}

// featuresSection is the features of an items answer, encoded: the
// beginning of the answer up to the end of its features, with room after
// them for the members that close it (collectionBody), and the counts.
type featuresSection struct {
	body     []byte // collectionStart and the features
	returned int
	matched  int
	endTaken atomic.Bool // an answer has written its end in body's room
}

// itemsSection returns the encoded features of an items request, shared by
// every request for the same collection, query, properties and precision at
// a time between the same changes.
func (s *server) itemsSection(ctx context.Context, d *dataState, col geo.Collection, r itemsRequest) (*featuresSection, error) {
	props := propsKey(r.properties)
	parts := append([]string{"items", d.version, col.ID, d.timeKey(col.ID, r.query.Time), props, strconv.Itoa(r.precision)}, queryKey(r.query)...)
	sec, _, err := s.sections.Do(ctx, cache.KeyOf(parts...), func() (*featuresSection, int64, error) {
		// A page takes a turn to compute (work.go). A download (every
		// matching feature: a whole layer, perhaps) does not: it shares
		// the processors with the pages and tiles rather than stop them all
		// for as long as it is encoded.
		if !r.download {
			if err := s.work.take(ctx); err != nil {
				return nil, 0, err
			}
			defer s.work.done()
		}
		q := r.query
		q.EncodedProperties = r.properties == nil // written whole from PropertiesJSON and its tail
		share := d.knownShare(col.ID)
		var known map[string]knownFeature
		if !s.local && share.ask() {
			// Most features of recent pages (points aside) came from
			// the features cache: tell the store which of this page's
			// are there, so that it need not read them (PostGIS reads
			// the page's ids first). A store that answers from memory
			// reads nothing and is not asked.
			known = map[string]knownFeature{}
			q.Known = func(id string) bool {
				key := featureKey(d.version, col.ID, id, props, r.precision)
				b, ok := s.features.Get(key)
				known[id] = knownFeature{key: key, body: b}
				return ok
			}
		}
		page, err := s.store.Items(ctx, col.ID, q)
		if err != nil {
			return nil, 0, err
		}
		var use featureUse
		var encoded func(id string) int
		if known != nil {
			encoded = func(id string) int {
				if k := known[id]; k.body != nil {
					return len(k.body)
				}
				return -1
			}
		}
		sec, err := encodeFeatures(page.Features, r.precision, encoded, func(buf *bytes.Buffer, f geo.Feature) error {
			var asked *knownFeature
			if k, ok := known[f.ID]; ok {
				asked = &k
			}
			return s.writeCachedFeature(buf, d.version, col.ID, f, r.properties, props, r.precision, asked, &use)
		})
		if err != nil {
			return nil, 0, err
		}
		share.record(use)
		sec.matched = page.NumberMatched
		return sec, int64(cap(sec.body)), nil // what the entry holds on to
	})
	return sec, err
}

// propsKey is the part of a cache key for the properties selected.
func propsKey(properties []string) string {
	if properties == nil {
		return "*"
	}
	k := cache.KeyOf(properties...)
	return string(k[:])
}

// featureCacheMin is the size from which a feature's encoding is kept on
// its own: polygons of hundreds of vertices. Smaller features are cheaper
// to encode than to look up.
const featureCacheMin = 2048

// featureKey is the features cache's key of the encoding of a feature at
// a data version with the properties (propsKey) and precision of a page.
func featureKey(version, collection, id, propsKey string, precision int) cache.Key {
	return cache.KeyOf("feature", version, collection, id, propsKey, strconv.Itoa(precision))
}

// knownFeature is what a page's geo.Query.Known found of a feature: its
// key, and its encoding when the features cache held it.
type knownFeature struct {
	key  cache.Key
	body []byte
}

// featureUse counts the features of a page that are not points (shapes)
// and how many of them were written from the features cache (cached).
type featureUse struct{ shapes, cached int }

// writeCachedFeature writes one feature of an items answer, from the cache
// when a large feature was encoded before at this data version with the
// same properties and precision, and counts it in use. asked, when not
// nil, is what the page's Known found of the feature: its encoding, or its
// key, missing from the cache already.
func (s *server) writeCachedFeature(buf *bytes.Buffer, version, collection string, f geo.Feature, properties []string, propsKey string, precision int, asked *knownFeature, use *featureUse) error {
	if _, ok := f.Geometry.(orb.Point); ok {
		return writeFeature(buf, f, properties, precision, nil)
	}
	use.shapes++
	var key cache.Key
	var b []byte
	if asked != nil {
		key, b = asked.key, asked.body
	} else {
		key = featureKey(version, collection, f.ID, propsKey, precision)
		b, _ = s.features.Get(key)
	}
	if b != nil {
		buf.Write(b)
		use.cached++
		return nil
	}
	start := buf.Len()
	if err := writeFeature(buf, f, properties, precision, nil); err != nil {
		return err
	}
	if n := buf.Len() - start; n >= featureCacheMin {
		s.features.Add(key, bytes.Clone(buf.Bytes()[start:]), int64(n))
	}
	return nil
}

// knownShare is the share, in percent, of the features of a collection's
// recent items pages that are not points and were written from the
// features cache (which keeps the encodings of large ones): each page that
// has some moves it halfway to its own share. From knownShareMin on, pages
// are asked with geo.Query.Known, which spares PostGIS reading and sending
// the geometries the server holds encoded (a bbox shifted a little, as a
// map panned, returns most of them again); below it, asking would add a
// statement, and a key for each feature, for little.
type knownShare struct{ pct atomic.Int32 }

// knownShareMin is the share from which pages are asked with Known.
const knownShareMin = 50

// ask reports whether the next page should be asked with Known.
func (k *knownShare) ask() bool { return k != nil && k.pct.Load() >= knownShareMin }

// record adds a page's use of the features cache to the share. Concurrent
// pages may lose an update of one another: it is a measure, not a count.
func (k *knownShare) record(use featureUse) {
	if k == nil || use.shapes == 0 {
		return
	}
	k.pct.Store((k.pct.Load() + int32(100*use.cached/use.shapes)) / 2)
}
