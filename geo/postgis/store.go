package postgis

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
)

var _ geo.Store = (*Store)(nil)

// Store is a geo.Store over a PostGIS database with the schema of Migrate.
// It is safe for concurrent use: every call takes a connection from a
// bounded pool and runs under a timeout (calls.go); Run keeps the data
// version current from the change feed (listen.go).
type Store struct {
	pool        *pgxpool.Pool
	opts        Options
	callTimeout time.Duration
	listenCfg   *pgx.ConnConfig // the change feed's own connection
	log         *slog.Logger
	feed        feed        // the data version announced by notifications
	memo        memo        // collections and change times per data version
	migrated    atomic.Bool // false until Run has applied Options.MigrateURL's migrations
	life        lifetime    // ends Run when the store is closed
	fits        fitShares   // wholePage's share of each collection
	// pageRows holds, by collection (one that had a feature in a page), an
	// *atomic.Int32: the rows of its last page with a limit, so that
	// readPage reads the next into one slice of about that size.
	pageRows sync.Map
	tiles    tileBatches // tiles waiting to be read together (tilebatch.go)
}

// Open returns a Store over a connection pool for databaseURL (a postgres://
// URL or key=value string) with the default Options. It runs no query and
// opens no connection, so it succeeds while the database is down; use Ping
// to check it.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	return OpenWith(ctx, databaseURL, Options{})
}

// OpenWith is Open with options: the pool's size, the statement timeout, and
// the migrations Run applies before the store reports ready. Like Open, it
// opens no connection.
func OpenWith(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("postgis: bad database URL: %w", err)
	}
	s := &Store{opts: opts, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.callTimeout = configure(cfg, opts)
	s.tiles.limit = tileStatements(cfg.MaxConns)
	s.listenCfg = listenConfig(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: open pool: %w", err)
	}
	s.pool = pool
	s.migrated.Store(opts.MigrateURL == "")
	s.life.init()
	return s, nil
}

// Close stops Run, then closes the pool, waiting for connections in use to
// be returned.
func (s *Store) Close() {
	s.life.end()
	s.pool.Close()
}

// ping reads the data version: the database answers and has the schema.
func (s *Store) ping(ctx context.Context) error {
	if _, err := s.queryVersion(ctx); err != nil {
		return fmt.Errorf("postgis: ping: %w", err)
	}
	return nil
}

// queryVersion reads the data_version counter, which triggers bump whenever
// a statement changes features or collections.
func (s *Store) queryVersion(ctx context.Context) (int64, error) {
	sql, args := versionSQL()
	var v int64
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgis: version: %w", classify(err))
	}
	return v, nil
}

// collections lists the collections in catalogue order with their extents,
// counts and property names from collection_summaries.
func (s *Store) collections(ctx context.Context) ([]geo.Collection, error) {
	sql, args := collectionsSQL()
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgis: collections: %w", classify(err))
	}
	defer rows.Close()
	var out []geo.Collection
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			return nil, fmt.Errorf("postgis: collections: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgis: collections: %w", classify(err))
	}
	return out, nil
}

