package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// from sends a GET from remote ("ip:port"), with headers as name, value pairs.
func from(t *testing.T, e *echo.Echo, remote, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = remote
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestRateLimit(t *testing.T) {
	// A rate so low that no token comes back during the test: after the
	// burst, every request is refused, whatever the machine's speed.
	limit := handlers.RateLimit{PerSecond: 0.01, Burst: 3}
	st := memory.New(storetest.Fixture())

	t.Run("burst then 429 with Retry-After and a problem", func(t *testing.T) {
		e := serverWith(t, st, handlers.Options{RateLimit: limit})
		for i := range 3 {
			if rec := from(t, e, "192.0.2.1:1000", "/collections"); rec.Code != http.StatusOK {
				t.Fatalf("request %d: status %d", i+1, rec.Code)
			}
		}
		rec := from(t, e, "192.0.2.1:1001", "/collections", "Origin", "https://news.example")
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("status %d after the burst, want 429", rec.Code)
		}
		ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		if err != nil || ra < 1 || ra > 100 {
			t.Errorf("Retry-After %q, want whole seconds up to 100 (one token at 0.01/s)", rec.Header().Get("Retry-After"))
		}
		if ct := rec.Header().Get("Content-Type"); ct != handlers.MediaProblem {
			t.Errorf("Content-Type %q", ct)
		}
		var p problemBody
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != 429 || p.Detail == "" {
			t.Errorf("problem %+v (%v)", p, err)
		}
		if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Error("a 429 lacks CORS headers, so a page on another site cannot read it")
		}
		if rec := from(t, e, "192.0.2.2:1000", "/collections"); rec.Code != http.StatusOK {
			t.Errorf("another client got %d: limits are per client", rec.Code)
		}
		if rec := from(t, e, "192.0.2.1:1002", "/healthz"); rec.Code != http.StatusOK {
			t.Errorf("/healthz got %d for a limited client: probes are exempt", rec.Code)
		}
	})

	t.Run("X-Forwarded-For is ignored without a trusted proxy", func(t *testing.T) {
		e := serverWith(t, st, handlers.Options{RateLimit: limit})
		for i := range 4 {
			rec := from(t, e, "192.0.2.1:1000", "/conformance", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i))
			if i == 3 && rec.Code != http.StatusTooManyRequests {
				t.Errorf("a client changing X-Forwarded-For escaped the limit: status %d", rec.Code)
			}
		}
	})

	t.Run("a trusted proxy's X-Forwarded-For names the client", func(t *testing.T) {
		e := serverWith(t, st, handlers.Options{RateLimit: limit,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
		for i := range 6 {
			rec := from(t, e, "10.1.2.3:1000", "/conformance", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i%2))
			if rec.Code != http.StatusOK {
				t.Fatalf("request %d from two clients behind the proxy: status %d", i+1, rec.Code)
			}
		}
		if rec := from(t, e, "10.1.2.3:1000", "/conformance", "X-Forwarded-For", "203.0.113.0"); rec.Code != http.StatusTooManyRequests {
			t.Errorf("the fourth request of one client behind the proxy: status %d, want 429", rec.Code)
		}
		// A spoofed entry before the real client's does not help.
		if rec := from(t, e, "10.1.2.3:1000", "/conformance", "X-Forwarded-For", "198.51.100.9, 203.0.113.0"); rec.Code != http.StatusTooManyRequests {
			t.Errorf("a client prepending a forged address escaped the limit: status %d", rec.Code)
		}
	})

	t.Run("loopback", func(t *testing.T) {
		for _, exempt := range []bool{false, true} {
			t.Run("exempt="+strconv.FormatBool(exempt), func(t *testing.T) {
				l := limit
				l.ExemptLoopback = exempt
				e := serverWith(t, st, handlers.Options{RateLimit: l})
				limited := false
				for range 10 {
					for _, remote := range []string{"127.0.0.1:5000", "[::1]:5000"} {
						if from(t, e, remote, "/conformance").Code == http.StatusTooManyRequests {
							limited = true
						}
					}
				}
				if limited == exempt {
					t.Errorf("ExemptLoopback %v: loopback limited = %v", exempt, limited)
				}
			})
		}
	})

	t.Run("off by default", func(t *testing.T) {
		e := serverWith(t, st, handlers.Options{})
		for i := range 100 {
			if rec := from(t, e, "192.0.2.1:1000", "/conformance"); rec.Code != http.StatusOK {
				t.Fatalf("request %d: status %d with no rate limit configured", i+1, rec.Code)
			}
		}
	})
}
