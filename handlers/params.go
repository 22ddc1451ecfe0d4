package handlers

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// Query parameter names.
const (
	paramF          = "f"
	paramBBox       = "bbox"
	paramBBoxCRS    = "bbox-crs"
	paramDatetime   = "datetime"
	paramLimit      = "limit"
	paramOffset     = "offset"
	paramProperties = "properties"
	paramPrecision  = "precision"
	paramDownload   = "download"
	paramFrom       = "from"
	paramTo         = "to"
	paramFilter     = "filter"
	paramFilterLang = "filter-lang"
	paramFilterCRS  = "filter-crs"
	paramSortBy     = "sortby"
)

// Values of filter-lang.
const (
	langCQL2Text = "cql2-text"
	langCQL2JSON = "cql2-json"
)

// Values of the f parameter.
const (
	formatJSON    = "json"
	formatGeoJSON = "geojson"
	formatHTML    = "html"
)

// ignoredParams are the items query parameters that every other endpoint
// accepts, checks and ignores, so a client may append one query to every
// URL it asks (GDAL does so with "OAPIF:https://host/collections/x?datetime=…",
// and a CQL2 filter reaches the server from GDAL 3.6 only this way:
// "OAPIF:https://host/collections/x?filter=…").
func ignoredParams() []string {
	return []string{paramBBox, paramBBoxCRS, paramDatetime, paramLimit, paramOffset, paramPrecision,
		paramFilter, paramFilterLang, paramFilterCRS}
}

// params holds the query parameters of one request, each given once.
type params map[string]string

// has reports whether the parameter was given.
func (p params) has(name string) bool { _, ok := p[name]; return ok }

// strictParams checks that every parameter in q is one of accepted (or, when
// extra is not nil, satisfies extra) and that none is given twice with
// different values; the same value repeated counts once. It returns each
// parameter's value.
func strictParams(q url.Values, accepted []string, extra func(string) bool) (params, error) {
	var unknown []string
	out := make(params, len(q))
	for name, vals := range q {
		if !slices.Contains(accepted, name) && (extra == nil || !extra(name)) {
			unknown = append(unknown, name)
			continue
		}
		for _, v := range vals[1:] {
			if v != vals[0] {
				return nil, &geo.ParamError{Param: name, Value: strings.Join(vals, ","),
					Reason: fmt.Sprintf("given %d times with different values; give it once", len(vals))}
			}
		}
		out[name] = vals[0]
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := "parameter " + strconv.Quote(unknown[0])
		if len(unknown) > 1 {
			quoted := make([]string, len(unknown))
			for i, u := range unknown {
				quoted[i] = strconv.Quote(u)
			}
			names = "parameters " + strings.Join(quoted, ", ")
		}
		acc := append([]string(nil), accepted...)
		sort.Strings(acc)
		reason := "unknown " + names + "; this endpoint takes no parameters"
		if len(acc) > 0 {
			reason = fmt.Sprintf("unknown %s; this endpoint accepts %s", names, strings.Join(acc, ", "))
		}
		if extra != nil {
			reason += " and the collection's property names (as equality filters)"
		}
		return nil, &geo.ParamError{Param: unknown[0], Value: q.Get(unknown[0]), Reason: reason}
	}
	return out, nil
}

// format returns the value of f, or def when it is absent, checking that it
// is one of allowed.
func (p params) format(def string, allowed ...string) (string, error) {
	v, ok := p[paramF]
	if !ok {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", &geo.ParamError{Param: paramF, Value: v, Reason: "want one of " + strings.Join(allowed, ", ")}
	}
	return v, nil
}

// bbox parses bbox (and checks bbox-crs); nil when bbox is absent.
func (p params) bbox() (*orb.Bound, error) {
	if crs, ok := p[paramBBoxCRS]; ok && crs != CRS84 && crs != "[OGC:CRS84]" {
		return nil, &geo.ParamError{Param: paramBBoxCRS, Value: crs, Reason: "only " + CRS84 + " is supported"}
	}
	v, ok := p[paramBBox]
	if !ok {
		return nil, nil
	}
	b, err := geo.ParseBBox(v)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// datetime parses datetime; the zero (unbounded) Interval when absent.
func (p params) datetime() (geo.Interval, error) {
	v, ok := p[paramDatetime]
	if !ok {
		return geo.Interval{}, nil
	}
	return geo.ParseDatetime(v)
}

// limit parses limit: DefaultLimit when absent, clamped to MaxLimit.
func (p params) limit() (int, error) {
	v, ok := p[paramLimit]
	if !ok {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil && isDigits(v) {
		return MaxLimit, nil // too large for an int: clamped like any other large value
	}
	if err != nil || n < 1 {
		return 0, &geo.ParamError{Param: paramLimit, Value: v, Reason: fmt.Sprintf("want a whole number from 1 (larger than %d is taken as %d)", MaxLimit, MaxLimit)}
	}
	return min(n, MaxLimit), nil
}

// offset parses offset: 0 when absent.
func (p params) offset() (int, error) {
	v, ok := p[paramOffset]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, &geo.ParamError{Param: paramOffset, Value: v, Reason: "want a whole number from 0"}
	}
	return n, nil
}

// precision parses precision: DefaultPrecision when absent.
func (p params) precision() (int, error) {
	v, ok := p[paramPrecision]
	if !ok {
		return DefaultPrecision, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > MaxPrecision {
		return 0, &geo.ParamError{Param: paramPrecision, Value: v, Reason: fmt.Sprintf("want a whole number of decimal places from 0 to %d", MaxPrecision)}
	}
	return n, nil
}

// properties parses the comma-separated list of property names to return;
// nil (all) when absent. Every name must be one of col's selectable.
func (p params) properties(col requestCollection) ([]string, error) {
	v, ok := p[paramProperties]
	if !ok {
		return nil, nil
	}
	names := []string{}
	if v == "" {
		return names, nil
	}
	known := col.selectable
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(known, n) {
			return nil, &geo.ParamError{Param: paramProperties, Value: v,
				Reason: fmt.Sprintf("unknown property %q; the collection has %s", n, strings.Join(known, ", "))}
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

// download parses download: true for 1 or true, false for 0, false or absent.
func (p params) download() (bool, error) {
	v, ok := p[paramDownload]
	if !ok {
		return false, nil
	}
	switch v {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, &geo.ParamError{Param: paramDownload, Value: v, Reason: "want 1 or 0"}
}

// checkIgnored validates the ignored items parameters of a metadata endpoint.
func (p params) checkIgnored() error {
	if _, err := p.bbox(); err != nil {
		return err
	}
	if _, err := p.datetime(); err != nil {
		return err
	}
	if _, err := p.limit(); err != nil {
		return err
	}
	if _, err := p.offset(); err != nil {
		return err
	}
	if _, err := p.precision(); err != nil {
		return err
	}
	// The filter's names are the queryables of a collection, which most of
	// these paths do not have: its language and CRS are checked here, the
	// filter itself by the items request.
	_, err := p.filterLang()
	return err
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
