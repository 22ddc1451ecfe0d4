package handlers

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// Dated state changes only on a few dates, and thousands of readers ask for
// the same layers at the same dates, so the server keeps what it encoded:
//
//   - whole answers, keyed by what their strong ETag is derived from (data
//     version, base URL, path, canonical query, variant), with their gzip
//     form made on first demand; a hit touches neither the store nor the
//     encoder;
//   - the features of an items answer and the bytes of a tile, keyed by the
//     data version, the collection and the query with its time reduced to
//     geo.Changes.Key: every date between two changes of the layer shares
//     one entry, and only the links and the answer around it are written
//     per URL;
//   - per data version, each collection's description and change times.
//
// Every key holds the data version, so a change of data is a miss without
// any purge; old entries age out of the LRU. Concurrent misses of one key
// build it once.

// Defaults of the cache.
const (
	// DefaultCacheBytes is the size of the cache when Options.CacheBytes is zero.
	DefaultCacheBytes = 64 << 20
	// cacheEntryShare: an entry larger than 1/cacheEntryShare of the cache
	// is served but not kept (a whole-layer download), so that one answer
	// cannot flush everything else.
	cacheEntryShare = 8
)

// snapshots is a bounded LRU of encoded answers and what they are built
// from, with the builds in flight. It is safe for concurrent use.
type snapshots struct {
	max int64 // bytes; 0: keep nothing

	mu       sync.Mutex
	used     int64
	order    list.List // of *cacheEntry, most recently used first
	entries  map[string]*list.Element
	inflight map[string]*build

	hits, misses atomic.Int64
}

type cacheEntry struct {
	key  string
	val  any
	size int64
}

// build is a value being built for a key; waiters block on done.
type build struct {
	done chan struct{}
	val  any
	err  error
}

// cacheBytes is the size of the cache for Options.CacheBytes.
func cacheBytes(opt int64) int64 {
	switch {
	case opt == 0:
		return DefaultCacheBytes
	case opt < 0:
		return 0
	}
	return opt
}

// purgeWith returns the purge of POST /admin/cache/purge: this server's
// cache, then purge (Options.Purge) when not nil.
func (s *server) purgeWith(purge func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		s.snaps.purge()
		if purge != nil {
			return purge(ctx)
		}
		return nil
	}
}

func newSnapshots(max int64) *snapshots {
	return &snapshots{max: max, entries: map[string]*list.Element{}, inflight: map[string]*build{}}
}

// get returns the value kept for key.
func (c *snapshots) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).val, true
}

// add keeps val of the given size under key, evicting the least recently
// used entries beyond the cache's size. A value too large is not kept.
func (c *snapshots) add(key string, val any, size int64) {
	if c.max <= 0 || size > c.max/cacheEntryShare {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		e.val = val
		c.resize(el, size)
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, val: val, size: 0})
	c.resize(c.entries[key], size)
}

// resize sets the size of an entry, makes it the most recently used and
// evicts the least recently used entries beyond the cache's size. c.mu is held.
func (c *snapshots) resize(el *list.Element, size int64) {
	e := el.Value.(*cacheEntry)
	c.used += size - e.size
	e.size = size
	c.order.MoveToFront(el)
	for c.used > c.max && c.order.Len() > 0 {
		last := c.order.Back()
		old := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.entries, old.key)
		c.used -= old.size
	}
}

// grow adds delta bytes to the size of key's entry, if it is still kept
// (the gzip form of an answer, made after the answer was kept).
func (c *snapshots) grow(key string, delta int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.resize(el, el.Value.(*cacheEntry).size+delta)
	}
}

// purge forgets every entry.
func (c *snapshots) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[string]*list.Element{}
	c.order.Init()
	c.used = 0
}

// stats returns the entries kept, their bytes, and hits and misses so far.
func (c *snapshots) stats() (entries int, bytes, hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.used, c.hits.Load(), c.misses.Load()
}

