package geo_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

func TestParseBBox(t *testing.T) {
	tests := []struct {
		name, in string
		want     orb.Bound
	}{
		{"four numbers", "40.5,36,41.5,37", orb.Bound{Min: orb.Point{40.5, 36}, Max: orb.Point{41.5, 37}}},
		{"spaces", " 40.5, 36 ,41.5 , 37", orb.Bound{Min: orb.Point{40.5, 36}, Max: orb.Point{41.5, 37}}},
		{"six numbers drop the heights", "40.5,36,-100,41.5,37,9000", orb.Bound{Min: orb.Point{40.5, 36}, Max: orb.Point{41.5, 37}}},
		{"the whole world", "-180,-90,180,90", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}},
		{"a point box", "41,36,41,36", orb.Bound{Min: orb.Point{41, 36}, Max: orb.Point{41, 36}}},
		{"exponent notation", "4.05e1,36,41.5,3.7e1", orb.Bound{Min: orb.Point{40.5, 36}, Max: orb.Point{41.5, 37}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := geo.ParseBBox(tt.in)
			if err != nil {
				t.Fatalf("ParseBBox(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseBBox(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseBBoxErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "want 4 numbers"},
		{"three numbers", "1,2,3", "want 4 numbers"},
		{"five numbers", "1,2,3,4,5", "want 4 numbers"},
		{"not a number", "a,2,3,4", "not a finite number"},
		{"empty part", "1,,3,4", "not a finite number"},
		{"NaN", "NaN,36,41,37", "not a finite number"},
		{"Inf", "40,36,+Inf,37", "not a finite number"},
		{"huge overflows to Inf", "40,36,1e400,37", "not a finite number"},
		{"longitude out of range", "-181,36,41,37", "longitude -181 is outside"},
		{"latitude out of range", "40,36,41,91", "latitude 91 is outside"},
		{"swapped latitudes", "40,37,41,36", "min latitude is above max latitude"},
		{"swapped longitudes (antimeridian)", "170,36,-170,37", "min longitude is above max longitude"},
		{"six numbers out of range", "40,36,0,41,95,0", "latitude 95 is outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := geo.ParseBBox(tt.in)
			if err == nil {
				t.Fatalf("ParseBBox(%q) = %v, want an error", tt.in, got)
			}
			var pe *geo.ParamError
			if !errors.As(err, &pe) || pe.Param != "bbox" || pe.Value != tt.in {
				t.Fatalf("error %v is not a bbox *ParamError for %q", err, tt.in)
			}
			if !errors.Is(err, geo.ErrInvalidQuery) {
				t.Errorf("error does not match ErrInvalidQuery")
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
		})
	}
}

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{
		"40.5,36,41.5,37", "-180,-90,180,90", "40.5,36,-100,41.5,37,9000", "", ",,,", "NaN,0,0,0",
		"0,0,Inf,0", "1e400,0,0,0", "0x1p-2,0,1,1", "170,36,-170,37", "40,37,41,36", "-0,-0,0,0",
		"1,2,3,4,5", "1, 2 ,3,4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := geo.ParseBBox(s)
		if err != nil {
			var pe *geo.ParamError
			if !errors.As(err, &pe) || pe.Param != "bbox" || !errors.Is(err, geo.ErrInvalidQuery) {
				t.Fatalf("ParseBBox(%q): error %v is not a bbox *ParamError", s, err)
			}
			return
		}
		for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("ParseBBox(%q) = %v: not finite", s, b)
			}
		}
		if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
			t.Fatalf("ParseBBox(%q) = %v: out of range", s, b)
		}
		if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			t.Fatalf("ParseBBox(%q) = %v: min above max", s, b)
		}
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		text := strings.Join([]string{f(b.Min[0]), f(b.Min[1]), f(b.Max[0]), f(b.Max[1])}, ",")
		again, err := geo.ParseBBox(text)
		if err != nil || again != b {
			t.Fatalf("round trip of %q via %q: %v, %v", s, text, again, err)
		}
	})
}
