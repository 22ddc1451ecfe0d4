package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
)

// Helpers of the GDAL tests: GDAL's version, the requests it sent (a log
// of pages wrapped around the server), and plain HTTP asked of the server
// directly.

// escapeQuery escapes s for a query string with %20 for spaces, as one
// would write it in a GDAL connection string.
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

var gdalVersionRE = regexp.MustCompile(`GDAL (\d+)\.(\d+)`)

// gdalVersion returns the major and minor version of the installed GDAL.
func gdalVersion(t *testing.T, ogrinfo string) (major, minor int) {
	t.Helper()
	out, err := exec.Command(ogrinfo, "--version").Output()
	if err != nil {
		t.Fatalf("ogrinfo --version: %v", err)
	}
	m := gdalVersionRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("ogrinfo --version said %q", out)
	}
	major, _ = strconv.Atoi(string(m[1]))
	minor, _ = strconv.Atoi(string(m[2]))
	return major, minor
}

// try runs a GDAL tool with env added to the environment and returns its
// output and error, for runs that are meant to fail.
func (g gdal) try(env []string, tool string, args ...string) (stdout, stderr string, err error) {
	g.t.Helper()
	cmd := exec.CommandContext(g.t.Context(), tool, args...)
	cmd.Env = append(append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_DEBUG=OFF", "GDAL_HTTP_MAX_RETRY=0"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// httpGetJSON GETs u with net/http and decodes the JSON answer into v; it
// returns the status.
func httpGetJSON(t *testing.T, u string, v any) int {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
	}
	return res.StatusCode
}

// page is one request the server answered, with, for a page of features,
// what it held.
type page struct {
	status  int
	uri     string
	path    string
	query   url.Values
	items   bool     // a 200 page of /collections/points/items
	matched int      // numberMatched
	ids     []string // the ids of the page's features
}

func (p page) String() string { return fmt.Sprintf("%d %s", p.status, p.uri) }

// pageLog records every request a server answers and reads the pages of
// points it sent. It removes Accept-Encoding from the requests so that it can
// read the answers; that changes nothing about which features match.
type pageLog struct {
	ds       *geo.Dataset
	schema   cql2.Schema // of points
	mu       sync.Mutex
	idle     *sync.Cond // signalled when inFlight drops to 0
	inFlight int        // requests being answered
	pages    []page
}

// settled locks l once no request is being answered: a client may have
// read a whole answer before the handler returned and the page was recorded.
func (l *pageLog) settled() {
	l.mu.Lock()
	if l.idle == nil {
		l.idle = sync.NewCond(&l.mu)
	}
	for l.inFlight > 0 {
		l.idle.Wait()
	}
}

func (l *pageLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.inFlight++
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.inFlight--; l.inFlight == 0 && l.idle != nil {
				l.idle.Broadcast()
			}
		}()
		r.Header.Del("Accept-Encoding")
		rec := &teeRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		p := page{status: rec.status, uri: r.URL.RequestURI(), path: r.URL.Path, query: r.URL.Query()}
		if p.status == http.StatusOK && p.path == "/collections/points/items" && !p.query.Has("download") {
			var fc struct {
				NumberMatched *int `json:"numberMatched"`
				Features      []struct {
					ID string `json:"id"`
				} `json:"features"`
			}
			if err := json.Unmarshal(rec.body.Bytes(), &fc); err == nil && fc.NumberMatched != nil {
				p.items, p.matched = true, *fc.NumberMatched
				for _, f := range fc.Features {
					p.ids = append(p.ids, f.ID)
				}
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.pages = append(l.pages, p)
	})
}

func (l *pageLog) reset() {
	l.settled()
	defer l.mu.Unlock()
	l.pages = nil
}

func (l *pageLog) all() []page {
	l.settled()
	defer l.mu.Unlock()
	return slices.Clone(l.pages)
}

func (l *pageLog) String() string {
	var b strings.Builder
	for _, p := range l.all() {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// check checks the requests recorded since the last reset: every one
// succeeded, and every page of points held exactly what its own query asks
// (bbox, datetime, property parameters and a cql2-text filter), by the
// domain's rule: numberMatched is the number of matching points and each
// feature is one of them. It returns the pages of points.
func (l *pageLog) check(t *testing.T) []page {
	t.Helper()
	var pages []page
	for _, p := range l.all() {
		if p.status != http.StatusOK {
			t.Errorf("a request failed: %s", p)
			continue
		}
		if !p.items {
			continue
		}
		pages = append(pages, p)
		want := l.asked(t, p)
		if p.matched != len(want) {
			t.Errorf("%s: numberMatched %d, but %d points match its query", p, p.matched, len(want))
		}
		for _, id := range p.ids {
			if _, ok := slices.BinarySearch(want, id); !ok {
				t.Errorf("%s: the server sent %s, which does not match its query", p, id)
				break
			}
		}
	}
	return pages
}

// asked returns the sorted ids of the points the query of p asks for.
func (l *pageLog) asked(t *testing.T, p page) []string {
	t.Helper()
	var q geo.Query
	for name, vals := range p.query {
		var err error
		switch {
		case name == "bbox":
			var b orb.Bound
			b, err = geo.ParseBBox(vals[0])
			q.BBox = &b
		case name == "datetime":
			q.Time, err = geo.ParseDatetime(vals[0])
		case name == "filter":
			if lang := p.query.Get("filter-lang"); lang != "" && lang != "cql2-text" {
				t.Fatalf("%s: a filter in %s", p, lang)
			}
			q.Filter, err = cql2.ParseText(vals[0], l.schema, cql2.DefaultLimits)
		case slices.Contains(l.schema.Properties, name):
			if q.Filters == nil {
				q.Filters = map[string]string{}
			}
			q.Filters[name] = vals[0]
		case name == "limit" || name == "offset" || name == "filter-lang":
		default:
			t.Fatalf("%s: the test does not know %s", p, name)
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	return expectedIDs(l.ds, "points", q)
}

// teeRecorder keeps the status and a copy of the body of an answer.
type teeRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *teeRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *teeRecorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *teeRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
