package handlers

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
)

// hostileName is a facility name that must only ever appear as text.
const hostileName = `al-Hol <img src=x onerror=alert(1)> camp`

// pagesServer returns the server over the shipped dataset, optionally with
// al-Hol camp renamed to hostileName in every version.
func pagesServer(t *testing.T, opts Options, hostile bool) *echo.Echo {
	t.Helper()
	fsys := fs.FS(data.FS)
	if hostile {
		fsys = hostileData(t)
	}
	st, err := memory.Load(fsys)
	if err != nil {
		t.Fatalf("load dataset: %v", err)
	}
	return New(st, opts)
}

// hostileData copies the shipped dataset and renames al-Hol camp.
func hostileData(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(data.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(data.FS, p)
		if err != nil {
			return err
		}
		if p == "facilities.geojson" {
			b = []byte(strings.ReplaceAll(string(b), `"name": "al-Hol camp"`, `"name": `+jsonString(t, hostileName)))
			if !strings.Contains(string(b), "onerror") {
				t.Fatal("hostileData: al-Hol camp's name not found in facilities.geojson")
			}
		}
		out[p] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatalf("copy dataset: %v", err)
	}
	return out
}

func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pageGet sends a GET as a browser would and returns the response.
func pageGet(t *testing.T, e *echo.Echo, target string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestPagesSecurityHeaders(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	tests := []struct {
		target         string
		frameAncestors string
		xFrame         string
	}{
		{"/", "frame-ancestors 'self'", "SAMEORIGIN"},
		{"/?date=2026-01-21&view=36.4,41.1,8&layers=facilities,events&sel=facilities:al-hol", "frame-ancestors 'self'", "SAMEORIGIN"},
		{"/?date=2026-01-21&f.controller=sdf,government&f.claim_status=", "frame-ancestors 'self'", "SAMEORIGIN"},
		{"/embed?date=2026-01-21&f.controller=sdf", "frame-ancestors *", ""},
		{"/embed", "frame-ancestors *", ""},
		{"/embed?date=2026-01-21&locked=1&slider=0&lang=ar", "frame-ancestors *", ""},
		{"/?date=2026-01-25&since=2026-01-15", "frame-ancestors 'self'", "SAMEORIGIN"},
		{"/embed?since=2026-01-15&date=2026-01-25", "frame-ancestors *", ""},
		{"/embed?view=chart&date=2026-01-21", "frame-ancestors *", ""},
		{"/static/js/main.js", "frame-ancestors 'self'", "SAMEORIGIN"},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			rec := pageGet(t, e, tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200; body %.300s", rec.Code, rec.Body.String())
			}
			csp := rec.Header().Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "object-src 'none'", tc.frameAncestors} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("Content-Security-Policy %q allows inline or eval'd script", csp)
			}
			if got := rec.Header().Get("X-Frame-Options"); got != tc.xFrame {
				t.Errorf("X-Frame-Options = %q, want %q", got, tc.xFrame)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
		})
	}
}

func TestPagesNoInlineScript(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	for _, target := range []string{"/", "/embed"} {
		t.Run(target, func(t *testing.T) {
			body := pageGet(t, e, target).Body.String()
			for _, bad := range []string{"<script>", " onload=", " onclick=", " onerror=", "style=\"", "javascript:"} {
				if strings.Contains(body, bad) {
					t.Errorf("page contains %q", bad)
				}
			}
			if !strings.Contains(body, `<script type="module" src="/static/js/`) {
				t.Errorf("page does not load its module script from /static/js/")
			}
		})
	}
}

func TestPagesTileHostInCSP(t *testing.T) {
	e := pagesServer(t, Options{TileURL: "https://{s}.tile.example.org/{z}/{x}/{y}.png", TileAttribution: `© "Example" <tiles>`}, false)
	rec := pageGet(t, e, "/")
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' data: https://*.tile.example.org;") {
		t.Errorf("Content-Security-Policy %q does not allow the tile host", csp)
	}
	body := rec.Body.String()
	if !strings.Contains(body, `data-tile-template="https://{s}.tile.example.org/{z}/{x}/{y}.png"`) {
		t.Errorf("page does not carry the tile URL in data-tile-template: %s", between(body, "data-tile-template=", " data-"))
	}
	if !strings.Contains(body, `data-tile-attribution="© &#34;Example&#34; &lt;tiles&gt;"`) {
		t.Errorf("tile attribution is not escaped in data-tile-attribution: %s", between(body, "data-tile-attribution=", ">"))
	}
}

