package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/handlers"
)

// liveServer serves h on a loopback port through the http.Server and the
// listener serve uses (handlers.NewHTTPServer: header size limit, timeouts;
// handlers.Listen) and returns its address.
func liveServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config = handlers.NewHTTPServer(h, testLogger(t))
	srv.Listener = handlers.Listen(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// rawRequest is a request written byte for byte, so that targets a client
// library would refuse or rewrite reach the server as they are.
type rawRequest struct {
	method  string // GET when empty
	target  string
	headers []string // "Name: value" lines
	body    []byte
}

// send writes r on a new connection to addr and reads the answer. The
// request is written while the answer is read: the server may answer (and
// close) before an oversized request is fully sent.
func (r rawRequest) send(t *testing.T, addr string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n", method, r.target)
	for _, h := range r.headers {
		b.WriteString(h + "\r\n")
	}
	if r.body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.body))
	}
	b.WriteString("\r\n")
	b.Write(r.body)
	go func() { _, _ = conn.Write(b.Bytes()) }() // errors: the server closed first, as it may
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %.80s: reading the answer: %v", method, r.target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %.80s: reading the body: %v", method, r.target, err)
	}
	return resp, body
}

// featureCounts returns the number of features of every collection.
func featureCounts(t *testing.T, st geo.Store) map[string]int {
	t.Helper()
	ctx := context.Background()
	cols, err := st.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range cols {
		page, err := st.Items(ctx, c.ID, geo.Query{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		out[c.ID] = page.NumberMatched
	}
	return out
}

// Payloads sent in every parameter and path segment.
const (
	sqlPayload    = "'; DROP TABLE features;--"
	sqlPayload2   = "' OR '1'='1"
	scriptPayload = `<script>alert(1)</script>`
)

// hostileCase is one request and what must come back: the status and, for a
// problem body, the parameter it names ("" when none is expected).
type hostileCase struct {
	name   string
	req    rawRequest
	status int
	param  string
	// notProblem marks answers net/http writes itself (plain text).
	notProblem bool
}

// hostileCases lists the requests of TestHostileInput.
func hostileCases() []hostileCase {
	q := url.QueryEscape
	items := "/collections/facilities/items?"
	var cases []hostileCase
	add := func(name, target string, status int, param string) {
		cases = append(cases, hostileCase{name: name, req: rawRequest{target: target}, status: status, param: param})
	}

	// Sizes.
	add("URL past the URI limit", "/collections/"+strings.Repeat("a", handlers.MaxURILength+1), 414, "")
	add("query past the URI limit", items+"bbox="+strings.Repeat("1,", handlers.MaxURILength/2), 414, "")
	cases = append(cases,
		hostileCase{name: "URL past the header limit", req: rawRequest{target: "/collections?x=" + strings.Repeat("a", 2*handlers.MaxHeaderBytes)},
			status: http.StatusRequestHeaderFieldsTooLarge, notProblem: true},
		hostileCase{name: "one huge header", req: rawRequest{target: "/collections", headers: []string{"X-Junk: " + strings.Repeat("a", 2*handlers.MaxHeaderBytes)}},
			status: http.StatusRequestHeaderFieldsTooLarge, notProblem: true},
		hostileCase{name: "thousands of headers", req: rawRequest{target: "/collections", headers: repeatHeaders(5000)},
			status: http.StatusRequestHeaderFieldsTooLarge, notProblem: true},
		hostileCase{name: "long If-None-Match of junk", req: rawRequest{target: "/collections", headers: []string{"If-None-Match: " + strings.Repeat(`"x", W/`, 4000)}},
			status: 200},
		hostileCase{name: "huge X-Request-ID", req: rawRequest{target: "/collections", headers: []string{"X-Request-ID: " + strings.Repeat("<", 20000)}},
			status: 200},
	)
	add("limit far past the maximum", items+"limit=99999999999999999999999999", 200, "")
	add("limit past the maximum", items+"limit=10001", 200, "")
	add("negative limit", items+"limit=-1", 400, "limit")
	add("limit in exponent form", items+"limit=1e9", 400, "limit")
	add("offset past int64", items+"offset=99999999999999999999999999", 400, "offset")
	add("offset far past the end", items+"offset=9223372036854775807", 200, "")
	add("precision far past the maximum", items+"precision=99999999999999999999", 400, "precision")

	// Repetition.
	add("the same parameter 900 times", items+strings.Repeat("limit=5&", 900), 200, "")
	add("one parameter with different values", items+"limit=1&limit=2", 400, "limit")
	add("an unknown parameter 3000 times", items+strings.Repeat("x&", 3000), 400, "x")
	add("an empty f 3000 times", items+strings.Repeat("f&", 3000), 400, "f")
	add("1000 different unknown parameters", "/collections?"+distinctParams(1000), 400, "p0")

	// Numbers.
	for _, bbox := range []string{"NaN,0,1,1", "0,0,Infinity,1", "-Inf,0,1,1", "0,0,1,+Inf", "1e400,0,1,1",
		"-181,0,1,1", "0,-91,1,1", "0,0,181,1", "0,0,1,91", "1,1,0,0", "0,1,1,0", "0,0,1", "0,0,1,1,1", ",,,", "0x1p3,0,1,1"} {
		add("bbox="+bbox, items+"bbox="+q(bbox), 400, "bbox")
	}
	add("bbox on a metadata endpoint", "/collections?bbox=NaN,0,1,1", 400, "bbox")

	// Payloads in every parameter.
	params := map[string]string{
		items:                               "f bbox bbox-crs datetime limit offset properties precision download",
		"/collections/facilities?":          "f bbox datetime limit offset precision",
		"/timeline?":                        "f from to precision",
		"/collections?":                     "f",
		"/conformance?":                     "f",
		"/collections/facilities/items/f1?": "f properties precision",
	}
	for prefix, names := range params {
		for _, name := range strings.Fields(names) {
			for _, payload := range []string{sqlPayload, sqlPayload2, scriptPayload} {
				add(fmt.Sprintf("%s in %s of %s", payload, name, prefix), prefix+name+"="+q(payload), 400, name)
			}
		}
	}
	for _, payload := range []string{sqlPayload, scriptPayload} {
		add("payload as a parameter name", items+q(payload)+"=1", 400, payload)
		add("payload as a property filter (matches nothing)", items+"controller="+q(payload), 200, "")
	}

	// Payloads in path ids.
	for _, id := range []string{sqlPayload, sqlPayload2, scriptPayload, "\x00", "..", "../../etc/passwd", "%", "\xff\xfe"} {
		e := url.PathEscape(id)
		add("collection id "+e, "/collections/"+e, 404, "")
		add("collection id in items "+e, "/collections/"+e+"/items", 404, "")
		add("feature id "+e, "/collections/facilities/items/"+e, 404, "")
	}

	// Encoding garbage.
	add("NUL in a parameter", items+"bbox=%00", 400, "bbox")
	add("NUL in a filter", items+"controller=a%00b", 400, "controller")
	add("NUL in a parameter name", items+"a%00=1", 400, "a%00")
	add("invalid UTF-8 in a filter", items+"controller=%FF%FE", 400, "controller")
	add("invalid UTF-8 in a parameter name", items+"%C3%28=1", 400, "%C3%28")
	add("bad percent-escape in a value", items+"bbox=%zz", 400, "bbox")
	add("truncated percent-escape", items+"datetime=2026-01-01%2", 400, "datetime")
	add("bad percent-escape in a name", items+"%zz=1", 400, "%zz")
	add("semicolon separator", items+"limit=1;offset=2", 400, "limit")
	cases = append(cases,
		hostileCase{name: "bad percent-escape in the path", req: rawRequest{target: "/collections/%zz"}, status: 400, notProblem: true},
		hostileCase{name: "a control character in the path", req: rawRequest{target: "/collections/a\x01b"}, status: 400, notProblem: true},
	)

	// Methods and bodies.
	cases = append(cases,
		hostileCase{name: "POST to a read-only endpoint", req: rawRequest{method: "POST", target: "/collections", body: []byte("{}")}, status: 405},
		hostileCase{name: "DELETE a feature", req: rawRequest{method: "DELETE", target: "/collections/facilities/items/f1"}, status: 405},
		hostileCase{name: "a body past the limit", req: rawRequest{target: "/collections", body: bytes.Repeat([]byte("["), 2<<20)}, status: 413},
		hostileCase{name: "a deeply nested body where none is read", req: rawRequest{target: "/collections", body: nested(100000)}, status: 200},
	)
	return cases
}

func repeatHeaders(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("X-H%d: %s", i, strings.Repeat("v", 20))
	}
	return out
}

func distinctParams(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("p%d", i)
	}
	return strings.Join(parts, "&")
}

