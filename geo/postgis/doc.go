// Package postgis is the PostgreSQL/PostGIS store: a geo.Store over a pgx
// connection pool, the embedded SQL migrations that create its schema, and the
// importer that loads a validated geo.Dataset in one transaction.
//
// Schema (migrations/0001_init.sql): collections (the catalogue, in order),
// features (one row per version of a thing: geometry in EPSG:4326, properties
// and sources as jsonb, validity as a tstzrange, a content hash kept by a
// trigger), and data_version, a counter bumped by statement triggers on both
// tables whenever a statement changes rows, announced with pg_notify on the
// channel controlmap_changes. Migration 0002 adds collection_summaries: each
// collection's count, extents, property names and change times, recomputed
// by statement triggers for the collections a statement touched, so that
// reading them is one row per collection (memoized per data version while
// the change feed is live, memo.go).
//
// Validity is stored as tstzrange: [valid_from, valid_to) for a span, [t, t]
// for an instant (an event), with NULL bounds for open ends, so the range
// operator && answers the OGC datetime filter exactly as geo.Interval does.
//
// Serving (calls.go, listen.go): every call runs under statement_timeout and
// a deadline of its own, and a cancelled context cancels the query on the
// server; a database that is down, restarting, not migrated yet or out of
// connections is geo.ErrUnavailable. Run applies the migrations in the
// background, retrying with backoff, then follows the change feed so that
// Version answers from notifications without a query.
//
// All SQL comes from small pure builder functions (sql.go) that return the
// statement and its arguments; every value is a bound parameter and the only
// identifiers are the fixed table and column names.
package postgis
