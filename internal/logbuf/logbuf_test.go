package logbuf

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink records every write call it receives.
type sink struct {
	mu     sync.Mutex
	writes []string
	err    error
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), s.err
}

func (s *sink) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

// TestWriterBatches: lines are held, then written out in one call by Flush,
// a full buffer, or Close; a line larger than the buffer goes out at once.
func TestWriterBatches(t *testing.T) {
	var out sink
	w := New(&out, 16, time.Hour)
	for _, l := range []string{"a\n", "bb\n", "ccc\n"} {
		if n, err := w.Write([]byte(l)); n != len(l) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", l, n, err)
		}
	}
	if got := out.got(); len(got) != 0 {
		t.Fatalf("written before any flush: %q", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.got(); len(got) != 1 || got[0] != "a\nbb\nccc\n" {
		t.Fatalf("after Flush: %q, want one write of the three lines", got)
	}

	// 10 bytes held; 8 more do not fit in 16: the 10 go out, the 8 wait.
	_, _ = w.Write([]byte("0123456789"))
	_, _ = w.Write([]byte("abcdefgh"))
	if got := out.got(); len(got) != 2 || got[1] != "0123456789" {
		t.Fatalf("full buffer: %q", got)
	}
	// Larger than the whole buffer: what is held goes out, then the line.
	long := strings.Repeat("x", 40)
	_, _ = w.Write([]byte(long))
	if got := out.got(); len(got) != 4 || got[2] != "abcdefgh" || got[3] != long {
		t.Fatalf("long line: %q", got)
	}

	_, _ = w.Write([]byte("last\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("after\n"))
	if got := out.got(); len(got) != 6 || got[4] != "last\n" || got[5] != "after\n" {
		t.Fatalf("Close and after: %q", got)
	}
}

// TestWriterDelay: a held line reaches the output by itself, without Flush.
func TestWriterDelay(t *testing.T) {
	var out sink
	w := New(&out, 1<<10, time.Millisecond)
	defer w.Close()
	_, _ = w.Write([]byte("line\n"))
	deadline := time.Now().Add(30 * time.Second)
	for len(out.got()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the line was never written out")
		}
		time.Sleep(time.Millisecond)
	}
	if got := out.got(); len(got) != 1 || got[0] != "line\n" {
		t.Fatalf("got %q", got)
	}
}

// TestWriterError: a failed write of the batch is reported by Flush and
// Close; a line written at once (too long, or after Close) reports its own
// failure, and Close reports it too.
func TestWriterError(t *testing.T) {
	broken := errors.New("broken pipe")
	out := sink{err: broken}
	w := New(&out, 64, time.Hour)
	if _, err := w.Write([]byte("x\n")); err != nil {
		t.Errorf("a buffered line: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, broken) {
		t.Errorf("Flush: %v, want %v", err, broken)
	}
	if err := w.Close(); !errors.Is(err, broken) {
		t.Errorf("Close: %v, want %v", err, broken)
	}
	if _, err := w.Write([]byte("after\n")); !errors.Is(err, broken) {
		t.Errorf("Write after Close: %v, want %v", err, broken)
	}

	w = New(&out, 4, time.Hour)
	if _, err := w.Write([]byte("longer than four\n")); !errors.Is(err, broken) {
		t.Errorf("a line written at once: %v, want %v", err, broken)
	}
	if err := w.Close(); !errors.Is(err, broken) {
		t.Errorf("Close after a line written at once failed: %v, want %v", err, broken)
	}
}

// TestHandlerUrgent: an info line waits; a warning goes out at once with the
// info line before it, in order; the same through WithAttrs and WithGroup.
func TestHandlerUrgent(t *testing.T) {
	var out sink
	w := New(&out, 1<<10, time.Hour)
	log := slog.New(Handler(slog.NewTextHandler(w, nil), w, slog.LevelWarn))
	log.Info("request", "status", 200)
	if got := out.got(); len(got) != 0 {
		t.Fatalf("an info line was written at once: %q", got)
	}
	log.With("request_id", "r1").WithGroup("g").Warn("slow", "took", 3)
	got := out.got()
	if len(got) != 1 {
		t.Fatalf("after a warning: %d writes %q, want 1", len(got), got)
	}
	lines := strings.Split(strings.TrimSpace(got[0]), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "msg=request") || !strings.Contains(lines[1], "msg=slow") ||
		!strings.Contains(lines[1], "request_id=r1") || !strings.Contains(lines[1], "g.took=3") {
		t.Fatalf("lines: %q", lines)
	}
	log.Debug("not logged")
	log.Info("held")
	_ = w.Close()
	if got := out.got(); len(got) != 2 || !strings.Contains(got[1], "msg=held") || strings.Contains(got[1], "not logged") {
		t.Fatalf("after Close: %q", got)
	}
}

// TestWriterConcurrent: lines written from many goroutines, with the timer
// flushing and Close called meanwhile, all arrive whole, once each.
func TestWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	w := New(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }), 100, time.Microsecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				_, _ = w.Write([]byte{'a' + byte(g), '\n'})
			}
		}()
	}
	// Closed while the writers run: the lines before go out in batches,
	// the lines after at once, none twice and none lost.
	wg.Go(func() { time.Sleep(time.Millisecond); _ = w.Close() })
	wg.Wait()
	_ = w.Close()
	counts := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		counts[l]++
	}
	if len(counts) != 8 {
		t.Fatalf("lines %v", counts)
	}
	for l, n := range counts {
		if n != 500 {
			t.Errorf("line %q: %d, want 500", l, n)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
