package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/controlmap/controlmap/internal/loadgen"
)

// Limits of the checks.
const (
	// recoveryLimit is how long after the standby's start every answer
	// must be a success again.
	recoveryLimit = 10
	// goroutineSlack and the heap slacks bound the growth of a replica
	// between the samples before and after the load, as make loadtest does.
	goroutineSlack = 3
	heapSlackShare = 0.10
	heapSlackBytes = 2 << 20
)

// edgeTag splits an X-Edge value: nginx's cache status and the X-Cache of
// the answer, which for a copy from nginx's cache (HIT, STALE, UPDATING,
// REVALIDATED) is the one stored with the copy, not a replica's now.
func edgeTag(tag string) (edge, replica string) {
	edge, replica, _ = strings.Cut(tag, "/")
	return edge, replica
}

// fromReplica reports whether nginx passed the request to a replica and
// relayed its answer (no copy, or an expired one replaced).
func fromReplica(edge string) bool {
	return edge == "MISS" || edge == "EXPIRED" || edge == "BYPASS" || edge == ""
}

// staleTag reports whether an answer was served stale: by nginx from an
// expired copy (STALE, UPDATING), or by a replica from its cache while the
// database was unavailable (X-Cache stale).
func staleTag(tag string) bool {
	edge, replica := edgeTag(tag)
	return edge == "STALE" || edge == "UPDATING" || (fromReplica(edge) && replica == "stale")
}

// freshTag reports whether a replica built or found the answer at the data
// version it read from the database just now: what cannot happen while the
// database is down.
func freshTag(tag string) bool {
	edge, replica := edgeTag(tag)
	return fromReplica(edge) && (replica == "hit" || replica == "miss")
}

// outageResult is what the per-second series shows of the standby's
// restart.
type outageResult struct {
	First503, Last503 int     // seconds holding the first and last 503; -1: none
	Recovered         float64 // seconds from the start command to the end of the last second with a 503
	Stale             int64   // stale answers (nginx's or a replica's) from the stop to the recovery
	Answers503        int64
	FreshWhileDown    int64 // answers built from the database while it was down (must be 0)
}

// killResult is what the series shows while a replica was down.
type killResult struct {
	Requests, NotOK, NoAnswer int64
}

// checkLoad checks the load's report against the events; it returns what
// the series shows and every failed check.
func checkLoad(rep *loadgen.Report, k killEvent, o standbyEvent, poll float64) (killResult, outageResult, []string) {
	res := outageResult{First503: -1, Last503: -1}
	var kr killResult
	bad := rep.Faults("while the standby is down")
	stopSecond := int(math.Floor(o.Stop))
	downFrom, downTo := int(math.Ceil(o.Stopped+poll)), int(math.Floor(o.Start))
	for _, s := range rep.Seconds {
		// The replica's absence: from its kill until the standby stops.
		if s.T >= int(math.Floor(k.At)) && s.T < stopSecond {
			kr.Requests += s.Requests
			for code, n := range s.Status {
				if code != "200" && code != "304" {
					kr.NotOK += n
				}
			}
			for _, n := range s.Failures {
				kr.NoAnswer += n
			}
		}
		if n := s.Status["503"]; n > 0 {
			if res.First503 < 0 {
				res.First503 = s.T
			}
			res.Last503 = s.T
			res.Answers503 += n
			if s.T < stopSecond {
				bad = append(bad, fmt.Sprintf("%d answers 503 in second %d, before the standby stopped (at %.1f s)", n, s.T, o.Stop))
			}
		}
	}
	if kr.NotOK > 0 || kr.NoAnswer > 0 {
		bad = append(bad, fmt.Sprintf("while replica %d was down and after: %d answers not 200 or 304, %d without an answer", k.Replica, kr.NotOK, kr.NoAnswer))
	}
	end := downTo
	if res.Last503 >= 0 {
		end = max(end, res.Last503+1)
	}
	for _, s := range rep.Seconds {
		if s.T >= stopSecond && s.T < end {
			for tag, n := range s.Tags {
				if staleTag(tag) {
					res.Stale += n
				}
			}
		}
		// Seconds wholly between the stop (and the feed's next poll) and
		// the start: nothing may come fresh from the database.
		if s.T >= downFrom && s.T+1 <= downTo {
			for tag, n := range s.Tags {
				if freshTag(tag) {
					res.FreshWhileDown += n
				}
			}
		}
	}
	if res.FreshWhileDown > 0 {
		bad = append(bad, fmt.Sprintf("%d answers built from the database in seconds %d–%d, while the standby was down", res.FreshWhileDown, downFrom, downTo))
	}
	if res.Stale == 0 {
		bad = append(bad, "no stale answer while the standby was down: the last good answers were not served")
	}
	if res.First503 >= 0 {
		res.Recovered = float64(res.Last503+1) - o.Start
		if res.Recovered > recoveryLimit {
			bad = append(bad, fmt.Sprintf("503s until %d s, %.1f s after the standby was started (limit %d s)", res.Last503+1, res.Recovered, recoveryLimit))
		}
	}
	last := len(rep.Seconds) - 1 // the last second may be a fraction, winding down
	for _, s := range rep.Seconds {
		if s.T > max(res.Last503, int(o.Started)) && s.T < last && s.Requests == 0 {
			bad = append(bad, fmt.Sprintf("no answer at all in second %d, after the recovery", s.T))
		}
	}
	return kr, res, bad
}

