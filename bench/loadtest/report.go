package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/controlmap/controlmap/bench/internal/proc"
)

// writeReport writes docs/reliability.md.
func writeReport(o options, m proc.Machine, commit string, started time.Time, results []storeResult) error {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Reliability under load\n\n")
	w("Written by `make loadtest` (bench/loadtest) on %s UTC at commit %s; do not edit by hand, run it again.\n\n",
		started.UTC().Format("2006-01-02 15:04"), commit)
	pg := "not reached"
	if m.PostgreSQL != "" {
		pg = m.PostgreSQL + ", PostGIS " + m.PostGIS
	}
	w("| machine | |\n|---|---|\n")
	w("| CPU | %s, %d cores |\n| memory | %s |\n| system | %s, Linux %s |\n| Go | %s |\n| PostgreSQL | %s |\n\n",
		m.CPUModel, m.CPUs, m.MemTotal, m.OS, m.Kernel, m.Go, pg)
	w("## Method\n\n")
	w("For each store, `controlmap serve` runs on a loopback port with rate limiting off and an admin token, serving\n")
	w("the shipped dataset: the embedded store from a copy of `data/`, PostGIS from a throwaway database `data/` is\n")
	w("imported into. `cmd/loadgen` holds %d connections, each with one request in flight, first for a %s warm-up,\n", o.conns, o.warmup)
	w("then for %s. Its URLs alternate between what many readers ask (the collections, the timeline, every layer every\n", o.duration)
	w("third day, vector tiles of the region, single features) and distinct bbox queries at random days that miss every\n")
	w("cache the first time (%d URLs in all, in turn).\n\n", o.urlsPerLoad)
	w("- **memory**: the folder is reloaded (`POST /admin/reload`) %s into the load.\n", o.reloadAt)
	for _, r := range results {
		if r.Store == "postgis" {
			w("- **postgis**: PostgreSQL is stopped (`%s`) %s into the load and started (`%s`) %s after that.\n", r.PGStop, o.downAt, r.PGStart, o.down)
			w("  While it is down, every answer must be either one the server built before, served from its cache marked stale\n")
			w("  (`X-Cache: stale`), or `503` with `Retry-After`, and there must be some of each. Within %d s of the start every\n", recoveryLimit)
			w("  answer must be a success again, without restarting the server.\n")
		}
	}
	w("- **leaks**: before and after the load (after the warm-up, and 2 s after the load's connections closed) the\n")
	w("  response cache is emptied and `POST /admin/runtime/gc` runs a full collection and reports the goroutines and the\n")
	w("  live heap. After may exceed before by at most %d goroutines and %.0f%% + %s of live heap; RSS is shown but not\n", goroutineSlack, heapSlackShare*100, mib(heapSlackBytes))
	w("  checked (the Go runtime returns memory to the system lazily).\n\n")

	w("## Results\n\n")
	w("| | ")
	for _, r := range results {
		w("%s | ", r.Store)
	}
	w("\n|---|")
	for range results {
		w("---|")
	}
	w("\n")
	row := func(name string, f func(r storeResult) string) {
		w("| %s | ", name)
		for _, r := range results {
			w("%s | ", f(r))
		}
		w("\n")
	}
	row("verdict", func(r storeResult) string {
		if len(r.Failed) == 0 {
			return "**pass**"
		}
		return "**FAIL**: " + strings.Join(r.Failed, "; ")
	})
	row("connections × duration", func(r storeResult) string {
		return fmt.Sprintf("%d × %.1f s", r.Load.Concurrency, r.Load.ElapsedSeconds)
	})
	row("requests", func(r storeResult) string {
		return fmt.Sprintf("%d (%.0f/s)", r.Load.Requests, r.Load.RequestsPerSec)
	})
	row("answers by status", func(r storeResult) string { return counts(r.Load.Status) })
	row("answers by X-Cache", func(r storeResult) string { return counts(r.Load.Tags) })
	row("requests without an answer", func(r storeResult) string {
		if len(r.Load.Failures) == 0 {
			return "0"
		}
		return counts(r.Load.Failures)
	})
	row("503 without Retry-After", func(r storeResult) string { return fmt.Sprint(r.Load.MissingRetry) })
	row("latency p50 / p99 / max", func(r storeResult) string {
		return fmt.Sprintf("%.1f / %.1f / %.0f ms", r.Load.Latency.P50, r.Load.Latency.P99, r.Load.Latency.Max)
	})
	row("goroutines before → after", func(r storeResult) string {
		return fmt.Sprintf("%d → %d", r.Before.Goroutines, r.After.Goroutines)
	})
	row("live heap before → after", func(r storeResult) string {
		return fmt.Sprintf("%s → %s", mib(r.Before.HeapAllocBytes), mib(r.After.HeapAllocBytes))
	})
	row("heap objects before → after", func(r storeResult) string {
		return fmt.Sprintf("%d → %d", r.Before.HeapObjects, r.After.HeapObjects)
	})
	row("RSS before → after", func(r storeResult) string {
		return fmt.Sprintf("%s → %s", mib(uint64(r.Before.RSSBytes)), mib(uint64(r.After.RSSBytes)))
	})
	row("event", func(r storeResult) string {
		switch {
		case r.Outage != nil && r.OutageResult != nil:
			res := r.OutageResult
			return fmt.Sprintf("PostgreSQL stopped at %.1f s, started at %.1f s; 503s in seconds %d–%d; every answer a success again %.1f s after the start",
				r.Outage.Stop, r.Outage.Start, res.First503, res.Last503, res.Recovered)
		case r.ReloadAt > 0:
			return fmt.Sprintf("reload at %.1f s: %d", r.ReloadAt, r.ReloadStatus)
		}
		return "-"
	})
	w("\n")

	for _, r := range results {
		if r.Outage == nil {
			continue
		}
		from, to := int(r.Outage.Stop)-3, int(r.Outage.Started)+3
		if r.OutageResult != nil && r.OutageResult.Last503+3 > to {
			to = r.OutageResult.Last503 + 3
		}
		w("### %s: the seconds around the outage\n\n", r.Store)
		w("Answers that finished in each second from the start of the load. `pg_ctlcluster stop -m fast` ran from %.1f s to %.1f s,\n", r.Outage.Stop, r.Outage.Stopped)
		w("`pg_ctlcluster start` from %.1f s to %.1f s (it returns a while after the server accepts connections).\n\n", r.Outage.Start, r.Outage.Started)
		w("| second | requests | 200 fresh | 200 stale | 304 | 503 | other | no answer | mean | max |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, s := range r.Load.Seconds {
			if s.T < from || s.T > to {
				continue
			}
			var other, failed int64
			for code, n := range s.Status {
				if code != "200" && code != "304" && code != "503" {
					other += n
				}
			}
			for _, n := range s.Failures {
				failed += n
			}
			stale := s.Tags["stale"]
			w("| %d | %d | %d | %d | %d | %d | %d | %d | %.1f ms | %.0f ms |\n", s.T, s.Requests, s.Status["200"]-stale, stale,
				s.Status["304"], s.Status["503"], other, failed, s.MeanMS, s.MaxMS)
		}
		w("\n")
	}

	w("## What else is tested\n\n")
	w("The load test shows the whole server under a surge and an outage; the pieces are tested one by one in `make test`:\n\n")
	w("- `cmd/controlmap` `TestServeThroughDatabaseOutages`: start with the database unreachable (`/readyz` 503, backoff,\n")
	w("  ready when it comes), an outage while serving through a proxy that cuts connections (503 with `Retry-After`, the\n")
	w("  last good answer marked stale), recovery without a restart, and an edit in SQL visible in `/version` within a second.\n")
	w("- `handlers` `TestStaleAnswersDuringOutage`: what is served stale, what is 503, and fresh answers after.\n")
	w("- `geo/postgis`: the change feed reconnects, `statement_timeout`, a client hanging up cancels its query, the pool bound.\n")
	w("- `cmd/controlmap`: SIGHUP and `/admin/reload` are atomic under concurrent readers; SIGTERM drains in-flight requests.\n")
	w("- `handlers` hostile-input and fuzz tests, rate limiting (429 with `Retry-After`), admin tokens.\n\n")
	w("Raw reports (`loadgen` JSON and text, per second) and the server logs are in `%s/` after a run; they are not committed.\n", o.dir)
	return os.WriteFile(o.out, []byte(b.String()), 0o644)
}

// counts formats a count map as "k: n, k: n" in key order.
func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