// do returns the value kept for key, or builds it with make (once for all
// concurrent callers of the same key), keeps it and returns it; hit reports
// whether it was kept already. fill returns the value and its size; in a
// request answered stale (the store unavailable) a miss fails with the
// store's error instead. When
// the caller that built it failed because its own request ended, the others
// build it again themselves rather than fail too.
func (c *snapshots) do(ctx context.Context, key string, fill func() (any, int64, error)) (val any, hit bool, err error) {
	if v, ok := c.get(key); ok {
		c.hits.Add(1)
		return v, true, nil
	}
	c.misses.Add(1)
	if err := staleErr(ctx); err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if b, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		if b.err == nil || !(errors.Is(b.err, context.Canceled) || errors.Is(b.err, context.DeadlineExceeded)) {
			return b.val, false, b.err
		}
		v, size, err := fill()
		if err == nil {
			c.add(key, v, size)
		}
		return v, false, err
	}
	b := &build{done: make(chan struct{})}
	c.inflight[key] = b
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.inflight, key)
		c.mu.Unlock()
		close(b.done)
	}()
	var size int64
	b.val, size, b.err = fill()
	if b.err == nil {
		c.add(key, b.val, size)
	}
	return b.val, false, b.err
}

// answer is a whole encoded answer.
type answer struct {
	body      []byte
	mediaType string
	header    map[string]string // headers the builder set (cachedHeaders)
	gz        atomic.Pointer[[]byte]
}

// cachedHeaders are the headers a builder may set that belong to the answer.
var cachedHeaders = [...]string{"Link", "Content-Disposition"}

// gzipped returns the answer's gzip form, compressing it on first demand.
// kept is called with the bytes added when this call made it.
func (a *answer) gzipped(kept func(n int)) []byte {
	if b := a.gz.Load(); b != nil {
		return *b
	}
	z := gzipBytes(a.body)
	if a.gz.CompareAndSwap(nil, &z) {
		kept(len(z))
		return z
	}
	return *a.gz.Load()
}

// gzipWriters reuses compressors, which are costly to make.
var gzipWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression); return w }}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b)/4 + 64)
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&buf)
	_, _ = w.Write(b) // a bytes.Buffer does not fail
	_ = w.Close()
	gzipWriters.Put(w)
	return buf.Bytes()
}

// versionKey is where requestVersion keeps the data version of a request.
const versionKey = "controlmap.dataVersion"

// requestVersion returns the store's data version, asking the store once
// per request.
//
// While the store is unavailable it returns instead the last version the
// store told (lastVersion), and marks the request stale by putting the
// store's error in its context: what the cache holds for that version is
// still served (respond marks it stale), and a cache miss fails at once
// with that error (snapshots.do), giving 503 with Retry-After. Before the
// store has answered once, or without a cache, it fails at once.
func (s *server) requestVersion(c echo.Context) (string, error) {
	if v, ok := c.Get(versionKey).(string); ok {
		return v, nil
	}
	ctx := c.Request().Context()
	v, err := s.store.Version(ctx)
	switch {
	case err == nil:
		// Not atomic with Version: a slow request may store a version
		// older than one just stored. The next request puts it right;
		// meanwhile an outage would serve the older version's answers,
		// still marked stale.
		if last := s.lastVersion.Load(); last == nil || *last != v {
			s.lastVersion.Store(&v)
		}
	default:
		last := s.lastVersion.Load()
		if last == nil || s.snaps.max <= 0 || !unavailable(ctx, err) {
			return "", err
		}
		v = *last
		c.SetRequest(c.Request().WithContext(context.WithValue(ctx, staleErrKey{}, err)))
	}
	c.Set(versionKey, v)
	return v, nil
}

