package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// tagCounts sorts answers by where they came from.
type tagCounts struct {
	EdgeHit, EdgeStale, Revalidated, EdgeMissed, ReplicaStale, Unavailable, Other int64
}

func countTags(tags map[string]int64) tagCounts {
	var c tagCounts
	for tag, n := range tags {
		edge, replica := edgeTag(tag)
		switch {
		case edge == "unavailable":
			c.Unavailable += n
		case fromReplica(edge) && replica == "stale":
			c.ReplicaStale += n
		case edge == "HIT":
			c.EdgeHit += n
		case edge == "STALE" || edge == "UPDATING":
			c.EdgeStale += n
		case edge == "REVALIDATED":
			c.Revalidated += n
		case fromReplica(edge):
			c.EdgeMissed += n
		default:
			c.Other += n
		}
	}
	return c
}

func pct(n, of int64) string {
	if of == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

func statusList(m map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func sec(s float64) string {
	if s < 0 {
		return "not seen"
	}
	return fmt.Sprintf("%.2f s", s)
}

// writeReport writes the run's report as markdown.
func writeReport(path string, r *result) error {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	o := r.Options
	m := r.Machine
	verdict := "**pass**"
	if len(r.Failed) > 0 {
		verdict = "**FAIL**"
	}
	w("# Scale-out run\n\n")
	w("Written by `make scaleout` (bench/scaleout) on %s at commit %s; do not edit by hand, run it again. ", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Commit)
	w("What the run shows and how to read it: [scaling.md](scaling.md).\n\n")
	w("| machine | |\n|---|---|\n| CPU | %s, %d cores (shared by everything below) |\n| memory | %s |\n| system | %s, Linux %s |\n| Go | %s |\n| PostgreSQL | %s, PostGIS %s |\n| nginx | %s |\n\n",
		m.CPUModel, m.CPUs, m.MemTotal, m.OS, m.Kernel, m.Go, m.PostgreSQL, m.PostGIS, r.Nginx)

	w("## Set-up\n\n")
	w("- **primary**: this machine's PostgreSQL cluster; the shipped dataset imported (`controlmap import`) into a throwaway database; a read-only role `%s` (`default_transaction_read_only`); a physical replication slot `%s`", readerRole, slotName)
	if r.HBAAdded {
		w("; one `host replication` line added to its pg_hba.conf for the run, removed after")
	}
	w(".\n")
	w("- **standby**: a second cluster on port %d under `%s`, made by `pg_basebackup -X stream -c fast -S %s` in %.1f s, hot standby with `hot_standby_feedback`, serving the database in recovery %.1f s after `pg_ctl start`.\n",
		r.Standby.Port, o.dir, slotName, r.Standby.Backup.Seconds(), r.Standby.Ready.Seconds())
	w("- **replicas**: %d × `controlmap serve --migrate=false --change-poll %s --shared-max-age %s` as `%s` on the standby (pool of 8 connections each, response cache 64 MiB each).\n",
		o.replicas, o.changePoll, o.sharedMaxAge, readerRole)
	w("- **nginx**: generated configuration (`%s/nginx.conf`, the same as `bench/scaleout/testdata/nginx.conf` but for paths and ports): consistent hash of the URL over the replicas, `max_fails=1 fail_timeout=2s`, `proxy_next_upstream error timeout http_502 http_503 http_504` (3 tries), a shared cache held to the replicas' `s-maxage`/`X-Accel-Expires` and revalidated with their ETags, stale copies served while refreshing or when no replica answers, its own 503 with `Retry-After: 5` otherwise.\n",
		paths{o.dir}.nginx())
	w("- **load**: `cmd/loadgen`, %d connections for %s through nginx after a %s warm-up, URLs as `make loadtest` (half what many readers ask, half distinct bbox queries that miss every cache), tagged by nginx's `X-Edge` (its cache status / the replica's `X-Cache`).\n",
		o.conns, o.duration, o.warmup)
	w("- **events**: edits imported on the primary at %s; replica %d killed (SIGKILL) at %s and started again %s later; the standby stopped (`pg_ctl stop -m fast`) at %s and started %s later.\n\n",
		durList(o.edits), r.Kill.Replica, o.killAt, o.killFor, o.standbyAt, o.standbyDown)

	ld := r.Load
	tc := countTags(ld.Tags)
	w("## Results\n\n| | |\n|---|---|\n")
	w("| verdict | %s |\n", verdict)
	w("| requests | %d in %.1f s (%.0f/s) |\n", ld.Requests, ld.ElapsedSeconds, ld.RequestsPerSec)
	w("| answers by status | %s |\n", statusList(ld.Status))
	w("| requests without an answer | %d |\n", sumMap(ld.Failures))
	w("| 503 without Retry-After | %d |\n", ld.MissingRetry)
	w("| latency p50 / p90 / p99 / max | %.1f / %.1f / %.1f / %.0f ms |\n", ld.Latency.P50, ld.Latency.P90, ld.Latency.P99, ld.Latency.Max)
	w("| bytes per answer | %.0f |\n", ld.BytesPerResp)
	w("| answered by nginx from a fresh copy (HIT) | %d (%s) |\n", tc.EdgeHit, pct(tc.EdgeHit, ld.Responses))
	w("| nginx copy revalidated by a replica (304 to nginx) | %d (%s) |\n", tc.Revalidated, pct(tc.Revalidated, ld.Responses))
	w("| passed to a replica (MISS, EXPIRED) | %d (%s) |\n", tc.EdgeMissed, pct(tc.EdgeMissed, ld.Responses))
	w("| served stale by nginx (STALE, UPDATING) | %d (%s) |\n", tc.EdgeStale, pct(tc.EdgeStale, ld.Responses))
	w("| served stale by a replica | %d |\n", tc.ReplicaStale)
	w("| nginx's own 503 (no replica, no copy) | %d |\n", tc.Unavailable)
	var served, notMod float64
	for _, s := range r.Served {
		served += s.Requests
		notMod += s.NotModify
	}
	w("| requests the replicas counted (/metrics; the restarted one since its restart) | %.0f, of which %.0f answered 304 |\n", served, notMod)
	w("| replication at the end (pg_stat_replication) | %s; write / flush / replay lag %s / %s / %s |\n\n", r.Repl.State, r.Repl.WriteLag, r.Repl.FlushLag, r.Repl.ReplayLag)

	w("### Edits: from the import on the primary to the answer\n\n")
	w("Seconds after `controlmap import` of the edited file returned (its transaction had committed): when the standby's `data_version` reached the new version, when each replica's answer for the edited feature (`GET %s`, polled every 10 ms) had it, and when nginx's had it. Bound through nginx: %s.\n\n", "/collections/facilities/items/ID", o.visible)
	w("| edit | at | import took | version | standby | ")
	for i := range r.Served {
		w("replica %d | ", i+1)
	}
	w("through nginx |\n|---|---|---|---|---|")
	for range r.Served {
		w("---|")
	}
	w("---|\n")
	for _, e := range r.Edits {
		w("| %d | %.1f s | %.2f s | %d | %s | ", e.N, e.At, e.Import, e.Version, sec(e.Standby))
		for _, x := range e.Replicas {
			w("%s | ", sec(x))
		}
		w("**%s** |\n", sec(e.Edge))
	}
	k, kr := r.Kill, r.killRes
	w("\n### Replica %d killed and restarted\n\n", k.Replica)
	w("Killed (SIGKILL) at %.1f s, started again at %.1f s, ready (`/readyz` 200) at %.1f s. From the kill until the standby's stop: %d requests, %d answers other than 200 or 304, %d requests without an answer.\n\n",
		k.At, k.Restart, k.Ready, kr.Requests, kr.NotOK, kr.NoAnswer)
	s, or := r.Outage, r.outRes
	w("### Standby restarted\n\n")
	w("`pg_ctl stop -m fast` ran from %.1f s to %.1f s, `pg_ctl start` from %.1f s to %.1f s. ", s.Stop, s.Stopped, s.Start, s.Started)
	if or.First503 >= 0 {
		recovered := fmt.Sprintf("every answer a success again %.1f s after the start (limit %d s)", or.Recovered, recoveryLimit)
		if or.Recovered <= 0 {
			recovered = fmt.Sprintf("no 503 after the start: the last came %.1f s before it, once nginx held a copy of everything asked", -or.Recovered)
		}
		w("503s (all with Retry-After) in seconds %d–%d: %d; stale answers from the stop to the recovery: %d; answers built from the database while it was down: %d; %s.\n\n",
			or.First503, or.Last503, or.Answers503, or.Stale, or.FreshWhileDown, recovered)
	} else {
		w("No 503 at all; stale answers: %d; answers built from the database while it was down: %d.\n\n", or.Stale, or.FreshWhileDown)
	}

	w("### Replicas: before and after the load\n\n")
	w("After the warm-up and 2 s after the load, each replica's response cache is emptied and `POST /admin/runtime/gc` reports its goroutines and live heap. Replicas that ran throughout may grow by at most %d goroutines (less the connections nginx holds open to them, one goroutine each) and 10%% + 2 MiB of live heap; the restarted one's \"before\" is from its first life and is not compared.\n\n", goroutineSlack)
	w("| replica | goroutines | open connections | live heap | heap objects | RSS | requests counted | 304s | stale |\n|---|---|---|---|---|---|---|---|---|\n")
	for i := range r.After {
		bf, af := r.Before[i], r.After[i]
		note := ""
		if i == k.Replica-1 {
			note = " (restarted)"
		}
		w("| %d%s | %d → %d | %d → %d | %s → %s | %d → %d | %s → %s | %.0f | %.0f | %.0f |\n", i+1, note,
			bf.Goroutines, af.Goroutines, bf.Conns, af.Conns, mib(bf.HeapAllocBytes), mib(af.HeapAllocBytes), bf.HeapObjects, af.HeapObjects,
			mib(uint64(bf.RSSBytes)), mib(uint64(af.RSSBytes)), r.Served[i].Requests, r.Served[i].NotModify, r.Served[i].Stale)
	}

	w("\n### Every second\n\nAnswers that finished in each second from the start of the load. *nginx HIT*: from its fresh copy; *stale*: nginx's expired copy (STALE, UPDATING) or a replica's last good answer; *from replicas*: built or found at the current version by a replica.\n\n")
	w("| second | requests | 200 | 304 | 503 | other | no answer | nginx HIT | stale | from replicas | mean | max | event |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	events := eventsBySecond(r)
	for _, sc := range ld.Seconds {
		c := countTags(sc.Tags)
		fresh := int64(0)
		for tag, n := range sc.Tags {
			if freshTag(tag) {
				fresh += n
			}
		}
		other := sumMap(sc.Status) - sc.Status["200"] - sc.Status["304"] - sc.Status["503"]
		w("| %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %.1f ms | %.0f ms | %s |\n", sc.T, sc.Requests, sc.Status["200"], sc.Status["304"], sc.Status["503"],
			other, sumMap(sc.Failures), c.EdgeHit, c.EdgeStale+c.ReplicaStale, fresh, sc.MeanMS, sc.MaxMS, events[sc.T])
	}
	w("\n## Checks\n\n")
	if len(r.Failed) == 0 {
		w("Every check passed.\n")
	}
	for _, f := range r.Failed {
		w("- FAIL: %s\n", f)
	}
	w("\nRaw reports and logs: `%s` (`logs/load.json`, `logs/replica-N.log.run`, `nginx/error.log`, `pg/standby.log`).\n", o.dir)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func sumMap(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func durList(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return strings.Join(s, ", ")
}

// eventsBySecond names what happened in each second of the load.
func eventsBySecond(r *result) map[int]string {
	ev := map[int][]string{}
	add := func(t float64, what string) {
		if t >= 0 {
			ev[int(t)] = append(ev[int(t)], what)
		}
	}
	for _, e := range r.Edits {
		add(e.At, fmt.Sprintf("edit %d imported", e.N))
		if e.Edge >= 0 {
			add(e.At+e.Import+e.Edge, fmt.Sprintf("edit %d through nginx", e.N))
		}
	}
	if k := r.Kill; k != nil {
		add(k.At, fmt.Sprintf("replica %d killed", k.Replica))
		add(k.Restart, fmt.Sprintf("replica %d started", k.Replica))
		add(k.Ready, fmt.Sprintf("replica %d ready", k.Replica))
	}
	if s := r.Outage; s != nil {
		add(s.Stop, "standby stopping")
		add(s.Stopped, "standby stopped")
		add(s.Start, "standby starting")
		add(s.Started, "standby started")
	}
	out := map[int]string{}
	for t, list := range ev {
		out[t] = strings.Join(list, "; ")
	}
	return out
}
