package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMemoryMetrics(t *testing.T) {
	in := `# HELP controlmap_cache_bytes Bytes of the cached answers.
# TYPE controlmap_cache_bytes gauge
controlmap_cache_bytes 6.7108864e+07
controlmap_cache_requests_total{result="hit"} 12
go_memstats_heap_alloc_bytes	1.2345e+08 1700000000000
go_memstats_heap_alloc_bytes_total 9e+09
go_memstats_heap_idle_bytes NaN
go_memstats_sys_bytes +Inf
go_memstats_heap_inuse_bytes x
`
	m := parseMemoryMetrics(strings.NewReader(in))
	want := map[string]int64{"controlmap_cache_bytes": 64 << 20, "go_memstats_heap_alloc_bytes": 123450000}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %v, want %v", m, want)
	}
	if got := memoryNote(m); got != "cache 64 MiB, heap_alloc 118 MiB" {
		t.Fatalf("note %q", got)
	}
}
