package gen_test

import (
	"strings"
	"testing"
	"time"

	"github.com/controlmap/controlmap/geo/gen"
	"github.com/paulmach/orb"
)

func TestOptionsValidate(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		opts gen.Options
		want string // substring of the error; "" for valid
	}{
		{"defaults", gen.Options{}, ""},
		{"none of anything", gen.Options{Polygons: -1, Points: -1, Facilities: -1, Events: -1}, ""},
		{"min above max", gen.Options{MinVertices: 500, MaxVertices: 400}, "vertices"},
		{"min above default max is fine", gen.Options{MinVertices: 2500}, ""},
		{"too few vertices", gen.Options{MinVertices: 2, MaxVertices: 5}, "vertices"},
		{"too many vertices", gen.Options{MaxVertices: gen.VertexLimit + 1}, "vertices"},
		{"too many points", gen.Options{Points: gen.FeatureLimit + 1}, "points"},
		{"bound inverted", gen.Options{Bound: orb.Bound{Min: orb.Point{40, 35}, Max: orb.Point{39, 36}}}, "bound"},
		{"bound near the pole", gen.Options{Bound: orb.Bound{Min: orb.Point{0, 80}, Max: orb.Point{10, 89}}}, "bound"},
		{"start after end", gen.Options{Start: day(2026, 3, 1), End: day(2026, 1, 1)}, "period"},
		{"not midnight", gen.Options{Start: day(2026, 1, 1).Add(time.Hour), End: day(2026, 3, 1)}, "period"},
		{"midnight UTC in another zone", gen.Options{Start: day(2026, 1, 1).In(time.FixedZone("x", 3600)), End: day(2026, 3, 1)}, ""},
		{"more change dates than days", gen.Options{Start: day(2026, 1, 1), End: day(2026, 1, 5), ChangeDates: 4}, "change dates"},
		{"negative versions", gen.Options{MaxVersions: -1}, "versions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate accepted %+v", tt.opts)
			case err != nil && (!strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "gen: ")):
				t.Fatalf("Validate: %v, want a gen: error about %s", err, tt.want)
			}
		})
	}
}

func TestScalePanicsOnInvalidOptions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Scale accepted MinVertices 2")
		}
	}()
	gen.Scale(1, gen.Options{MinVertices: 2, MaxVertices: 5})
}
