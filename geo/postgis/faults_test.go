package postgis_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// calls runs every geo.Store method once and returns their errors by name.
func calls(st *postgis.Store) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	errs["Ping"] = st.Ping(ctx)
	_, errs["Version"] = st.Version(ctx)
	_, errs["Collections"] = st.Collections(ctx)
	_, errs["Collection"] = st.Collection(ctx, "sites")
	_, errs["Items"] = st.Items(ctx, "sites", geo.Query{Limit: 10})
	_, errs["Item"] = st.Item(ctx, "sites", "hol-1")
	return errs
}

// TestOutageAndRecovery cuts the connection to PostgreSQL under a serving
// store: every call fails with geo.ErrUnavailable while it is cut, and all
// work again once it is restored, without reopening the store.
func TestOutageAndRecovery(t *testing.T) {
	dbURL := importedDB(t)
	proxy := pgtest.NewProxy(t, dbURL)
	st := runStore(t, proxy.URL(dbURL), postgis.Options{StatementTimeout: time.Second})
	eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)
	for name, err := range calls(st) {
		if err != nil {
			t.Fatalf("%s before the outage: %v", name, err)
		}
	}

	proxy.Cut()
	// Version answers from the change feed until the feed notices the cut;
	// then every call must fail as unavailable.
	eventually(t, 5*time.Second, "change feed noticed the cut", func() bool { return !st.LiveForTest() })
	for name, err := range calls(st) {
		t.Run("down/"+name, func(t *testing.T) {
			if !errors.Is(err, geo.ErrUnavailable) {
				t.Errorf("%s during the outage = %v, want geo.ErrUnavailable", name, err)
			}
		})
	}

	proxy.Restore()
	took := eventually(t, 15*time.Second, "recovery", func() bool {
		for _, err := range calls(st) {
			if err != nil {
				return false
			}
		}
		return true
	})
	t.Logf("every call answered %s after the database came back", took)
	eventually(t, 10*time.Second, "change feed reconnected", st.LiveForTest)
}

// emptyDB creates a database with nothing in it (no schema), dropped when
// the test ends.
func emptyDB(t *testing.T) string {
	t.Helper()
	dbURL := pgtest.NewDB(t)
	for _, stmt := range []string{
		"DROP TABLE features, collections, collection_summaries, data_version, schema_migrations CASCADE",
		"DROP FUNCTION controlmap_validity, controlmap_feature_hash, controlmap_features_set_hash, controlmap_bump_data_version, " +
			"controlmap_refresh_summaries, controlmap_summaries_insert, controlmap_summaries_update, controlmap_summaries_delete, controlmap_summaries_truncate, " +
			"controlmap_features_clear_props_json",
	} {
		if err := exec(t, dbURL, stmt); err != nil {
			t.Fatalf("empty the database: %v", err)
		}
	}
	return dbURL
}

// TestStartsBeforeDatabase opens and runs a store (with migrations) while
// its database refuses connections: every call is unavailable; once the
// database comes, Run migrates it and the store becomes ready.
func TestStartsBeforeDatabase(t *testing.T) {
	dbURL := emptyDB(t)
	proxy := pgtest.NewProxy(t, dbURL)
	proxy.Cut()
	url := proxy.URL(dbURL)
	st := runStore(t, url, postgis.Options{MigrateURL: url})

	time.Sleep(200 * time.Millisecond) // let Run fail an attempt or two
	for name, err := range calls(st) {
		if !errors.Is(err, geo.ErrUnavailable) {
			t.Errorf("%s before the database is up = %v, want geo.ErrUnavailable", name, err)
		}
	}
	proxy.Restore()
	took := eventually(t, 40*time.Second, "ready after the database came", func() bool { return st.Ping(context.Background()) == nil })
	t.Logf("ready %s after the database came (migrations applied)", took)
	if v := version(t, st); v == "" {
		t.Error("no version after migrating")
	}
	cols, err := st.Collections(context.Background())
	if err != nil || len(cols) != 0 {
		t.Errorf("Collections of the migrated empty database = %v, %v; want none", cols, err)
	}
}