// nested returns a JSON array nested depth deep.
func nested(depth int) []byte {
	return append(bytes.Repeat([]byte("["), depth), bytes.Repeat([]byte("]"), depth)...)
}

// TestHostileInput sends oversized, malformed and malicious requests through
// the server as serve runs it: each is answered 4xx (or 200 where the input
// is merely unusual), with a problem body naming the parameter at fault,
// never 5xx; the data is intact afterwards.
func TestHostileInput(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, st geo.Store) {
		before := featureCounts(t, st)
		addr := liveServer(t, e)
		for _, tc := range hostileCases() {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := tc.req.send(t, addr)
				if resp.StatusCode >= 500 {
					t.Fatalf("status %d; body: %s", resp.StatusCode, truncate(string(body)))
				}
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d; body: %s", resp.StatusCode, tc.status, truncate(string(body)))
				}
				if tc.notProblem {
					return
				}
				checkHeaders(t, resp.Header)
				if tc.status < 400 {
					if !json.Valid(body) {
						t.Errorf("body is not JSON: %s", truncate(string(body)))
					}
					return
				}
				if ct := resp.Header.Get("Content-Type"); ct != handlers.MediaProblem {
					t.Errorf("Content-Type %q, want %s", ct, handlers.MediaProblem)
				}
				var p problemBody
				if err := json.Unmarshal(body, &p); err != nil {
					t.Fatalf("problem is not JSON: %v; body: %s", err, truncate(string(body)))
				}
				if p.Status != tc.status || p.Title == "" || p.Detail == "" {
					t.Errorf("problem %+v lacks status %d, title or detail", p, tc.status)
				}
				if p.Parameter != tc.param {
					t.Errorf("problem names parameter %q, want %q; detail: %s", p.Parameter, tc.param, p.Detail)
				}
			})
		}
		if after := featureCounts(t, st); !reflect.DeepEqual(before, after) {
			t.Errorf("feature counts changed: before %v, after %v", before, after)
		}
		if err := st.Ping(context.Background()); err != nil {
			t.Errorf("the store does not answer after the hostile requests: %v", err)
		}
	})
}

// checkHeaders checks the security headers of an API answer.
func checkHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options":       "nosniff",
		"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
		"Cross-Origin-Resource-Policy": "cross-origin",
	}
	for k, v := range want {
		if got := h.Get(k); got != v && !(k == "Cross-Origin-Resource-Policy" && got == "same-origin") {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if h.Get("Permissions-Policy") == "" || h.Get("X-Request-ID") == "" {
		t.Errorf("Permissions-Policy %q, X-Request-ID %q: want both", h.Get("Permissions-Policy"), h.Get("X-Request-ID"))
	}
}

// TestSecurityHeaders checks the headers of every kind of answer: API JSON,
// problems, the metrics text, and the pages, which keep their own CSP.
func TestSecurityHeaders(t *testing.T) {
	st := memoryFixture()
	e := serverWith(t, st, handlers.Options{AdminToken: strings.Repeat("k", 32)})
	apiCSP := "default-src 'none'; frame-ancestors 'none'"
	tests := []struct {
		method, target string
		headers        []string
		csp            string // "" means the page's own policy, not apiCSP
		corp           string
	}{
		{"GET", "/collections", nil, apiCSP, "cross-origin"},
		{"GET", "/collections/facilities/items?limit=1", nil, apiCSP, "cross-origin"},
		{"HEAD", "/collections", nil, apiCSP, "cross-origin"},
		{"GET", "/collections/nope", nil, apiCSP, "cross-origin"},
		{"GET", "/nope", nil, apiCSP, "cross-origin"},
		{"GET", "/metrics", nil, apiCSP, "cross-origin"},
		{"GET", "/api", nil, apiCSP, "cross-origin"},
		{"OPTIONS", "/collections", []string{"Origin", "https://news.example", "Access-Control-Request-Method", "GET"}, apiCSP, "cross-origin"},
		{"POST", "/admin/reload", nil, apiCSP, "same-origin"},
		{"GET", "/", []string{"Accept", "text/html"}, "", "cross-origin"},
		{"GET", "/embed", nil, "", "cross-origin"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := do(t, e, tt.method, tt.target, tt.headers...)
			h := rec.Header()
			csp := h.Get("Content-Security-Policy")
			if tt.csp != "" && csp != tt.csp {
				t.Errorf("CSP %q, want %q", csp, tt.csp)
			}
			if tt.csp == "" && (csp == "" || csp == apiCSP || !strings.Contains(csp, "script-src 'self'")) {
				t.Errorf("page CSP %q: want the page's own policy", csp)
			}
			if got := h.Get("Cross-Origin-Resource-Policy"); got != tt.corp {
				t.Errorf("Cross-Origin-Resource-Policy %q, want %q", got, tt.corp)
			}
			pp := h.Get("Permissions-Policy")
			if !strings.Contains(pp, "geolocation=()") || !strings.Contains(pp, "camera=()") {
				t.Errorf("Permissions-Policy %q", pp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
				t.Errorf("nosniff %q, Referrer-Policy %q", h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
			}
		})
	}
}