// collection returns one collection by id, or an error matching
// geo.ErrNotFound.
func (s *Store) collection(ctx context.Context, id string) (geo.Collection, error) {
	if !storable(id) {
		return geo.Collection{}, notFound("collection %q", id)
	}
	sql, args := collectionSQL(id)
	c, err := scanCollection(s.pool.QueryRow(ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return geo.Collection{}, notFound("collection %q", id)
	}
	if err != nil {
		return geo.Collection{}, fmt.Errorf("postgis: collection %q: %w", id, err)
	}
	return c, nil
}

// items returns the page of the collection's features matching q, in id
// order unless q is Unordered, with the number of matching features (left
// zero for a full page when q is Uncounted, which is then not counted,
// unless the page was read whole: wholePage); an error matching
// geo.ErrNotFound if the collection does not exist.
func (s *Store) items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	if !storable(collection) {
		return geo.Page{}, notFound("collection %q", collection)
	}
	for k, v := range q.Filters {
		if !storable(k) || !storable(v) {
			// No stored property has such a name or value; PostgreSQL
			// would refuse the text, so answer without asking it.
			return s.noMatch(ctx, collection)
		}
	}
	points := s.countsApart(collection)
	counted := !q.Uncounted && !points
	var share *fitShare // a page wholePage may read, and its measure
	if points && q.Known == nil && wholeCandidate(q) {
		share = s.fitShare(collection)
	}
	page, whole, tried, err := s.wholePage(ctx, collection, q, share)
	if err != nil {
		return geo.Page{}, err
	}
	read := !whole
	if read && q.Known != nil {
		page, read, err = s.knownPage(ctx, collection, q, counted)
	}
	if read {
		page, err = s.readPage(ctx, collection, q, counted, false)
		if err == nil && share != nil && !tried {
			// Would the page have held every match?
			share.record(len(page.Features) < q.Limit)
		}
	}
	if err != nil {
		return geo.Page{}, err
	}
	n := len(page.Features)
	if n > 0 && (counted || whole) {
		if whole {
			page.NumberMatched = n
		}
		return page, nil
	}
	if n > 0 && (q.Limit <= 0 || n < q.Limit) {
		// Read uncounted, the page holds the last match: the number is
		// known.
		page.NumberMatched = max(q.Offset, 0) + n
		return page, nil
	}
	if n > 0 && q.Uncounted {
		return page, nil
	}
	// An empty page, whose collection may not exist or whose offset may lie
	// past the last match (where the window count has no row to ride on),
	// or a full one read uncounted, whose matches may go on: counted by a
	// second statement. Like the next page, it reads the data as it is
	// then: a write committed between the two can make the number disagree
	// with the page by the features it changed (never below what the page
	// shows).
	sql, args := itemsCountSQL(collection, q)
	var exists bool
	if err := s.pool.QueryRow(ctx, sql, planned(args)...).Scan(&exists, &page.NumberMatched); err != nil {
		return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	if !exists {
		return geo.Page{}, notFound("collection %q", collection)
	}
	if n > 0 {
		page.NumberMatched = max(page.NumberMatched, max(q.Offset, 0)+n)
	}
	return page, nil
}

// wholeCandidate reports whether q asks for the first page of a spatially
// bounded query (a bbox, or a CQL2 filter whose spatial functions bound
// it) in id order, with a limit: the page wholePage may read.
func wholeCandidate(q geo.Query) bool {
	if len(q.SortBy) > 0 || q.Unordered || q.Offset > 0 || q.Limit <= 0 {
		return false
	}
	_, bounded := geo.FilterBound(q.Filter)
	return q.BBox != nil || bounded
}

// wholePage reads the page of collection's features matching q, for a page
// of points that may hold every match, unordered and limited to one feature
// more than q's limit, and when no more than the limit come, sorts them by
// id here: PostgreSQL then returns the rows as the spatial index finds them,
// where the page in id order sorts every match with its wide columns first
// (a cold page of 658 of the scale dataset's points, 0.5° wide: 0.9 of its
// 2.2 ms), and their number is known without a count. Over HTTP, 41–47%
// more such pages a second (bench/performance-notes.md).
//
// Only for points (countsApart): pages of areas are mostly read in two
// statements (knownPage), and trying this for them measured 25–30% fewer
// pages a second over HTTP, which the statements alone did not explain.
//
// share is the collection's measure when q asks for such a page (a
// collection of points, wholeCandidate, no Known: a page with Known is read
// as knownPage reads it), nil otherwise. whole is false when share is nil,
// when recent pages of the collection mostly did not hold every match
// (fitShare), or when more than the limit came: the page is then read in
// order as before, and what this read is lost. An empty page is whole but
// says nothing of the collection's existence, which items asks apart. tried
// says that the unordered read was made (and counted in the share).
func (s *Store) wholePage(ctx context.Context, collection string, q geo.Query, share *fitShare) (page geo.Page, whole, tried bool, err error) {
	if share == nil || !share.ask() {
		return geo.Page{}, false, false, nil
	}
	all := q
	all.Unordered, all.Limit = true, q.Limit+1
	page, err = s.readPage(ctx, collection, all, false, wholePrepared(q))
	if err != nil {
		return geo.Page{}, false, true, err
	}
	fit := len(page.Features) <= q.Limit
	share.record(fit)
	if !fit {
		return geo.Page{}, false, true, nil
	}
	page.Features = byID(page.Features)
	return page, true, true, nil
}

// wholePrepared reports whether wholePage reads the page for q as a
// prepared statement, run with the generic plan PostgreSQL settles on,
// rather than planned for its values: when q has no property filters and
// its CQL2 filter, if any, holds only spatial and temporal relations
// (placesAndTimes). The statement then reads a box (and a date, or the
// bounded filter wholeCandidate asks for) of one collection, unordered,
// with a limit, for which the plan is the same whatever the values: the
// spatial index, which holds the collection and the validity (migration
// 0005), read until the limit (TestBoxReadsOneCollectionAndDateInTheIndex
// checks the generic plans). Its shapes are geometry parameters
// (bboxCondition, geomSQL), which no plan makes again row by row.
// Conditions on properties are left to plans for their values: their
// generic plans were not measured, and each shape of a filter a client
// writes would be one more statement prepared on every connection.
// Parsing and planning were 12% of PostgreSQL's CPU for a cold page of the
// scale dataset's points; prepared, pairs measured 5–14% more such pages a
// second over HTTP, and 5–20% more pages by a box and a day as a CQL2
// filter (bench/performance-notes.md).
func wholePrepared(q geo.Query) bool {
	return len(q.Filters) == 0 && (q.Filter == nil || placesAndTimes(q.Filter))
}

// placesAndTimes reports whether e combines, with AND, OR and NOT, only
// spatial and temporal relations.
func placesAndTimes(e *cql2.Expr) bool {
	switch e.Kind {
	case cql2.Spatial, cql2.Temporal:
		return true
	case cql2.And, cql2.Or, cql2.Not:
		for _, a := range e.Args {
			if !placesAndTimes(a) {
				return false
			}
		}
		return true
	}
	return false
}

// byID puts fs in id order (byte order, PostgreSQL's COLLATE "C"; ids are
// unique in a collection) and returns it, sorting their indexes and then
// moving each feature once: a feature is some 200 bytes, which sorting them
// in place moves several times each (658 features, sorted by comparing
// ids: 106 µs against 158 in place). The indexes are sorted by a key of
// each id, the eight bytes after the prefix all share as one number
// (idKey), and by the ids themselves only where keys are equal: ids such
// as the scale dataset's "point-012345-2025-10-01" share their first
// bytes, which every string comparison read again (BenchmarkByID: 88–91 µs
// by comparing ids into a second slice, 40–42 µs by keys in place).
func byID(fs []geo.Feature) []geo.Feature {
	if slices.IsSortedFunc(fs, func(a, b geo.Feature) int { return strings.Compare(a.ID, b.ID) }) {
		return fs
	}
	shared := fs[0].ID
	for _, f := range fs[1:] {
		n := 0
		for n < len(shared) && n < len(f.ID) && shared[n] == f.ID[n] {
			n++
		}
		shared = shared[:n]
	}
	type keyed struct {
		key uint64
		i   int32
	}
	ks := make([]keyed, len(fs))
	for i, f := range fs {
		ks[i] = keyed{idKey(f.ID[len(shared):]), int32(i)}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(fs[a.i].ID, fs[b.i].ID)
	})
	// Put each feature in its place, following the cycles of the order:
	// each moved once, and no second slice of them.
	for i := range ks {
		if ks[i].i < 0 || int(ks[i].i) == i {
			continue
		}
		first, j := fs[i], i
		for {
			k := int(ks[j].i)
			ks[j].i = -1
			if k == i {
				fs[j] = first
				break
			}
			fs[j] = fs[k]
			j = k
		}
	}
	return fs
}

