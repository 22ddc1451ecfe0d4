package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

type versionAnswer struct {
	Version *string `json:"version"`
	Ready   bool    `json:"ready"`
}

func TestVersionEndpoint(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, st geo.Store) {
		var got versionAnswer
		rec := getJSON(t, e, "/version", &got)
		want, err := st.Version(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !got.Ready || got.Version == nil || *got.Version != want {
			t.Errorf("/version = %+v, want ready with version %q", got, want)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		if rec := do(t, e, http.MethodHead, "/version"); rec.Code != http.StatusOK {
			t.Errorf("HEAD /version: %d", rec.Code)
		}
	})
}

// unavailableStore cannot tell its version.
type unavailableStore struct{ failingStore }

func (unavailableStore) Version(context.Context) (string, error) {
	return "", fmt.Errorf("test: %w", geo.ErrUnavailable)
}

func TestVersionUnavailable(t *testing.T) {
	e := newServer(t, unavailableStore{failingStore{err: geo.ErrUnavailable, pingErr: geo.ErrUnavailable}})
	rec := get(t, e, "/version", http.StatusOK)
	if body := strings.TrimSpace(rec.Body.String()); body != `{"version":null,"ready":false}` {
		t.Errorf("/version of an unavailable store = %s", body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

// TestLiveChange edits a feature with plain SQL on another connection, as an
// editor in QGIS would, under a server whose PostGIS store follows the change
// feed: within a second /version and the items URL's ETag change, and the
// new body shows the edit.
func TestLiveChange(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	ctx := context.Background()
	if _, err := postgis.Import(ctx, dbURL, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	st, err := postgis.OpenWith(ctx, dbURL, postgis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- st.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done; st.Close() })
	e := newServer(t, st)

	const itemsURL = "/collections/facilities/items?f=json&datetime=2026-01-25"
	versionOf := func() string {
		var v versionAnswer
		getJSON(t, e, "/version", &v)
		if !v.Ready || v.Version == nil {
			return ""
		}
		return *v.Version
	}
	// Wait for the change feed, so the change is seen through it.
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the change feed did not connect")
		}
		if liveFeed(t, dbURL) {
			break
		}
	}
	v0 := versionOf()
	rec := get(t, e, itemsURL, http.StatusOK)
	etag0 := rec.Header().Get("ETag")
	if strings.Contains(rec.Body.String(), "contested") {
		t.Fatal("the fixture already has a contested facility on 2026-01-25")
	}

	if err := execSQL(ctx, dbURL, `UPDATE features SET props = props || '{"controller": "contested"}'
		WHERE collection = 'facilities' AND id = 'roj-1'`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var etag1, body string
	for {
		rec := do(t, e, http.MethodGet, itemsURL, "If-None-Match", etag0)
		if rec.Code == http.StatusOK {
			etag1, body = rec.Header().Get("ETag"), rec.Body.String()
			break
		}
		if rec.Code != http.StatusNotModified {
			t.Fatalf("GET %s: %d %s", itemsURL, rec.Code, rec.Body)
		}
		if time.Since(start) > time.Second {
			t.Fatalf("the ETag of %s did not change within a second of the edit", itemsURL)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("ETag of %s changed %s after the edit committed", itemsURL, time.Since(start))
	if etag1 == etag0 || etag1 == "" {
		t.Errorf("ETag %s -> %s", etag0, etag1)
	}
	if !strings.Contains(body, `"contested"`) {
		t.Errorf("the new body does not show the edit:\n%s", truncate(body))
	}
	if v1 := versionOf(); v1 == v0 || v1 == "" {
		t.Errorf("/version %q -> %q, want a change", v0, v1)
	}
}

// execSQL runs one statement on its own connection.
func execSQL(ctx context.Context, dbURL, sql string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// liveFeed reports whether a change feed session listens on the database.
func liveFeed(t *testing.T, dbURL string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'controlmap change feed' AND state = 'idle'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}
