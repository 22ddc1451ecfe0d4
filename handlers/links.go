package handlers

import (
	"net/netip"
	"net/url"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// baseURL returns the external URL that links start with, without a
// trailing slash: Options.BaseURL when set, else the request's scheme and
// Host. The scheme is https on a TLS connection; X-Forwarded-Proto is
// honoured only when the connection comes from one of --trusted-proxies,
// so no client can make the server write links (cached, and shared with
// other readers) to a scheme of its choosing. Every link, page and oEmbed
// answer is written with this one function.
func (s *server) baseURL(c echo.Context) string {
	if s.base != "" {
		return s.base
	}
	req := c.Request()
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	} else if p := strings.ToLower(req.Header.Get(echo.HeaderXForwardedProto)); (p == "https" || p == "http") && s.fromTrustedProxy(req.RemoteAddr) {
		scheme = p
	}
	return scheme + "://" + req.Host
}

// fromTrustedProxy reports whether the TCP peer remoteAddr is one of
// Options.TrustedProxies.
func (s *server) fromTrustedProxy(remoteAddr string) bool {
	if len(s.opts.TrustedProxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// href returns the absolute URL of path with the query q (nil or empty: no
// query), its parameters in sorted order.
func (s *server) href(c echo.Context, path string, q params) string {
	u := s.baseURL(c) + path
	if qs := encodeQuery(q); qs != "" {
		u += "?" + qs
	}
	return u
}

// collectionPath returns /collections/{id}.
func collectionPath(id string) string { return "/collections/" + url.PathEscape(id) }

// itemsPath returns /collections/{id}/items.
func itemsPath(id string) string { return collectionPath(id) + "/items" }

// itemPath returns /collections/{id}/items/{featureId}.
func itemPath(id, featureID string) string { return itemsPath(id) + "/" + url.PathEscape(featureID) }

// with returns a copy of q with name set to value, or removed when value is "".
func (p params) with(name, value string) params {
	out := make(params, len(p)+1)
	for k, v := range p {
		out[k] = v
	}
	if value == "" {
		delete(out, name)
	} else {
		out[name] = value
	}
	return out
}

// encodeQuery writes q sorted by name, escaping only what a query needs, so
// that values such as datetime=2026-01-18/2026-01-21 or bbox=40,36,41,37
// stay readable (and match what a client such as GDAL wrote itself).
func encodeQuery(q params) string {
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escapeQuery(k))
		b.WriteByte('=')
		b.WriteString(escapeQuery(q[k]))
	}
	return b.String()
}

// escapeQuery percent-encodes s for a query component, leaving unreserved
// characters and "/", ":", "," and "@" as they are.
func escapeQuery(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9',
			ch == '-', ch == '.', ch == '_', ch == '~', ch == '/', ch == ':', ch == ',', ch == '@':
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}

// pathParam returns the unescaped value of a path parameter.
func pathParam(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v, nil // the router matched the decoded path
	}
	return url.PathUnescape(v)
}
