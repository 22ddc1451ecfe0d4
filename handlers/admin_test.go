package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

const adminToken = "s3cret-admin-token-for-tests-0123456789"

// post sends a POST with an optional body; headers are name, value pairs.
func post(t *testing.T, e *echo.Echo, target string, body []byte, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) problemBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != handlers.MediaProblem {
		t.Errorf("Content-Type %q, want %s", ct, handlers.MediaProblem)
	}
	var p problemBody
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem is not JSON: %v; body %s", err, rec.Body)
	}
	return p
}

func TestAdminWithoutToken(t *testing.T) {
	e := serverWith(t, memoryFixture(), handlers.Options{
		Reload: func(context.Context) error { t.Error("Reload called with no admin token configured"); return nil },
	})
	for _, target := range []string{"/admin/reload", "/admin/cache/purge", "/admin/runtime/gc", "/admin"} {
		for _, auth := range []string{"", "Bearer ", "Bearer anything"} {
			t.Run(target+" "+auth, func(t *testing.T) {
				rec := post(t, e, target, nil, "Authorization", auth)
				if rec.Code != http.StatusNotFound {
					t.Errorf("status %d, want 404: admin endpoints must not exist without a token", rec.Code)
				}
			})
		}
	}
}

func TestAdminAuth(t *testing.T) {
	var reloads, purges atomic.Int32
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := serverWith(t, memoryFixture(), handlers.Options{
		AdminToken: adminToken,
		Logger:     log,
		Reload:     func(context.Context) error { reloads.Add(1); return nil },
		Purge:      func(context.Context) error { purges.Add(1); return nil },
	})
	refused := []struct {
		name, auth string
		invalid    bool // the challenge says invalid_token
	}{
		{"missing", "", false},
		{"wrong", "Bearer not-the-token", true},
		{"empty bearer", "Bearer ", true},
		{"a prefix of the token", "Bearer " + adminToken[:10], true},
		{"the token and more", "Bearer " + adminToken + "x", true},
		{"another scheme", "Basic " + adminToken, true},
		{"the token without a scheme", adminToken, true},
	}
	for _, target := range []string{"/admin/reload", "/admin/cache/purge", "/admin/runtime/gc"} {
		for _, tt := range refused {
			t.Run(target+" "+tt.name, func(t *testing.T) {
				rec := post(t, e, target, nil, "Authorization", tt.auth)
				if rec.Code != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", rec.Code)
				}
				ch := rec.Header().Get("WWW-Authenticate")
				if !strings.HasPrefix(ch, "Bearer ") || strings.Contains(ch, "invalid_token") != tt.invalid {
					t.Errorf("WWW-Authenticate %q", ch)
				}
				if p := decodeProblem(t, rec); p.Status != 401 || p.Detail == "" {
					t.Errorf("problem %+v", p)
				}
				if strings.Contains(rec.Body.String(), adminToken) {
					t.Error("the answer repeats the token")
				}
			})
		}
		t.Run(target+" right token", func(t *testing.T) {
			rec := post(t, e, target, nil, "Authorization", "Bearer "+adminToken)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
			}
			rec = post(t, e, target, nil, "Authorization", "bearer "+adminToken)
			if rec.Code != http.StatusOK {
				t.Errorf("lower-case scheme: status %d, want 200 (schemes are case-insensitive)", rec.Code)
			}
		})
	}
	if reloads.Load() != 2 || purges.Load() != 2 {
		t.Errorf("Reload called %d times, Purge %d; want 2 each (only with the right token)", reloads.Load(), purges.Load())
	}
	t.Run("GET is not allowed", func(t *testing.T) {
		rec := do(t, e, http.MethodGet, "/admin/reload", "Authorization", "Bearer "+adminToken)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("status %d, want 405", rec.Code)
		}
	})
	t.Run("no parameters", func(t *testing.T) {
		rec := post(t, e, "/admin/reload?force=1", nil, "Authorization", "Bearer "+adminToken)
		if p := decodeProblem(t, rec); rec.Code != 400 || p.Parameter != "force" {
			t.Errorf("status %d, problem %+v: want 400 naming force", rec.Code, p)
		}
	})
	t.Run("no body", func(t *testing.T) {
		rec := post(t, e, "/admin/reload", nested(10000), "Authorization", "Bearer "+adminToken, "Content-Type", "application/json")
		if rec.Code != http.StatusBadRequest {
			t.Errorf("a nested JSON body: status %d, want 400", rec.Code)
		}
		rec = post(t, e, "/admin/reload", bytes.Repeat([]byte("a"), 2<<20))
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("a 2 MB body without a token: status %d, want 413", rec.Code)
		}
	})
	if strings.Contains(logs.String(), adminToken) || strings.Contains(logs.String(), adminToken[:10]) {
		t.Errorf("the logs contain the admin token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "wrong token") {
		t.Error("refused admin requests are not logged")
	}
}

