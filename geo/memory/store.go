package memory

import (
	"context"
	"fmt"
	"io/fs"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

var (
	_ geo.Store      = (*Store)(nil)
	_ geo.LocalStore = (*Store)(nil) // it answers from memory: handlers bound how much it computes at once
)

// Store is a geo.Store over a dataset in memory. It is safe for concurrent
// use: queries read one immutable snapshot; Reload and Swap replace it
// atomically. Features and collections it returns share memory with the
// snapshot and must not be modified.
type Store struct {
	snap atomic.Pointer[snapshot]
	gen  atomic.Uint64 // counts swaps, for the version of datasets without a digest
	// reloading holds a token while a reload runs, so that reloads run one
	// at a time (an older read of the folder never replaces a newer one)
	// and one waiting for its turn can give up when its context ends.
	reloading chan struct{}
}

// snapshot is one dataset ready to query. It is never modified once built.
type snapshot struct {
	version     string
	collections []geo.Collection
	byID        map[string]*collection
}

// New returns a store serving ds. The dataset must not be modified afterwards.
func New(ds *geo.Dataset) *Store {
	s := &Store{reloading: make(chan struct{}, 1)}
	s.Swap(ds)
	return s
}

// Load is LoadContext with a context that is never done.
func Load(fsys fs.FS) (*Store, error) {
	return LoadContext(context.Background(), fsys)
}

// LoadContext reads and validates a dataset folder with geo.LoadDirContext
// and returns a store serving it. A dataset with problems gives a
// *geo.LoadError; once ctx is done, loading stops with an error matching
// ctx.Err().
func LoadContext(ctx context.Context, fsys fs.FS) (*Store, error) {
	ds, err := geo.LoadDirContext(ctx, fsys)
	if err != nil {
		return nil, fmt.Errorf("memory: load: %w", err)
	}
	s := New(ds)
	releaseMemory()
	return s, nil
}

// releaseMemory returns to the operating system the memory that decoding a
// dataset used and no longer needs (several times the data's size), instead
// of letting the process keep it until the runtime gets round to it.
func releaseMemory() { debug.FreeOSMemory() }

// Reload is ReloadContext with a context that is never done.
func (s *Store) Reload(fsys fs.FS) error {
	return s.ReloadContext(context.Background(), fsys)
}

// ReloadContext reads and validates a dataset folder and, only if it loads
// whole, serves it in place of the current one. On error the store keeps
// serving the old data and the error (a *geo.LoadError for invalid data) is
// returned; ReloadContext logs nothing. Reloads run one at a time. Once ctx
// is done, a reload waiting for its turn or loading stops, and its error
// matches ctx.Err(); nothing of it is served.
func (s *Store) ReloadContext(ctx context.Context, fsys fs.FS) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: reload: %w", err)
	}
	select {
	case s.reloading <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("memory: reload: waiting for the reload before it: %w", ctx.Err())
	}
	defer func() { <-s.reloading }()
	ds, err := geo.LoadDirContext(ctx, fsys)
	if err != nil {
		return fmt.Errorf("memory: reload: %w", err)
	}
	s.Swap(ds)
	releaseMemory()
	return nil
}

// Swap serves ds from now on. Calls already running finish on the dataset
// they started with. ds must not be nil nor modified afterwards. Extents,
// counts and property names are recomputed from its features, which need not
// be sorted.
func (s *Store) Swap(ds *geo.Dataset) {
	version := ds.Digest
	if version == "" {
		// A dataset built in code has no digest: number it instead.
		version = fmt.Sprintf("mem-%d", s.gen.Add(1))
	}
	s.snap.Store(newSnapshot(ds, version))
}

func newSnapshot(ds *geo.Dataset, version string) *snapshot {
	snap := &snapshot{version: version, byID: make(map[string]*collection, len(ds.Collections))}
	for _, meta := range ds.Collections {
		feats := ds.Features[meta.ID]
		if !slices.IsSortedFunc(feats, byID) {
			feats = slices.Clone(feats)
			slices.SortFunc(feats, byID)
		}
		meta.Extent, meta.Count, meta.Properties = geo.Summarize(feats)
		snap.byID[meta.ID] = newCollection(meta, feats)
		snap.collections = append(snap.collections, meta)
	}
	return snap
}

func byID(a, b geo.Feature) int { return strings.Compare(a.ID, b.ID) }

func (s *Store) lookup(ctx context.Context, id string) (*collection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, ok := s.snap.Load().byID[id]
	if !ok {
		return nil, fmt.Errorf("memory: collection %q: %w", id, geo.ErrNotFound)
	}
	return c, nil
}

// Collections lists every collection in catalogue order.
func (s *Store) Collections(ctx context.Context) ([]geo.Collection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.Clone(s.snap.Load().collections), nil
}

// Collection returns one collection by id, or an error matching
// geo.ErrNotFound.
func (s *Store) Collection(ctx context.Context, id string) (geo.Collection, error) {
	c, err := s.lookup(ctx, id)
	if err != nil {
		return geo.Collection{}, err
	}
	return c.meta, nil
}

