package handlers_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestAPIDocSecurityHeaders: /api.html may not be framed, and its policy
// allows its inline style sheet, by hash, and nothing else: no script, no
// 'unsafe-inline', nothing loaded from anywhere.
func TestAPIDocSecurityHeaders(t *testing.T) {
	e := newServer(t, memoryFixture())
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		rec := do(t, e, method, "/api.html")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s /api.html: status %d", method, rec.Code)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s /api.html: CSP %q lacks %q", method, csp, want)
			}
		}
		for _, bad := range []string{"unsafe-inline", "unsafe-eval", "script-src", "*"} {
			if strings.Contains(csp, bad) {
				t.Errorf("%s /api.html: CSP %q allows %q", method, csp, bad)
			}
		}
		if xfo := rec.Header().Get("X-Frame-Options"); xfo != "DENY" {
			t.Errorf("%s /api.html: X-Frame-Options %q, want DENY", method, xfo)
		}
	}

	rec := get(t, e, "/api.html", http.StatusOK)
	body, csp := rec.Body.String(), rec.Header().Get("Content-Security-Policy")
	if strings.Contains(body, "<script") || strings.Contains(body, " style=") || strings.Contains(body, "<link") {
		t.Error("/api.html has a script, a style attribute or a linked resource its policy would block")
	}
	styles := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(body, -1)
	if len(styles) == 0 {
		t.Fatal("/api.html has no <style>: the test no longer checks what it should")
	}
	for _, m := range styles {
		sum := sha256.Sum256([]byte(m[1]))
		hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, "style-src "+hash) {
			t.Errorf("CSP %q does not allow the page's style sheet (%s)", csp, hash)
		}
	}

	// A conditional GET keeps the policy.
	rec = get(t, e, "/api.html", http.StatusNotModified, "If-None-Match", rec.Header().Get("ETag"))
	if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("304 of /api.html: CSP %q", rec.Header().Get("Content-Security-Policy"))
	}
}
