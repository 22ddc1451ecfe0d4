package geo

import (
	"fmt"
	"testing"

	"github.com/paulmach/orb"
)

// TestHardRingsAreValid checks that the benchmark's rings are valid
// polygons of about the size asked for.
func TestHardRingsAreValid(t *testing.T) {
	for _, shape := range hardRings {
		for _, n := range []int{20, 1000, 5000} {
			t.Run(fmt.Sprintf("%s/%d", shape.name, n), func(t *testing.T) {
				r := shape.make(n)
				if got := len(r); got < n*9/10-4 || got > n*11/10+8 {
					t.Errorf("%d vertices, want about %d", got, n)
				}
				if err := ValidateGeometry(orb.Polygon{r}, "Polygon"); err != nil {
					t.Error(err)
				}
			})
		}
	}
}
