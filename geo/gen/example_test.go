package gen_test

import (
	"fmt"

	"github.com/controlmap/controlmap/geo/gen"
)

// Scale with a few features of each kind, as a test would ask for them.
func ExampleScale() {
	ds := gen.Scale(1, gen.Options{Polygons: 10, MinVertices: 50, MaxVertices: 100, Points: 100, Facilities: 5, Events: 3})
	for _, c := range ds.Collections {
		fmt.Println(c.ID, c.GeometryType, c.Count, c.Extent.Time)
	}
	// Output:
	// facilities Point 11 2025-10-01T00:00:00Z/2026-03-01T00:00:00Z
	// areas Polygon 10 2025-10-01T00:00:00Z/2026-03-01T00:00:00Z
	// points Point 100 2025-10-01T00:00:00Z/2026-03-01T00:00:00Z
	// events Point 3 2025-12-01T04:00:00Z/2026-01-16T11:00:00Z
}
