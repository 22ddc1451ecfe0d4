package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/controlmap/controlmap/internal/loadgen"
)

// okStatus reports whether a status is a success: 200, or 304 for a
// conditional request.
func okStatus(code string) bool { return code == "200" || code == "304" }

// outage is when the database was down, in seconds from the start of the
// load: its stop command ran from Stop to Stopped, its start command from
// Start to Started (pg_ctlcluster start returns a while after the server
// accepts connections).
type outage struct {
	Stop, Stopped, Start, Started float64
}

// outageResult is what the per-second series shows of an outage.
type outageResult struct {
	First503, Last503 int     // seconds holding the first and last 503; -1: none
	Recovered         float64 // seconds from the start command to the end of the last second with a 503
	Stale             int64   // answers served stale during the run
}

// Limits of the checks.
const (
	// recoveryLimit is how long after the database is back every answer
	// must be a success again.
	recoveryLimit = 10
	// goroutineSlack is how many more goroutines than before the load are
	// tolerated after it: the measuring request's own, and a pool
	// connection being opened or closed in the background.
	goroutineSlack = 3
	// heapSlackShare and heapSlackBytes bound the growth of the live heap
	// (after a full collection, the response cache emptied): 10% and 2 MiB.
	heapSlackShare = 0.10
	heapSlackBytes = 2 << 20
)

// checkLoad checks a run without an outage: every request answered, every
// answer a success.
func checkLoad(rep *loadgen.Report) []string {
	var bad []string
	if rep.Requests == 0 {
		bad = append(bad, "no request was answered")
	}
	for kind, n := range rep.Failures {
		bad = append(bad, fmt.Sprintf("%d requests failed without an answer (%s)", n, kind))
	}
	for _, code := range slices.Sorted(maps.Keys(rep.Status)) {
		if !okStatus(code) {
			bad = append(bad, fmt.Sprintf("%d answers %s", rep.Status[code], code))
		}
	}
	return bad
}

// checkOutage checks a run with the database down during o: no request
// without an answer; no status but 200, 304 and 503; 503s only from the
// second the database stopped, each with Retry-After; while it was down,
// every 200 a stale answer from the cache, and some stale answers; every
// answer a success again within recoveryLimit seconds of the database's
// start, and from then on answers in every second.
func checkOutage(rep *loadgen.Report, o outage) (outageResult, []string) {
	res := outageResult{First503: -1, Last503: -1, Stale: rep.Tags["stale"]}
	bad := rep.Faults("during the outage")
	stopSecond := int(math.Floor(o.Stop))
	for _, s := range rep.Seconds {
		if s.Status["503"] == 0 {
			continue
		}
		if res.First503 < 0 {
			res.First503 = s.T
		}
		res.Last503 = s.T
		if s.T < stopSecond {
			bad = append(bad, fmt.Sprintf("%d answers 503 in second %d, before the database stopped (at %.1f s)", s.Status["503"], s.T, o.Stop))
		}
	}
	// Seconds wholly between the end of the stop command and the start
	// command: the database was down, so every 200 must be a stale one.
	downFrom, downTo := int(math.Ceil(o.Stopped)), int(math.Floor(o.Start))
	for _, s := range rep.Seconds {
		if s.T < downFrom || s.T+1 > downTo {
			continue
		}
		if fresh := s.Tags["hit"] + s.Tags["miss"]; fresh > 0 {
			bad = append(bad, fmt.Sprintf("%d answers not marked stale in second %d, while the database was down", fresh, s.T))
		}
	}
	if res.Stale == 0 {
		bad = append(bad, "no stale answer at all: the last good answers were not served during the outage")
	}
	if res.First503 < 0 {
		return res, append(bad, "no 503 at all: the outage was not seen (every request answered from the cache?)")
	}
	res.Recovered = float64(res.Last503+1) - o.Start
	if res.Recovered > recoveryLimit {
		bad = append(bad, fmt.Sprintf("503s until %d s, %.1f s after the database was started (limit %d s)", res.Last503+1, res.Recovered, recoveryLimit))
	}
	last := len(rep.Seconds) - 1 // the last second may be a fraction, winding down
	for _, s := range rep.Seconds {
		if s.T > res.Last503 && s.T < last && s.Requests == 0 {
			bad = append(bad, fmt.Sprintf("no answer at all in second %d, after the recovery", s.T))
		}
	}
	return res, bad
}

// runtimeSample is what POST /admin/runtime/gc reports, plus the RSS read
// from /proc.
type runtimeSample struct {
	Goroutines     int    `json:"goroutines"`
	HeapAllocBytes uint64 `json:"heap_alloc_bytes"`
	HeapObjects    uint64 `json:"heap_objects"`
	RSSBytes       int64  `json:"rss_bytes"`
}

// checkGrowth compares the samples taken before and after the load, both
// after a full collection with the response cache emptied.
func checkGrowth(before, after runtimeSample) []string {
	var bad []string
	if after.Goroutines > before.Goroutines+goroutineSlack {
		bad = append(bad, fmt.Sprintf("goroutines grew from %d to %d (tolerance %d)", before.Goroutines, after.Goroutines, goroutineSlack))
	}
	limit := float64(before.HeapAllocBytes)*(1+heapSlackShare) + heapSlackBytes
	if float64(after.HeapAllocBytes) > limit {
		bad = append(bad, fmt.Sprintf("live heap grew from %s to %s (tolerance %s)", mib(before.HeapAllocBytes), mib(after.HeapAllocBytes), mib(uint64(limit))))
	}
	return bad
}

func mib(b uint64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }
