package storetest

import (
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

// properties checks geo.Query.Properties: the same features match, with
// their geometry and validity, and each one's properties are those of the
// fixture or only the named ones it has that are not null (a name it lacks
// is not made up); its sources are the fixture's or none.
// It asks for a few names and for more than a store may treat as few (the
// memory store shares the maps of up to four).
func (c checker) properties(t *testing.T) {
	for _, names := range [][]string{
		{"controller", "kind", "no_such_property"},
		{"name", "controller", "kind", "no_such_property", "status", "type", "another_missing_one"},
	} {
		c.propertiesNamed(t, names)
	}
}

// propertiesNamed is properties for one list of names.
func (c checker) propertiesNamed(t *testing.T, names []string) {
	for _, col := range []string{"facilities", "areas", "villages"} {
		t.Run(col+"-"+strconv.Itoa(len(names))+"-names", func(t *testing.T) {
			whole := c.items(t, col, geo.Query{})
			page := c.items(t, col, geo.Query{Properties: names})
			if !slices.Equal(ids(page.Features), ids(whole.Features)) || page.NumberMatched != whole.NumberMatched {
				t.Fatalf("ids %v (%d matched), want %v (%d) as without Properties", ids(page.Features), page.NumberMatched, ids(whole.Features), whole.NumberMatched)
			}
			// Asked with Known, every other feature known: the others as
			// without it.
			known := map[string]bool{}
			for i, f := range whole.Features {
				known[f.ID] = i%2 == 0
			}
			kp := c.items(t, col, geo.Query{Properties: names, Known: func(id string) bool { return known[id] }})
			if !slices.Equal(ids(kp.Features), ids(page.Features)) || kp.NumberMatched != page.NumberMatched {
				t.Fatalf("with Known: ids %v (%d matched), want %v (%d)", ids(kp.Features), kp.NumberMatched, ids(page.Features), page.NumberMatched)
			}
			for i, f := range kp.Features {
				if known[f.ID] && f.Geometry == nil {
					continue // returned by its id alone
				}
				if !reflect.DeepEqual(f, page.Features[i]) {
					t.Errorf("%s with Known: %+v, want %+v as without", f.ID, f, page.Features[i])
				}
			}
			// As a picture asks (render: uncounted, simplified): the same.
			drawn := c.items(t, col, geo.Query{Properties: names, Uncounted: true, Simplify: 1e-9})
			if !slices.Equal(ids(drawn.Features), ids(whole.Features)) {
				t.Fatalf("uncounted: ids %v, want %v", ids(drawn.Features), ids(whole.Features))
			}
			for i, f := range drawn.Features {
				if !reflect.DeepEqual(f.Properties, page.Features[i].Properties) {
					t.Errorf("%s uncounted: properties %v, want %v", f.ID, f.Properties, page.Features[i].Properties)
				}
			}
			for _, f := range page.Features {
				want := c.fixtureFeature(t, col, f.ID)
				if !reflect.DeepEqual(f.Geometry, want.Geometry) || !f.Valid.Start.Equal(want.Valid.Start) || !f.Valid.End.Equal(want.Valid.End) || f.Thing != want.Thing {
					t.Errorf("%s: geometry, validity or thing differ from the fixture's", f.ID)
				}
				if f.Sources != nil && !reflect.DeepEqual(f.Sources, want.Sources) {
					t.Errorf("%s: sources %+v, want the fixture's or none", f.ID, f.Sources)
				}
				if reflect.DeepEqual(f.Properties, want.Properties) {
					continue
				}
				only := map[string]any{}
				for _, n := range names {
					if v, ok := want.Properties[n]; ok && v != nil {
						only[n] = v
					}
				}
				if !reflect.DeepEqual(f.Properties, only) {
					t.Errorf("%s: properties %v, want the fixture's %v or only %v", f.ID, f.Properties, want.Properties, only)
				}
			}
		})
	}
}
