package handlers

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/controlmap/controlmap/static"
	"github.com/labstack/echo/v4"
)

// staticMaxAge is the browser cache lifetime of files under /static/.
const staticMaxAge = "public, max-age=300"

// pages serves the map page, the embeddable widget, oEmbed and the frontend's
// files. It is part of the server: one clock, one base URL, one data state
// and one cache with the API. It is safe for concurrent use: its fields are
// set once by newPages.
type pages struct {
	s        *server
	tmpl     *template.Template
	assets   http.Handler
	csp      string // policy of every page but /embed
	cspEmbed string // policy of /embed: any site may frame it
}

// registerPages adds the routes a person's browser uses: static assets under
// /static/, the embeddable widget at /embed and oEmbed at /oembed. The landing
// route "/" is shared with the OGC API and calls servePage for browsers.
// cached registers a route whose answers go through respond.
func (s *server) registerPages(e *echo.Echo, cached func(path string, h echo.HandlerFunc)) {
	p := newPages(s)
	s.pages = p
	e.GET("/static/*", p.serveStatic)
	e.HEAD("/static/*", p.serveStatic)
	cached("/embed", p.serveEmbed)
	e.GET("/oembed", p.serveOEmbed)
	e.HEAD("/oembed", p.serveOEmbed)
}

// servePage writes the map page.
func (s *server) servePage(c echo.Context) error {
	return s.pages.renderPage(c, "index.html.tmpl", false)
}

func newPages(s *server) *pages {
	tmpl := template.Must(template.New("pages").ParseFS(static.FS, "templates/*.tmpl"))
	return &pages{
		s:        s,
		tmpl:     tmpl,
		assets:   http.FileServer(http.FS(static.FS)),
		csp:      contentSecurityPolicy(s.opts.TileURL, "'self'"),
		cspEmbed: contentSecurityPolicy(s.opts.TileURL, "*"),
	}
}

// contentSecurityPolicy returns the policy of the pages: nothing but this
// server's own files run or load, except raster tiles from the configured
// tile host; frameAncestors says who may frame the page.
func contentSecurityPolicy(tileURL, frameAncestors string) string {
	img := "'self' data:"
	if src := tileSource(tileURL); src != "" {
		img += " " + src
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src " + img,
		"connect-src 'self'",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors " + frameAncestors,
	}, "; ")
}

