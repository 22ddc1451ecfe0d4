package handlers

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/static"
	"github.com/labstack/echo/v4"
)

// pagesKey is the echo.Context key under which registerPages leaves the
// *pages that serveIndex renders with.
const pagesKey = "controlmap.pages"

// staticMaxAge is the browser cache lifetime of files under /static/.
const staticMaxAge = "public, max-age=300"

// pages serves the map page, the embeddable widget, oEmbed and the frontend's
// files. It is safe for concurrent use: its fields are set once by newPages,
// and the summary cache has its own lock.
type pages struct {
	store     geo.Store
	opts      Options
	tmpl      *template.Template
	assets    http.Handler
	csp       string // policy of every page but /embed
	cspEmbed  string // policy of /embed: any site may frame it
	summaries *summaryCache
}

// registerPages adds the routes a person's browser uses: static assets under
// /static/, the embeddable widget at /embed and oEmbed at /oembed. The landing
// route "/" is shared with the OGC API and calls serveIndex for browsers; a
// middleware hands serveIndex the page renderer through the context.
func registerPages(e *echo.Echo, store geo.Store, opts Options) {
	p := newPages(store, opts)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(pagesKey, p)
			return next(c)
		}
	})
	e.GET("/static/*", p.serveStatic)
	e.HEAD("/static/*", p.serveStatic)
	e.GET("/embed", p.serveEmbed)
	e.HEAD("/embed", p.serveEmbed)
	e.GET("/oembed", p.serveOEmbed)
	e.HEAD("/oembed", p.serveOEmbed)
}

// serveIndex writes the map page.
func serveIndex(c echo.Context) error {
	p, ok := c.Get(pagesKey).(*pages)
	if !ok {
		return errors.New("handlers: serveIndex: registerPages was not called")
	}
	return p.renderPage(c, "index.html.tmpl", false)
}

func newPages(store geo.Store, opts Options) *pages {
	tmpl := template.Must(template.New("pages").ParseFS(static.FS, "templates/*.tmpl"))
	return &pages{
		store:     store,
		opts:      opts,
		tmpl:      tmpl,
		assets:    http.FileServer(http.FS(static.FS)),
		csp:       contentSecurityPolicy(opts.TileURL, "'self'"),
		cspEmbed:  contentSecurityPolicy(opts.TileURL, "*"),
		summaries: &summaryCache{},
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
}

// renderPage renders a page template with the summary of the requested date
// (the date parameter) or the default date.
func (p *pages) renderPage(c echo.Context, name string, embed bool) error {
	req := c.Request()
	base := p.baseURL(c)
	pageURL := base + req.URL.Path
	if q := req.URL.RawQuery; q != "" {
		pageURL += "?" + q
	}
	d := pageData{
		Root:            p.rootPath(),
		PageURL:         pageURL,
		OEmbedURL:       base + "/oembed?" + url.Values{"url": {pageURL}, "format": {"json"}}.Encode(),
		TileURL:         p.opts.TileURL,
		TileAttribution: p.opts.TileAttribution,
		Lang:            "en",
	}
	if req.URL.Query().Get("lang") == "ar" {
		d.Lang = "ar"
	}
	s, err := p.summaries.get(req.Context(), p.store, req.URL.Query().Get("date"))
	if err == nil {
		d.DefaultDate = s.defaultDate.Format(time.DateOnly)
		d.Date = s.date.Format(time.DateOnly)
		d.DateWords = s.date.Format("2 January 2006")
		d.Summary = s.text
	}
	// A store that fails leaves the summary out; the page itself still works.
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		return err
	}
	h := c.Response().Header()
	p.setPageHeaders(h, embed)
	h.Set("Cache-Control", "no-cache")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// baseURL is the external URL of the server without a trailing slash:
// Options.BaseURL, or the scheme and host of the request.
func (p *pages) baseURL(c echo.Context) string {
	if p.opts.BaseURL != "" {
		return strings.TrimSuffix(p.opts.BaseURL, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

// rootPath is the path of Options.BaseURL without a trailing slash ("" when
// the server is at the root of its host).
func (p *pages) rootPath() string {
	if p.opts.BaseURL == "" {
		return ""
	}
	u, err := url.Parse(p.opts.BaseURL)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Path, "/")
}

// pageParams are the query parameters of the map page's state (see
// static/js/urlstate.js); the landing route accepts them besides its own.
func pageParams() []string {
	return []string{"date", "view", "layers", "sel", "slider", "locked", "lang"}
}