// unavailable reports whether err means the store cannot answer now (down,
// or too slow) rather than that this request's client went away.
func unavailable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	return errors.Is(err, geo.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// staleErrKey keys, in the context of a request answered stale, the
// store's error: a cache miss returns it instead of calling the store.
type staleErrKey struct{}

// staleErr returns the store's error when ctx is a request answered stale.
func staleErr(ctx context.Context) error {
	err, _ := ctx.Value(staleErrKey{}).(error)
	return err
}

// isStale reports whether requestVersion answered this request with the
// last known version because the store is unavailable.
func isStale(c echo.Context) bool { return staleErr(c.Request().Context()) != nil }

// cachedCollection returns a collection's description at the request's
// data version (counts, extents and property names are costly for a
// database to compute on every request).
func (s *server) cachedCollection(c echo.Context, id string) (geo.Collection, error) {
	version, err := s.requestVersion(c)
	if err != nil {
		return geo.Collection{}, err
	}
	ctx := c.Request().Context()
	v, _, err := s.snaps.do(ctx, keyOf("meta", version, id), func() (any, int64, error) {
		col, err := s.store.Collection(ctx, id)
		return col, int64(1024 + 64*len(col.Properties)), err
	})
	if err != nil {
		return geo.Collection{}, err
	}
	return v.(geo.Collection), nil
}

// timeKey returns the part of a cache key that stands for the time iv of a
// query on collection: geo.Changes.Key when the store tells its change
// times (every date between two changes shares it), else iv itself.
func (s *server) timeKey(ctx context.Context, version, collection string, iv geo.Interval) string {
	if iv.IsUnbounded() {
		return "all"
	}
	cs, ok := s.store.(geo.ChangeStore)
	if !ok {
		return iv.String()
	}
	v, _, err := s.snaps.do(ctx, keyOf("changes", version, collection), func() (any, int64, error) {
		ch, err := cs.Changes(ctx, collection)
		if err != nil {
			return nil, 0, err
		}
		return ch, int64(256 + 32*ch.Len()), nil
	})
	if err != nil {
		return iv.String() // answer without sharing rather than fail
	}
	return "epoch " + v.(*geo.Changes).Key(iv)
}

// keyOf joins the parts of a cache key unambiguously.
func keyOf(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}

// queryKey is the part of a cache key for a query's filters and paging.
func queryKey(q geo.Query) string {
	parts := []string{boundKey(q.BBox), strconv.Itoa(q.Limit), strconv.Itoa(q.Offset)}
	for _, k := range sortedKeys(q.Filters) {
		parts = append(parts, k, q.Filters[k])
	}
	return keyOf(parts...)
}

func boundKey(b *orb.Bound) string {
	if b == nil {
		return "-"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return f(b.Min[0]) + "," + f(b.Min[1]) + "," + f(b.Max[0]) + "," + f(b.Max[1])
}

// featuresSection is the features of an items answer, encoded: everything
// between the brackets of "features":[...], and the counts.
type featuresSection struct {
	features []byte
	returned int
	matched  int
}

// itemsSection returns the encoded features of an items request, shared by
// every request for the same collection, query, properties and precision at
// a time between the same changes.
func (s *server) itemsSection(ctx context.Context, version string, col geo.Collection, r itemsRequest) (*featuresSection, error) {
	props := "*"
	if r.properties != nil {
		props = keyOf(r.properties...)
	}
	key := keyOf("items", version, col.ID, s.timeKey(ctx, version, col.ID, r.query.Time), queryKey(r.query), props, strconv.Itoa(r.precision))
	v, _, err := s.snaps.do(ctx, key, func() (any, int64, error) {
		page, err := s.store.Items(ctx, col.ID, r.query)
		if err != nil {
			return nil, 0, err
		}
		var buf bytes.Buffer
		for i, f := range page.Features {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := s.writeCachedFeature(&buf, version, col.ID, f, r.properties, props, r.precision); err != nil {
				return nil, 0, err
			}
		}
		sec := &featuresSection{features: buf.Bytes(), returned: len(page.Features), matched: page.NumberMatched}
		return sec, int64(len(sec.features) + 128), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*featuresSection), nil
}

// featureCacheMin is the size from which a feature's encoding is kept on
// its own: polygons of hundreds of vertices, which bbox queries shifted a
// little (a map panned, an analyst's next box) return again and again.
// Smaller features are cheaper to encode than to look up.
const featureCacheMin = 2048

// writeCachedFeature writes one feature of an items answer, from the cache
// when a large feature was encoded before at this data version with the
// same properties and precision.
func (s *server) writeCachedFeature(buf *bytes.Buffer, version, collection string, f geo.Feature, properties []string, propsKey string, precision int) error {
	if _, ok := f.Geometry.(orb.Point); ok {
		return writeFeature(buf, f, properties, precision, nil)
	}
	key := keyOf("feature", version, collection, f.ID, propsKey, strconv.Itoa(precision))
	if v, ok := s.snaps.get(key); ok {
		buf.Write(v.([]byte))
		return nil
	}
	start := buf.Len()
	if err := writeFeature(buf, f, properties, precision, nil); err != nil {
		return err
	}
	if n := buf.Len() - start; n >= featureCacheMin {
		s.snaps.add(key, bytes.Clone(buf.Bytes()[start:]), int64(n+128))
	}
	return nil
}
