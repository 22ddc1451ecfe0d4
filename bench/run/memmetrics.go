package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
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
// Prometheus text format; a series without labels is one line "name value").
func readMemoryMetrics(ctx context.Context, base string) (map[string]int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: /metrics: %s", resp.Status)
	}
	return parseMemoryMetrics(resp.Body)
}

func parseMemoryMetrics(r io.Reader) (map[string]int64, error) {
	want := map[string]bool{}
	for _, n := range memoryMetrics {
		want[n] = true
	}
	got := map[string]int64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return nil, fmt.Errorf("bench: /metrics: %s: %w", name, err)
		}
		got[name] = int64(f)
	}
	return got, sc.Err()
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