// checkEdits checks that every edit was seen through nginx within limit.
func checkEdits(edits []editResult, limit float64) []string {
	var bad []string
	for _, e := range edits {
		switch {
		case e.Edge < 0:
			bad = append(bad, fmt.Sprintf("edit %d was not seen through nginx within %s", e.N, seenLimit))
		case e.Edge > limit:
			bad = append(bad, fmt.Sprintf("edit %d was seen through nginx after %.2f s (limit %.1f s)", e.N, e.Edge, limit))
		}
	}
	return bad
}

// checkGrowth compares the samples taken before and after the load, both
// after a full collection with the response cache emptied. Goroutines are
// compared less the open connections to the replica (nginx keeps idle ones,
// each held by a goroutine of the server, as many as it likes).
func checkGrowth(before, after runtimeSample) []string {
	var bad []string
	if b, a := before.Goroutines-before.Conns, after.Goroutines-after.Conns; a > b+goroutineSlack {
		bad = append(bad, fmt.Sprintf("goroutines less open connections grew from %d to %d (tolerance %d)", b, a, goroutineSlack))
	}
	limit := float64(before.HeapAllocBytes)*(1+heapSlackShare) + heapSlackBytes
	if float64(after.HeapAllocBytes) > limit {
		bad = append(bad, fmt.Sprintf("live heap grew from %s to %s (tolerance %s)", mib(before.HeapAllocBytes), mib(after.HeapAllocBytes), mib(uint64(limit))))
	}
	return bad
}

// check runs every check of the run.
func (r *result) check(o options) []string {
	var bad []string
	kr, or, b := checkLoad(r.Load, *r.Kill, *r.Outage, o.changePoll.Seconds())
	r.killRes, r.outRes = kr, or
	bad = append(bad, b...)
	slices.SortFunc(r.Edits, func(a, b editResult) int { return a.N - b.N })
	if len(r.Edits) != len(o.edits) {
		bad = append(bad, fmt.Sprintf("%d edits measured, %d planned", len(r.Edits), len(o.edits)))
	}
	bad = append(bad, checkEdits(r.Edits, o.visible.Seconds())...)
	for i := range r.Before {
		if i == r.Kill.Replica-1 || i >= len(r.After) {
			continue // restarted: its before is gone with the process
		}
		for _, g := range checkGrowth(r.Before[i], r.After[i]) {
			bad = append(bad, fmt.Sprintf("replica %d: %s", i+1, g))
		}
	}
	return bad
}

func mib(b uint64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }
