package geo_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/controlmap/controlmap/geo"
)

// ts parses an RFC 3339 time for a test table; "" is the zero (open) time.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v.UTC()
}

func iv(t testing.TB, start, end string) geo.Interval {
	t.Helper()
	return geo.Interval{Start: ts(t, start), End: ts(t, end)}
}

func TestParseDatetime(t *testing.T) {
	tests := []struct {
		name, in   string
		start, end string // RFC 3339; "" for an open end
	}{
		{"date is the whole UTC day", "2026-01-21", "2026-01-21T00:00:00Z", "2026-01-22T00:00:00Z"},
		{"date at a month end", "2026-01-31", "2026-01-31T00:00:00Z", "2026-02-01T00:00:00Z"},
		{"date-time instant", "2026-01-21T10:30:00Z", "2026-01-21T10:30:00Z", "2026-01-21T10:30:00.000001Z"},
		{"date-time with an offset is taken to UTC", "2026-01-21T01:00:00+03:00", "2026-01-20T22:00:00Z", "2026-01-20T22:00:00.000001Z"},
		{"fraction below a microsecond is truncated", "2026-01-21T10:30:00.1234567Z", "2026-01-21T10:30:00.123456Z", "2026-01-21T10:30:00.123457Z"},
		{"closed dates include the whole end day", "2026-01-18/2026-01-21", "2026-01-18T00:00:00Z", "2026-01-22T00:00:00Z"},
		{"same date both ends", "2026-01-21/2026-01-21", "2026-01-21T00:00:00Z", "2026-01-22T00:00:00Z"},
		{"closed date-times include the end instant", "2026-01-18T06:00:00Z/2026-01-18T18:00:00Z", "2026-01-18T06:00:00Z", "2026-01-18T18:00:00.000001Z"},
		{"same date-time both ends", "2026-01-18T06:00:00Z/2026-01-18T06:00:00Z", "2026-01-18T06:00:00Z", "2026-01-18T06:00:00.000001Z"},
		{"date start, date-time end", "2026-01-18/2026-01-19T12:00:00Z", "2026-01-18T00:00:00Z", "2026-01-19T12:00:00.000001Z"},
		{"open start ..", "../2026-01-21", "", "2026-01-22T00:00:00Z"},
		{"open end ..", "2026-01-21/..", "2026-01-21T00:00:00Z", ""},
		{"open end empty", "2026-01-21/", "2026-01-21T00:00:00Z", ""},
		{"open start empty", "/2026-01-21", "", "2026-01-22T00:00:00Z"},
		{"both open", "../..", "", ""},
		{"spaces around a time", " 2026-01-21 ", "2026-01-21T00:00:00Z", "2026-01-22T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := geo.ParseDatetime(tt.in)
			if err != nil {
				t.Fatalf("ParseDatetime(%q): %v", tt.in, err)
			}
			want := iv(t, tt.start, tt.end)
			if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) {
				t.Errorf("ParseDatetime(%q) = %s, want %s", tt.in, got, want)
			}
			if got.Start.Location() != time.UTC && !got.Start.IsZero() {
				t.Errorf("start %v not in UTC", got.Start)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("parsed interval is not well-formed: %v", err)
			}
		})
	}
}

func TestParseDatetimeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		reason   string // a fragment of the error message
	}{
		{"empty", "", "empty value"},
		{"garbage", "yesterday", "not a date"},
		{"bad month", "2026-13-01", "not a date"},
		{"bad day", "2026-02-30", "not a date"},
		{"short date", "2026-1-1", "not a date"},
		{"three parts", "2026-01-01/2026-01-02/2026-01-03", "one '/'"},
		{"start after end", "2026-02-01/2026-01-01", "start is after the end"},
		{"start after end date-times", "2026-01-01T12:00:00Z/2026-01-01T11:59:59Z", "start is after the end"},
		{"no time zone", "2026-01-21T10:00:00", "time zone"},
		{"no time zone in an interval end", "2026-01-21/2026-01-22T10:00:00", "end: "},
		{"bad start", "soon/2026-01-22", "start: "},
		{"lower-case t and z", "2026-01-21t10:00:00z", "not a date"},
		{"year zero", "0000-01-01", "out of range"},
		{"the zero time is not a value", "0001-01-01T00:00:00Z", "out of range"},
		{"offset pushes past year 9999", "9999-12-31T23:00:00-05:00", "out of range"},
		{"dots with spaces", " .. /2026-01-01", "start: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := geo.ParseDatetime(tt.in)
			if err == nil {
				t.Fatalf("ParseDatetime(%q) = %s, want an error", tt.in, got)
			}
			if !errors.Is(err, geo.ErrInvalidQuery) {
				t.Errorf("error %v does not match ErrInvalidQuery", err)
			}
			var pe *geo.ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParamError", err)
			}
			if pe.Param != "datetime" || pe.Value != tt.in {
				t.Errorf("ParamError names %q=%q, want datetime=%q", pe.Param, pe.Value, tt.in)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "geo: ") || strings.Count(err.Error(), "geo: ") != 1 {
				t.Errorf("error %q should carry the package prefix exactly once", err)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		isDate bool
	}{
		{"2026-01-21", "2026-01-21T00:00:00Z", true},
		{"2026-01-21T00:00:00Z", "2026-01-21T00:00:00Z", false},
		{"2026-01-21T03:00:00+03:00", "2026-01-21T00:00:00Z", false},
		{"0001-01-01T00:00:00.000001Z", "0001-01-01T00:00:00.000001Z", false},
		{"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, isDate, err := geo.ParseTime(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(ts(t, tt.want)) || isDate != tt.isDate {
				t.Errorf("ParseTime(%q) = %v, %v; want %s, %v", tt.in, got, isDate, tt.want, tt.isDate)
			}
			if s := geo.FormatTime(got); s != tt.want {
				t.Errorf("FormatTime = %q, want %q", s, tt.want)
			}
		})
	}
}

