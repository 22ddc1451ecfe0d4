package postgis_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// tileAsk is one tile asked of a store.
type tileAsk struct {
	collection string
	tile       maptile.Tile
	q          geo.Query
}

// tileAnswer is a store's answer to a tileAsk.
type tileAnswer struct {
	b   []byte
	err error
}

// batchFixture imports a scale dataset into a new database and returns a
// store on it (opened with opts) and the embedded store of the same data.
func batchFixture(t *testing.T, opts postgis.Options) (*postgis.Store, *memory.Store, *pgx.Conn, gen.Options) {
	t.Helper()
	ctx := context.Background()
	g := gen.DefaultOptions()
	g.Points, g.Polygons, g.Facilities, g.Events = 3000, 30, 0, 0
	g.Bound = orb.Bound{Min: orb.Point{39, 35}, Max: orb.Point{40, 36}} // about four points to a tile at z13
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, gen.Scale(5, g)); err != nil {
		t.Fatal(err)
	}
	st, err := postgis.OpenWith(ctx, dbURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return st, memory.New(gen.Scale(5, g)), conn, g
}

// waitUntil polls cond until it holds, failing the test after a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// askAll asks every tile of asks of st at once, each in a goroutine of its
// own, and returns a function that waits for their answers.
func askAll(ctx context.Context, st *postgis.Store, asks []tileAsk) func() []tileAnswer {
	out := make([]tileAnswer, len(asks))
	var wg sync.WaitGroup
	for i, a := range asks {
		wg.Go(func() { out[i].b, out[i].err = st.Tile(ctx, a.collection, a.tile, a.q) })
	}
	return func() []tileAnswer { wg.Wait(); return out }
}

// readAlone asks each tile of asks of st, one after another, and checks
// that it is the embedded store's tile (when, a label: after what).
func readAlone(t *testing.T, st *postgis.Store, mem *memory.Store, asks []tileAsk, when string) {
	t.Helper()
	ctx := context.Background()
	for _, a := range asks {
		b, err := st.Tile(ctx, a.collection, a.tile, a.q)
		want, _ := mem.Tile(ctx, a.collection, a.tile, a.q)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("tile %s %s: %d bytes (%v), want %d", geo.TileKey(a.tile), when, len(b), err, len(want))
		}
	}
}

