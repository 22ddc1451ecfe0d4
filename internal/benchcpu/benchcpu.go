// Package benchcpu reports a benchmark's CPU time per operation beside its
// wall-clock time: on a shared machine, other work moves the process's own
// CPU time far less than ns/op.
package benchcpu

import "testing"

// Report starts counting the process's CPU time; the function it returns
// reports it per operation as cpu-ns/op: the benchmark process's side of the
// work (a server's handlers, pgx, decoding, the collector), which leaves out
// PostgreSQL's. Where the platform gives no CPU time it reports nothing.
func Report(b *testing.B) func() {
	start, ok := cpuTime()
	return func() {
		end, ok2 := cpuTime()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
