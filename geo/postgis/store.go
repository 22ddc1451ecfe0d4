package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/controlmap/controlmap/geo"
)

var _ geo.Store = (*Store)(nil)

// Store is a geo.Store over a PostGIS database with the schema of Migrate.
// It is safe for concurrent use: every call takes a connection from a
// bounded pool.
type Store struct {
	pool *pgxpool.Pool
}

// Open returns a Store over a connection pool for databaseURL (a postgres://
// URL or key=value string). It runs no query and opens no connection, so it
// succeeds while the database is down; use Ping to check it.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("postgis: bad database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: open pool: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() { s.pool.Close() }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgis: ping: %w", classify(err))
	}
	return nil
}

// Version returns the data_version counter, which triggers bump whenever a
// statement changes features or collections.
func (s *Store) Version(ctx context.Context) (string, error) {
	sql, args := versionSQL()
	var v int64
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		return "", fmt.Errorf("postgis: version: %w", classify(err))
	}
	return strconv.FormatInt(v, 10), nil
}

// Collections lists the collections in catalogue order with their extents,
// counts and property names computed from the features.
func (s *Store) Collections(ctx context.Context) ([]geo.Collection, error) {
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

// Collection returns one collection by id, or an error matching
// geo.ErrNotFound.
func (s *Store) Collection(ctx context.Context, id string) (geo.Collection, error) {
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

// Items returns the page of the collection's features matching q, in id
// order, with the number of matching features; an error matching
// geo.ErrNotFound if the collection does not exist.
func (s *Store) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
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
	sql, args := itemsSQL(collection, q)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	defer rows.Close()
	page := geo.Page{Features: []geo.Feature{}}
	for rows.Next() {
		f, err := scanFeature(rows, collection, &page.NumberMatched)
		if err != nil {
			return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, err)
		}
		page.Features = append(page.Features, f)
	}
	if err := rows.Err(); err != nil {
		return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	if len(page.Features) > 0 {
		return page, nil
	}
	// An empty page: the collection may not exist, or the offset may lie past
	// the last match, where the window count has no row to ride on.
	sql, args = itemsCountSQL(collection, q)
	var exists bool
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&exists, &page.NumberMatched); err != nil {
		return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	if !exists {
		return geo.Page{}, notFound("collection %q", collection)
	}
	return page, nil
}

// noMatch is the empty page of an existing collection.
func (s *Store) noMatch(ctx context.Context, collection string) (geo.Page, error) {
	sql, args := itemsCountSQL(collection, geo.Query{})
	var exists bool
	var n int
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&exists, &n); err != nil {
		return geo.Page{}, fmt.Errorf("postgis: items of %q: %w", collection, classify(err))
	}
	if !exists {
		return geo.Page{}, notFound("collection %q", collection)
	}
	return geo.Page{Features: []geo.Feature{}}, nil
}

// storable reports whether PostgreSQL can hold s as text: valid UTF-8
// without NUL. Ids and property names and values from a request that fail
// this cannot match anything stored.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// Item returns one feature, or an error matching geo.ErrNotFound if the
// collection or the feature does not exist.
func (s *Store) Item(ctx context.Context, collection, id string) (geo.Feature, error) {
	if !storable(collection) || !storable(id) {
		return geo.Feature{}, notFound("feature %q in collection %q", id, collection)
	}
	sql, args := itemSQL(collection, id)
	f, err := scanFeature(s.pool.QueryRow(ctx, sql, args...), collection)
	if errors.Is(err, pgx.ErrNoRows) {
		return geo.Feature{}, notFound("feature %q in collection %q", id, collection)
	}
	if err != nil {
		return geo.Feature{}, fmt.Errorf("postgis: item %q of %q: %w", id, collection, err)
	}
	return f, nil
}
