package handlers

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/cache"
)

// Territory analytics: /analytics/area (the area each side held, at every
// date the collection changes) and /analytics/change (what changed hands
// between two dates: regions of a polygon collection, sites of a point
// collection). The polygon work is the store's (geo.AnalyticsStore); the
// sites are compared here from two ordinary queries.

const paramCollection = "collection"

// analyticsInstant parses a date (midnight UTC: the state that day begins
// with) or an RFC 3339 instant for parameter name.
func analyticsInstant(p params, name string) (time.Time, bool, error) {
	v, ok := p[name]
	if !ok {
		return time.Time{}, false, nil
	}
	t, _, err := geo.ParseTime(v)
	if err != nil {
		return time.Time{}, false, &geo.ParamError{Param: name, Value: v, Reason: strings.TrimPrefix(err.Error(), "geo: ") + "; want a date (YYYY-MM-DD) or an RFC 3339 date-time"}
	}
	return t, true, nil
}

// formatInstant writes midnight as a date, any other instant in RFC 3339.
func formatInstant(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(dateLayout)
	}
	return t.Format(time.RFC3339Nano)
}

// analyticsCollection finds the collection named by the collection
// parameter; polygons says whether it must hold polygons.
func analyticsCollection(d *dataState, p params, polygons bool) (geo.Collection, error) {
	id, ok := p[paramCollection]
	if !ok {
		return geo.Collection{}, &geo.ParamError{Param: paramCollection, Reason: "required: the id of a collection (see /collections)"}
	}
	col, found := d.collection(id)
	if !found {
		return geo.Collection{}, &geo.ParamError{Param: paramCollection, Value: id, Reason: "no such collection; /collections lists them"}
	}
	if col.Style.Property == "" {
		return geo.Collection{}, &geo.ParamError{Param: paramCollection, Value: id, Reason: "the collection has no style property (such as controller) to group by"}
	}
	if polygons && !isPolygonal(col) {
		return geo.Collection{}, &geo.ParamError{Param: paramCollection, Value: id, Reason: "the collection holds no polygons (" + col.GeometryType + "); areas are measured on polygon collections such as control_areas"}
	}
	return col, nil
}

func isPolygonal(col geo.Collection) bool {
	return col.GeometryType == "Polygon" || col.GeometryType == "MultiPolygon"
}

// analyticsStore is the store's analytics, or a 501 problem.
func (s *server) analyticsStore() (geo.AnalyticsStore, error) {
	a, ok := s.store.(geo.AnalyticsStore)
	if !ok {
		return nil, echo.NewHTTPError(501, "this store does not compute territory analytics")
	}
	return a, nil
}

// roundKM2 rounds to the km²: the stores agree to better than 0.5%, not to
// a tenth of a km², and the areas are of schematic outlines (the map
// rounds further, to 100 km²).
func roundKM2(v float64) float64 { return math.Round(v) }

// idPart escapes a value for a region's id, so that the ids of two
// different pairs never meet ("a-to-b" to "c" against "a" to "b-to-c").
var idPart = strings.NewReplacer("%", "%25", "-", "%2D").Replace

// ccw orients a multipolygon as RFC 7946 asks: outer rings counter-
// clockwise, holes clockwise (an overlay may give them either way).
func ccw(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for j, r := range p {
			r = slices.Clone(r)
			if want := orb.CCW; (j == 0) != (r.Orientation() == want) {
				r.Reverse()
			}
			out[i][j] = r
		}
	}
	return out
}

// areaDoc is the answer of /analytics/area.
type areaDoc struct {
	Collection  string       `json:"collection"`
	Property    string       `json:"property"`
	Approximate bool         `json:"approximate"`
	Note        string       `json:"note"`
	Confidence  []string     `json:"confidence"`
	Series      []areaEntry  `json:"series"`
	Sources     []geo.Source `json:"sources"`
	Links       []link       `json:"links"`
}

type areaEntry struct {
	Date     string             `json:"date"`
	AreaKM2  map[string]float64 `json:"area_km2"`
	TotalKM2 float64            `json:"total_km2"`
}

