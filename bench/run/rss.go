package main

import (
	"os"
	"strconv"
	"time"

	"github.com/controlmap/controlmap/bench/internal/proc"
)

// rssEvery is how often watchRSS samples the server's RSS when its peak
// cannot be reset.
const rssEvery = 50 * time.Millisecond

// rssWatch measures the peak resident memory of a process while one case
// runs. The store's peak (VmHWM) covers the whole run, every case before
// included; a case's own peak is that of its time only.
type rssWatch struct {
	pid    int
	before int64
	reset  bool // VmHWM was reset to the RSS when the watch began
	stopc  chan struct{}
	peak   chan int64 // the highest VmRSS sampled
}

// watchRSS begins to watch process pid: it reads its RSS, resets its peak
// (writing 5 to /proc/pid/clear_refs sets VmHWM to the current RSS; Linux
// 4.0 and later, the process's owner) and samples VmRSS every `every`
// until stop. The higher of the two is the peak: VmHWM catches a peak
// between two samples; the samples stand in when the reset is refused, and
// the kernel's RSS counters are per-CPU approximations, so VmHWM may read
// a little lower than a sample taken at the peak.
func watchRSS(pid int, every time.Duration) *rssWatch {
	w := &rssWatch{pid: pid, stopc: make(chan struct{}), peak: make(chan int64, 1)}
	w.before, _ = proc.ReadMemory(pid)
	w.reset = os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0) == nil
	go func() {
		peak := w.before
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-w.stopc:
				w.peak <- peak
				return
			case <-t.C:
				if rss, _ := proc.ReadMemory(pid); rss > peak {
					peak = rss
				}
			}
		}
	}()
	return w
}

// stop ends the watch: the RSS when it began, the peak since (the highest
// of the samples, the RSS now and, when it was reset, VmHWM), and which of
// them gave it.
func (w *rssWatch) stop() (before, peak int64, from string) {
	close(w.stopc)
	sampled := <-w.peak
	rss, hwm := proc.ReadMemory(w.pid)
	peak = max(sampled, rss)
	if w.reset && hwm > peak {
		return w.before, hwm, "VmHWM, reset when the case began (above the VmRSS sampled every " + rssEvery.String() + ")"
	}
	from = "VmRSS sampled every " + rssEvery.String()
	if w.reset {
		from += " (VmHWM, reset when the case began, was no higher)"
	}
	return w.before, peak, from
}
