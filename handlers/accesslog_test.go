package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/controlmap/controlmap/handlers"
)

// logBuffer collects JSON log lines; safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// requests returns the access log records ("msg":"request").
func (l *logBuffer) requests(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		if rec["msg"] == "request" {
			out = append(out, rec)
		}
	}
	return out
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAccessLog(t *testing.T) {
	var logs logBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e := serverWith(t, memoryFixture(), handlers.Options{Logger: log, AdminToken: adminToken})

	// An unknown parameter is 400; its value must still not reach the log.
	rec := get(t, e, "/collections/facilities/items?limit=2&api_key=hunter2&bbox=40,35,42,37", http.StatusBadRequest,
		"Authorization", "Bearer hunter3", "Cookie", "session=hunter4", "User-Agent", "QGIS/34000", "X-Request-ID", "req-123.abc")
	if got := rec.Header().Get("X-Request-ID"); got != "req-123.abc" {
		t.Errorf("X-Request-ID %q: a plain id from the client is echoed back", got)
	}
	bad := get(t, e, "/collections", http.StatusOK, "X-Request-ID", "<script>\" injected")
	badID := bad.Header().Get("X-Request-ID")
	if badID == "" || strings.ContainsAny(badID, "<\" ") {
		t.Errorf("X-Request-ID %q: a hostile id must be replaced by a new one", badID)
	}
	noID := get(t, e, "/conformance", http.StatusOK)
	if len(noID.Header().Get("X-Request-ID")) < 16 {
		t.Errorf("X-Request-ID %q: want a generated id", noID.Header().Get("X-Request-ID"))
	}
	post(t, e, "/admin/reload", nil, "Authorization", "Bearer "+adminToken)
	post(t, e, "/admin/reload", nil, "Authorization", "Bearer wrong-"+adminToken)
	get(t, e, "/healthz", http.StatusOK)
	get(t, e, "/nope", http.StatusNotFound)

	recs := logs.requests(t)
	if len(recs) != 6 { // /healthz logs at debug level
		t.Fatalf("%d access log records, want 6:\n%s", len(recs), logs.String())
	}
	first := recs[0]
	want := map[string]any{
		"method":     "GET",
		"route":      "/collections/:collectionId/items",
		"path":       "/collections/facilities/items",
		"query":      "limit=2&api_key=REDACTED&bbox=40,35,42,37",
		"status":     float64(400),
		"request_id": "req-123.abc",
		"remote":     "192.0.2.1",
		"user_agent": "QGIS/34000",
	}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("%s = %#v, want %#v", k, first[k], v)
		}
	}
	if b, _ := first["bytes"].(float64); b <= 0 {
		t.Errorf("bytes = %v", first["bytes"])
	}
	if _, ok := first["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms = %v", first["duration_ms"])
	}
	if recs[1]["request_id"] != badID {
		t.Errorf("the log names request id %v, the answer %v", recs[1]["request_id"], badID)
	}
	// No Options.Reload: 501 once the token is accepted.
	if recs[3]["status"] != float64(501) || recs[4]["status"] != float64(401) || recs[5]["route"] != "unmatched" || recs[5]["status"] != float64(404) {
		t.Errorf("admin and 404 records: %v, %v, %v", recs[3], recs[4], recs[5])
	}
	all := logs.String()
	for _, secret := range []string{"hunter2", "hunter3", "hunter4", adminToken[:12], "Authorization", "Cookie"} {
		if strings.Contains(all, secret) {
			t.Errorf("the logs contain %q:\n%s", secret, all)
		}
	}
}

func TestAccessLogClipsLongValues(t *testing.T) {
	var logs logBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	e := serverWith(t, memoryFixture(), handlers.Options{Logger: log})
	get(t, e, "/collections/"+strings.Repeat("a", 5000), http.StatusNotFound, "User-Agent", strings.Repeat("b", 5000))
	recs := logs.requests(t)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	for _, k := range []string{"path", "user_agent"} {
		if s, _ := recs[0][k].(string); len(s) > 600 {
			t.Errorf("%s logged with %d bytes; want it clipped", k, len(s))
		}
	}
}

func TestErrorLogNamesRequestID(t *testing.T) {
	var logs logBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	e := serverWith(t, failingStore{err: errors.New("boom")}, handlers.Options{Logger: log})
	rec := get(t, e, "/collections/facilities/items?token=hunter5", http.StatusInternalServerError, "X-Request-ID", "req-500")
	if rec.Header().Get("X-Request-ID") != "req-500" {
		t.Errorf("X-Request-ID %q", rec.Header().Get("X-Request-ID"))
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"handlers: request failed"`) || !strings.Contains(out, `"request_id":"req-500"`) ||
		!strings.Contains(out, `"uri":"/collections/facilities/items?token=REDACTED"`) {
		t.Errorf("error log lacks the request id or the redacted URI:\n%s", out)
	}
	if strings.Contains(out, "hunter5") {
		t.Errorf("the logs contain a query secret:\n%s", out)
	}
}
