package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/controlmap/controlmap/geo"
	"github.com/paulmach/orb"
)

// Shape of the outlines: the radius at angle θ is r·(1 + Σₖ aₖ·sin(kθ + φₖ) + e)
// with |aₖ| ≤ harmonicAmp/k^1.5 for k = 1..harmonics, a coastline-like
// wobble that is smooth at the scale of the vertices, and e a noise of at most
// half the spacing of the vertices (capped at maxJitter), so that outlines
// are rough where one zooms in, as drawn boundaries are.
const (
	harmonics   = 16
	harmonicAmp = 0.2
	maxJitter   = 0.02
	// zeta15 = ζ(1.5) bounds Σₖ 1/k^1.5 for any number of harmonics.
	zeta15 = 2.6124
	// maxStretch bounds how far an outline reaches from its centre, in units
	// of an area's radius (whose versions vary it by 0.8–1.2×).
	maxStretch = 1.2 * (1 + harmonicAmp*zeta15 + maxJitter)
	// minStretch is the least an outline reaches, in units of the radius
	// passed to starPolygon.
	minStretch = 1 - harmonicAmp*zeta15 - maxJitter
	// minGap is the least distance (degrees) between the rays of two
	// neighbouring vertices where they are closest to the centre: four times
	// the rounding step, so rounding cannot make edges meet.
	minGap = 4e-5
	// maxAttempts bounds the draws of one outline; with radii of at least
	// minRadius a draw practically never fails, so reaching it is a bug.
	maxAttempts = 1000
)

// minRadius is the smallest radius that keeps n vertices at least minGap
// apart: neighbouring angles differ by at least half of 2π/n.
func minRadius(n int) float64 {
	return minGap * float64(n) / (math.Pi * minStretch)
}

// starPolygon returns a simple polygon of n distinct vertices around centre:
// a circle of radius radius (degrees of latitude) perturbed by a few
// harmonics and some noise. Vertices are at strictly increasing angles and
// positive radii, so the ring is star-shaped around its centre and cannot
// cross itself; it runs counter-clockwise as RFC 7946 asks. Rounding the
// coordinates could in principle make two vertices meet, so the ring is
// checked with geo.ValidateGeometry and drawn again in that case.
// The radius must be at least minRadius(n) and the outline must fit in the
// world, which Options.Validate and areas ensure.
func starPolygon(r *rand.Rand, centre orb.Point, radius float64, n int) orb.Polygon {
	var err error
	for range maxAttempts {
		p := drawStar(r, centre, radius, n)
		if err = geo.ValidateGeometry(p, "Polygon"); err == nil {
			return p
		}
	}
	panic(fmt.Sprintf("gen: no valid outline of %d vertices and radius %g at %v in %d draws: %v", n, radius, centre, maxAttempts, err))
}

func drawStar(r *rand.Rand, centre orb.Point, radius float64, n int) orb.Polygon {
	var amp, phase [harmonics]float64
	for k := range amp {
		amp[k] = (2*r.Float64() - 1) * harmonicAmp / math.Pow(float64(k+1), 1.5)
		phase[k] = 2 * math.Pi * r.Float64()
	}
	noise := math.Min(math.Pi/float64(n), maxJitter)
	sx := lonScale(centre[1])
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		// Each angle lies in the middle half of its own slice of the circle.
		theta := 2 * math.Pi * (float64(i) + 0.25 + 0.5*r.Float64()) / float64(n)
		f := 1 + noise*(2*r.Float64()-1)
		for k := range amp {
			f += amp[k] * math.Sin(float64(k+1)*theta+phase[k])
		}
		ring = append(ring, orb.Point{
			round(centre[0] + sx*radius*f*math.Cos(theta)),
			round(centre[1] + radius*f*math.Sin(theta)),
		})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}
