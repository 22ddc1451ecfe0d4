package postgis

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo"
)

// Tiles asked at the same time are read together: a map's view asks a
// dozen at once, and every reader panning asks more. For a tile of a few
// features most of PostgreSQL's work, and much of the server's, is the
// statement itself (its protocol, its wake-ups, its executor's start),
// not the rows; one statement for several tiles shares that
// (bench/performance-notes.md, "Tiles asked together, read together").
//
// A tile's rows are read at once when fewer than tileBatches.limit tile
// statements are running; otherwise the tile waits in the queue of the
// tiles that share its statement (same collection, date and property
// filters), and the next statement to start takes up to maxTileBatch of
// them: nobody waits for a batch to fill, and under load the batches grow
// by themselves. The statement's goroutine reads and draws each row into
// the tileRows of its own tile; the tile's request then writes the tile.

// maxTileBatch bounds the tiles one statement reads.
const maxTileBatch = 32

// tileStatements is how many statements may read tiles at once with a pool
// of maxConns connections: as many as the processors, at least 2, within
// the pool. Each statement's goroutine draws its tiles' rows, so fewer
// would leave processors idle when the tiles are heavy; on two processors
// 2 served more tiles than 1 or 4 (bench/performance-notes.md).
func tileStatements(maxConns int32) int {
	return max(1, min(int(maxConns), max(2, runtime.GOMAXPROCS(0))))
}

// tileBatches is the store's queue of tiles waiting to be read.
type tileBatches struct {
	mu      sync.Mutex
	queues  map[string]*tileQueue // by tileBatchKey; empty queues are removed
	running int                   // statements running
	limit   int                   // the most statements running at once (tileStatements)
	seq     uint64                // the order tiles came in
	// hold, when set (tests only), runs before each statement starts, in
	// the goroutine that runs it, its tiles already taken from the queue.
	hold func(n int)
}

// tileQueue holds the tiles waiting for one statement.
type tileQueue struct {
	key        string
	collection string
	q          geo.Query // its time and property filters: the same for every tile in it
	waits      []*tileWait
}

// tileWait is one tile waiting to be read.
type tileWait struct {
	ctx   context.Context // its request's (Store.begin's: with the call's deadline)
	seq   uint64
	r     *tileRows // read into by the statement that takes it
	err   error     // set with done closed: the statement's failure, or this tile's
	taken bool      // under tileBatches.mu: a statement took it (it may no longer leave)
	done  chan struct{}
}

// tileBatchKey names the statement a tile of collection with q's time and
// property filters is read by: tiles with the same key differ only by
// their area.
func tileBatchKey(collection string, q geo.Query) string {
	var b strings.Builder
	str := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	when := func(t time.Time) {
		if t.IsZero() {
			str("")
			return
		}
		str(strconv.FormatInt(t.Unix(), 10) + "." + strconv.Itoa(t.Nanosecond())) // any year: UnixNano wraps
	}
	str(collection)
	when(q.Time.Start)
	when(q.Time.End)
	keys := make([]string, 0, len(q.Filters))
	for k := range q.Filters {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		str(k)
		str(q.Filters[k])
	}
	return b.String()
}

// tileBatchSQL selects the rows of tileSQL for several tiles' areas at
// once, given as four float8 arrays of their sides (west, south, east,
// north), each row followed by the position (from 1) of the area it was
// found for: a feature in two of the areas is a row for each. q.Filter is
// not part of it: readTileBatched reads a tile with a CQL2 filter alone.
func tileBatchSQL(collection string, q geo.Query) (string, []any) {
	var p params
	filter := tileFilter(&p, collection, geo.Query{Time: q.Time, Filters: q.Filters})
	n := len(p.args)
	arrays := "$" + strconv.Itoa(n+1) + "::float8[], $" + strconv.Itoa(n+2) + "::float8[], $" +
		strconv.Itoa(n+3) + "::float8[], $" + strconv.Itoa(n+4) + "::float8[]"
	return "SELECT f.*, t.i FROM unnest(" + arrays + ") WITH ORDINALITY AS t(x0, y0, x1, y1, i) CROSS JOIN LATERAL (" +
		"SELECT " + tileColumns + " FROM features WHERE " + filter + " AND geom && ST_MakeEnvelope(t.x0, t.y0, t.x1, t.y1, 4326)) f", p.args
}