// TestNotMigratedIsUnavailable checks the gate alone: a reachable database
// whose migrations have not run yet (Run not called) answers unavailable.
func TestNotMigratedIsUnavailable(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	st, err := postgis.OpenWith(context.Background(), dbURL, postgis.Options{MigrateURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, err := range calls(st) {
		if !errors.Is(err, geo.ErrUnavailable) || !strings.Contains(err.Error(), "not migrated") {
			t.Errorf("%s = %v, want geo.ErrUnavailable saying the schema is not migrated", name, err)
		}
	}
}

// TestStatementTimeout runs a statement longer than the statement timeout:
// PostgreSQL cancels it and the store reports the database unavailable.
func TestStatementTimeout(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	st := openWith(t, dbURL, postgis.Options{StatementTimeout: 100 * time.Millisecond})
	err := st.SleepForTest(context.Background(), 3*time.Second)
	if !errors.Is(err, geo.ErrUnavailable) || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("a statement past the timeout = %v, want geo.ErrUnavailable naming the statement timeout", err)
	}
}

func openWith(t *testing.T, dbURL string, opts postgis.Options) *postgis.Store {
	t.Helper()
	st, err := postgis.OpenWith(context.Background(), dbURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// activeSleeps counts the sessions of application app running pg_sleep.
func activeSleeps(t *testing.T, admin *pgx.Conn, app string) int {
	t.Helper()
	var n int
	err := admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND state = 'active' AND query LIKE '%pg_sleep%'`, app).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCancelledCallCancelsQuery cancels a call's context mid-query (a client
// hanging up): the call returns at once with the context's error, and the
// query stops on the server too.
func TestCancelledCallCancelsQuery(t *testing.T) {
	dbURL, app := withAppName(t, pgtest.NewDB(t))
	st := openWith(t, dbURL, postgis.Options{StatementTimeout: time.Minute})
	admin, err := pgx.Connect(context.Background(), pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.SleepForTest(ctx, 50*time.Second) }()
	eventually(t, 10*time.Second, "the query running", func() bool { return activeSleeps(t, admin, app) == 1 })
	start := time.Now()
	cancel()
	err = <-done
	t.Logf("the call returned %s after its context was cancelled: %v", time.Since(start), err)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call = %v, want context.Canceled", err)
	}
	gone := eventually(t, 5*time.Second, "the server's query cancelled", func() bool { return activeSleeps(t, admin, app) == 0 })
	t.Logf("the server's query was gone %s after the call returned", gone)
}

// TestPoolIsBounded runs more calls at once than the pool has connections:
// no more than MaxConns reach PostgreSQL together, and the rest wait their
// turn and succeed.
func TestPoolIsBounded(t *testing.T) {
	dbURL, app := withAppName(t, pgtest.NewDB(t))
	const maxConns, calls = 2, 6
	st := openWith(t, dbURL, postgis.Options{MaxConns: maxConns})
	admin, err := pgx.Connect(context.Background(), pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())

	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- st.SleepForTest(context.Background(), 300*time.Millisecond)
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	most := 0
	for running := true; running; {
		select {
		case <-finished:
			running = false
		default:
			most = max(most, activeSleeps(t, admin, app))
			time.Sleep(pollEvery)
		}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call: %v", err)
		}
	}
	if most > maxConns || most == 0 {
		t.Errorf("at most %d queries ran at once, want between 1 and %d", most, maxConns)
	}
	t.Logf("%d calls on a pool of %d: at most %d queries at once", calls, maxConns, most)
}

// TestTerminatedBackend terminates the session running a query, as a
// database shutting down does (SQLSTATE 57P01): the call fails as
// unavailable, and the next calls work on fresh connections.
func TestTerminatedBackend(t *testing.T) {
	dbURL, app := withAppName(t, importedDB(t))
	st := openWith(t, dbURL, postgis.Options{})
	admin, err := pgx.Connect(context.Background(), pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())

	done := make(chan error, 1)
	go func() { done <- st.SleepForTest(context.Background(), 30*time.Second) }()
	eventually(t, 10*time.Second, "the query running", func() bool { return activeSleeps(t, admin, app) == 1 })
	if _, err := admin.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1`, app); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if !errors.Is(err, geo.ErrUnavailable) {
		t.Errorf("a query whose session was terminated = %v, want geo.ErrUnavailable", err)
	}
	t.Logf("terminated: %v", err)
	for name, err := range calls(st) {
		if err != nil {
			t.Errorf("%s after the termination: %v", name, err)
		}
	}
}
