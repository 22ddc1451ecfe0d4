package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// request sends method url with an optional bearer token and returns the
// status and body.
func request(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeAdminToken serves a folder with CONTROLMAP_ADMIN_TOKEN set:
// POST /admin/reload reloads it with the token, refuses without, and the
// token appears nowhere in the logs.
func TestServeAdminToken(t *testing.T) {
	const token = "a-long-admin-token-0123456789abcdef"
	dir := copyDataset(t)
	base, logs, stop := startServe(t, []string{"--data", dir, "--log-level", "debug"},
		map[string]string{"CONTROLMAP_ADMIN_TOKEN": token}, nil)

	if code, _ := request(t, "POST", base+"/admin/reload", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", code)
	}
	if code, _ := request(t, "POST", base+"/admin/reload", "wrong-"+token); code != http.StatusUnauthorized {
		t.Errorf("wrong token: status %d, want 401", code)
	}
	editFile(t, dir, "catalog.json", func(s string) string {
		return strings.Replace(s, `"Detention facilities`, `"Detention facilities (edited)`, 1)
	})
	code, body := request(t, "POST", base+"/admin/reload", token)
	if code != http.StatusOK || !strings.Contains(body, `"reloaded"`) {
		t.Fatalf("right token: status %d, body %s", code, body)
	}
	if _, body := request(t, "GET", base+"/collections/facilities", ""); !strings.Contains(body, "(edited)") {
		t.Errorf("the reload did not serve the edited folder: %s", body)
	}
	if code, body := request(t, "GET", base+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, `controlmap_http_requests_total{method="POST",route="/admin/reload",status="401"} 2`) {
		t.Errorf("/metrics: status %d; want the two refused admin requests counted:\n%.3000s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("the logs contain the admin token:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "msg=request") || !strings.Contains(logs.String(), "request_id=") {
		t.Errorf("no access log lines:\n%s", logs)
	}
}

// TestServeWithoutAdminToken: the admin endpoints do not exist.
func TestServeWithoutAdminToken(t *testing.T) {
	base, _, _ := startServe(t, nil, nil, nil)
	if code, _ := request(t, "POST", base+"/admin/reload", "anything-at-all-0123456789"); code != http.StatusNotFound {
		t.Errorf("status %d, want 404", code)
	}
}

// TestServeRateLimit limits loopback when told not to exempt it.
func TestServeRateLimit(t *testing.T) {
	base, _, _ := startServe(t, []string{"--rate-limit", "0.01", "--rate-limit-burst", "2", "--rate-limit-exempt-loopback=false"}, nil, nil)
	var codes []int
	for range 3 {
		code, _ := request(t, "GET", base+"/conformance", "")
		codes = append(codes, code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want 200 200 429", codes)
	}
	// Loopback is exempt by default.
	base, _, _ = startServe(t, []string{"--rate-limit", "0.01", "--rate-limit-burst", "2"}, nil, nil)
	for i := range 5 {
		if code, _ := request(t, "GET", base+"/conformance", ""); code != http.StatusOK {
			t.Fatalf("request %d from loopback: status %d", i+1, code)
		}
	}
}