// tileSource returns the CSP source expression matching the hosts of a tile
// URL template: "{s}" subdomains become a wildcard; any other placeholder in
// the host widens the source to the scheme. It returns "" for no template.
func tileSource(tileURL string) string {
	if tileURL == "" {
		return ""
	}
	scheme, rest, ok := strings.Cut(tileURL, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if strings.HasPrefix(host, "{s}.") {
		host = "*." + strings.TrimPrefix(host, "{s}.")
	}
	if strings.ContainsAny(host, "{}; '\"") || host == "" {
		return scheme + ":"
	}
	return scheme + "://" + host
}

// setPageHeaders sets the security headers of an HTML page or a frontend file.
func (p *pages) setPageHeaders(h http.Header, embed bool) {
	if embed {
		h.Set("Content-Security-Policy", p.cspEmbed)
	} else {
		h.Set("Content-Security-Policy", p.csp)
		h.Set("X-Frame-Options", "SAMEORIGIN")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}

// serveStatic serves the frontend's files. The page templates are not files
// a browser may fetch.
func (p *pages) serveStatic(c echo.Context) error {
	name := path.Clean("/" + c.Param("*"))
	if strings.HasPrefix(name, "/templates/") || name == "/templates" || path.Ext(name) == ".go" || name == "/" {
		return echo.NewHTTPError(http.StatusNotFound, "no such file: /static"+name)
	}
	// A folder is not a file either: RemoveTrailingSlash has taken its "/"
	// away, and http.FileServer would answer with a relative redirect to
	// "<name>/", which comes back here without its slash, forever.
	if fi, err := fs.Stat(static.FS, strings.TrimPrefix(name, "/")); err != nil || fi.IsDir() {
		return echo.NewHTTPError(http.StatusNotFound, "no such file: /static"+name)
	}
	h := c.Response().Header()
	p.setPageHeaders(h, false)
	h.Set("Cache-Control", staticMaxAge)
	// embed-resize.js is loaded by other sites' pages.
	if name == "/embed-resize.js" {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	req := c.Request().Clone(c.Request().Context())
	req.URL.Path = name
	p.assets.ServeHTTP(c.Response(), req)
	return nil
}

// serveEmbed writes the embeddable widget, which any site may frame.
func (p *pages) serveEmbed(c echo.Context) error {
	return p.renderPage(c, "embed.html.tmpl", true)
}

// pageData is what the page templates render.
type pageData struct {
	// Root is the path prefix of every local URL ("" or "/map").
	Root string
	// PageURL is the absolute URL of this page; OEmbedURL its oEmbed endpoint.
	PageURL   string
	OEmbedURL string
	// DefaultDate is the date the map opens on (YYYY-MM-DD).
	DefaultDate string
	// Date is the date of Summary, DateWords the same in words.
	Date      string
	DateWords string
	Summary   string
	// TileURL and TileAttribution configure an optional raster basemap.
	TileURL         string
	TileAttribution string
	// Lang is the label language of the embed ("en" or "ar").
	Lang string
	// Title and Description name the state of the page's URL (date, change
	// view, selection) for link previews; ImageURL is the picture of that
	// state (ImageWidth × ImageHeight), empty when there is no date to draw.
	Title, Description      string
	ImageURL                string
	ImageWidth, ImageHeight int
}

// renderPage renders a page template with the summary of the requested date
// (the date parameter) or the default date. The page goes through respond
// like every answer: one build per data version and URL for all concurrent
// requests, an ETag, 304s. When the store cannot give the summary, the page
// is still served, without it and uncached.
func (p *pages) renderPage(c echo.Context, name string, embed bool) error {
	h := c.Response().Header()
	p.setPageHeaders(h, embed)
	date := c.QueryParam("date")
	err := p.s.respond(c, resource{mediaType: echo.MIMETextHTMLCharsetUTF8, variant: name}, func(d *dataState) (built, error) {
		sum, err := p.s.pageSummary(c.Request().Context(), d, date)
		if err != nil {
			return built{}, err
		}
		body, err := p.render(c, name, &sum, d)
		return built{body: body}, err
	})
	if err == nil || c.Request().Context().Err() != nil {
		return err
	}
	p.s.log.Debug("handlers: page without summary", "page", name, "err", err)
	for _, k := range []string{"ETag", "X-Cache", "Warning"} {
		h.Del(k)
	}
	h.Set("Cache-Control", "no-store")
	body, rerr := p.render(c, name, nil, nil)
	if rerr != nil {
		return rerr
	}
	return c.HTMLBlob(http.StatusOK, body)
}

// render executes a page template; sum, when not nil, is the summary shown,
// of the data d.
func (p *pages) render(c echo.Context, name string, sum *pageSummary, d *dataState) ([]byte, error) {
	req := c.Request()
	base := p.s.baseURL(c)
	pageURL := base + req.URL.Path
	if q := req.URL.RawQuery; q != "" {
		pageURL += "?" + q
	}
	pd := pageData{
		Root:            p.rootPath(),
		PageURL:         pageURL,
		OEmbedURL:       base + "/oembed?" + url.Values{"url": {pageURL}, "format": {"json"}}.Encode(),
		TileURL:         p.s.opts.TileURL,
		TileAttribution: p.s.opts.TileAttribution,
		Lang:            "en",
	}
	if req.URL.Query().Get("lang") == "ar" {
		pd.Lang = "ar"
	}
	if sum != nil {
		pd.DefaultDate = sum.defaultDate.Format(time.DateOnly)
		pd.Date = sum.date.Format(time.DateOnly)
		pd.DateWords = sum.date.Format("2 January 2006")
		pd.Summary = sum.text
	}
	q := req.URL.Query()
	pd.Title, pd.Description = pageDescription(q, pd.Date, pd.Summary)
	if pd.Date != "" {
		var check func(url.Values) string
		if d != nil {
			check = p.s.renderRefuses(d)
		}
		pd.ImageURL = base + "/render.png?" + pageImageQuery(q, pd.Date, check).Encode()
		pd.ImageWidth, pd.ImageHeight = cardWidth, cardHeight
	}
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, pd); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rootPath is the path of Options.BaseURL without a trailing slash ("" when
// the server is at the root of its host).
func (p *pages) rootPath() string {
	if p.s.opts.BaseURL == "" {
		return ""
	}
	u, err := url.Parse(p.s.opts.BaseURL)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Path, "/")
}

// pageParams are the query parameters of the map page's state (see
// static/js/urlstate.js); the landing route accepts them besides its own,
// and the filters of the layer panel (pageFilterParam). since is the earlier
// date of the change view; view is lat,lon,zoom, or "chart" for the widget's
// area chart.
func pageParams() []string {
	return []string{"date", "since", "view", "layers", "sel", "slider", "locked", "lang"}
}

// pageFilterPrefix starts the parameters of the map page's filters:
// f.controller=sdf,government keeps the features whose controller is sdf or
// government (static/js/urlstate.js). The page reads them; the server only
// lets them through, to the page and from a map URL to oEmbed's iframe.
const pageFilterPrefix = "f."

// pageFilterParam reports whether name is a filter of the map page's state
// (f.PROPERTY, the property not empty).
func pageFilterParam(name string) bool {
	return len(name) > len(pageFilterPrefix) && strings.HasPrefix(name, pageFilterPrefix)
}
