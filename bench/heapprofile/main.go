// Command heapprofile loads a dataset folder into the embedded store, as
// `controlmap serve --data DIR` does, and reports what stays on the heap:
// the runtime's live-heap figures after a forced collection, the process's
// resident size, and (with -out) a heap profile for
// `go tool pprof -sample_index=inuse_space`.
//
//	go run ./bench/heapprofile -out tmp/heap.pprof tmp/scale
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/controlmap/controlmap/geo/memory"
)

func main() {
	out := flag.String("out", "", "write a heap profile to this file")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: heapprofile [-out FILE] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	runtime.MemProfileRate = 4096 // finer than the default, so small objects are counted
	t0 := time.Now()
	s, err := memory.Load(os.DirFS(dir))
	if err != nil {
		return err
	}
	loaded := time.Since(t0)
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("loaded %s in %s\n", dir, loaded.Round(time.Millisecond))
	fmt.Printf("live heap (HeapAlloc)  %7.1f MiB in %d objects\n", mib(ms.HeapAlloc), ms.HeapObjects)
	fmt.Printf("heap in use (spans)    %7.1f MiB\n", mib(ms.HeapInuse))
	fmt.Printf("runtime total (Sys)    %7.1f MiB\n", mib(ms.Sys))
	fmt.Printf("resident (VmRSS)       %7.1f MiB\n", mib(rss()))
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	runtime.KeepAlive(s)
	return nil
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// rss reads the process's resident set size from /proc (Linux only; 0 elsewhere).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
