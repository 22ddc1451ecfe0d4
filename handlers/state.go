package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/cache"
)

// This file owns the data version of a request and stale serving.
//
// A request asks the store for its data version once (Store.Version: a
// cached counter in both stores, no query). What the server needs to know
// of that version besides its cached answers — when it first saw it, every
// collection's description and the times at which each collection changes
// — is a dataState, loaded once per version from the store's maintained
// summaries and shared by every request at that version, whether or not
// the response cache is on. Nothing here is recomputed per request.
//
// While the store is unavailable, a request is answered at the last
// version the server loaded, marked stale: its context is made with
// cache.OnlyCached, so the caches serve what they hold and a miss fails at
// once with the store's error (503 with Retry-After) instead of asking the
// store again.

// dataState is what the server knows of one data version. It is immutable
// once loaded (but for the measure in known) and safe for concurrent use.
type dataState struct {
	version string
	// stamp is when this server first saw the version, truncated to the
	// second: the timeStamp of every answer built from it, so that a body
	// is a function of the version and the request (a strong ETag needs it).
	stamp time.Time
	// stampText is stamp in RFC 3339: part of every answer's cache key,
	// and the timeStamp member of pages.
	stampText string
	cols      []geo.Collection // catalogue order
	index     map[string]int   // collection id -> position in cols
	// names are, by position in cols, the property names a request may
	// filter on and select, derived once per version rather than per
	// request.
	names []collectionNames
	// changes are the change times of each dated collection with features.
	changes map[string]*geo.Changes
	// known are, by position in cols, how much of its recent items pages
	// the features cache held (sections.go): the one part of a state that
	// changes after it is loaded, a measure only.
	known []knownShare
}

// collectionNames are the property names requests may use of one
// collection: as equality filters (filterable) and in properties
// (selectable).
type collectionNames struct {
	filterable, selectable []string
}

// requestCollection is a collection as a request about it sees it: its
// description and the names it accepts.
type requestCollection struct {
	geo.Collection
	collectionNames
}

// collection returns the description of collection id.
func (d *dataState) collection(id string) (geo.Collection, bool) {
	c, ok := d.requestCollection(id)
	return c.Collection, ok
}

// requestCollection returns collection id with the names it accepts.
func (d *dataState) requestCollection(id string) (requestCollection, bool) {
	i, ok := d.index[id]
	if !ok {
		return requestCollection{}, false
	}
	return requestCollection{d.cols[i], d.names[i]}, true
}

// knownShare returns the share of collection's features other than points
// that recent pages wrote from the features cache, nil for an unknown
// collection.
func (d *dataState) knownShare(collection string) *knownShare {
	i, ok := d.index[collection]
	if !ok {
		return nil
	}
	return &d.known[i]
}

// timeKey returns the part of a cache key that stands for the time iv of a
// query on collection: every time between the same two changes of the
// collection has the same key (geo.Changes.Key).
func (d *dataState) timeKey(collection string, iv geo.Interval) string {
	if iv.IsUnbounded() {
		return "all"
	}
	ch, ok := d.changes[collection]
	if !ok {
		// An undated or empty collection: every time matches the same features.
		if col, found := d.collection(collection); found && (!col.Dated || col.Count == 0) {
			return "all"
		}
		return "t " + iv.String()
	}
	return "epoch " + ch.Key(iv)
}

// changeTimes returns every change time of the dated collections, sorted,
// without repeats.
func (d *dataState) changeTimes() []time.Time {
	var all []time.Time
	for _, col := range d.cols {
		if ch, ok := d.changes[col.ID]; ok {
			all = append(all, ch.Times()...)
		}
	}
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(all, func(a, b time.Time) bool { return a.Equal(b) })
}

