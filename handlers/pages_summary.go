package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/cache"
)

// The collections the text summary reads.
const (
	summaryFacilities = "facilities"
	summaryEvents     = "events"
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
		text, err := summarize(ctx, s.store, day)
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

// summarize writes who controlled each facility on the day of t, and the
// events of that day, in one paragraph.
func summarize(ctx context.Context, store geo.Store, t time.Time) (string, error) {
	day := geo.Day(t)
	fac, err := store.Items(ctx, summaryFacilities, geo.Query{Time: day})
	if err != nil {
		return "", fmt.Errorf("handlers: summary: %w", err)
	}
	ev, err := store.Items(ctx, summaryEvents, geo.Query{Time: day})
	if err != nil {
		return "", fmt.Errorf("handlers: summary: %w", err)
	}
	return summaryText(day.Start, latestVersions(fac.Features), ev.Features), nil
}

// latestVersions keeps one version per thing, the one that starts last, in
// the order things first appear.
func latestVersions(fs []geo.Feature) []geo.Feature {
	idx := map[string]int{}
	var out []geo.Feature
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
	return out
}

// summaryText builds the summary from the facilities valid on day and the
// events of that day.
func summaryText(day time.Time, facilities, events []geo.Feature) string {
	groups := map[string][]string{}
	var order []string
	for _, f := range facilities {
		ctrl, _ := f.Properties["controller"].(string)
		if _, ok := groups[ctrl]; !ok {
			order = append(order, ctrl)
		}
		name, _ := f.Properties["name"].(string)
		if name == "" {
			name = f.ID
		}
		status, _ := f.Properties["status"].(string)
		if note := statusNote(status); note != "" && ctrl != "contested" {
			name += " (" + note + ")"
		}
		groups[ctrl] = append(groups[ctrl], name)
	}
	sortControllers(order)
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
		if ctrl == "contested" {
			verb := " was contested"
			if len(names) > 1 {
				verb = " were contested"
			}
			b.WriteString(" " + joinNames(names) + verb)
			continue
		}
		b.WriteString(" " + controllerPhrase(ctrl) + " controlled " + joinNames(names))
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

// sortControllers orders the government, the SDF, contested sites, Turkey,
// the US and Iraq in that order, then any other controller as they came.
func sortControllers(order []string) {
	known := [...]string{"government", "sdf", "contested", "turkey_sna", "us", "iraq"}
	rank := func(c string) int {
		for i, k := range known {
			if k == c {
				return i
			}
		}
		return len(known)
	}
	// Insertion sort: stable and the list is short.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && rank(order[j]) < rank(order[j-1]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// controllerPhrase names a controller as the subject of a sentence.
func controllerPhrase(c string) string {
	switch c {
	case "government":
		return "the Syrian government"
	case "sdf":
		return "the SDF"
	case "turkey_sna":
		return "Turkey and Turkish-backed forces"
	case "us":
		return "US forces"
	case "iraq":
		return "Iraq"
	case "":
		return "an unrecorded controller"
	default:
		return strings.ReplaceAll(c, "_", " ")
	}
}

// statusNote is the parenthesised note for a facility status worth saying.
func statusNote(s string) string {
	switch s {
	case "besieged":
		return "besieged"
	case "transition":
		return "in transition"
	case "contested":
		return "contested"
	case "unknown":
		return "status unknown"
	default:
		return ""
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
