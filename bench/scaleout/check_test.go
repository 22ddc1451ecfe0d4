package main

import (
	"strings"
	"testing"

	"github.com/controlmap/controlmap/internal/loadgen"
)

func TestTags(t *testing.T) {
	tests := []struct {
		tag          string
		stale, fresh bool
	}{
		{"HIT/miss", false, false},  // nginx's fresh copy; "miss" is what was stored with it
		{"STALE/miss", true, false}, // nginx's expired copy, no replica answered
		{"UPDATING/hit", true, false},
		{"MISS/miss", false, true},   // a replica built it now
		{"EXPIRED/hit", false, true}, // a replica had it at the current version
		{"MISS/stale", true, false},  // a replica's last good answer
		{"REVALIDATED/hit", false, false},
		{"unavailable/", false, false},
	}
	for _, tt := range tests {
		if got := staleTag(tt.tag); got != tt.stale {
			t.Errorf("staleTag(%q) = %v, want %v", tt.tag, got, tt.stale)
		}
		if got := freshTag(tt.tag); got != tt.fresh {
			t.Errorf("freshTag(%q) = %v, want %v", tt.tag, got, tt.fresh)
		}
	}
}

// series builds a load report of 40 seconds: every second 100 answers 200
// from replicas, with the changes of mod.
func series(mod func(s []loadgen.Second)) *loadgen.Report {
	rep := &loadgen.Report{Status: map[string]int64{}, Failures: map[string]int64{}}
	for i := 0; i < 40; i++ {
		rep.Seconds = append(rep.Seconds, loadgen.Second{T: i, Requests: 100, Status: map[string]int64{"200": 100}, Tags: map[string]int64{"MISS/miss": 100}})
	}
	// The standby is down from 15 to 20 s: nginx serves stale copies.
	for i := 15; i < 20; i++ {
		rep.Seconds[i].Tags = map[string]int64{"STALE/miss": 100}
	}
	if mod != nil {
		mod(rep.Seconds)
	}
	for _, s := range rep.Seconds {
		rep.Requests += s.Requests
		for k, v := range s.Status {
			rep.Status[k] += v
		}
		for k, v := range s.Failures {
			rep.Failures[k] += v
		}
	}
	return rep
}

func TestCheckLoad(t *testing.T) {
	kill := killEvent{Replica: 1, At: 5.2, Restart: 8, Ready: 8.3}
	down := standbyEvent{Stop: 15.0, Stopped: 15.3, Start: 20.0, Started: 20.5}
	tests := []struct {
		name string
		mod  func(s []loadgen.Second)
		want string // "" passes
	}{
		{"clean", nil, ""},
		{"503s with the outage", func(s []loadgen.Second) {
			s[16].Status = map[string]int64{"200": 50, "503": 50}
			s[21].Status = map[string]int64{"200": 90, "503": 10}
		}, ""},
		{"fresh answer while down", func(s []loadgen.Second) { s[17].Tags = map[string]int64{"STALE/miss": 99, "MISS/hit": 1} }, "built from the database in seconds 16–20"},
		{"no stale answer", func(s []loadgen.Second) {
			for i := 15; i < 20; i++ {
				s[i].Tags = map[string]int64{"HIT/miss": 100}
			}
		}, "no stale answer"},
		{"request failed while the replica was down", func(s []loadgen.Second) { s[6].Failures = map[string]int64{"eof": 1} }, "1 without an answer"},
		{"error while the replica was down", func(s []loadgen.Second) { s[7].Status = map[string]int64{"200": 99, "502": 1} }, "answers 502"},
		{"503 before the outage", func(s []loadgen.Second) { s[10].Status = map[string]int64{"200": 99, "503": 1} }, "before the standby stopped"},
		{"slow recovery", func(s []loadgen.Second) { s[31].Status = map[string]int64{"200": 99, "503": 1} }, "12.0 s after the standby was started (limit 10 s)"},
		{"silence after the recovery", func(s []loadgen.Second) { s[25].Requests = 0; s[25].Status = map[string]int64{} }, "no answer at all in second 25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, bad := checkLoad(series(tt.mod), kill, down, 0.5)
			all := strings.Join(bad, "\n")
			if tt.want == "" && len(bad) > 0 {
				t.Errorf("checkLoad failed a good run: %s", all)
			}
			if tt.want != "" && !strings.Contains(all, tt.want) {
				t.Errorf("checkLoad = %q, want a failure containing %q", all, tt.want)
			}
		})
	}
	rep := series(nil)
	rep.MissingRetry = 3
	if _, _, bad := checkLoad(rep, kill, down, 0.5); !strings.Contains(strings.Join(bad, "\n"), "3 answers 503 without Retry-After") {
		t.Errorf("503s without Retry-After not caught: %q", bad)
	}
}

func TestCheckEdits(t *testing.T) {
	bad := checkEdits([]editResult{{N: 1, Edge: 0.4}, {N: 2, Edge: 2.3}, {N: 3, Edge: -1}}, 2)
	if len(bad) != 2 || !strings.Contains(bad[0], "edit 2") || !strings.Contains(bad[1], "edit 3 was not seen") {
		t.Errorf("checkEdits = %q", bad)
	}
}

func TestCheckGrowth(t *testing.T) {
	before := runtimeSample{Goroutines: 45, Conns: 37, HeapAllocBytes: 4 << 20}
	if bad := checkGrowth(before, runtimeSample{Goroutines: 63, Conns: 55, HeapAllocBytes: 4 << 20}); len(bad) != 0 {
		t.Errorf("more idle connections from nginx counted as growth: %q", bad)
	}
	if bad := checkGrowth(before, runtimeSample{Goroutines: 63, Conns: 37, HeapAllocBytes: 4 << 20}); len(bad) != 1 {
		t.Errorf("18 more goroutines on as many connections not caught: %q", bad)
	}
	if bad := checkGrowth(before, runtimeSample{Goroutines: 45, Conns: 37, HeapAllocBytes: 8 << 20}); len(bad) != 1 {
		t.Errorf("live heap doubled not caught: %q", bad)
	}
}

func TestCountConns(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:C351 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:C352 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
`
	if got := countConns(table, 8080); got != 2 {
		t.Errorf("countConns = %d, want 2 (the listener and the client end are not counted)", got)
	}
}