// readTileBatched reads the rows of the tile r (of collection, with q's
// time and property filters) into r, alone or with other tiles asked at
// the same time. When ctx ends while the tile waits, it leaves at once;
// once a statement has taken the tile, it is read before this returns
// (the statement writes into r, which the caller releases after), and that
// statement ends when every request of its tiles has ended (batchContext).
func (s *Store) readTileBatched(ctx context.Context, collection string, q geo.Query, r *tileRows) error {
	if q.Filter != nil {
		return s.readTilePlanned(ctx, collection, q, r)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b := &s.tiles
	key := tileBatchKey(collection, q)
	w := &tileWait{ctx: ctx, r: r, done: make(chan struct{})}
	b.mu.Lock()
	if b.queues == nil {
		b.queues = map[string]*tileQueue{}
	}
	tq := b.queues[key]
	if tq == nil {
		tq = &tileQueue{key: key, collection: collection, q: q}
		b.queues[key] = tq
	}
	b.seq++
	w.seq = b.seq
	tq.waits = append(tq.waits, w)
	var batch []*tileWait
	if b.running < b.limit {
		b.running++
		batch = b.take(tq)
	}
	b.mu.Unlock()
	if batch != nil {
		// This request runs the statement, which holds its tile alone
		// (while fewer than b.limit statements run, no tile waits), then
		// leaves whatever has queued since to another goroutine.
		s.runTileBatches(tq, batch)
	}
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
	}
	b.mu.Lock()
	if !w.taken {
		tq.remove(w)
		if len(tq.waits) == 0 && b.queues[key] == tq {
			delete(b.queues, key)
		}
		b.mu.Unlock()
		return ctx.Err()
	}
	b.mu.Unlock()
	<-w.done // being read into r
	return ctx.Err()
}

// take removes up to maxTileBatch tiles from tq (the longest waiting
// first), and tq from the queues when it is left empty. Under b.mu.
func (b *tileBatches) take(tq *tileQueue) []*tileWait {
	n := min(len(tq.waits), maxTileBatch)
	batch := slices.Clone(tq.waits[:n])
	for _, w := range batch {
		w.taken = true
	}
	tq.waits = slices.Delete(tq.waits, 0, n)
	if len(tq.waits) == 0 && b.queues[tq.key] == tq {
		delete(b.queues, tq.key)
	}
	return batch
}

// next takes the next batch, from the queue whose first tile has waited
// longest, or returns nil and counts the caller's statement as ended when
// no tile waits. Under b.mu.
func (b *tileBatches) next() (*tileQueue, []*tileWait) {
	var first *tileQueue
	for _, tq := range b.queues {
		if len(tq.waits) > 0 && (first == nil || tq.waits[0].seq < first.waits[0].seq) {
			first = tq
		}
	}
	if first == nil {
		b.running--
		return nil, nil
	}
	return first, b.take(first)
}

func (tq *tileQueue) remove(w *tileWait) {
	if i := slices.Index(tq.waits, w); i >= 0 {
		tq.waits = slices.Delete(tq.waits, i, i+1)
	}
}

// runTileBatches reads batch (tiles of tq), then, while tiles wait, runs
// the next batch in a goroutine of its own: the caller, a request, goes
// back to writing its tile.
func (s *Store) runTileBatches(tq *tileQueue, batch []*tileWait) {
	s.readBatch(tq, batch)
	s.tiles.mu.Lock()
	tq, batch = s.tiles.next()
	s.tiles.mu.Unlock()
	if batch == nil {
		return
	}
	go func() {
		for batch != nil {
			s.readBatch(tq, batch)
			s.tiles.mu.Lock()
			tq, batch = s.tiles.next()
			s.tiles.mu.Unlock()
		}
	}()
}