func TestTileSource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"},
		{"https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"},
		{"http://localhost:8081/{z}/{x}/{y}.png", "http://localhost:8081"},
		{"https://tiles-{s}.example.org/{z}/{x}/{y}.png", "https:"},
		{"ftp://example.org/{z}/{x}/{y}.png", ""},
		{"https://a.example.org; script-src *", "https:"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := tileSource(tc.in); got != tc.want {
				t.Errorf("tileSource(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPagesNoscriptSummary(t *testing.T) {
	tests := []struct {
		name    string
		hostile bool
		target  string
		want    []string
		notWant []string
	}{
		{
			name:   "date from the URL",
			target: "/?date=2026-01-21",
			want:   []string{"On 21 January 2026 the Syrian government controlled al-Hol camp and al-Shaddadi prison; the SDF controlled al-Aqtan prison (besieged)"},
		},
		{
			name:   "before the handover",
			target: "/embed?date=2026-01-16",
			want:   []string{"On 16 January 2026 the SDF controlled al-Aqtan prison, al-Hol camp,"},
		},
		{
			name:   "after the entries into al-Hasakah and Qamishli",
			target: "/?date=2026-02-03",
			// Sites whose surroundings changed hands with no report of who
			// held them afterwards are not counted as the SDF's.
			want: []string{"the SDF controlled &#39;Black prison&#39;, al-Malikiyah (Derik) and Roj camp (Tal Aswad); " +
				"al-Sina&#39;a (Panorama) prison, al-Hasakah, Alaya prison, Qamishli, Hasakah Central Prison (Ghwayran) and Tabqa prison were held by a side that no source names."},
		},
		{
			name:    "hostile name",
			hostile: true,
			target:  "/?date=2026-01-21",
			want:    []string{"the Syrian government controlled al-Hol &lt;img src=x onerror=alert(1)&gt; camp and"},
			notWant: []string{"<img src=x"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := pagesServer(t, Options{}, tc.hostile)
			rec := pageGet(t, e, tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q\nnoscript: %s", w, between(body, "<noscript>", "</noscript>"))
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("page contains %q", w)
				}
			}
		})
	}
}

func TestPagesNoscriptDefaultDate(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	for _, target := range []string{"/", "/embed", "/embed?date=%3Cscript%3E", "/?date=2026-02-30"} {
		t.Run(target, func(t *testing.T) {
			body := pageGet(t, e, target).Body.String()
			def := between(body, `data-default-date="`, `"`)
			day, err := time.Parse(time.DateOnly, def)
			if err != nil {
				t.Fatalf("data-default-date %q: %v", def, err)
			}
			// The last change date of the shipped dataset lies in its span.
			if day.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || day.After(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("default date %s is outside the dataset", def)
			}
			want := "On " + day.Format("2 January 2006") + " the "
			if !strings.Contains(between(body, "<noscript>", "</noscript>"), want) {
				t.Errorf("noscript lacks %q: %s", want, between(body, "<noscript>", "</noscript>"))
			}
			if strings.Contains(body, "<script>") {
				t.Error("page contains <script>")
			}
		})
	}
}

func TestSummaryText(t *testing.T) {
	day := time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC)
	fac := func(id, name, ctrl, status string) geo.Feature {
		return geo.Feature{ID: id, Properties: map[string]any{"name": name, "controller": ctrl, "status": status}}
	}
	tests := []struct {
		name   string
		fac    []geo.Feature
		events []geo.Feature
		want   string
	}{
		{"nothing", nil, nil, "On 21 January 2026 no facility is recorded."},
		{"one", []geo.Feature{fac("a", "A", "sdf", "normal")}, nil, "On 21 January 2026 the SDF controlled A."},
		{
			"groups ordered, notes, contested, events",
			[]geo.Feature{fac("a", "A", "sdf", "besieged"), fac("b", "B", "government", "handed_over"), fac("c", "C", "contested", "transition"), fac("d", "D", "sdf", "unknown"), fac("e", "E", "government", "normal"), fac("f", "F", "sdf", "normal")},
			[]geo.Feature{{ID: "x", Properties: map[string]any{"name": "Army enters"}}},
			"On 21 January 2026 the Syrian government controlled B and E; the SDF controlled A (besieged), D (status unknown) and F; C was contested. That day: Army enters.",
		},
	}
	col := geo.Collection{
		Style: geo.Style{Property: "controller", Label: "name", Order: []string{"government", "sdf", "contested"}},
		Terms: map[string]map[string]geo.Term{
			"controller": {
				"government": {Label: "Syrian government", Subject: "the Syrian government"},
				"sdf":        {Label: "SDF", Subject: "the SDF"},
				"contested":  {Label: "Contested", Subject: "contested", State: true},
			},
			"status": {
				"besieged":   {Label: "besieged", Note: "besieged"},
				"transition": {Label: "in transition", Note: "in transition"},
				"unknown":    {Label: "status unknown", Note: "status unknown"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := summaryText(day, col, tc.fac, tc.events); got != tc.want {
				t.Errorf("summaryText =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestPagesStaticFiles(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	tests := []struct {
		target string
		status int
		ctype  string
	}{
		{"/static/js/main.js", http.StatusOK, "text/javascript"},
		{"/static/css/app.css", http.StatusOK, "text/css"},
		{"/static/embed-resize.js", http.StatusOK, "text/javascript"},
		{"/static/templates/index.html.tmpl", http.StatusNotFound, ""},
		{"/static/templates/", http.StatusNotFound, ""},
		{"/static/embed.go", http.StatusNotFound, ""},
		{"/static/../data/catalog.json", http.StatusNotFound, ""},
		{"/static/nope.js", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			rec := pageGet(t, e, tc.target)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if tc.ctype != "" && !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.ctype) {
				t.Errorf("Content-Type = %q, want %s", rec.Header().Get("Content-Type"), tc.ctype)
			}
		})
	}
}

// between returns the text of s from the first start to the next end.
func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	in, _, _ := strings.Cut(after, end)
	return in
}
