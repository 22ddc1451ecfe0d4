package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/cache"
)

// pageSummary is the text summary of the map on one date, for the page's
// <noscript> fallback. It mirrors static/js/a11y/summary.js.
type pageSummary struct {
	defaultDate time.Time
	date        time.Time
	text        string
}

// pageSummary returns the summary of the page for date (YYYY-MM-DD), or
// for the default date when date is empty or not a date, at the data state
// d. The default date comes from the change times of d; the text is built
// once per data version and day for all concurrent requests, and kept.
func (s *server) pageSummary(ctx context.Context, d *dataState, date string) (pageSummary, error) {
	def := s.defaultDate(d)
	day := def
	if t, isDate, err := geo.ParseTime(date); date != "" && err == nil && isDate {
		day = t
	}
	text, _, err := s.summaries.Do(ctx, cache.KeyOf("summary", d.version, day.Format(time.DateOnly)), func() (string, int64, error) {
		text, err := summarize(ctx, s.store, d.cols, day)
		return text, int64(len(text)), err
	})
	if err != nil {
		return pageSummary{}, err
	}
	return pageSummary{defaultDate: def, date: day, text: text}, nil
}

// defaultDate is the date the map opens on: the last date on which any dated
// feature's validity starts or ends (the last tick of the timeline), or
// today when nothing is dated.
func (s *server) defaultDate(d *dataState) time.Time {
	times := d.changeTimes()
	if len(times) == 0 {
		return geo.Day(s.now()).Start
	}
	return geo.Day(times[len(times)-1]).Start
}

// summarize writes who controlled each site (of the collection with role
// "sites") on the day of t, and the events (role "events") of that day, in
// one paragraph, in the words of the collections' terms.
func summarize(ctx context.Context, store geo.Store, cols []geo.Collection, t time.Time) (string, error) {
	day := geo.Day(t)
	var sites, events []geo.Feature
	sitesCol, ok := geo.ByRole(cols, geo.RoleSites)
	if ok {
		page, err := store.Items(ctx, sitesCol.ID, geo.Query{Time: day})
		if err != nil {
			return "", fmt.Errorf("handlers: summary: %w", err)
		}
		sites = latestVersions(page.Features)
	}
	if col, ok := geo.ByRole(cols, geo.RoleEvents); ok {
		page, err := store.Items(ctx, col.ID, geo.Query{Time: day})
		if err != nil {
			return "", fmt.Errorf("handlers: summary: %w", err)
		}
		events = page.Features
	}
	return summaryText(day.Start, sitesCol, sites, events), nil
}

// latestVersions keeps one version per thing, the one that starts last, in
// the order things first appear. It reuses fs's array: fs is not to be
// read after.
func latestVersions(fs []geo.Feature) []geo.Feature {
	idx := make(map[string]int, len(fs))
	out := fs[:0] // each kept feature is written at or before where it was read
	for _, f := range fs {
		key := f.Thing
		if key == "" {
			key = f.ID
		}
		if i, ok := idx[key]; ok {
			if f.Valid.Start.After(out[i].Valid.Start) {
				out[i] = f
			}
			continue
		}
		idx[key] = len(out)
		out = append(out, f)
	}
	clear(fs[len(out):]) // the versions dropped, not kept reachable by the array
	return out
}

// summaryText builds the summary from the sites of col valid on day and the
// events of that day. The controller is the property of col's style; its
// values are named by their terms' subjects and ordered by the style's
// order; a status with a term's note is noted after the site's name.
func summaryText(day time.Time, col geo.Collection, sites, events []geo.Feature) string {
	prop := col.Style.Property
	groups := map[string][]string{}
	var order []string
	for _, f := range sites {
		ctrl, _ := f.Properties[prop].(string)
		if _, ok := groups[ctrl]; !ok {
			order = append(order, ctrl)
		}
		name := featureName(col, f)
		status, _ := f.Properties["status"].(string)
		state := isState(col, prop, ctrl)
		if st, ok := col.Term("status", status); ok && st.Note != "" && !state {
			name += " (" + st.Note + ")"
		}
		groups[ctrl] = append(groups[ctrl], name)
	}
	sortByOrder(order, col.Style.Order)
	var b strings.Builder
	b.WriteString("On " + day.Format("2 January 2006"))
	if len(order) == 0 {
		b.WriteString(" no facility is recorded.")
	}
	for i, ctrl := range order {
		names := groups[ctrl]
		if i > 0 {
			b.WriteString(";")
		}
		if isState(col, prop, ctrl) {
			verb := " was "
			if len(names) > 1 {
				verb = " were "
			}
			b.WriteString(" " + joinNames(names) + verb + subjectOf(col, prop, ctrl))
			continue
		}
		b.WriteString(" " + subjectOf(col, prop, ctrl) + " controlled " + joinNames(names))
	}
	if len(order) > 0 {
		b.WriteString(".")
	}
	var evNames []string
	for _, e := range events {
		if name, _ := e.Properties["name"].(string); name != "" {
			evNames = append(evNames, name)
		}
	}
	if len(evNames) > 0 {
		b.WriteString(" That day: " + strings.Join(evNames, "; ") + ".")
	}
	return b.String()
}

// featureName is a site's name: its style's label property, else name, else its id.
func featureName(col geo.Collection, f geo.Feature) string {
	for _, k := range []string{col.Style.Label, "name"} {
		if n, _ := f.Properties[k].(string); k != "" && n != "" {
			return n
		}
	}
	return f.ID
}

// isState reports whether a value of the controller is a state ("contested")
// rather than a party.
func isState(col geo.Collection, prop, value string) bool {
	t, ok := col.Term(prop, value)
	return ok && t.State
}

// subjectOf names a value of the controller as the subject of a sentence.
func subjectOf(col geo.Collection, prop, value string) string {
	if value == "" {
		return "an unrecorded controller"
	}
	if t, ok := col.Term(prop, value); ok && t.Subject != "" {
		return t.Subject
	}
	return strings.ReplaceAll(value, "_", " ")
}

// sortByOrder orders values as listed in order, then any other value as
// they came.
func sortByOrder(values, order []string) {
	rank := func(v string) int {
		for i, k := range order {
			if k == v {
				return i
			}
		}
		return len(order)
	}
	// Insertion sort: stable and the list is short.
	for i := 1; i < len(values); i++ {
		for j := i; j > 0 && rank(values[j]) < rank(values[j-1]); j-- {
			values[j], values[j-1] = values[j-1], values[j]
		}
	}
}

// joinNames joins names as "a", "a and b" or "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}
