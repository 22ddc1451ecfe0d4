// Package pgtest gives tests a throwaway PostGIS database: NewDB creates one
// with the controlmap schema applied and drops it when the test ends;
// NewStore also imports a dataset and opens a postgis.Store on it.
//
// The server is the one at CONTROLMAP_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); the role
// must be allowed to create databases and extensions. When the server or the
// postgis extension is not available, tests are skipped with a message saying
// so, except under CI=true, where they fail: a CI run must not pass by
// skipping the PostGIS suite. scripts/pg-setup.sh prepares a local server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
)

// EnvURL is the environment variable naming the server tests use.
const EnvURL = "CONTROLMAP_TEST_DATABASE_URL"

// DefaultURL is the server tests use when EnvURL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// namePrefix starts the name of every database NewDB creates.
const namePrefix = "controlmap_test_"

// AdminURL returns the URL of the server's maintenance database that tests
// connect to in order to create and drop their databases.
func AdminURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// RequireCI reports whether the environment says this is a CI run (CI=true),
// where an unavailable PostGIS must fail the tests instead of skipping them.
func RequireCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// Available reports why PostGIS tests cannot run here, or nil if they can:
// the server must answer and offer the postgis and btree_gist extensions.
func Available(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return fmt.Errorf("pgtest: cannot connect to PostgreSQL at %s: %w", redact(AdminURL()), err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM pg_available_extensions WHERE name IN ('postgis', 'btree_gist')").Scan(&n)
	if err != nil {
		return fmt.Errorf("pgtest: query available extensions: %w", err)
	}
	if n < 2 {
		return fmt.Errorf("pgtest: PostgreSQL at %s lacks the postgis or btree_gist extension (install postgresql-15-postgis-3: run scripts/pg-setup.sh)", redact(AdminURL()))
	}
	return nil
}

// unavailable skips the test with a loud message, or fails it under CI.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if RequireCI() {
		t.Fatalf("PostGIS is required under CI=true but unavailable: %v", err)
	}
	t.Skipf("SKIPPED: PostGIS test not run: %v (set %s, or run scripts/pg-setup.sh; CI=true makes this a failure)", err, EnvURL)
}

// NewDB creates an empty database named controlmap_test_xxxxxxxx with the
// postgis extension and every migration applied, and returns its URL. The
// database is dropped (WITH (FORCE)) when the test and its subtests end.
func NewDB(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	if err := Available(ctx); err != nil {
		unavailable(t, err)
	}
	dbURL, drop, err := Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dbURL
}

// Create is NewDB for a database that outlives one test (a benchmark
// fixture shared by a package): it creates the database and returns its URL
// and a function that drops it. It does not check Available.
func Create(ctx context.Context) (dbURL string, drop func() error, err error) {
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: connect: %w", err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("pgtest: random name: %w", err)
	}
	name := namePrefix + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", nil, fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	drop = func() error { return dropDB(ident) }
	fail := func(err error) (string, func() error, error) {
		if derr := drop(); derr != nil {
			err = errors.Join(err, derr)
		}
		return "", nil, err
	}
	if dbURL, err = withDatabase(AdminURL(), name); err != nil {
		return fail(fmt.Errorf("pgtest: %w", err))
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fail(fmt.Errorf("pgtest: connect to %s: %w", name, err))
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS btree_gist"); err != nil {
		return fail(fmt.Errorf("pgtest: create extensions in %s: %w", name, err))
	}
	if err := postgis.Migrate(ctx, dbURL); err != nil {
		return fail(fmt.Errorf("pgtest: migrate %s: %w", name, err))
	}
	return dbURL, drop, nil
}

// NewStore creates a database with NewDB, imports ds into it and returns a
// store on it, closed when the test ends.
func NewStore(t testing.TB, ds *geo.Dataset) *postgis.Store {
	t.Helper()
	dbURL := NewDB(t)
	ctx := context.Background()
	if _, err := postgis.Import(ctx, dbURL, ds); err != nil {
		t.Fatalf("pgtest: import: %v", err)
	}
	st, err := postgis.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: open store: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

// dropDB drops the database named by the quoted identifier ident.
func dropDB(ident string) error {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return fmt.Errorf("pgtest: drop database %s: %w", ident, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: drop database %s: %w", ident, err)
	}
	return nil
}

// withDatabase returns the connection string s pointing at database name
// instead. s is a postgres:// URL or a key=value string.
func withDatabase(s, name string) (string, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("bad %s: %w", EnvURL, err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	return s + " dbname=" + name, nil
}

// redact hides a password in a connection string for messages.
func redact(s string) string {
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return passwordRE.ReplaceAllString(s, "password=xxxxx")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

var passwordRE = regexp.MustCompile(`password=\S*`)