// TestTilesReadTogether: tiles asked at the same time while the statements
// that read tiles are all busy wait, and are then read several to a
// statement (at most 32), grouped by collection, date and property
// filters; each is the tile the embedded store draws of the same data,
// byte for byte, as it is when asked alone: points and polygons, zooms 10
// to 14, with and without a date and property filters, a filter no stored
// value can match, and a missing collection (not found).
func TestTilesReadTogether(t *testing.T) {
	ctx := context.Background()
	// A timeout long enough for a slow machine: the tiles all wait for
	// the first statements, then are read by a few.
	st, mem, _, g := batchFixture(t, postgis.Options{StatementTimeout: time.Minute})
	day := geo.Day(time.Date(2025, 11, 15, 0, 0, 0, 0, time.UTC))
	queries := []geo.Query{{}, {Time: day}, {Filters: map[string]string{"controller": "sdf"}},
		{Time: day, Filters: map[string]string{"controller": "government"}}, {Filters: map[string]string{"controller": "bad\x00"}}}
	c := g.Bound.Center()
	var asks []tileAsk
	for _, col := range []string{gen.Points, gen.Areas, "nope"} {
		for z := maptile.Zoom(10); z <= 14; z++ {
			center := maptile.At(c, z)
			for dx := uint32(0); dx < 3; dx++ {
				for _, q := range queries {
					asks = append(asks, tileAsk{col, maptile.New(center.X+dx, center.Y, z), q})
				}
			}
			asks = append(asks, tileAsk{col, maptile.At(g.Bound.Min, z), queries[1]})
		}
	}
	want := make([]tileAnswer, len(asks))
	for i, a := range asks {
		want[i].b, want[i].err = mem.Tile(ctx, a.collection, a.tile, a.q)
	}
	var mu sync.Mutex
	var sizes []int
	release := make(chan struct{})
	st.HoldTileBatchesForTest(func(n int) {
		mu.Lock()
		sizes = append(sizes, n)
		mu.Unlock()
		<-release
	})
	answers := askAll(ctx, st, asks)
	// The first tiles to come hold every statement; the others wait.
	busy := st.TileStatementsForTest()
	waitUntil(t, "the tiles to queue", func() bool { return st.TilesQueuedForTest() == len(asks)-busy })
	close(release)
	got := answers()
	drawn := 0
	for i, a := range asks {
		label := a.collection + " " + geo.TileKey(a.tile)
		w := want[i]
		switch {
		case w.err != nil:
			if !errors.Is(w.err, geo.ErrNotFound) || !errors.Is(got[i].err, geo.ErrNotFound) {
				t.Errorf("%s %+v: error %v, the embedded store's %v", label, a.q, got[i].err, w.err)
			}
		case got[i].err != nil:
			t.Errorf("%s %+v: %v", label, a.q, got[i].err)
		case !bytes.Equal(got[i].b, w.b):
			t.Errorf("%s %+v: %d bytes, the embedded store's %d", label, a.q, len(got[i].b), len(w.b))
		case len(w.b) > 0:
			drawn++
		}
	}
	if drawn < len(asks)/3 {
		t.Errorf("only %d of %d tiles hold features: the test shows little", drawn, len(asks))
	}
	mu.Lock()
	defer mu.Unlock()
	total, most := 0, 0
	for _, n := range sizes {
		total += n
		most = max(most, n)
	}
	// The first tiles alone, then 15 queues (collection, date, filters)
	// of at most 20 tiles, each read by one statement.
	if total != len(asks) || most > 32 || most < 2 || len(sizes) > busy+15 {
		t.Errorf("%d statements read %v tiles (%d in all, of %d asked; several, at most 32, to a statement)", len(sizes), sizes, total, len(asks))
	}
	// Asked alone, once the hook is gone, each tile is the same.
	st.HoldTileBatchesForTest(nil)
	for i, a := range asks {
		b, err := st.Tile(ctx, a.collection, a.tile, a.q)
		if !bytes.Equal(b, got[i].b) || (err == nil) != (got[i].err == nil) {
			t.Errorf("%s %s %+v: alone %d bytes (%v), together %d (%v)", a.collection, geo.TileKey(a.tile), a.q, len(b), err, len(got[i].b), got[i].err)
		}
	}
}

