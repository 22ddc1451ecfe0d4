package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// oEmbed of the map and widget pages, and the pages' change and chart
// parameters.

func TestPagesOEmbedDiscovery(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	for _, target := range []string{"/?date=2026-01-21", "/embed?date=2026-01-21"} {
		t.Run(target, func(t *testing.T) {
			body := pageGet(t, e, target).Body.String()
			want := `<link rel="alternate" type="application/json+oembed" href="http://example.com/oembed?format=json&amp;url=` + url.QueryEscape("http://example.com"+target) + `"`
			if !strings.Contains(body, want) {
				t.Errorf("page lacks the oEmbed discovery link %s\nhead: %s", want, between(body, "<head>", "</head>"))
			}
		})
	}
}

func TestPagesOEmbed(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	q := url.Values{"url": {"http://example.com/?date=2026-01-21&view=36.4,41.1,8&sel=facilities:al-hol"}, "maxwidth": {"500"}, "format": {"json"}}
	got := oembedOK(t, e, q)
	if got.Version != "1.0" || got.Type != "rich" || got.Width != 500 || got.Height != oembedHeight || got.ProviderURL != "http://example.com/" {
		t.Errorf("oEmbed = %+v", got)
	}
	wantSrc := `src="http://example.com/embed?date=2026-01-21&amp;view=36.4%2C41.1%2C8"`
	if !strings.HasPrefix(got.HTML, "<iframe ") || !strings.Contains(got.HTML, wantSrc) || strings.Contains(got.HTML, "sel=") {
		t.Errorf("html = %s, want an iframe with %s and no selection", got.HTML, wantSrc)
	}
	if !strings.Contains(got.Title, "21 January 2026") {
		t.Errorf("title = %q, want the date in words", got.Title)
	}
}

// The map's filters (f.PROPERTY) go from a map URL to the widget's iframe,
// an empty one too (it keeps no value); nothing else that starts with f does.
func TestPagesOEmbedFilters(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	q := url.Values{"url": {"http://example.com/?date=2026-01-21&f.controller=sdf,government&f.kind=&f=json&fx=1"}, "format": {"json"}}
	got := oembedOK(t, e, q)
	wantSrc := `src="http://example.com/embed?date=2026-01-21&amp;f.controller=sdf%2Cgovernment&amp;f.kind="`
	if !strings.Contains(got.HTML, wantSrc) {
		t.Errorf("html = %s, want %s", got.HTML, wantSrc)
	}
}

