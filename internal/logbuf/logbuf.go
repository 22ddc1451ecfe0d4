// Package logbuf buffers a process's log lines, so that a busy server writes
// its access log in one write call every few milliseconds instead of one per
// request.
//
// A line reaches the output at the latest after the Writer's delay, at once
// when the buffer is full, and at once when a record at the Handler's urgent
// level (warnings and errors) is logged. Close writes out what is left; the
// lines of the last delay are lost only if the process dies without running
// it (a crash outside the server's recover, or SIGKILL).
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Writer buffers what is written to it and writes it to the underlying
// writer in batches. It is safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	out    io.Writer
	buf    []byte // its capacity is the most it holds: Write never grows it
	delay  time.Duration
	timer  *time.Timer // armed while buf holds bytes
	closed bool
	err    error // the first error of the underlying writer, reported by Flush and Close
}

// New returns a Writer to out that holds at most size bytes and writes them
// out at most delay after the first of them arrived.
func New(out io.Writer, size int, delay time.Duration) *Writer {
	return &Writer{out: out, delay: delay, buf: make([]byte, 0, size)}
}

// Write keeps p to be written later; when p does not fit in what is left of
// the buffer, the buffer is written out first, and a p larger than the whole
// buffer is written at once. After Close, p is written at once. It reports
// an error only when it wrote p itself; a batch that failed is reported by
// Flush and Close.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.writeOut(p)
	}
	if len(w.buf)+len(p) > cap(w.buf) {
		w.flushLocked()
		if len(p) > cap(w.buf) {
			return w.writeOut(p)
		}
	}
	w.buf = append(w.buf, p...)
	if w.timer == nil {
		w.timer = time.AfterFunc(w.delay, func() { _ = w.Flush() })
	}
	return len(p), nil
}

// Flush writes out what the buffer holds now.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	return w.err
}

func (w *Writer) flushLocked() {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if len(w.buf) == 0 {
		return
	}
	_, _ = w.writeOut(w.buf)
	w.buf = w.buf[:0]
}

// writeOut writes p to the underlying writer and keeps its first error.
func (w *Writer) writeOut(p []byte) (int, error) {
	n, err := w.out.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// Close writes out what is left; later writes go straight to the
// underlying writer. It does not close that writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	w.closed = true
	return w.err
}

// Handler wraps h, whose output is w, so that a record at level urgent or
// above is written out at once, with the lines buffered before it.
func Handler(h slog.Handler, w *Writer, urgent slog.Level) slog.Handler {
	return &handler{Handler: h, w: w, urgent: urgent}
}

type handler struct {
	slog.Handler
	w      *Writer
	urgent slog.Level
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.urgent {
		_ = h.w.Flush()
	}
	return err
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{Handler: h.Handler.WithAttrs(as), w: h.w, urgent: h.urgent}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{Handler: h.Handler.WithGroup(name), w: h.w, urgent: h.urgent}
}
