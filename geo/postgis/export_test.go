package postgis

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

// Test-only paths into the store, for the fault tests of package
// postgis_test.

// SleepForTest runs pg_sleep(d) the way every call runs its query: under the
// call's timeout, with failures explained.
func (s *Store) SleepForTest(ctx context.Context, d time.Duration) error {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	_, err = s.pool.Exec(ctx, "SELECT pg_sleep($1)", d.Seconds())
	return s.explain(ctx, classify(err))
}

// HoldConnForTest takes a connection from the pool until release is called.
func (s *Store) HoldConnForTest(ctx context.Context) (release func(), err error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return c.Release, nil
}

// LiveForTest reports whether the change feed is connected.
func (s *Store) LiveForTest() bool {
	_, ok := s.feed.current()
	return ok
}

// ItemsSQLForTest is the statement Items runs for q for a collection
// counted in the statement (lines and areas), unless q is Uncounted.
func ItemsSQLForTest(collection string, q geo.Query) (string, []any) {
	return itemsSQL(collection, q, !q.Uncounted)
}

// TileSQLForTest is the statement Tile runs for tile t of a collection.
func TileSQLForTest(collection string, t maptile.Tile, q geo.Query) (string, []any) {
	return tileSQL(collection, geo.TileBound(t), q)
}

// CountsApartForTest reports whether Items reads collection's pages
// uncounted, counting a full one apart (countsApart).
func (s *Store) CountsApartForTest(collection string) bool { return s.countsApart(collection) }

// FitShareForTest is wholePage's share of collection, in percent.
func (s *Store) FitShareForTest(collection string) int32 {
	return s.fitShare(collection).pct.Load()
}

// PageRowsForTest is the number of rows readPage keeps of collection's last
// page with a limit, and whether it keeps one.
func (s *Store) PageRowsForTest(collection string) (int, bool) {
	v, ok := s.pageRows.Load(collection)
	if !ok {
		return 0, false
	}
	return int(v.(*atomic.Int32).Load()), true
}

// FitSharesForTest are the collections wholePage keeps a share of, sorted.
func (s *Store) FitSharesForTest() []string {
	s.fits.mu.Lock()
	defer s.fits.mu.Unlock()
	return slices.Sorted(maps.Keys(s.fits.m))
}

// ImportPlaceForTest is the place on the Hilbert curve by which Import
// orders a collection's new rows.
func ImportPlaceForTest(g orb.Geometry) int64 { return importPlace(geo.BoundOf(g)) }

// BoxShapeForTest is the shape a bbox condition gives PostGIS for b, as
// hex EWKB (boxShape).
func BoxShapeForTest(b orb.Bound) string { return boxShape(b) }

// HoldTileBatchesForTest makes every statement that reads tiles together
// call hold(n) first, n its tiles, in the goroutine that runs it; nil
// removes the hook. Set it before the store reads any tile.
func (s *Store) HoldTileBatchesForTest(hold func(n int)) { s.tiles.hold = hold }

// TilesQueuedForTest is the number of tiles waiting to be read.
func (s *Store) TilesQueuedForTest() int {
	s.tiles.mu.Lock()
	defer s.tiles.mu.Unlock()
	n := 0
	for _, tq := range s.tiles.queues {
		n += len(tq.waits)
	}
	return n
}

// TileStatementsForTest is the most statements that read tiles at once.
func (s *Store) TileStatementsForTest() int { return s.tiles.limit }

// TileBatchSQLForTest is the statement that reads several tiles of a
// collection at once, its areas' four arrays of sides not in args.
func TileBatchSQLForTest(collection string, q geo.Query) (string, []any) {
	return tileBatchSQL(collection, q)
}
