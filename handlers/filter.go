package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
)

// What selects features: the one filter parser of items, downloads, tiles
// and TileJSON (parseFilter), the names a request may filter on or select,
// CQL2 filters and sortby, and the items request built from them.

// itemsRequest is a parsed /collections/{id}/items query.
type itemsRequest struct {
	format     string // formatGeoJSON or formatJSON
	query      geo.Query
	datetime   string   // the datetime value as given; "" when absent
	properties []string // nil: every property
	precision  int
	download   bool
	params     params // the query as given, each parameter once
}

// itemsParams lists the standard parameters of the items endpoint (read
// only).
var itemsParams = []string{paramF, paramBBox, paramBBoxCRS, paramDatetime, paramLimit, paramOffset,
	paramProperties, paramPrecision, paramDownload, paramFilter, paramFilterLang, paramFilterCRS, paramSortBy}

// selectable returns the property names a client may name in `properties`:
// the collection's properties plus valid_from, valid_to and sources.
func selectable(col geo.Collection) []string {
	names := append([]string(nil), col.Properties...)
	for _, n := range []string{geo.PropValidFrom, geo.PropValidTo, geo.PropSources} {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// filterable returns the property names usable as equality filters: the
// collection's properties that are not standard parameter names.
func filterable(col geo.Collection) []string {
	var out []string
	for _, n := range col.Properties {
		if !slices.Contains(itemsParams, n) {
			out = append(out, n)
		}
	}
	return out
}

// parseFilter checks the query q of a request that selects features of
// col and parses what selects them: bbox (when withBBox; a tile's box comes
// from its path), datetime and the collection's property filters. It is the
// one filter parser of items, downloads, tiles and TileJSON. other are the
// endpoint's other parameters, accepted and returned in params for the
// caller to parse.
func parseFilter(col requestCollection, q url.Values, withBBox bool, other ...string) (geo.Query, params, error) {
	filters := col.filterable
	var buf [16]string // on the stack: accepted is only read
	accepted := append(append(buf[:0], paramDatetime, paramFilter, paramFilterLang, paramFilterCRS), other...)
	if withBBox {
		accepted = append(accepted, paramBBox, paramBBoxCRS)
	}
	p, err := strictParams(q, accepted, func(n string) bool { return slices.Contains(filters, n) })
	if err != nil {
		return geo.Query{}, nil, err
	}
	var gq geo.Query
	if withBBox {
		if gq.BBox, err = p.bbox(); err != nil {
			return geo.Query{}, nil, err
		}
	}
	if gq.Time, err = p.datetime(); err != nil {
		return geo.Query{}, nil, err
	}
	for _, n := range filters {
		if v, ok := p[n]; ok {
			if gq.Filters == nil {
				gq.Filters = map[string]string{}
			}
			gq.Filters[n] = v
		}
	}
	if gq.Filter, err = p.filter(col.Collection); err != nil {
		return geo.Query{}, nil, err
	}
	return gq, p, nil
}

// queryables is what a CQL2 filter on col may name: its properties; id,
// geometry, valid_from and valid_to are always there.
func queryables(col geo.Collection) cql2.Schema {
	return cql2.Schema{Properties: col.Properties}
}

// filterLang checks filter-crs and returns filter-lang, cql2-text when
// absent.
func (p params) filterLang() (string, error) {
	if crs, ok := p[paramFilterCRS]; ok && crs != CRS84 && crs != "[OGC:CRS84]" {
		return "", &geo.ParamError{Param: paramFilterCRS, Value: crs, Reason: "only " + CRS84 + " is supported"}
	}
	lang, hasLang := p[paramFilterLang]
	if !hasLang {
		lang = langCQL2Text
	}
	if lang != langCQL2Text && lang != langCQL2JSON {
		return "", &geo.ParamError{Param: paramFilterLang, Value: lang, Reason: "want cql2-text or cql2-json"}
	}
	return lang, nil
}

// filter parses filter in the language of filter-lang (cql2-text when
// absent) and checks filter-crs; nil when filter is absent.
func (p params) filter(col geo.Collection) (*cql2.Expr, error) {
	lang, err := p.filterLang()
	if err != nil {
		return nil, err
	}
	src, ok := p[paramFilter]
	if !ok {
		return nil, nil
	}
	var e *cql2.Expr
	if lang == langCQL2JSON {
		e, err = cql2.ParseJSON([]byte(src), queryables(col), cql2.DefaultLimits)
	} else {
		e, err = cql2.ParseText(src, queryables(col), cql2.DefaultLimits)
	}
	if err != nil {
		var ce *cql2.Error
		if errors.As(err, &ce) {
			return nil, &geo.ParamError{Param: paramFilter, Value: src, Reason: ce.Error(), Position: ce.Pos, Pointer: ce.Pointer}
		}
		return nil, &geo.ParamError{Param: paramFilter, Value: src, Reason: err.Error()}
	}
	return e, nil
}

// sortBy parses sortby: a comma-separated list of names, each with an
// optional + (ascending, the default) or - (descending); nil when absent.
// The names are the queryables other than geometry.
func (p params) sortBy(col geo.Collection) ([]geo.SortKey, error) {
	v, ok := p[paramSortBy]
	if !ok {
		return nil, nil
	}
	known := append([]string{cql2.PropID, cql2.PropValidFrom, cql2.PropValidTo}, col.Properties...)
	var keys []geo.SortKey
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		k := geo.SortKey{Name: part}
		switch {
		case strings.HasPrefix(part, "-"):
			k = geo.SortKey{Name: part[1:], Desc: true}
		case strings.HasPrefix(part, "+"):
			k.Name = part[1:]
		}
		if k.Name == "" {
			return nil, &geo.ParamError{Param: paramSortBy, Value: v, Reason: "an empty name; want names separated by commas, each with an optional - for descending order"}
		}
		if !slices.Contains(known, k.Name) || k.Name == cql2.PropGeometry {
			sorted := append([]string(nil), known...)
			sort.Strings(sorted)
			sorted = slices.Compact(sorted)
			return nil, &geo.ParamError{Param: paramSortBy, Value: v, Reason: fmt.Sprintf("unknown property %q; sort by one of %s", k.Name, strings.Join(sorted, ", "))}
		}
		if slices.ContainsFunc(keys, func(o geo.SortKey) bool { return o.Name == k.Name }) {
			return nil, &geo.ParamError{Param: paramSortBy, Value: v, Reason: fmt.Sprintf("%q is named twice", k.Name)}
		}
		if len(keys) == 8 {
			return nil, &geo.ParamError{Param: paramSortBy, Value: v, Reason: "at most 8 sort keys are accepted"}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// parseItems checks and parses the query of an items request on col.
func parseItems(q url.Values, col requestCollection) (itemsRequest, error) {
	gq, p, err := parseFilter(col, q, true, paramF, paramLimit, paramOffset, paramProperties, paramPrecision, paramDownload, paramSortBy)
	if err != nil {
		return itemsRequest{}, err
	}
	if gq.SortBy, err = p.sortBy(col.Collection); err != nil {
		return itemsRequest{}, err
	}
	r := itemsRequest{params: p, query: gq, datetime: p[paramDatetime]}
	if r.format, err = p.format(formatGeoJSON, formatGeoJSON, formatJSON); err != nil {
		return r, err
	}
	if r.query.Limit, err = p.limit(); err != nil {
		return r, err
	}
	if r.query.Offset, err = p.offset(); err != nil {
		return r, err
	}
	if r.properties, err = p.properties(col); err != nil {
		return r, err
	}
	if r.precision, err = p.precision(); err != nil {
		return r, err
	}
	if r.download, err = p.download(); err != nil {
		return r, err
	}
	if r.download {
		for _, n := range []string{paramLimit, paramOffset} {
			if p.has(n) {
				return r, &geo.ParamError{Param: n, Value: p[n], Reason: "a download returns every matching feature; leave out limit and offset"}
			}
		}
		r.query.Limit, r.query.Offset = 0, 0
	}
	return r, nil
}
