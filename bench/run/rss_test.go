package main

import (
	"os"
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
