package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestWatchRSS: memory touched while the watch runs is in its peak, even
// when it is no longer resident at the end.
func TestWatchRSS(t *testing.T) {
	w := watchRSS(os.Getpid(), 5*time.Millisecond)
	const n = 64 << 20
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = 1
	}
	time.Sleep(30 * time.Millisecond)
	before, peak, from := w.stop()
	if before <= 0 || from == "" {
		t.Fatalf("before %d, from %q", before, from)
	}
	if peak < before+n/2 {
		t.Errorf("peak %d MiB, before %d MiB: the %d MiB touched are not in it (%s)", peak>>20, before>>20, n>>20, from)
	}
	t.Logf("before %d MiB, peak %d MiB (%s)", before>>20, peak>>20, from)
	_ = b[n-1]
}

func TestParseMemoryMetrics(t *testing.T) {
	in := `# HELP controlmap_cache_bytes Bytes of the cached answers.
# TYPE controlmap_cache_bytes gauge
controlmap_cache_bytes 6.7108864e+07
controlmap_cache_requests_total{result="hit"} 12
go_memstats_heap_alloc_bytes 1.2345e+08
go_memstats_heap_alloc_bytes_total 9e+09
`
	m, err := parseMemoryMetrics(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"controlmap_cache_bytes": 64 << 20, "go_memstats_heap_alloc_bytes": 123450000}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %v, want %v", m, want)
	}
	if got := memoryNote(m); got != "cache 64 MiB, heap_alloc 118 MiB" {
		t.Fatalf("note %q", got)
	}
	if _, err := parseMemoryMetrics(strings.NewReader("controlmap_cache_bytes x\n")); err == nil {
		t.Fatal("a value that is no number was taken")
	}
}
