package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/internal/loadgen"
)

// newServer is a loopback server answering /ok with 200 and /down with 503
// and Retry-After.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte(strings.Repeat("x", 100)))
		case "/down":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestCommand(t *testing.T) {
	s := newServer(t)
	urls := filepath.Join(t.TempDir(), "urls")
	if err := os.WriteFile(urls, []byte("# the map\n\n"+s.URL+"/ok\n"+s.URL+"/down\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		jsonReqs int64  // with -json -: requests in the report
	}{
		{"text", []string{"-url", s.URL + "/ok", "-c", "2", "-n", "5"}, 0, "requests  5 ", "", 0},
		{"url file and json", []string{"-urls", urls, "-url", s.URL + "/ok", "-c", "3", "-n", "9", "-json", "-"}, 0, `"requests": 9`, "requests  9 ", 9},
		{"too many errors", []string{"-urls", urls, "-c", "1", "-n", "4", "-max-errors", "1"}, 1, "503: 2", "2 errors, more than -max-errors 1", 0},
		{"errors allowed", []string{"-urls", urls, "-c", "1", "-n", "4", "-max-errors", "2"}, 0, "503: 2", "", 0},
		{"not loopback", []string{"-url", "http://example.com/", "-n", "1"}, 2, "", "not a loopback address", 0},
		{"too long", []string{"-url", s.URL + "/ok", "-d", "11m"}, 2, "", "duration 11m0s", 0},
		{"no url", []string{"-c", "1"}, 2, "", "no URL", 0},
		{"stray argument", []string{"-url", s.URL + "/ok", s.URL}, 2, "", "unexpected argument", 0},
		{"bad header", []string{"-url", s.URL + "/ok", "-H", "nocolon"}, 2, "", "Name: value", 0},
		{"missing url file", []string{"-urls", filepath.Join(t.TempDir(), "none")}, 2, "", "no such file", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stdout %q\nstderr %q\nwant %q and %q", stdout.String(), stderr.String(), tt.stdout, tt.stderr)
			}
			if tt.jsonReqs > 0 {
				var rep loadgen.Report
				if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
					t.Fatalf("-json - wrote no JSON report: %v", err)
				}
				if rep.Requests != tt.jsonReqs || rep.Status["200"]+rep.Status["503"] != tt.jsonReqs || len(rep.Seconds) == 0 {
					t.Errorf("report: %+v", rep)
				}
			}
		})
	}
}

func TestCommandWritesJSONFile(t *testing.T) {
	s := newServer(t)
	out := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-url", s.URL + "/ok", "-n", "3", "-c", "1", "-json", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep loadgen.Report
	if err := json.Unmarshal(b, &rep); err != nil || rep.Requests != 3 || rep.Status["200"] != 3 {
		t.Errorf("report file: %v %+v", err, rep)
	}
}