// The change view (since) and the area chart (view=chart) are part of the
// page's state: the landing route, which refuses unknown parameters, takes
// them, and both pages carry the markup the scripts fill.
func TestPagesChangeAndChartParams(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	tests := []struct {
		target string
		want   []string
	}{
		{"/?since=2026-01-15&date=2026-01-25", []string{`id="since-on"`, `id="since-input"`, `id="changes-result"`, `id="chart"`, `value="changes"`, `value="chart"`}},
		{"/?since=2026-01-15&date=2026-01-25&view=36.4,41.1,8&layers=control_areas,facilities&f.controller=sdf&sel=facilities:al-hol", []string{`id="changes-result"`}},
		// Malformed values are the page's business, as for date: it ignores them.
		{"/?since=last-week", []string{`id="since-input"`}},
		{"/?view=chart", []string{`id="chart"`}},
		{"/embed?since=2026-01-15&date=2026-01-25", []string{`id="embed-changes"`, `id="map"`}},
		{"/embed?view=chart&date=2026-01-21", []string{`id="embed-chart"`, `id="embed-chart-box"`}},
		{"/embed?view=chart&date=2026-01-21&locked=1&slider=0&lang=ar", []string{`id="embed-chart"`, `lang="ar"`}},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			rec := pageGet(t, e, tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200; body %.300s", rec.Code, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want HTML", ct)
			}
			body := rec.Body.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %s", w)
				}
			}
		})
	}
	// since given twice with different values is refused like any parameter.
	rec := pageGet(t, e, "/?since=2026-01-15&since=2026-01-16")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"parameter":"since"`) {
		t.Errorf("repeated since: status %d, body %s; want a 400 naming since", rec.Code, rec.Body.String())
	}
}

// oEmbed passes the change view and the chart to the widget's iframe and
// names them in its title.
func TestPagesOEmbedChangeAndChart(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	tests := []struct {
		url, src, title string
	}{
		{
			"http://example.com/?date=2026-01-25&since=2026-01-15&view=36.4,41.1,8&sel=facilities:al-hol",
			`src="http://example.com/embed?date=2026-01-25&amp;since=2026-01-15&amp;view=36.4%2C41.1%2C8"`,
			"Changes in control of north-east Syria from 15 January 2026 to 25 January 2026",
		},
		{
			"http://example.com/embed?since=2026-01-15&date=2026-01-25",
			`src="http://example.com/embed?date=2026-01-25&amp;since=2026-01-15"`,
			"Changes in control of north-east Syria from 15 January 2026 to 25 January 2026",
		},
		{
			"http://example.com/embed?since=2026-01-15",
			`src="http://example.com/embed?since=2026-01-15"`,
			"Changes in control of north-east Syria since 15 January 2026",
		},
		{
			"http://example.com/embed?view=chart&date=2026-01-21&locked=1",
			`src="http://example.com/embed?date=2026-01-21&amp;locked=1&amp;view=chart"`,
			"Area controlled in north-east Syria over time (approximate), marked at 21 January 2026",
		},
		{
			"http://example.com/embed?view=chart",
			`src="http://example.com/embed?view=chart"`,
			"Area controlled in north-east Syria over time (approximate)",
		},
		{
			"http://example.com/embed?since=%3Cscript%3E&date=2026-01-21",
			`src="http://example.com/embed?date=2026-01-21&amp;since=%3Cscript%3E"`,
			"Control of north-east Syria on 21 January 2026",
		},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			got := oembedOK(t, e, url.Values{"url": {tc.url}, "format": {"json"}})
			if !strings.Contains(got.HTML, tc.src) {
				t.Errorf("html = %s, want %s", got.HTML, tc.src)
			}
			if got.Title != tc.title {
				t.Errorf("title = %q, want %q", got.Title, tc.title)
			}
			if !strings.Contains(got.HTML, `title="`+tc.title+`"`) {
				t.Errorf("html = %s, want the title on the iframe", got.HTML)
			}
			if strings.Contains(got.HTML, "<script") {
				t.Errorf("html = %s carries a script tag", got.HTML)
			}
		})
	}
}

func TestPagesOEmbedErrors(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	tests := []struct {
		name   string
		query  url.Values
		status int
		param  string
	}{
		{"missing url", url.Values{}, http.StatusBadRequest, "url"},
		{"relative url", url.Values{"url": {"/embed"}}, http.StatusBadRequest, "url"},
		{"not http", url.Values{"url": {"javascript:alert(1)"}}, http.StatusBadRequest, "url"},
		{"bad maxwidth", url.Values{"url": {"http://example.com/"}, "maxwidth": {"wide"}}, http.StatusBadRequest, "maxwidth"},
		{"tiny maxheight", url.Values{"url": {"http://example.com/"}, "maxheight": {"5"}}, http.StatusBadRequest, "maxheight"},
		{"other site", url.Values{"url": {"http://evil.example.org/"}}, http.StatusNotFound, ""},
		{"other path", url.Values{"url": {"http://example.com/collections"}}, http.StatusNotFound, ""},
		{"xml", url.Values{"url": {"http://example.com/"}, "format": {"xml"}}, http.StatusNotImplemented, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := pageGet(t, e, "/oembed?"+tc.query.Encode())
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.status, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, MediaProblem) {
				t.Errorf("Content-Type = %q, want %s", ct, MediaProblem)
			}
			var p struct {
				Status    int    `json:"status"`
				Detail    string `json:"detail"`
				Parameter string `json:"parameter"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("decode problem: %v", err)
			}
			if p.Status != tc.status || p.Detail == "" || p.Parameter != tc.param {
				t.Errorf("problem = %+v, want status %d, a detail and parameter %q", p, tc.status, tc.param)
			}
		})
	}
}

// oembedOK asks /oembed with q, which must answer 200, and decodes the answer.
func oembedOK(t *testing.T, e *echo.Echo, q url.Values) oembedResponse {
	t.Helper()
	rec := pageGet(t, e, "/oembed?"+q.Encode())
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d; body %s", rec.Code, rec.Body.String())
	}
	var got oembedResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return got
}