// idKey is the first eight bytes of s as a big-endian number, zeros after
// a shorter s: keys in number order are the strings in byte order, except
// that strings whose first eight bytes are equal (or that differ only by
// zero bytes and length) have equal keys.
func idKey(s string) uint64 {
	var b [8]byte
	copy(b[:], s)
	return binary.BigEndian.Uint64(b[:])
}

// fitShare is how often, in percent, recent first pages of a collection's
// spatially bounded queries held every match: each moves it halfway to 100
// or 0. wholePage reads unordered while it is at least fitShareMin, so that
// a collection whose pages are mostly full (a page of a dense layer, or a
// small limit) does not pay for a read it throws away on each page; pages
// read in order keep it current. It starts at 100.
type fitShare struct{ pct atomic.Int32 }

// fitShareMin is the share from which wholePage reads unordered.
const fitShareMin = 50

func (f *fitShare) ask() bool { return f.pct.Load() >= fitShareMin }

// record adds one page to the share. Concurrent pages may lose an update of
// one another: it is a measure, not a count.
func (f *fitShare) record(fit bool) {
	var v int32
	if fit {
		v = 100
	}
	f.pct.Store((f.pct.Load() + v) / 2)
}

// fitShares are the shares of the collections wholePage has read: only
// collections of points in the catalogue (countsApart), so no more than it
// has held.
type fitShares struct {
	mu sync.Mutex
	m  map[string]*fitShare
}

// fitShare returns collection's share, made at 100 on its first page.
func (s *Store) fitShare(collection string) *fitShare {
	fs := &s.fits
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[collection]; ok {
		return f
	}
	if fs.m == nil {
		fs.m = map[string]*fitShare{}
	}
	f := &fitShare{}
	f.pct.Store(100)
	fs.m[collection] = f
	return f
}

