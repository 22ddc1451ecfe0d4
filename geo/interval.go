package geo

import (
	"strings"
	"time"
)

// Precision is the resolution of every time the domain stores and compares.
// It matches PostgreSQL's timestamptz so both stores agree to the instant.
const Precision = time.Microsecond

// Interval is a span of time in UTC. A zero Start or End means that end is
// open. A feature's validity is half-open, [Start, End), unless Start equals
// End, in which case it is an instant (an event) that contains just that time.
// The zero Interval is unbounded: it contains every time.
type Interval struct {
	Start time.Time
	End   time.Time
}

// Instant returns the interval that holds only t.
func Instant(t time.Time) Interval {
	t = normTime(t)
	return Interval{Start: t, End: t}
}

// Day returns the half-open interval covering the UTC calendar day of t.
func Day(t time.Time) Interval {
	y, m, d := t.UTC().Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Interval{Start: start, End: start.AddDate(0, 0, 1)}
}

// IsInstant reports whether the interval holds a single instant.
func (iv Interval) IsInstant() bool {
	return !iv.Start.IsZero() && iv.Start.Equal(iv.End)
}

// IsUnbounded reports whether both ends are open.
func (iv Interval) IsUnbounded() bool { return iv.Start.IsZero() && iv.End.IsZero() }

// Contains reports whether t lies in the interval.
func (iv Interval) Contains(t time.Time) bool {
	return iv.Intersects(Instant(t))
}

// Intersects reports whether the two intervals share at least one instant.
// Either may be an instant, half-open, or open at either end.
func (iv Interval) Intersects(o Interval) bool {
	// Each interval must start before the other ends; an instant's end is closed.
	return before(o.Start, iv.End, iv.IsInstant()) && before(iv.Start, o.End, o.IsInstant())
}

// before reports whether lower < upper, or lower <= upper when closedUpper is
// set, treating a zero lower as minus infinity and a zero upper as plus infinity.
func before(lower, upper time.Time, closedUpper bool) bool {
	if lower.IsZero() || upper.IsZero() {
		return true
	}
	if closedUpper {
		return !upper.Before(lower)
	}
	return lower.Before(upper)
}

// Validate checks that the interval is well-formed: End is open, after Start,
// or equal to it (an instant).
func (iv Interval) Validate() error {
	if !iv.Start.IsZero() && !iv.End.IsZero() && iv.End.Before(iv.Start) {
		return errorf("valid_to %s is before valid_from %s", FormatTime(iv.End), FormatTime(iv.Start))
	}
	return nil
}

// String formats the interval in the OGC `datetime` notation, with ".." for
// an open end, or a single time for an instant.
func (iv Interval) String() string {
	if iv.IsInstant() {
		return FormatTime(iv.Start)
	}
	return formatEnd(iv.Start) + "/" + formatEnd(iv.End)
}

func formatEnd(t time.Time) string {
	if t.IsZero() {
		return ".."
	}
	return FormatTime(t)
}

// FormatTime formats t as RFC 3339 in UTC, with fractional seconds only when
// present. It is the form of valid_from and valid_to in every response.
func FormatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// ParseTime parses an ISO 8601 calendar date (2026-01-21, taken as midnight
// UTC) or an RFC 3339 date-time with a zone (2026-01-21T10:00:00Z). It reports
// whether the value was a bare date.
func ParseTime(s string) (t time.Time, isDate bool, err error) {
	s = strings.TrimSpace(s)
	if len(s) == len("2006-01-02") {
		t, err = time.Parse("2006-01-02", s)
		if err != nil {
			return time.Time{}, false, errorf("%q is not a date (want YYYY-MM-DD)", s)
		}
		isDate = true
	} else {
		t, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, false, errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 date-time with a time zone", s)
		}
	}
	t = normTime(t)
	// The zero time stands for an open end, so it cannot be a value; and a
	// time outside years 1..9999 in UTC cannot be written back as RFC 3339.
	if !t.After(time.Time{}) || t.Year() > 9999 {
		return time.Time{}, false, errorf("%q is out of range: a time must be after 0001-01-01T00:00:00Z and no later than year 9999 (UTC)", s)
	}
	return t, isDate, nil
}

func normTime(t time.Time) time.Time { return t.UTC().Truncate(Precision) }

// ParseDatetime parses the OGC API – Features `datetime` parameter into the
// interval a query matches against:
//
//   - an instant: a date means that whole UTC day; a date-time means that instant;
//   - a closed interval "a/b": from a to b inclusive (a date end includes its whole day);
//   - an open interval "../b", "a/..", or "a/" and "/b".
//
// A feature matches when its validity intersects the returned interval. Bad
// values give a *ParamError naming the `datetime` parameter.
func ParseDatetime(s string) (Interval, error) {
	if s == "" {
		return Interval{}, paramErr("datetime", s, "empty value")
	}
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		t, isDate, err := ParseTime(parts[0])
		if err != nil {
			return Interval{}, paramErr("datetime", s, "%s", stripPrefix(err))
		}
		if isDate {
			return Day(t), nil
		}
		return Interval{Start: t, End: t.Add(Precision)}, nil
	case 2:
		var iv Interval
		if !openEnd(parts[0]) {
			t, _, err := ParseTime(parts[0])
			if err != nil {
				return Interval{}, paramErr("datetime", s, "start: %s", stripPrefix(err))
			}
			iv.Start = t
		}
		if !openEnd(parts[1]) {
			t, isDate, err := ParseTime(parts[1])
			if err != nil {
				return Interval{}, paramErr("datetime", s, "end: %s", stripPrefix(err))
			}
			if isDate {
				iv.End = t.AddDate(0, 0, 1)
			} else {
				iv.End = t.Add(Precision)
			}
		}
		if !iv.Start.IsZero() && !iv.End.IsZero() && !iv.Start.Before(iv.End) {
			return Interval{}, paramErr("datetime", s, "the start is after the end")
		}
		return iv, nil
	default:
		return Interval{}, paramErr("datetime", s, "want an instant or an interval with one '/'")
	}
}

func openEnd(s string) bool { return s == "" || s == ".." }