func TestAdminReload(t *testing.T) {
	t.Run("a folder store", func(t *testing.T) {
		fsys := storetest.FixtureFS()
		st, err := memory.Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		e := serverWith(t, st, handlers.Options{AdminToken: adminToken,
			Reload: func(context.Context) error { return st.Reload(fsys) }})
		before, _ := st.Version(context.Background())
		// The folder changes: the border file loses a feature.
		var fc map[string]any
		if err := json.Unmarshal(fsys["border.geojson"].Data, &fc); err != nil {
			t.Fatal(err)
		}
		feats := fc["features"].([]any)
		fc["features"] = feats[1:]
		b, err := json.Marshal(fc)
		if err != nil {
			t.Fatal(err)
		}
		fsys["border.geojson"] = &fstest.MapFile{Data: b}

		rec := post(t, e, "/admin/reload", nil, "Authorization", "Bearer "+adminToken)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d; body %s", rec.Code, rec.Body)
		}
		var got struct{ Status, Version string }
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Status != "reloaded" || got.Version == "" || got.Version == before {
			t.Errorf("answer %s (%v): want status reloaded and a new version (was %s)", rec.Body, err, before)
		}
		var items featureCollection
		getJSON(t, e, "/collections/border/items", &items)
		if items.NumberMatched != len(feats)-1 {
			t.Errorf("border has %d features after the reload, want %d", items.NumberMatched, len(feats)-1)
		}
	})
	t.Run("a failing reload", func(t *testing.T) {
		e := serverWith(t, memoryFixture(), handlers.Options{AdminToken: adminToken,
			Reload: func(context.Context) error {
				return errors.New("memory: load: facilities.geojson: feature x: bad geometry")
			}})
		rec := post(t, e, "/admin/reload", nil, "Authorization", "Bearer "+adminToken)
		p := decodeProblem(t, rec)
		if rec.Code != http.StatusInternalServerError || !strings.Contains(p.Detail, "bad geometry") || !strings.Contains(p.Detail, "previous") {
			t.Errorf("status %d, problem %+v: want 500 saying why and that the previous data is served", rec.Code, p)
		}
	})
	t.Run("a reload the request's end cancels", func(t *testing.T) {
		fsys := storetest.FixtureFS()
		st, err := memory.Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := st.Version(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var logs bytes.Buffer
		e := serverWith(t, st, handlers.Options{AdminToken: adminToken, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			// The client goes away while the folder is read.
			Reload: func(ctx context.Context) error {
				return st.ReloadContext(ctx, cancelOnOpen{fsys, "border.geojson", cancel})
			}})
		fsys["border.geojson"] = &fstest.MapFile{Data: []byte(`{"type":"FeatureCollection","features":[]}`)}
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/admin/reload", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		p := decodeProblem(t, rec)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(p.Detail, "cancelled") || !strings.Contains(p.Detail, "previous data") {
			t.Errorf("status %d, problem %+v: want 503 saying the reload was cancelled", rec.Code, p)
		}
		if after, _ := st.Version(context.Background()); after != before {
			t.Errorf("version %s after a cancelled reload, want %s", after, before)
		}
		if !strings.Contains(logs.String(), "reload via /admin/reload cancelled") {
			t.Errorf("the cancelled reload is not logged:\n%s", logs.String())
		}
	})
	t.Run("nothing to reload", func(t *testing.T) {
		e := serverWith(t, memoryFixture(), handlers.Options{AdminToken: adminToken})
		rec := post(t, e, "/admin/reload", nil, "Authorization", "Bearer "+adminToken)
		if p := decodeProblem(t, rec); rec.Code != http.StatusNotImplemented || p.Detail == "" {
			t.Errorf("status %d, problem %+v: want 501 with a reason", rec.Code, p)
		}
		rec = post(t, e, "/admin/cache/purge", nil, "Authorization", "Bearer "+adminToken)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "purged") {
			t.Errorf("purge without Options.Purge empties the server's own cache: status %d, body %s", rec.Code, rec.Body)
		}
		e = serverWith(t, memoryFixture(), handlers.Options{AdminToken: adminToken, CacheBytes: -1})
		rec = post(t, e, "/admin/cache/purge", nil, "Authorization", "Bearer "+adminToken)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "nothing to purge") {
			t.Errorf("purge without a cache or Options.Purge: status %d, body %s", rec.Code, rec.Body)
		}
	})
}