// analyticsArea serves /analytics/area.
func (s *server) analyticsArea(c echo.Context) error {
	p, err := strictParams(c.QueryParams(), []string{paramCollection, paramDatetime, paramF}, nil)
	if err != nil {
		return err
	}
	if _, err := p.format(formatJSON, formatJSON); err != nil {
		return err
	}
	at, one, err := analyticsInstant(p, paramDatetime)
	if err != nil {
		return err
	}
	d, err := s.data(c)
	if err != nil {
		return err
	}
	col, err := analyticsCollection(d, p, true)
	if err != nil {
		return err
	}
	a, err := s.analyticsStore()
	if err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: MediaJSON, maxAge: s.opts.CacheMaxAge}, func(d *dataState) (built, error) {
		ctx := c.Request().Context()
		instants := []time.Time{at}
		if !one {
			instants = seriesInstants(d, col)
		}
		parts, err := s.areaParts(ctx, d, a, col, instants)
		if err != nil {
			return built{}, err
		}
		doc := areaDoc{Collection: col.ID, Property: col.Style.Property, Approximate: true,
			Note:   "Areas of schematic outlines, measured on the WGS84 ellipsoid with overlaps counted once: an approximation, not a survey.",
			Series: make([]areaEntry, len(parts)), Confidence: []string{}, Sources: []geo.Source{},
			Links: []link{{Href: s.href(c, "/analytics/area", p), Rel: RelSelf, Type: MediaJSON, Title: "This document"}}}
		for i, part := range parts {
			entry := areaEntry{Date: formatInstant(instants[i]), AreaKM2: map[string]float64{}}
			var total float64
			for k, v := range part.km2 {
				entry.AreaKM2[k] = roundKM2(v)
				total += v
			}
			entry.TotalKM2 = roundKM2(total)
			doc.Series[i] = entry
			for _, src := range part.sources {
				if !slices.Contains(doc.Sources, src) {
					doc.Sources = append(doc.Sources, src)
				}
			}
			for _, v := range part.confidence {
				if !slices.Contains(doc.Confidence, v) {
					doc.Confidence = append(doc.Confidence, v)
				}
			}
		}
		slices.Sort(doc.Confidence)
		return jsonBuilt(doc)
	})
}

// seriesInstants are the instants of the area series: the collection's
// first date and every time its state changes, in order.
func seriesInstants(d *dataState, col geo.Collection) []time.Time {
	var out []time.Time
	if !col.Extent.Time.Start.IsZero() {
		out = append(out, col.Extent.Time.Start)
	}
	if ch, ok := d.changes[col.ID]; ok {
		out = append(out, ch.Times()...)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// areaPart is what the area series says of one instant: each value's km²
// and the sources and confidence values of the versions valid then. It is
// the same for every instant between two changes of the collection, and
// kept per data version and epoch (dataState.timeKey): a date on the
// slider asked again, or another date of the same epoch, costs no overlay.
type areaPart struct {
	km2        map[string]float64
	sources    []geo.Source
	confidence []string
}

// areaParts returns the part of each instant, computing those not kept in
// one call of the store.
func (s *server) areaParts(ctx context.Context, d *dataState, a geo.AnalyticsStore, col geo.Collection, instants []time.Time) ([]*areaPart, error) {
	parts := make([]*areaPart, len(instants))
	keys := make([]cache.Key, len(instants))
	var missing []int
	for i, t := range instants {
		keys[i] = cache.KeyOf("area", d.version, col.ID, col.Style.Property, d.timeKey(col.ID, geo.Instant(t)))
		if part, ok := s.areas.Get(keys[i]); ok {
			parts[i] = part
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return parts, nil
	}
	at := make([]time.Time, len(missing))
	for j, i := range missing {
		at[j] = instants[i]
	}
	areas, err := a.Areas(ctx, col.ID, col.Style.Property, at)
	if err != nil {
		return nil, err
	}
	// The versions valid at any of those instants, for their sources: only
	// the span between the first and the last is read, not the layer.
	span := geo.Interval{Start: slices.MinFunc(at, time.Time.Compare), End: slices.MaxFunc(at, time.Time.Compare).Add(geo.Precision)}
	page, err := s.store.Items(ctx, col.ID, geo.Query{Time: span})
	if err != nil {
		return nil, err
	}
	for j, i := range missing {
		part := &areaPart{km2: areas[j].KM2}
		for _, f := range page.Features {
			if !f.Valid.Contains(instants[i]) {
				continue
			}
			for _, src := range f.Sources {
				if !slices.Contains(part.sources, src) {
					part.sources = append(part.sources, src)
				}
			}
			if v, ok := f.Properties["confidence"].(string); ok && !slices.Contains(part.confidence, v) {
				part.confidence = append(part.confidence, v)
			}
		}
		parts[i] = part
		s.areas.Add(keys[i], part, int64(256+64*len(part.km2)+128*len(part.sources)))
	}
	return parts, nil
}
