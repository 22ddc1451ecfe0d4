package mvt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// BenchmarkSimplify simplifies rings drawn as the scale dataset's outlines
// are (gen's star polygons: 200–2,000 vertices, a jitter of half their
// spacing, smooth harmonics), 100–500 units across and snapped to whole
// units, about as a z7 tile sees them (counted there, a z7 tile of the
// scale dataset's areas simplified some 800 points a ring). These rings
// have 1,058 points on average and keep about a quarter of them.
func BenchmarkSimplify(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	var rings [][]orb.Point
	for range 32 {
		n := 200 + r.IntN(1800)
		var amp, phase [16]float64
		for k := range amp {
			amp[k] = (2*r.Float64() - 1) * 0.2 / math.Pow(float64(k+1), 1.5)
			phase[k] = 2 * math.Pi * r.Float64()
		}
		noise := math.Min(math.Pi/float64(n), 0.02)
		radius := 100 + 400*r.Float64()
		ring := make([]orb.Point, 0, n+1)
		for i := range n {
			theta := 2 * math.Pi * (float64(i) + 0.25 + 0.5*r.Float64()) / float64(n)
			f := 1 + noise*(2*r.Float64()-1)
			for k := range amp {
				f += amp[k] * math.Sin(float64(k+1)*theta+phase[k])
			}
			ring = append(ring, orb.Point{math.Round(2048 + radius*f*math.Cos(theta)), math.Round(2048 + radius*f*math.Sin(theta))})
		}
		ring = append(ring, ring[0])
		rings = append(rings, dedupe(ring))
	}
	s := &simplifier{threshold: 1}
	buf := make([]orb.Point, 0, 4096)
	points, kept := 0, 0
	for i := 0; b.Loop(); i++ {
		ring := rings[i%len(rings)]
		buf = append(buf[:0], ring...)
		points += len(ring)
		kept += len(s.simplify(buf))
	}
	b.ReportMetric(float64(points)/float64(b.N), "points/op")
	b.ReportMetric(float64(kept)/float64(b.N), "kept/op")
}
