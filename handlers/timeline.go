package handlers

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

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
	// Events is a FeatureCollection of the features of the collection with
	// role "events" whose validity intersects [from, to].
	Events json.RawMessage `json:"events"`
	Links  []link          `json:"links"`
}

// timeline serves /timeline?from=YYYY-MM-DD&to=YYYY-MM-DD: the dates on
// which anything changes, for the slider's ticks, and the events between
// from and to (both optional, both inclusive). The dates come from the
// change times the server keeps per data version (state.go); only the
// events are queried. Every spelling of one window (a date, a midnight
// instant, an offset) is one answer: the window is normalised to whole
// days before it keys the cache, and the self link is written from it.
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
	norm := params{}
	if !window.Start.IsZero() {
		norm[paramFrom] = window.Start.Format(dateLayout)
	}
	if !window.End.IsZero() {
		norm[paramTo] = window.End.Add(-geo.Precision).Format(dateLayout)
	}
	if p.has(paramPrecision) {
		norm[paramPrecision] = strconv.Itoa(prec)
	}
	r := resource{mediaType: MediaJSON, maxAge: s.maxAgeFor(window), key: []string{encodeQuery(norm)}}
	return s.respond(c, r, func(d *dataState) (built, error) {
		doc := timelineDoc{Dates: []string{}, Links: []link{
			{Href: s.href(c, "/timeline", norm), Rel: RelSelf, Type: MediaJSON, Title: "This document"},
		}}
		first, openStart, last, openEnd := time.Time{}, false, time.Time{}, false
		for _, col := range d.cols {
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
		}
		if !openStart && !first.IsZero() {
			doc.Start = ptr(first.UTC().Format(dateLayout))
		}
		if !openEnd && !last.IsZero() {
			doc.End = ptr(last.UTC().Format(dateLayout))
		}
		for _, t := range d.changeTimes() {
			day := dayOf(t)
			if window.Contains(day) {
				if ds := day.Format(dateLayout); len(doc.Dates) == 0 || doc.Dates[len(doc.Dates)-1] != ds {
					doc.Dates = append(doc.Dates, ds)
				}
			}
		}
		events := []geo.Feature{}
		if col, ok := geo.ByRole(d.cols, geo.RoleEvents); ok && col.Count > 0 {
			page, err := s.store.Items(c.Request().Context(), col.ID, geo.Query{Time: window, EncodedProperties: true})
			if err != nil {
				return built{}, err
			}
			events = page.Features
		}
		body, err := featureCollectionBody(featureCollection{
			features: events, precision: prec, numberMatched: len(events),
		})
		if err != nil {
			return built{}, err
		}
		doc.Events = bytes.TrimSuffix(body, []byte("\n"))
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
