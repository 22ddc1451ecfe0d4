//go:build unix

package postgis_test

import (
	"syscall"
	"testing"
)

// reportCPU starts counting the process's CPU time; the function it returns
// reports it per operation as cpu-ns/op: the client's side of a call (pgx,
// decoding, the collector), which other work on a shared machine moves far
// less than the wall-clock ns/op, and which leaves out PostgreSQL's.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
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
