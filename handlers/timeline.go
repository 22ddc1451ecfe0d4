package handlers

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// eventsCollection is the collection whose features the timeline lists as events.
const eventsCollection = "events"

// dateLayout formats the timeline's dates.
const dateLayout = "2006-01-02"

// timelineDoc is the /timeline document.
type timelineDoc struct {
	// Start and End are the earliest valid_from and the latest valid_to of
	// any dated feature (UTC dates); null when some validity is open there.
	Start *string `json:"start"`
	End   *string `json:"end"`
	// Dates are the sorted, unique UTC dates in [from, to] on which any dated
	// feature's validity starts or ends.
	Dates []string `json:"dates"`
	// Events is a FeatureCollection of the events collection's features
	// whose validity intersects [from, to].
	Events json.RawMessage `json:"events"`
	Links  []link          `json:"links"`
}

// timeline serves /timeline?from=YYYY-MM-DD&to=YYYY-MM-DD: the dates on
// which anything changes, for the slider's ticks, and the events between
// from and to (both optional, both inclusive).
func (s *server) timeline(c echo.Context) error {
	p, err := strictParams(c.QueryParams(), []string{paramF, paramFrom, paramTo, paramPrecision}, nil)
	if err != nil {
		return err
	}
	if _, err := p.format(formatJSON, formatJSON); err != nil {
		return err
	}
	window, err := p.window()
	if err != nil {
		return err
	}
	prec, err := p.precision()
	if err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: MediaJSON, maxAge: s.maxAgeFor(window)}, func(d *dataState) (built, error) {
		ctx := c.Request().Context()
		cols, err := s.store.Collections(ctx)
		if err != nil {
			return built{}, err
		}
		doc := timelineDoc{Dates: []string{}, Links: []link{
			{Href: s.href(c, "/timeline", p), Rel: RelSelf, Type: MediaJSON, Title: "This document"},
		}}
		dates := map[string]bool{}
		var events []geo.Feature
		first, openStart, last, openEnd := time.Time{}, false, time.Time{}, false
		for _, col := range cols {
			if !col.Dated || col.Count == 0 {
				continue
			}
			if col.Extent.Time.Start.IsZero() {
				openStart = true
			} else if first.IsZero() || col.Extent.Time.Start.Before(first) {
				first = col.Extent.Time.Start
			}
			if col.Extent.Time.End.IsZero() {
				openEnd = true
			} else if col.Extent.Time.End.After(last) {
				last = col.Extent.Time.End
			}
			// Widen the window by an instant at the start, so that a validity
			// ending exactly at from (which does not intersect [from, to])
			// still gives its end date.
			q := geo.Query{Time: window}
			if !q.Time.Start.IsZero() {
				q.Time.Start = q.Time.Start.Add(-geo.Precision)
			}
			page, err := s.store.Items(ctx, col.ID, q)
			if err != nil {
				return built{}, err
			}
			for _, f := range page.Features {
				for _, t := range []time.Time{f.Valid.Start, f.Valid.End} {
					if !t.IsZero() && window.Contains(dayOf(t)) {
						dates[t.UTC().Format(dateLayout)] = true
					}
				}
				if col.ID == eventsCollection && f.Valid.Intersects(window) {
					events = append(events, f)
				}
			}
		}
		if !openStart && !first.IsZero() {
			doc.Start = ptr(first.UTC().Format(dateLayout))
		}
		if !openEnd && !last.IsZero() {
			doc.End = ptr(last.UTC().Format(dateLayout))
		}
		for d := range dates {
			doc.Dates = append(doc.Dates, d)
		}
		sort.Strings(doc.Dates)
		var buf bytes.Buffer
		if err := writeFeatureCollection(&buf, featureCollection{
			features: events, precision: prec, numberMatched: len(events),
		}); err != nil {
			return built{}, err
		}
		doc.Events = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		return jsonBuilt(doc)
	})
}

// window parses from and to into the interval [from, to] of whole days;
// either end may be absent (open).
func (p params) window() (geo.Interval, error) {
	var iv geo.Interval
	for _, name := range []string{paramFrom, paramTo} {
		v, ok := p[name]
		if !ok {
			continue
		}
		t, _, err := geo.ParseTime(v)
		if err != nil {
			return geo.Interval{}, &geo.ParamError{Param: name, Value: v, Reason: "want a date, YYYY-MM-DD"}
		}
		day := geo.Day(t)
		if name == paramFrom {
			iv.Start = day.Start
		} else {
			iv.End = day.End
		}
	}
	if !iv.Start.IsZero() && !iv.End.IsZero() && !iv.Start.Before(iv.End) {
		return geo.Interval{}, &geo.ParamError{Param: paramTo, Value: p[paramTo], Reason: "to is before from " + p[paramFrom]}
	}
	return iv, nil
}

// dayOf returns midnight UTC of t's date.
func dayOf(t time.Time) time.Time { return geo.Day(t).Start }

func ptr[T any](v T) *T { return &v }