// loadState reads what the server keeps of the store's current data: the
// collections and each dated collection's change times. version is the
// version the caller was told; the state is labelled with the version the
// store tells after reading, so that the state's data and its label agree
// even when the data changed meanwhile.
func (s *server) loadState(ctx context.Context, version string) (*dataState, error) {
	for attempt := 0; ; attempt++ {
		cols, err := s.store.Collections(ctx)
		if err != nil {
			return nil, err
		}
		d := &dataState{version: version, cols: cols, index: make(map[string]int, len(cols)),
			names: make([]collectionNames, len(cols)), changes: map[string]*geo.Changes{}, known: make([]knownShare, len(cols))}
		for i, col := range cols {
			d.index[col.ID] = i
			d.names[i] = collectionNames{filterable: filterable(col), selectable: selectable(col)}
			if !col.Dated || col.Count == 0 {
				continue
			}
			ch, err := s.changesOf(ctx, col.ID)
			if err != nil {
				return nil, err
			}
			d.changes[col.ID] = ch
		}
		after, err := s.store.Version(ctx)
		if err != nil {
			return nil, err
		}
		if after == version || attempt == 2 {
			d.version = after
			return d, nil
		}
		version = after // changed while reading: read again
	}
}

// changesOf returns the change times of a collection: from the store when
// it tells them (geo.ChangeStore), else from its features.
func (s *server) changesOf(ctx context.Context, collection string) (*geo.Changes, error) {
	if cs, ok := s.store.(geo.ChangeStore); ok {
		return cs.Changes(ctx, collection)
	}
	page, err := s.store.Items(ctx, collection, geo.Query{})
	if err != nil {
		return nil, err
	}
	return geo.ChangesOf(page.Features), nil
}

// stateAt returns the state of version, loading it when the server has not
// yet. Loads are one at a time; a request waiting for another's load gives
// up when its own context ends.
func (s *server) stateAt(ctx context.Context, version string) (*dataState, error) {
	if d := s.state.Load(); d != nil && d.version == version {
		return d, nil
	}
	select {
	case s.loading <- struct{}{}:
		defer func() { <-s.loading }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	last := s.state.Load()
	if last != nil && last.version == version {
		return last, nil
	}
	d, err := s.loadState(ctx, version)
	if err != nil {
		return nil, fmt.Errorf("handlers: load data version %s: %w", version, err)
	}
	d.stamp = s.now().UTC().Truncate(time.Second)
	if last != nil && last.version == d.version {
		d.stamp = last.stamp // the same version read again: keep its stamp
	}
	d.stampText = d.stamp.Format(time.RFC3339)
	s.state.Store(d)
	return d, nil
}

// stateKey is where data keeps the state of a request in its echo.Context.
const stateKey = "controlmap.dataState"

// data returns the data state of the request, asking the store for its
// version once per request.
//
// While the store is unavailable it returns instead the last state loaded
// and marks the request stale (cache.OnlyCached with the store's error):
// what the caches hold is still served (respond marks it stale), and a miss
// fails at once with that error. Before the store has answered once, or
// with the response cache off, it fails at once.
func (s *server) data(c echo.Context) (*dataState, error) {
	if d, ok := c.Get(stateKey).(*dataState); ok {
		return d, nil
	}
	ctx := c.Request().Context()
	v, err := s.store.Version(ctx)
	var d *dataState
	if err == nil {
		d, err = s.stateAt(ctx, v)
	}
	if err != nil {
		last := s.state.Load()
		if last == nil || s.budget.Max() <= 0 || !unavailable(ctx, err) {
			return nil, err
		}
		d = last
		c.SetRequest(c.Request().WithContext(cache.OnlyCached(ctx, err)))
	}
	c.Set(stateKey, d)
	return d, nil
}

// unavailable reports whether err means the store cannot answer now (down,
// or too slow) rather than that this request's client went away.
func unavailable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	return errors.Is(err, geo.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// isStale reports whether data answered this request with the last state
// loaded because the store is unavailable.
func isStale(c echo.Context) bool { return cache.MissError(c.Request().Context()) != nil }

// markStale marks an answer given while the store is unavailable: the last
// good one, which may have changed since; caches must ask again.
func (s *server) markStale(c echo.Context) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Del(headerAccelExpires) // no shared cache may keep it
	h.Set("Warning", `110 - "Response is Stale"`)
	h.Set("X-Cache", "stale")
	s.metrics.staleAnswer()
}
