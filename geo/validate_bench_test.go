//go:build unix

package geo

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/paulmach/orb"
)

// BenchmarkValidatePolygon measures ValidateGeometry on one valid ring of
// each shape in hardRings and each size, the self-intersection check being
// most of the work. Each reports cpu-ns/op too, the process's CPU time per
// operation, which other work on a shared machine moves far less than the
// wall-clock ns/op. The larger sizes of a check that is quadratic take
// minutes: pick them with -bench, and -benchtime 1x.
//
//	go test -run '^$' -bench 'ValidatePolygon/.*/1e[34]$' ./geo
func BenchmarkValidatePolygon(b *testing.B) {
	for _, shape := range hardRings {
		for _, exp := range []int{3, 4, 5, 6} {
			b.Run(fmt.Sprintf("%s/1e%d", shape.name, exp), func(b *testing.B) {
				n := 1
				for range exp {
					n *= 10
				}
				p := orb.Polygon{shape.make(n)}
				start := cpuTime()
				for b.Loop() {
					if err := ValidateGeometry(p, "Polygon"); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(len(p[0])), "vertices")
			})
		}
	}
}

// cpuTime is the CPU time the process has used so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
