package geo

import (
	"fmt"
	"strings"
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

// TestValidateHostileRings validates rings of 200,000 vertices in the
// shapes that made the former check quadratic (minutes at that size), valid
// and with two vertices swapped, the crossing named by its edges.
func TestValidateHostileRings(t *testing.T) {
	if testing.Short() {
		t.Skip("large rings")
	}
	const n = 200_000
	for _, shape := range hardRings {
		t.Run(shape.name, func(t *testing.T) {
			r := shape.make(n)
			if err := ValidateGeometry(orb.Polygon{r}, "Polygon"); err != nil {
				t.Fatalf("valid ring: %v", err)
			}
			// Two vertices far apart swapped pull their edges across the
			// shape.
			bad := append(orb.Ring(nil), r...)
			i, j := len(r)/4, len(r)*3/4+7
			bad[i], bad[j] = bad[j], bad[i]
			err := ValidateGeometry(orb.Polygon{bad}, "Polygon")
			if err == nil {
				t.Fatal("a ring with two vertices swapped is valid")
			}
			var a, b int
			if _, scanErr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "(edges"):], "(edges %d and %d)", &a, &b); scanErr != nil {
				t.Fatalf("error %q does not name two edges: %v", err, scanErr)
			}
			if adjacent(a, b, len(bad)-1) || !segmentsTouch(bad[a], bad[a+1], bad[b], bad[b+1]) {
				t.Errorf("error %q names edges that do not cross", err)
			}
		})
	}
}