func TestIntervalIntersects(t *testing.T) {
	const (
		jan18 = "2026-01-18T00:00:00Z"
		jan19 = "2026-01-19T00:00:00Z"
		jan21 = "2026-01-21T00:00:00Z"
		jan22 = "2026-01-22T00:00:00Z"
		feb02 = "2026-02-02T00:00:00Z"
		noon  = "2026-01-21T12:00:00Z"
	)
	tests := []struct {
		name string
		a, b geo.Interval
		want bool
	}{
		{"touching at a change date do not overlap", iv(t, jan18, jan21), iv(t, jan21, feb02), false},
		{"overlapping half-open", iv(t, jan18, jan22), iv(t, jan21, feb02), true},
		{"nested", iv(t, jan18, feb02), iv(t, jan21, jan22), true},
		{"disjoint", iv(t, jan18, jan19), iv(t, jan21, jan22), false},
		{"instant at the start is inside", iv(t, jan18, jan21), geo.Instant(ts(t, jan18)), true},
		{"instant at the exclusive end is outside", iv(t, jan18, jan21), geo.Instant(ts(t, jan21)), false},
		{"instant inside", iv(t, jan18, jan21), geo.Instant(ts(t, jan19)), true},
		{"instant after", iv(t, jan18, jan21), geo.Instant(ts(t, feb02)), false},
		{"equal instants", geo.Instant(ts(t, noon)), geo.Instant(ts(t, noon)), true},
		{"different instants", geo.Instant(ts(t, noon)), geo.Instant(ts(t, jan21)), false},
		{"instant inside a day", geo.Instant(ts(t, noon)), geo.Day(ts(t, noon)), true},
		{"instant at midnight belongs to the day it starts", geo.Instant(ts(t, jan22)), geo.Day(ts(t, noon)), false},
		{"open end reaches later times", iv(t, jan21, ""), iv(t, feb02, ""), true},
		{"open end starts after", iv(t, jan21, ""), iv(t, jan18, jan21), false},
		{"open start reaches earlier times", iv(t, "", jan21), iv(t, jan18, jan19), true},
		{"open start ends before", iv(t, "", jan21), iv(t, jan21, jan22), false},
		{"open start and open end meet", iv(t, "", jan21), iv(t, jan21, ""), false},
		{"open start and open end overlap", iv(t, "", jan22), iv(t, jan21, ""), true},
		{"unbounded meets everything", geo.Interval{}, geo.Instant(ts(t, noon)), true},
		{"instant against open end at its start", geo.Instant(ts(t, jan21)), iv(t, jan21, ""), true},
		{"instant against open start at its end", geo.Instant(ts(t, jan21)), iv(t, "", jan21), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Intersects(tt.b); got != tt.want {
				t.Errorf("%s ∩ %s = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := tt.b.Intersects(tt.a); got != tt.want {
				t.Errorf("symmetry: %s ∩ %s = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestIntervalContainsAndKinds(t *testing.T) {
	day := geo.Day(ts(t, "2026-01-21T15:04:05Z"))
	if got, want := day.String(), "2026-01-21T00:00:00Z/2026-01-22T00:00:00Z"; got != want {
		t.Errorf("Day = %s, want %s", got, want)
	}
	if !day.Contains(ts(t, "2026-01-21T00:00:00Z")) || day.Contains(ts(t, "2026-01-22T00:00:00Z")) {
		t.Error("Day should contain its midnight and not the next")
	}
	inst := geo.Instant(ts(t, "2026-01-21T10:00:00.0000009Z"))
	if !inst.IsInstant() || inst.IsUnbounded() {
		t.Errorf("Instant: IsInstant=%v IsUnbounded=%v", inst.IsInstant(), inst.IsUnbounded())
	}
	if got, want := inst.String(), "2026-01-21T10:00:00Z"; got != want {
		t.Errorf("Instant truncates to the microsecond: got %s, want %s", got, want)
	}
	if !(geo.Interval{}).IsUnbounded() || (geo.Interval{}).IsInstant() {
		t.Error("the zero interval is unbounded and not an instant")
	}
}

func TestIntervalValidate(t *testing.T) {
	tests := []struct {
		name string
		iv   geo.Interval
		ok   bool
	}{
		{"half-open", iv(t, "2026-01-18T00:00:00Z", "2026-01-21T00:00:00Z"), true},
		{"instant", iv(t, "2026-01-18T00:00:00Z", "2026-01-18T00:00:00Z"), true},
		{"open end", iv(t, "2026-01-18T00:00:00Z", ""), true},
		{"open start", iv(t, "", "2026-01-18T00:00:00Z"), true},
		{"unbounded", geo.Interval{}, true},
		{"end before start", iv(t, "2026-01-21T00:00:00Z", "2026-01-18T00:00:00Z"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.iv.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate(%s) = %v, want ok=%v", tt.iv, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "is before valid_from") {
				t.Errorf("error %q should say the end is before the start", err)
			}
		})
	}
}

func TestIntervalString(t *testing.T) {
	tests := []struct {
		iv   geo.Interval
		want string
	}{
		{iv(t, "2026-01-18T00:00:00Z", "2026-01-21T00:00:00Z"), "2026-01-18T00:00:00Z/2026-01-21T00:00:00Z"},
		{iv(t, "2026-01-18T00:00:00Z", ""), "2026-01-18T00:00:00Z/.."},
		{iv(t, "", "2026-01-21T00:00:00Z"), "../2026-01-21T00:00:00Z"},
		{geo.Interval{}, "../.."},
		{iv(t, "2026-01-18T06:30:00.25Z", "2026-01-18T06:30:00.25Z"), "2026-01-18T06:30:00.25Z"},
	}
	for _, tt := range tests {
		if got := tt.iv.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{
		"", "2026-01-21", "2026-01-21T10:30:00Z", "2026-01-21T10:30:00.123456789+05:30",
		"2026-01-18/2026-01-21", "../2026-01-21", "2026-01-21/..", "2026-01-21/", "/2026-01-21",
		"../..", "/", "a/b/c", "2026-02-01/2026-01-01", "2026-01-21T10:00:00",
		"0001-01-01", "0001-01-01T00:00:00.000001Z", "9999-12-31", "9999-12-31T23:59:59.999999Z",
		"2026-01-21T10:00:00-23:59", " 2026-01-21 ", "..", "2026-01-21/2026-01-21",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := geo.ParseDatetime(s)
		if err != nil {
			var pe *geo.ParamError
			if !errors.As(err, &pe) || pe.Param != "datetime" || !errors.Is(err, geo.ErrInvalidQuery) {
				t.Fatalf("ParseDatetime(%q): error %v is not a datetime *ParamError", s, err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("ParseDatetime(%q) = %s: %v", s, got, err)
		}
		if got.IsInstant() {
			t.Fatalf("ParseDatetime(%q) = %s: a query interval always has some length", s, got)
		}
		for _, end := range []time.Time{got.Start, got.End} {
			if end.IsZero() {
				continue
			}
			if end.Location() != time.UTC || !end.Equal(end.Truncate(geo.Precision)) {
				t.Fatalf("ParseDatetime(%q): end %v not UTC at microsecond precision", s, end)
			}
		}
		// String writes the half-open end as it is; parsing treats an end as
		// inclusive, so a round trip keeps the start and moves a bounded end
		// one Precision later. Times past year 9999 cannot be written.
		if got.End.Year() > 9999 {
			return
		}
		again, err := geo.ParseDatetime(got.String())
		if err != nil {
			t.Fatalf("ParseDatetime(%q) = %s, which does not parse again: %v", s, got, err)
		}
		wantEnd := got.End
		if !wantEnd.IsZero() {
			wantEnd = wantEnd.Add(geo.Precision)
		}
		if !again.Start.Equal(got.Start) || !again.End.Equal(wantEnd) {
			t.Fatalf("round trip of %q: %s became %s", s, got, again)
		}
	})
}
