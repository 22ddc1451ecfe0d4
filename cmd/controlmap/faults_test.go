package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// status GETs url and returns the status code and the Retry-After header.
func status(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// waitStatus polls url every 10 ms until it answers want, failing after limit.
func waitStatus(t *testing.T, url string, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		code, _ := status(t, url)
		if code == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("GET %s: still %d after %s, want %d", url, code, limit, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dataVersion reads /version.
func dataVersion(t *testing.T, base string) (version string, ready bool) {
	t.Helper()
	var v struct {
		Version *string `json:"version"`
		Ready   bool    `json:"ready"`
	}
	getJSON(t, base+"/version", &v)
	if v.Version != nil {
		version = *v.Version
	}
	return version, v.Ready
}

// TestServeThroughDatabaseOutages starts serve while PostgreSQL refuses
// connections (a proxy that is not up yet), checks that it answers 503 with
// Retry-After and becomes ready when the database comes, then cuts the
// database again while serving and checks 503 during the outage and full
// recovery after it, without restarting the server. Last, an edit made with
// plain SQL shows in /version within a second: serve runs the change feed.
func TestServeThroughDatabaseOutages(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	ds, err := geo.LoadDir(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgis.Import(context.Background(), dbURL, ds); err != nil {
		t.Fatal(err)
	}
	proxy := pgtest.NewProxy(t, dbURL)
	proxy.Cut()
	env := map[string]string{"DATABASE_URL": proxy.URL(dbURL)}
	base, logs, stop := startServe(t, []string{"--statement-timeout", "2s"}, env, nil)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("serve logs:\n%s", logs)
		}
	}()

	// outage checks answers the server never built before (n keeps the
	// limits new): 503 with Retry-After, since there is no last good answer.
	n := 0
	outage := func(phase string) {
		t.Helper()
		n++
		for _, path := range []string{"/readyz", fmt.Sprintf("/collections/facilities/items?f=json&limit=%d", n), fmt.Sprintf("/collections/areas/items?f=json&limit=%d", n)} {
			code, retry := status(t, base+path)
			if code != http.StatusServiceUnavailable || retry == "" {
				t.Errorf("%s: GET %s = %d, Retry-After %q; want 503 with Retry-After", phase, path, code, retry)
			}
		}
		if _, ready := dataVersion(t, base); ready {
			t.Errorf("%s: /version says ready", phase)
		}
	}
	if code, _ := status(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d before the database is up, want 200 (the process is alive)", code)
	}
	outage("before the database is up")

	proxy.Restore()
	took := waitStatus(t, base+"/readyz", http.StatusOK, 40*time.Second)
	t.Logf("ready %s after the database came up", took)
	checkCollections(t, base)

	// Wait for the change feed to connect, so that the outage below is
	// noticed by it too.
	feedUp := func() bool {
		conn, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'controlmap change feed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	for start := time.Now(); !feedUp(); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the change feed did not connect")
		}
	}

	proxy.Cut()
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable, 10*time.Second)
	waitStatus(t, base+"/collections/events/items?f=json&limit=3", http.StatusServiceUnavailable, 10*time.Second)
	outage("while the database is down")
	// An answer built before the outage is served again, marked stale.
	resp, err := http.Get(base + "/collections?f=json")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") != "stale" || resp.Header.Get("Warning") == "" {
		t.Errorf("GET /collections?f=json while the database is down = %d, X-Cache %q, Warning %q; want the last good answer marked stale",
			resp.StatusCode, resp.Header.Get("X-Cache"), resp.Header.Get("Warning"))
	}
	proxy.Restore()
	took = waitStatus(t, base+"/collections/facilities/items?f=json&limit=1", http.StatusOK, 30*time.Second)
	t.Logf("serving again %s after the database came back", took)
	waitStatus(t, base+"/readyz", http.StatusOK, 10*time.Second)
	checkCollections(t, base)

	for start := time.Now(); !feedUp(); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the change feed did not reconnect")
		}
	}
	before, _ := dataVersion(t, base)
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `UPDATE features SET props = props || '{"note": "edited"}' WHERE collection = 'facilities'`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		if v, ready := dataVersion(t, base); ready && v != before {
			t.Logf("/version %s -> %s, %s after the edit", before, v, time.Since(start))
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("/version did not change within a second of the edit")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var body map[string]any
	getJSON(t, base+"/collections/facilities/items?f=json&limit=1", &body)
	feats, _ := body["features"].([]any)
	if len(feats) != 1 {
		t.Fatalf("items: %v", body)
	}
	props := feats[0].(map[string]any)["properties"].(map[string]any)
	if props["note"] != "edited" {
		b, _ := json.Marshal(props)
		t.Errorf("the edit is not served: %s", b)
	}
}