// readBatch reads the tiles of batch with one statement and closes their
// done: with tileSQL for one tile, tileBatchSQL for more, under
// batchContext. A failure of the statement is every tile's (each request
// explains it under its own context: Store.Tile); a row that cannot be
// read fails its own tile only.
//
// A panic while reading is every tile's error, logged with its stack,
// rather than the end of the server or of one request: the tiles of a
// statement are other requests', which would otherwise wait for ever.
// Their tileRows are then not pooled again (tileRows.broken).
func (s *Store) readBatch(tq *tileQueue, batch []*tileWait) {
	ctx, cancel := batchContext(batch)
	defer cancel()
	var err error
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("postgis: panic reading tiles", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("postgis: reading %d tiles of %q: panic: %v", len(batch), tq.collection, p)
			for _, w := range batch {
				w.r.broken = true
			}
		}
		if err != nil && len(batch) > 1 && errors.Is(context.Cause(ctx), errCallTimeout) {
			// The latest of the requests' deadlines has passed.
			err = &unavailableError{fmt.Errorf("no answer within %s: %w", s.callTimeout, err)}
		}
		for _, w := range batch {
			if w.err == nil {
				w.err = err
			}
			close(w.done)
		}
	}()
	if s.tiles.hold != nil {
		s.tiles.hold(len(batch))
	}
	err = s.queryBatch(ctx, tq, batch)
}

// batchContext is the context of the statement that reads batch: for one
// tile, its request's, as when tiles were read one to a statement; for
// more, one that ends at the latest of their requests' deadlines, or as
// soon as every one of those requests has ended: a statement no request
// waits for any more is cancelled in the database, as a request's own is
// when its client hangs up.
func batchContext(batch []*tileWait) (context.Context, context.CancelFunc) {
	if len(batch) == 1 {
		return batch[0].ctx, func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var latest time.Time
	for _, w := range batch {
		d, ok := w.ctx.Deadline()
		if !ok {
			latest = time.Time{}
			break
		}
		if d.After(latest) {
			latest = d
		}
	}
	stopDeadline := func() {}
	if !latest.IsZero() {
		var c context.CancelFunc
		ctx, c = context.WithDeadlineCause(ctx, latest, errCallTimeout)
		stopDeadline = c
	}
	var left atomic.Int32
	left.Store(int32(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, w := range batch {
		stops[i] = context.AfterFunc(w.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		stopDeadline()
		cancel()
	}
}

func (s *Store) queryBatch(ctx context.Context, tq *tileQueue, batch []*tileWait) error {
	if len(batch) == 1 {
		return s.readTile(ctx, tq.collection, tq.q, batch[0].r, true)
	}
	sql, args := tileBatchSQL(tq.collection, tq.q)
	sides := [4][]float64{}
	for i := range sides {
		sides[i] = make([]float64, len(batch))
	}
	for i, w := range batch {
		sides[0][i], sides[1][i], sides[2][i], sides[3][i] = w.r.bound.Min[0], w.r.bound.Min[1], w.r.bound.Max[0], w.r.bound.Max[1]
	}
	args = append(args, sides[0], sides[1], sides[2], sides[3])
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	br := batchRow{rows: rows}
	for rows.Next() {
		var i int64
		if err := rows.Scan(nil, nil, nil, nil, nil, &i); err != nil {
			return classify(err)
		}
		if i < 1 || i > int64(len(batch)) {
			return fmt.Errorf("tile batch: row for area %d of %d", i, len(batch))
		}
		w := batch[i-1]
		if w.err != nil {
			continue
		}
		w.err = w.r.read(br)
	}
	return classify(rows.Err())
}

// batchRow is a row of tileBatchSQL as tileRows.read reads a row of
// tileSQL: without the area's position, its last column.
type batchRow struct{ rows pgx.Rows }

func (b batchRow) Scan(dest ...any) error {
	var all [6]any
	copy(all[:], dest)
	return b.rows.Scan(all[:len(dest)+1]...)
}

func (b batchRow) RawValues() [][]byte { return b.rows.RawValues()[:5] }