// cancelOnOpen is a dataset folder that calls cancel when the file named is
// opened.
type cancelOnOpen struct {
	fs.FS
	name   string
	cancel context.CancelFunc
}

func (c cancelOnOpen) Open(name string) (fs.File, error) {
	if name == c.name {
		c.cancel()
	}
	return c.FS.Open(name)
}

// TestAdminRuntimeGC: the leak check's endpoint collects garbage and reports
// the runtime's numbers, which follow what the program holds.
func TestAdminRuntimeGC(t *testing.T) {
	e := serverWith(t, memoryFixture(), handlers.Options{AdminToken: adminToken})
	gc := func() (st struct {
		Status         string `json:"status"`
		Goroutines     int    `json:"goroutines"`
		HeapAllocBytes uint64 `json:"heap_alloc_bytes"`
		HeapObjects    uint64 `json:"heap_objects"`
		NumGC          uint32 `json:"num_gc"`
	}) {
		t.Helper()
		rec := post(t, e, "/admin/runtime/gc", nil, "Authorization", "Bearer "+adminToken)
		if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("status %d, Cache-Control %q; body %s", rec.Code, rec.Header().Get("Cache-Control"), rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := gc()
	if first.Status != "collected" || first.Goroutines < 1 || first.HeapAllocBytes == 0 || first.NumGC == 0 {
		t.Fatalf("stats %+v", first)
	}
	// Hold 64 MiB and 8 goroutines: the numbers must show them.
	hold := make([][]byte, 64)
	for i := range hold {
		hold[i] = make([]byte, 1<<20)
		hold[i][0] = 1
	}
	stop := make(chan struct{})
	for range 8 {
		go func() { <-stop }()
	}
	second := gc()
	close(stop)
	if second.HeapAllocBytes < first.HeapAllocBytes+60<<20 {
		t.Errorf("heap %d then %d while holding 64 MiB more", first.HeapAllocBytes, second.HeapAllocBytes)
	}
	if second.Goroutines < first.Goroutines+8 {
		t.Errorf("goroutines %d then %d with 8 more running", first.Goroutines, second.Goroutines)
	}
	if second.NumGC <= first.NumGC {
		t.Errorf("num_gc %d then %d: no collection ran", first.NumGC, second.NumGC)
	}
	hold[0][1] = 2 // keep hold alive until here
	if rec := post(t, e, "/admin/runtime/gc?x=1", nil, "Authorization", "Bearer "+adminToken); rec.Code != http.StatusBadRequest {
		t.Errorf("a parameter: status %d, want 400", rec.Code)
	}
}
