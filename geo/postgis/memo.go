package postgis

import (
	"sync"
	"sync/atomic"

	"github.com/controlmap/controlmap/geo"
)

// memo keeps the collection descriptions and change times read at one data
// version, so that while the change feed is live (and so says when the data
// changes) Collections, Collection and Changes ask the database once per
// version instead of once per call. It is safe for concurrent use: the
// catalogue entry is replaced whole, never changed; the changes of a version
// are a sync.Map. Memoized values are shared with callers, as the memory
// store shares its own: callers must not change them.
type memo struct {
	cols    atomic.Pointer[colsEntry]
	changes atomic.Pointer[changesEntry]
}

// colsEntry is the catalogue read at a version.
type colsEntry struct {
	version int64
	cols    []geo.Collection // catalogue order
}

// changesEntry holds the changes of collections read at a version.
type changesEntry struct {
	version int64
	byID    sync.Map // collection id -> *geo.Changes
}

// collections returns the catalogue memoized at version v, if any.
func (m *memo) collections(v int64) ([]geo.Collection, bool) {
	e := m.cols.Load()
	if e == nil || e.version != v {
		return nil, false
	}
	return e.cols, true
}

// setCollections records the catalogue read at version v: v was read before
// the query, so the rows are at least that recent. An older version never
// replaces a newer one.
func (m *memo) setCollections(v int64, cols []geo.Collection) {
	n := &colsEntry{version: v, cols: cols}
	for {
		e := m.cols.Load()
		if e != nil && e.version >= v {
			return
		}
		if m.cols.CompareAndSwap(e, n) {
			return
		}
	}
}

// changesOf returns a collection's changes memoized at version v, if any.
func (m *memo) changesOf(v int64, collection string) (*geo.Changes, bool) {
	e := m.changes.Load()
	if e == nil || e.version != v {
		return nil, false
	}
	c, ok := e.byID.Load(collection)
	if !ok {
		return nil, false
	}
	return c.(*geo.Changes), true
}

// setChanges records a collection's changes read at version v.
func (m *memo) setChanges(v int64, collection string, c *geo.Changes) {
	for {
		e := m.changes.Load()
		if e != nil && e.version > v {
			return
		}
		if e != nil && e.version == v {
			e.byID.Store(collection, c)
			return
		}
		n := &changesEntry{version: v}
		n.byID.Store(collection, c)
		if m.changes.CompareAndSwap(e, n) {
			return
		}
	}
}
