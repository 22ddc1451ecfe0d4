package postgis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// pollEvery is how often the tests look for a change.
const pollEvery = 10 * time.Millisecond

// withAppName returns dbURL with a unique application_name, so that a test
// can find its own sessions in pg_stat_activity.
func withAppName(t *testing.T, dbURL string) (string, string) {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "cmtest_" + hex.EncodeToString(b)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String(), name
}

// importedDB creates a database holding the import tests' dataset.
func importedDB(t *testing.T) string {
	t.Helper()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(context.Background(), dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	return dbURL
}

// runStore opens a store with opts and runs it (migrations when asked, then
// the change feed) until the test ends.
func runStore(t *testing.T, dbURL string, opts postgis.Options) *postgis.Store {
	t.Helper()
	st, err := postgis.OpenWith(context.Background(), dbURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		st.Close()
	})
	return st
}

// eventually polls cond every pollEvery until it holds, failing the test
// after limit. It returns how long it took.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(pollEvery)
	}
	return time.Since(start)
}

func version(t *testing.T, st *postgis.Store) string {
	t.Helper()
	v, err := st.Version(context.Background())
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	return v
}

// controller returns the controller property of a feature of sites.
func controller(t *testing.T, st *postgis.Store, id string) any {
	t.Helper()
	f, err := st.Item(context.Background(), "sites", id)
	if err != nil {
		t.Fatalf("Item %s: %v", id, err)
	}
	return f.Properties["controller"]
}

// TestChangeFeed changes a row with plain SQL on another connection, as an
// editor in QGIS would, and checks that the store's Version moves within a
// second, answered from the notification without a query.
func TestChangeFeed(t *testing.T) {
	dbURL := importedDB(t)
	// One connection only: while a test holds it, Version can only answer
	// from the change feed.
	st := runStore(t, dbURL, postgis.Options{MaxConns: 1, StatementTimeout: 200 * time.Millisecond})
	eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)

	for i, ctrl := range []string{"government", "sdf"} {
		before := version(t, st)
		if err := exec(t, dbURL, `UPDATE features SET props = props || jsonb_build_object('controller', $1::text) WHERE collection = 'sites' AND id = 'roj-1'`, ctrl); err != nil {
			t.Fatal(err)
		}
		took := eventually(t, time.Second, "Version after an UPDATE", func() bool { return version(t, st) != before })
		t.Logf("change %d: Version %s -> %s after %s", i+1, before, version(t, st), took)
		if got := controller(t, st, "roj-1"); got != ctrl {
			t.Errorf("roj-1 controller = %v after the update, want %s", got, ctrl)
		}
	}

	release, err := st.HoldConnForTest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	before := version(t, st)
	if err := exec(t, dbURL, `DELETE FROM features WHERE collection = 'lines'`); err != nil {
		t.Fatal(err)
	}
	took := eventually(t, time.Second, "Version with the pool exhausted", func() bool { return version(t, st) != before })
	t.Logf("Version answered from the change feed with no free connection: %s -> %s after %s", before, version(t, st), took)
	if _, err := st.Items(context.Background(), "lines", geo.Query{Limit: 10}); !errors.Is(err, geo.ErrUnavailable) {
		t.Errorf("Items with the pool exhausted = %v, want geo.ErrUnavailable", err)
	}
}

// TestChangeFeedReconnects terminates the change feed's session: the feed
// reconnects and later changes are still seen within a second.
func TestChangeFeedReconnects(t *testing.T) {
	dbURL, app := withAppName(t, importedDB(t))
	st := runStore(t, dbURL, postgis.Options{})
	eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)

	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	err = admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, app+" change feed").Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d change feed sessions (err %v), want 1", killed, err)
	}
	down := eventually(t, 5*time.Second, "change feed noticed the termination", func() bool { return !st.LiveForTest() })
	up := eventually(t, 10*time.Second, "change feed reconnected", st.LiveForTest)
	t.Logf("feed down %s after pg_terminate_backend, up again %s later", down, up)

	before := version(t, st)
	if err := exec(t, dbURL, `UPDATE features SET props = props || '{"controller": "government"}' WHERE collection = 'sites' AND id = 'roj-1'`); err != nil {
		t.Fatal(err)
	}
	took := eventually(t, time.Second, "Version after the reconnect", func() bool { return version(t, st) != before })
	t.Logf("change after the reconnect seen in %s", took)
	if !st.LiveForTest() {
		t.Error("the change was read from the database, not the change feed")
	}
}

// TestChangeFeedRereadsAfterOutage cuts the store off the database, changes
// the data meanwhile (the notification is lost to the store), and checks
// that the reconnected feed serves the new version.
func TestChangeFeedRereadsAfterOutage(t *testing.T) {
	dbURL := importedDB(t)
	proxy := pgtest.NewProxy(t, dbURL)
	st := runStore(t, proxy.URL(dbURL), postgis.Options{})
	eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)
	before := version(t, st)

	proxy.Cut()
	eventually(t, 5*time.Second, "change feed noticed the cut", func() bool { return !st.LiveForTest() })
	if err := exec(t, dbURL, `UPDATE features SET props = props || '{"controller": "government"}' WHERE collection = 'sites' AND id = 'roj-1'`); err != nil {
		t.Fatal(err)
	}
	proxy.Restore()
	eventually(t, 15*time.Second, "change feed reconnected", st.LiveForTest)
	if after := version(t, st); after == before {
		t.Errorf("Version %s after reconnecting, unchanged: the change made while disconnected was missed", after)
	}
}

// TestChangeFeedPolls runs the polling feed a standby uses (forced here on
// the primary the tests have: FeedPoll) against a real database: an UPDATE
// on another connection shows in Version within a few intervals, answered
// from the feed without a query, and the feed stays live.
func TestChangeFeedPolls(t *testing.T) {
	dbURL, app := withAppName(t, importedDB(t))
	const every = 50 * time.Millisecond
	st := runStore(t, dbURL, postgis.Options{MaxConns: 1, FeedPoll: true, FeedPollInterval: every})
	eventually(t, 10*time.Second, "polling change feed live", st.LiveForTest)

	// The feed's session polls: its last statement is the version read,
	// never a LISTEN.
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var last string
	if err := admin.QueryRow(ctx, `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
		app+" change feed").Scan(&last); err != nil {
		t.Fatalf("the change feed's session: %v", err)
	}
	if last != "SELECT version, pg_is_in_recovery() FROM data_version" {
		t.Errorf("the change feed's last statement is %q, want the polled version read", last)
	}

	// The only pooled connection held: Version can only answer from the feed.
	release, err := st.HoldConnForTest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for i, ctrl := range []string{"government", "sdf"} {
		before := version(t, st)
		if err := exec(t, dbURL, `UPDATE features SET props = props || jsonb_build_object('controller', $1::text) WHERE collection = 'sites' AND id = 'roj-1'`, ctrl); err != nil {
			t.Fatal(err)
		}
		took := eventually(t, 20*every, "Version after an UPDATE, polled", func() bool { return version(t, st) != before })
		t.Logf("change %d: Version %s -> %s after %s (polling every %s)", i+1, before, version(t, st), took, every)
	}
	if !st.LiveForTest() {
		t.Error("the polling feed is not live")
	}
}