// countsApart reports whether items reads a page of collection's features
// without counting them, and counts them with a second statement only when
// the page is full (a page that ends before its limit holds the last match).
// For points: the window count keeps every match with its wide columns
// before the sort (a cold page of 658 of the scale dataset's points: 2.6 ms
// with it, 1.3 ms without, 0.6 ms to count them apart). Not for lines and
// areas, whose spatial test a second statement repeats (a full page of 100
// polygons: 4.8 ms with the window, 4.1 + 3.5 ms apart; 86 polygons of a
// date, not a full page: 2.4 ms either way). The geometry type is read
// from the catalogue memoized at the current version, without a query;
// without it (no live change feed) the window count is kept.
func (s *Store) countsApart(collection string) bool {
	c, found, _ := s.catalogued(collection)
	return found && (c.GeometryType == "Point" || c.GeometryType == "MultiPoint")
}

// catalogued looks the collection up in the catalogue memoized at the
// version the change feed announced, without a query: known is false when
// there is none at hand (no live feed, or not read since the last change),
// found whether the collection is in it.
func (s *Store) catalogued(collection string) (c geo.Collection, found, known bool) {
	v, live := s.feed.current()
	if !live {
		return geo.Collection{}, false, false
	}
	cols, ok := s.memo.collections(v)
	if !ok {
		return geo.Collection{}, false, false
	}
	for _, c := range cols {
		if c.ID == collection {
			return c, true, true
		}
	}
	return geo.Collection{}, false, true
}

