package geo_test

import (
	"errors"
	"fmt"

	"github.com/controlmap/controlmap/geo"
)

// A bare date in `datetime` means the whole UTC day: the query matches every
// feature valid at any time on that day.
func ExampleParseDatetime() {
	iv, err := geo.ParseDatetime("2026-01-21")
	if err != nil {
		panic(err)
	}
	fmt.Println(iv.Start)
	fmt.Println(iv.End)
	// Output:
	// 2026-01-21 00:00:00 +0000 UTC
	// 2026-01-22 00:00:00 +0000 UTC
}

// An interval whose end is a date includes the whole end day; ".." leaves an
// end open.
func ExampleParseDatetime_interval() {
	for _, s := range []string{
		"2026-01-18/2026-01-21",
		"2026-01-18T06:00:00+03:00/..",
		"../2026-02-02",
	} {
		iv, err := geo.ParseDatetime(s)
		if err != nil {
			panic(err)
		}
		fmt.Println(iv)
	}
	// Output:
	// 2026-01-18T00:00:00Z/2026-01-22T00:00:00Z
	// 2026-01-18T03:00:00Z/..
	// ../2026-02-03T00:00:00Z
}

// Bad values are *geo.ParamError values that name the parameter and say what
// is wrong; they match geo.ErrInvalidQuery.
func ExampleParseDatetime_error() {
	_, err := geo.ParseDatetime("2026-02-01/2026-01-01")
	fmt.Println(err)
	fmt.Println(errors.Is(err, geo.ErrInvalidQuery))

	var pe *geo.ParamError
	_, err = geo.ParseDatetime("2026-01-21T10:00:00")
	if errors.As(err, &pe) {
		fmt.Println(pe.Param)
	}
	// Output:
	// geo: invalid datetime "2026-02-01/2026-01-01": the start is after the end
	// true
	// datetime
}

// A bbox is min lon, min lat, max lon, max lat in degrees (CRS84).
func ExampleParseBBox() {
	b, err := geo.ParseBBox("40.5,36.0,41.5,37.0")
	if err != nil {
		panic(err)
	}
	fmt.Println(b.Min, b.Max)

	_, err = geo.ParseBBox("41.5,36.0,40.5,37.0")
	fmt.Println(err)
	// Output:
	// [40.5 36] [41.5 37]
	// geo: invalid bbox "41.5,36.0,40.5,37.0": min longitude is above max longitude (boxes across the antimeridian are not supported)
}