// TestTileLeavesQueue: a tile whose request ends while it waits for a
// statement leaves the queue at once with its context's error; one whose
// request ends once a statement has taken it returns only when that
// statement is done with it (the statement reads into the request's
// buffers), with its context's error; the other tiles are unaffected.
func TestTileLeavesQueue(t *testing.T) {
	ctx := context.Background()
	st, mem, _, g := batchFixture(t, postgis.Options{StatementTimeout: time.Minute})
	busy := st.TileStatementsForTest()
	var calls atomic.Int32
	gates := []chan struct{}{make(chan struct{}), make(chan struct{})}
	st.HoldTileBatchesForTest(func(n int) {
		if calls.Add(1) <= int32(busy) {
			<-gates[0] // the first statements, one tile each
		} else {
			<-gates[1] // the next
		}
	})
	tileAt := func(i uint32) maptile.Tile {
		c := maptile.At(g.Bound.Center(), 12)
		return maptile.New(c.X+i, c.Y, 12)
	}
	first := make([]tileAsk, busy)
	for i := range first {
		first[i] = tileAsk{gen.Points, tileAt(uint32(i)), geo.Query{}}
	}
	firstAnswers := askAll(ctx, st, first)
	waitUntil(t, "the first statements", func() bool { return calls.Load() == int32(busy) })

	// Waiting: leaves at once, while every statement is still held.
	leaving, leave := context.WithCancel(ctx)
	left := make(chan error, 1)
	go func() { _, err := st.Tile(leaving, gen.Points, tileAt(10), geo.Query{}); left <- err }()
	waitUntil(t, "the tile to queue", func() bool { return st.TilesQueuedForTest() == 1 })
	leave()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("a tile that left the queue: %v, want context.Canceled", err)
	}
	if n := st.TilesQueuedForTest(); n != 0 {
		t.Errorf("%d tiles still queued", n)
	}

	// Taken: returns only after its statement.
	taken, cancelTaken := context.WithCancel(ctx)
	takenErr := make(chan error, 1)
	go func() { _, err := st.Tile(taken, gen.Points, tileAt(20), geo.Query{}); takenErr <- err }()
	other := askAll(ctx, st, []tileAsk{{gen.Points, tileAt(21), geo.Query{}}})
	waitUntil(t, "two tiles to queue", func() bool { return st.TilesQueuedForTest() == 2 })
	close(gates[0])
	waitUntil(t, "the next statement", func() bool { return calls.Load() == int32(busy)+1 })
	cancelTaken()
	select {
	case err := <-takenErr:
		t.Fatalf("a tile returned (%v) while its statement was still to read it", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(gates[1])
	if err := <-takenErr; !errors.Is(err, context.Canceled) {
		t.Errorf("a tile whose request ended in its statement: %v, want context.Canceled", err)
	}
	for i, a := range append(first, tileAsk{gen.Points, tileAt(21), geo.Query{}}) {
		var got tileAnswer
		if i < len(first) {
			got = firstAnswers()[i]
		} else {
			got = other()[0]
		}
		want, _ := mem.Tile(ctx, a.collection, a.tile, a.q)
		if got.err != nil || !bytes.Equal(got.b, want) {
			t.Errorf("tile %s: %d bytes (%v), want %d", geo.TileKey(a.tile), len(got.b), got.err, len(want))
		}
	}
}

// TestTileBatchFails: when the statement reading several tiles fails (here
// it waits on a lock past the statement timeout), every one of its tiles
// fails, as unavailable, and nothing waits on; the next tiles are read. The
// tiles read before the lock are read.
func TestTileBatchFails(t *testing.T) {
	ctx := context.Background()
	st, mem, conn, g := batchFixture(t, postgis.Options{StatementTimeout: 300 * time.Millisecond})
	busy := st.TileStatementsForTest()
	var calls atomic.Int32
	first, batch := make(chan struct{}), make(chan struct{})
	st.HoldTileBatchesForTest(func(n int) {
		if calls.Add(1) <= int32(busy) {
			<-first
		} else {
			<-batch
		}
	})
	c := maptile.At(g.Bound.Center(), 13)
	var asks []tileAsk
	for i := range uint32(busy + 6) {
		asks = append(asks, tileAsk{gen.Points, maptile.New(c.X+i, c.Y, 13), geo.Query{}})
	}
	// The first tiles hold every statement, the others queue; the first
	// are read (their requests return after their statements), and the
	// statement of the others waits while the test takes the lock.
	firstAnswers := askAll(ctx, st, asks[:busy])
	waitUntil(t, "the first statements", func() bool { return calls.Load() == int32(busy) })
	rest := askAll(ctx, st, asks[busy:])
	waitUntil(t, "the tiles to queue", func() bool { return st.TilesQueuedForTest() == 6 })
	close(first)
	got := firstAnswers()
	waitUntil(t, "the statement of the queued tiles", func() bool { return calls.Load() == int32(busy)+1 })
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE features IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	close(batch)
	got = append(got, rest()...)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i, a := range asks {
		err := got[i].err
		switch want, _ := mem.Tile(ctx, a.collection, a.tile, a.q); {
		case err == nil && bytes.Equal(got[i].b, want):
		case errors.Is(err, geo.ErrUnavailable) && strings.Contains(err.Error(), "57014"):
			// By the statement's timeout, not by waiting past its
			// request's deadline.
			failed++
		default:
			t.Errorf("tile %s: %d bytes (%v), want %d, or unavailable by the statement timeout", geo.TileKey(a.tile), len(got[i].b), err, len(want))
		}
	}
	if n := calls.Load(); failed != 6 || n != int32(busy)+1 {
		t.Errorf("%d tiles failed by %d statements, want the 6 queued in one after %d", failed, n, busy)
	}
	readAlone(t, st, mem, asks, "after the lock")
}

// TestTileBatchPanics: a panic while a statement reads several tiles is an
// error of each of them, not the end of the server nor a wait for ever;
// the tiles after are read.
func TestTileBatchPanics(t *testing.T) {
	ctx := context.Background()
	st, mem, _, g := batchFixture(t, postgis.Options{StatementTimeout: time.Minute})
	busy := st.TileStatementsForTest()
	var calls atomic.Int32
	release := make(chan struct{})
	st.HoldTileBatchesForTest(func(n int) {
		switch c := calls.Add(1); {
		case c <= int32(busy):
			<-release
		case n > 1:
			panic("reading tiles")
		}
	})
	c := maptile.At(g.Bound.Center(), 13)
	var asks []tileAsk
	for i := range uint32(busy + 5) {
		asks = append(asks, tileAsk{gen.Points, maptile.New(c.X+i, c.Y, 13), geo.Query{}})
	}
	answers := askAll(ctx, st, asks)
	waitUntil(t, "the tiles to queue", func() bool { return st.TilesQueuedForTest() == 5 })
	close(release)
	got := answers()
	failed := 0
	for i, a := range asks {
		want, _ := mem.Tile(ctx, a.collection, a.tile, a.q)
		switch {
		case got[i].err != nil && strings.Contains(got[i].err.Error(), "panic: reading tiles"):
			failed++
		case got[i].err != nil || !bytes.Equal(got[i].b, want):
			t.Errorf("tile %s: %d bytes (%v), want %d", geo.TileKey(a.tile), len(got[i].b), got[i].err, len(want))
		}
	}
	if failed != 5 {
		t.Errorf("%d tiles failed by the panic, want the 5 read together", failed)
	}
	st.HoldTileBatchesForTest(nil)
	readAlone(t, st, mem, asks, "after the panic")
}

// TestTileStatementsCancelled: a tile's statement ends in the database when
// nobody waits for it any more: a tile read alone when its request ends (as
// before tiles were read together), and a statement of several tiles when
// the last of their requests has ended, not at its timeout. Here every
// statement waits on a lock held by the test, and the statement timeout is
// two minutes.
func TestTileStatementsCancelled(t *testing.T) {
	ctx := context.Background()
	st, mem, conn, g := batchFixture(t, postgis.Options{StatementTimeout: 2 * time.Minute})
	busy := st.TileStatementsForTest()
	watch, err := pgx.Connect(ctx, conn.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	// running counts the store's tile statements of each kind running in
	// the database.
	running := func(together bool) int {
		var n int
		like := "%ST_MakeEnvelope($%"
		if together {
			like = "%WITH ORDINALITY%"
		}
		if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND state = 'active' AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'`, like).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE features IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	c := maptile.At(g.Bound.Center(), 13)
	tileAt := func(i uint32) maptile.Tile { return maptile.New(c.X+i, c.Y, 13) }
	alone, endAlone := context.WithCancel(ctx)
	var asks []tileAsk
	for i := range uint32(busy) {
		asks = append(asks, tileAsk{gen.Points, tileAt(i), geo.Query{}})
	}
	aloneAnswers := askAll(alone, st, asks)
	waitUntil(t, "the tiles read alone to wait on the lock", func() bool { return running(false) == busy })
	together, endTogether := context.WithCancel(ctx)
	asks = asks[:0]
	for i := range uint32(4) {
		asks = append(asks, tileAsk{gen.Points, tileAt(10 + i), geo.Query{}})
	}
	togetherAnswers := askAll(together, st, asks)
	waitUntil(t, "the tiles to queue", func() bool { return st.TilesQueuedForTest() == 4 })
	endAlone()
	waitUntil(t, "the statements of the tiles read alone to end, and the next to wait on the lock", func() bool {
		return running(false) == 0 && running(true) == 1
	})
	for _, a := range aloneAnswers() {
		if !errors.Is(a.err, context.Canceled) {
			t.Errorf("a tile read alone whose request ended: %v", a.err)
		}
	}
	endTogether()
	waitUntil(t, "the statement of the tiles read together to end", func() bool { return running(true) == 0 })
	for _, a := range togetherAnswers() {
		if !errors.Is(a.err, context.Canceled) {
			t.Errorf("a tile read together whose request ended: %v", a.err)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := st.Tile(ctx, gen.Points, tileAt(0), geo.Query{})
	want, _ := mem.Tile(ctx, gen.Points, tileAt(0), geo.Query{})
	if err != nil || !bytes.Equal(b, want) {
		t.Errorf("a tile after: %d bytes (%v), want %d", len(b), err, len(want))
	}
}
