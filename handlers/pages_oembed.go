package handlers

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/labstack/echo/v4"
)

// oEmbed sizes of the widget, in CSS pixels.
const (
	oembedWidth    = 640
	oembedHeight   = 480
	oembedMinSize  = 100
	oembedCacheAge = 3600
)

// oembedResponse is an oEmbed 1.0 "rich" response.
type oembedResponse struct {
	Version      string `json:"version"`
	Type         string `json:"type"`
	Title        string `json:"title"`
	ProviderName string `json:"provider_name"`
	ProviderURL  string `json:"provider_url"`
	HTML         string `json:"html"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	CacheAge     int    `json:"cache_age"`
	// The picture of the same state, drawn by /render.png.
	ThumbnailURL    string `json:"thumbnail_url,omitempty"`
	ThumbnailWidth  int    `json:"thumbnail_width,omitempty"`
	ThumbnailHeight int    `json:"thumbnail_height,omitempty"`
}

// serveOEmbed answers /oembed?url=...&maxwidth=...&maxheight=...&format=json
// for URLs of this server's map page or widget: the iframe of the widget at
// the same state, the change view (since) and the area chart (view=chart)
// included. Other URLs are 404, malformed parameters 400 and formats
// other than JSON 501, as the oEmbed specification asks.
func (p *pages) serveOEmbed(c echo.Context) error {
	q := c.QueryParams()
	if f := q.Get("format"); f != "" && f != "json" {
		return echo.NewHTTPError(http.StatusNotImplemented, fmt.Sprintf("parameter format=%q: only json is supported", f))
	}
	raw := q.Get("url")
	if raw == "" {
		return &geo.ParamError{Param: "url", Value: raw, Reason: "required: the URL of a map page of this server"}
	}
	width, err := oembedSize(q, "maxwidth", oembedWidth)
	if err != nil {
		return err
	}
	height, err := oembedSize(q, "maxheight", oembedHeight)
	if err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &geo.ParamError{Param: "url", Value: raw, Reason: "not an absolute http(s) URL"}
	}
	base := p.s.baseURL(c)
	bu, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("handlers: oembed: base URL %q: %w", base, err)
	}
	rel := strings.TrimPrefix(u.Path, p.rootPath())
	if !strings.EqualFold(u.Host, bu.Host) || (rel != "" && rel != "/" && rel != "/embed") {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("url %q is not a map of this server (%s/ or %s/embed)", raw, base, base))
	}

	// The parameters of a map URL that the widget honours go to the iframe,
	// the filters (f.PROPERTY) even when empty: an empty one keeps no value.
	keep := url.Values{}
	from := u.Query()
	for _, k := range [...]string{"date", "since", "view", "bbox", "layers", "slider", "locked", "lang"} {
		if v := from.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	for k := range from {
		if pageFilterParam(k) {
			keep.Set(k, from.Get(k))
		}
	}
	src := base + "/embed"
	if len(keep) > 0 {
		src += "?" + keep.Encode()
	}
	title := oembedTitle(keep)
	frame := fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" title="%s" style="border:0" loading="lazy" allowfullscreen></iframe>`,
		html.EscapeString(src), width, height, html.EscapeString(title))
	// The thumbnail: the picture of the map at the URL's date, or at the
	// date the map opens on.
	var thumb string
	if d, err := p.s.data(c); err == nil {
		date := p.s.defaultDate(d).Format(time.DateOnly)
		if t, isDate, err := geo.ParseTime(from.Get("date")); err == nil && isDate {
			date = t.Format(time.DateOnly)
		}
		thumb = base + "/render.png?" + pageImageQuery(from, date, p.s.renderRefuses(d)).Encode()
	}
	c.Response().Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(oembedCacheAge))
	if p.s.base == "" && len(p.s.opts.TrustedProxies) > 0 {
		c.Response().Header().Add("Vary", echo.HeaderXForwardedProto) // its URLs follow the proxy's scheme
	}
	resp := oembedResponse{
		Version:      "1.0",
		Type:         "rich",
		Title:        title,
		ProviderName: "controlmap",
		ProviderURL:  base + "/",
		HTML:         frame,
		Width:        width,
		Height:       height,
		CacheAge:     oembedCacheAge,
	}
	if thumb != "" {
		resp.ThumbnailURL, resp.ThumbnailWidth, resp.ThumbnailHeight = thumb, cardWidth, cardHeight
	}
	return c.JSON(http.StatusOK, resp)
}

// oembedSize reads maxwidth or maxheight: the default size, or the maximum
// when it is smaller. A value that is not a positive integer is a 400.
func oembedSize(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < oembedMinSize {
		return 0, &geo.ParamError{Param: name, Value: v, Reason: fmt.Sprintf("want an integer number of pixels, at least %d", oembedMinSize)}
	}
	return min(n, def), nil
}

// oembedTitle names what the widget at the parameters keep shows: the map on
// its date, the changes since an earlier date, or the area chart.
func oembedTitle(keep url.Values) string {
	day := func(name string) string {
		if t, isDate, err := geo.ParseTime(keep.Get(name)); err == nil && isDate {
			return t.Format("2 January 2006")
		}
		return ""
	}
	date, since := day("date"), day("since")
	switch {
	case keep.Get("view") == "chart":
		title := "Area controlled in north-east Syria over time (approximate)"
		if date != "" {
			title += ", marked at " + date
		}
		return title
	case since != "" && date != "":
		return "Changes in control of north-east Syria from " + since + " to " + date
	case since != "":
		return "Changes in control of north-east Syria since " + since
	case date != "":
		return "Control of north-east Syria on " + date
	}
	return "Control of north-east Syria"
}
