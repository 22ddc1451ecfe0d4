package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/controlmap/controlmap/bench/internal/loadurls"
)

// memoryMetrics are the /metrics series that say where a server's memory
// is once the run is over: the caches' counted bytes and the Go heap.
var memoryMetrics = []string{
	"controlmap_cache_bytes",
	"controlmap_large_answer_bytes",
	"go_memstats_heap_alloc_bytes",
	"go_memstats_heap_inuse_bytes",
	"go_memstats_heap_idle_bytes",
	"go_memstats_heap_released_bytes",
	"go_memstats_sys_bytes",
}

// readMemoryMetrics reads memoryMetrics from the server's /metrics (the
// Prometheus text format; a series without labels is a line "name value",
// perhaps followed by a timestamp).
func readMemoryMetrics(ctx context.Context, base string) (map[string]int64, error) {
	body, err := loadurls.Get(ctx, base+"/metrics", 10*time.Second)
	if err != nil {
		return nil, err
	}
	m := parseMemoryMetrics(bytes.NewReader(body))
	if len(m) == 0 {
		return nil, fmt.Errorf("bench: /metrics has none of %s", strings.Join(memoryMetrics, ", "))
	}
	return m, nil
}

// parseMemoryMetrics returns the values of memoryMetrics found in r.
func parseMemoryMetrics(r io.Reader) map[string]int64 { return parseMetrics(r, memoryMetrics) }

// parseMetrics returns the values of the series named in names (a name
// with its labels as the text format writes them, e.g.
// `a_total{x="y"}`) found in r, Prometheus's text format; a line whose value
// is not a finite number is left out.
func parseMetrics(r io.Reader, names []string) map[string]int64 {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	got := map[string]int64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !want[f[0]] {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		got[f[0]] = int64(v)
	}
	return got
}

// memoryNote is the metrics as the report and the log give them, in MiB.
func memoryNote(m map[string]int64) string {
	var parts []string
	for _, n := range memoryMetrics {
		if v, ok := m[n]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(n, "_bytes"), "go_memstats_"), "controlmap_"), mib(v)))
		}
	}
	return strings.Join(parts, ", ")
}