// Item returns one feature by id, or an error matching geo.ErrNotFound.
func (s *Store) Item(ctx context.Context, collection, id string) (geo.Feature, error) {
	c, err := s.lookup(ctx, collection)
	if err != nil {
		return geo.Feature{}, err
	}
	i, found := c.ids.find(c.recs, id)
	if !found {
		return geo.Feature{}, fmt.Errorf("memory: feature %q in %q: %w", id, collection, geo.ErrNotFound)
	}
	return c.feature(i, false), nil
}

// Items returns the page of features matching q in id order, and how many
// matched in all. A bbox query reads only the candidates the spatial index
// finds; every candidate is then tested exactly, as geo.Query.Match does.
// Only the features of the page are built; the others are counted.
func (s *Store) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	c, err := s.lookup(ctx, collection)
	if err != nil {
		return geo.Page{}, err
	}
	var page geo.Page
	if q.Filter != nil {
		// A filter's spatial functions can cost milliseconds a feature:
		// like the PostGIS store's statement timeout, a bound on the
		// work, checked as the candidates are read.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, FilterTimeout)
		defer cancel()
	}
	if len(q.SortBy) > 0 {
		return c.sorted(ctx, &q)
	}
	// The page's records are gathered first and its features built once
	// their number is known: a picture's 50,000 points grown by doubling
	// allocated and copied twice their 9 MB.
	n := 0
	var recs []int32
	keep := func(i int) {
		n++
		if !c.match(i, &q) {
			return
		}
		if page.NumberMatched >= q.Offset && (q.Limit <= 0 || len(recs) < q.Limit) {
			recs = append(recs, int32(i))
		}
		page.NumberMatched++
	}
	idx, all := c.candidates(&q)
	if all {
		for i := range c.recs {
			if keep(i); n&255 == 0 && ctx.Err() != nil {
				return geo.Page{}, fmt.Errorf("memory: items of %q: %w", collection, ctx.Err())
			}
		}
	} else {
		for _, i := range idx {
			if keep(i); n&255 == 0 && ctx.Err() != nil {
				return geo.Page{}, fmt.Errorf("memory: items of %q: %w", collection, ctx.Err())
			}
		}
	}
	if len(recs) > 0 {
		page.Features = make([]geo.Feature, len(recs))
		sel := c.selector(&q)
		for k, i := range recs {
			page.Features[k] = c.featureOf(int(i), &q, sel)
		}
	}
	return page, nil
}

// FilterTimeout bounds the time one query with a CQL2 filter, or one
// territory analytics call, may take, as the PostGIS store's default
// statement timeout does; past it the call fails with
// context.DeadlineExceeded (a 503). It is checked between units of work
// (256 features, one overlay), so a call may overrun it by one unit.
var FilterTimeout = 5 * time.Second

// candidates returns, in id order, the records that may match q: those the
// spatial index finds in the query's box and the filter's (geo.FilterBound),
// or all true (and no list) when neither bounds the search.
func (c *collection) candidates(q *geo.Query) (idx []int, all bool) {
	b, bounded := geo.FilterBound(q.Filter)
	if q.BBox != nil {
		switch {
		case !bounded:
			b, bounded = *q.BBox, true
		case b.Intersects(*q.BBox):
			b = orb.Bound{Min: orb.Point{max(b.Min[0], q.BBox.Min[0]), max(b.Min[1], q.BBox.Min[1])},
				Max: orb.Point{min(b.Max[0], q.BBox.Max[0]), min(b.Max[1], q.BBox.Max[1])}}
		default:
			return nil, false
		}
	}
	if !bounded {
		return nil, true
	}
	return inOrder(c.index.search(b, nil), len(c.recs)), false
}

// sorted answers a query with SortBy: every match, ordered, then paged.
func (c *collection) sorted(ctx context.Context, q *geo.Query) (geo.Page, error) {
	var matches []int
	idx, all := c.candidates(q)
	if all {
		idx = make([]int, len(c.recs))
		for i := range idx {
			idx[i] = i
		}
	}
	for k, i := range idx {
		if k&255 == 0 && ctx.Err() != nil {
			return geo.Page{}, ctx.Err()
		}
		if c.match(i, q) {
			matches = append(matches, i)
		}
	}
	type keyed struct {
		i   int
		row *geo.SortRow
	}
	rows := make([]keyed, len(matches))
	for j, i := range matches {
		rows[j] = keyed{i, c.sortRow(i)}
	}
	slices.SortFunc(rows, func(a, b keyed) int { return geo.CompareSort(q.SortBy, a.row, b.row) })
	for j, r := range rows {
		matches[j] = r.i
	}
	page := geo.Page{NumberMatched: len(matches)}
	start := min(q.Offset, len(matches))
	end := len(matches)
	if q.Limit > 0 {
		end = min(end, start+q.Limit)
	}
	sel := c.selector(q)
	for _, i := range matches[start:end] {
		page.Features = append(page.Features, c.featureOf(i, q, sel))
	}
	return page, nil
}

// Version is the digest of the dataset now served (for a dataset built in
// code without one, "mem-" and a number that changes at every Swap).
func (s *Store) Version(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return s.snap.Load().version, nil
}

// Ping reports nil: an in-memory store can always answer (unless ctx is done).
func (s *Store) Ping(ctx context.Context) error { return ctx.Err() }

// Local marks the store as a geo.LocalStore: it answers from memory.
func (s *Store) Local() {}
