package gen

import (
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// Limits on Options, so that a typo in a flag cannot ask for a dataset that
// does not fit in memory.
const (
	FeatureLimit = 10_000_000
	VertexLimit  = 20_000
)

// Options sizes and places the generated dataset. A zero field takes its
// value from DefaultOptions; a negative count leaves that collection empty
// (its file is still written, so the catalogue stays the same).
//
// Polygons and Points count features (versions), not things: a thing has one
// to MaxVersions versions. Facilities counts sites: each site has versions
// covering the whole period, so the facilities layer shows exactly Facilities
// features on every date, as the map asks for it.
type Options struct {
	Polygons    int // dated polygon features (collection "areas")
	MinVertices int // fewest distinct vertices of a polygon ring
	MaxVertices int // most distinct vertices of a polygon ring
	Points      int // dated point features (collection "points")
	Facilities  int // facility sites (collection "facilities")
	Events      int // events, each an instant (collection "events")
	MaxVersions int // most versions of one thing (areas, points, facilities)
	// ChangeDates is how many distinct days inside the period versions may
	// change on. Real layers change on few dates, which is what lets a server
	// cache a snapshot per date; this keeps the scale dataset honest about it.
	ChangeDates int
	Bound       orb.Bound // where features lie (lon, lat)
	Start, End  time.Time // the period every validity lies in, midnight UTC
}

// DefaultOptions returns the sizes of issue 6: at least 2,000 dated polygons
// of 200–2,000 vertices, 100,000 dated points and 50 facilities over lon
// 35.5..42.5, lat 32.3..37.4, dated 2025-10-01..2026-03-01.
func DefaultOptions() Options {
	return Options{
		Polygons:    2000,
		MinVertices: 200,
		MaxVertices: 2000,
		Points:      100_000,
		Facilities:  50,
		Events:      40,
		MaxVersions: 3,
		ChangeDates: 30,
		Bound:       orb.Bound{Min: orb.Point{35.5, 32.3}, Max: orb.Point{42.5, 37.4}},
		Start:       time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC),
		End:         time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	}
}

// withDefaults fills zero fields from DefaultOptions and turns negative
// counts into zero.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	count := func(v *int, def int) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			*v = 0
		}
	}
	count(&o.Polygons, d.Polygons)
	count(&o.Points, d.Points)
	count(&o.Facilities, d.Facilities)
	count(&o.Events, d.Events)
	if o.MinVertices == 0 {
		o.MinVertices = d.MinVertices
	}
	if o.MaxVertices == 0 {
		o.MaxVertices = max(d.MaxVertices, o.MinVertices)
	}
	if o.MaxVersions == 0 {
		o.MaxVersions = d.MaxVersions
	}
	if o.ChangeDates == 0 {
		o.ChangeDates = d.ChangeDates
	}
	if o.Bound == (orb.Bound{}) {
		o.Bound = d.Bound
	}
	if o.Start.IsZero() {
		o.Start = d.Start
	}
	if o.End.IsZero() {
		o.End = d.End
	}
	o.Start, o.End = o.Start.UTC(), o.End.UTC()
	return o
}

// Validate reports what is wrong with the options once defaults are filled
// in, or nil. Scale panics on options that fail it, so call it first on
// options that come from a user.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("gen: "+format, args...))
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"polygons", o.Polygons}, {"points", o.Points}, {"facilities", o.Facilities}, {"events", o.Events}} {
		if c.n > FeatureLimit {
			bad("%s: %d is more than %d", c.name, c.n, FeatureLimit)
		}
	}
	if o.MinVertices < 3 || o.MaxVertices > VertexLimit || o.MinVertices > o.MaxVertices {
		bad("vertices: want 3 <= min (%d) <= max (%d) <= %d", o.MinVertices, o.MaxVertices, VertexLimit)
	}
	if o.MaxVersions < 1 || o.MaxVersions > 100 {
		bad("max versions %d: want 1..100", o.MaxVersions)
	}
	b := o.Bound
	// The margin keeps the largest outlines (about 1.5° across at
	// MaxVertices) inside lon -180..180, lat -90..90.
	if !(b.Min[0] < b.Max[0] && b.Min[1] < b.Max[1]) || b.Min[0] < -170 || b.Max[0] > 170 || b.Min[1] < -80 || b.Max[1] > 80 {
		bad("bound [%g, %g, %g, %g]: want min < max within lon -170..170, lat -80..80", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	}
	if !isMidnightUTC(o.Start) || !isMidnightUTC(o.End) || !o.Start.Before(o.End) {
		bad("period %s..%s: want two midnights UTC, start before end", o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339))
	} else if days := int(o.End.Sub(o.Start).Hours() / 24); o.ChangeDates < 1 || o.ChangeDates > days-1 {
		bad("change dates %d: want 1..%d (the days strictly inside the period)", o.ChangeDates, days-1)
	}
	return errors.Join(errs...)
}

// isMidnightUTC reports whether t is the start of a UTC day within years
// 2..9998 (Truncate works on absolute time, whose days start at midnight UTC).
func isMidnightUTC(t time.Time) bool {
	return t.Equal(t.Truncate(24*time.Hour)) && t.Year() > 1 && t.Year() < 9999
}