// planned returns the arguments of an items statement (a page, its ids
// and the rest of its features when it is read in two, its count), whose best plan
// depends on its values (how much a bbox or a time range covers): they are
// sent with pgx.QueryExecModeCacheDescribe, as an unnamed statement that
// PostgreSQL plans for these values, instead of a cached prepared statement,
// which PostgreSQL runs with one generic plan after five runs (a date's
// points counted by bitmap scans: 267 ms against 27 ms). The description
// is still cached, so it is one round trip. The other statements keep pgx's
// statement cache: a feature by id and the summaries, whose plan does not
// depend on their values, tiles from tilePlannedBelow, where planning
// costs more than the generic plan, and wholePage's read of a box or of a
// filter of places and times (wholePrepared) (bench/performance-notes.md).
func planned(args []any) []any {
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

// readPage reads the page of collection's features matching q in one
// statement (itemsSQL), and its number when counted: planned for its
// values (planned), or as a prepared statement when prepared is set
// (wholePrepared).
func (s *Store) readPage(ctx context.Context, collection string, q geo.Query, counted, prepared bool) (geo.Page, error) {
	sql, args := itemsSQL(collection, q, counted)
	if !prepared {
		args = planned(args)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	defer rows.Close()
	page := geo.Page{}
	// The features are gathered in chunks and copied once into a slice of
	// their number: a picture's 50,000 dots grown by doubling allocated 97
	// MB a picture, in chunks 75 MB (the same time).
	var chunks [][]geo.Feature
	first := 64
	if v, ok := s.pageRows.Load(collection); ok && q.Limit > 0 {
		// One slice of the last page's size and an eighth, rather than
		// chunks copied together: a page of 658 points allocated, cleared
		// and copied 150 KB that way.
		n := int(v.(*atomic.Int32).Load())
		first = n + n/8 + 1
		if q.Limit < first { // and no overflow for the largest limit
			first = q.Limit + 1
		}
	}
	chunk := make([]geo.Feature, 0, first)
	var count []any
	if counted {
		count = []any{&page.NumberMatched}
	}
	read := s.reader(collection, q, count...)
	for rows.Next() {
		f, err := read.read(rows)
		if err != nil {
			return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, err)
		}
		if len(chunk) == cap(chunk) {
			chunks = append(chunks, chunk)
			chunk = make([]geo.Feature, 0, min(2*cap(chunk), 4096))
		}
		chunk = append(chunk, f)
	}
	if err := rows.Err(); err != nil {
		return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	if len(chunks) == 0 {
		page.Features = chunk
	} else {
		page.Features = slices.Concat(append(chunks, chunk)...)
	}
	if n := len(page.Features); n > 0 && q.Limit > 0 {
		v, ok := s.pageRows.Load(collection)
		if !ok { // a collection that exists: it has features
			v, _ = s.pageRows.LoadOrStore(collection, new(atomic.Int32))
		}
		v.(*atomic.Int32).Store(int32(min(n, math.MaxInt32)))
	}
	return page, nil
}

// reader returns the reader of the rows of a page for q, then of extra
// columns into extra.
func (s *Store) reader(collection string, q geo.Query, extra ...any) *featureReader {
	if q.Properties != nil && !q.EncodedProperties {
		return newSelectedReader(collection, q.Properties, extra...)
	}
	return newFeatureReader(collection, extra...)
}

// knownPage reads the page of collection's features matching q in two
// statements: the ids of its features (and their number when counted),
// then the rest of those q.Known does not know, by id; the features it
// knows have their Collection and ID alone. A polygon's geometry is most
// of what PostgreSQL reads and sends for a page, and of what the server
// decodes: a page of 100 of the scale dataset's polygons took 5.6 ms in
// one statement and 3.7 ms for its ids, and sent 1.5 MB of geometries.
//
// again says that the page must be read in one statement instead: a
// feature of the first statement was gone by the second, deleted or
// changed so as not to match q (the second asks q's conditions again) by
// a write committed between the two, so the page would not hold what
// matches. A feature changed between the two and still matching is read
// as it is then, as a next page is.
func (s *Store) knownPage(ctx context.Context, collection string, q geo.Query, counted bool) (page geo.Page, again bool, err error) {
	sql, args := itemIDsSQL(collection, q, counted)
	rows, err := s.pool.Query(ctx, sql, planned(args)...)
	if err != nil {
		return geo.Page{}, false, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	var id string
	dest := []any{&id}
	if counted {
		dest = append(dest, &page.NumberMatched)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return geo.Page{}, false, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
		}
		page.Features = append(page.Features, geo.Feature{Collection: collection, ID: id})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return geo.Page{}, false, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	if page.Features == nil {
		page.Features = []geo.Feature{}
	}
	var unknown []string
	at := map[string]int{}
	for i, f := range page.Features {
		if !q.Known(f.ID) {
			unknown = append(unknown, f.ID)
			at[f.ID] = i
		}
	}
	if len(unknown) == 0 {
		return page, false, nil
	}
	sql, args = featuresByIDSQL(collection, q, unknown)
	rows, err = s.pool.Query(ctx, sql, planned(args)...)
	if err != nil {
		return geo.Page{}, false, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	defer rows.Close()
	read := s.reader(collection, q)
	for rows.Next() {
		f, err := read.read(rows)
		if err != nil {
			return geo.Page{}, false, fmt.Errorf("postgis: items of %q: %w", collection, err)
		}
		if i, ok := at[f.ID]; ok {
			page.Features[i] = f
			delete(at, f.ID)
		}
	}
	if err := rows.Err(); err != nil {
		return geo.Page{}, false, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	return page, len(at) > 0, nil
}

// noMatch is the empty page of an existing collection.
func (s *Store) noMatch(ctx context.Context, collection string) (geo.Page, error) {
	if err := s.exists(ctx, collection); err != nil {
		return geo.Page{}, err
	}
	return geo.Page{Features: []geo.Feature{}}, nil
}

// exists returns nil when the collection exists and an error matching
// geo.ErrNotFound when it does not: from the catalogue at the version the
// change feed announced when it is at hand (most tiles at high zooms are
// empty, and so is every page whose filter nothing stored can match),
// from the database otherwise; never by counting the collection's rows.
func (s *Store) exists(ctx context.Context, collection string) error {
	if _, found, known := s.catalogued(collection); known {
		if err := ctx.Err(); err != nil {
			return s.explain(ctx, fmt.Errorf("postgis: collection %q: %w", collection, err))
		}
		if !found {
			return notFound("collection %q", collection)
		}
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1)", collection).Scan(&exists); err != nil {
		return s.explain(ctx, fmt.Errorf("postgis: collection %q: %w", collection, classify(err)))
	}
	if !exists {
		return notFound("collection %q", collection)
	}
	return nil
}

// storable reports whether PostgreSQL can hold s as text: valid UTF-8
// without NUL. Ids and property names and values from a request that fail
// this cannot match anything stored.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// item returns one feature, with its properties only encoded when encoded
// is set and the row has an encoding (ItemEncoded), or an error matching
// geo.ErrNotFound if the collection or the feature does not exist.
func (s *Store) item(ctx context.Context, collection, id string, encoded bool) (geo.Feature, error) {
	if !storable(collection) || !storable(id) {
		return geo.Feature{}, notFound("feature %q in collection %q", id, collection)
	}
	sql, args := itemSQL(collection, id, encoded)
	f, err := scanFeature(s.pool.QueryRow(ctx, sql, args...), collection)
	if errors.Is(err, pgx.ErrNoRows) {
		return geo.Feature{}, notFound("feature %q in collection %q", id, collection)
	}
	if err != nil {
		return geo.Feature{}, fmt.Errorf("postgis: item %q of %q: %w", id, collection, err)
	}
	return f, nil
}
