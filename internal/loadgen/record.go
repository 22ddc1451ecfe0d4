package loadgen

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"time"
)

// recorder collects the outcomes of one connection's requests. It is not
// safe for concurrent use: each connection has its own, merged at the end.
type recorder struct {
	lat       histogram
	status    map[int]int64
	errs      map[string]int64
	tags      map[string]int64 // responses by the value of Config.TagHeader
	noRetry   int64            // 429 and 503 responses without Retry-After
	bytes     int64
	cancelled int64
	seconds   []secondCounts // by whole seconds since the start
}

// secondCounts is what finished during one second of the run.
type secondCounts struct {
	status map[int]int64
	errs   map[string]int64
	tags   map[string]int64
	lat    time.Duration // sum over responses
	maxLat time.Duration
}

func newRecorder() *recorder {
	return &recorder{status: map[int]int64{}, errs: map[string]int64{}, tags: map[string]int64{}}
}

func (r *recorder) second(at time.Duration) *secondCounts {
	i := max(int(at/time.Second), 0)
	for len(r.seconds) <= i {
		r.seconds = append(r.seconds, secondCounts{})
	}
	return &r.seconds[i]
}

// response records a response with its status, body size and latency, which
// finished at offset at from the start of the run. tag is the value of
// Config.TagHeader ("" when not counted); noRetry reports a 429 or 503
// without Retry-After.
func (r *recorder) response(at time.Duration, status int, n int64, lat time.Duration, tag string, noRetry bool) {
	r.lat.record(lat)
	r.status[status]++
	r.bytes += n
	if noRetry {
		r.noRetry++
	}
	s := r.second(at)
	if s.status == nil {
		s.status = map[int]int64{}
	}
	s.status[status]++
	if tag != "" {
		r.tags[tag]++
		if s.tags == nil {
			s.tags = map[string]int64{}
		}
		s.tags[tag]++
	}
	s.lat += lat
	s.maxLat = max(s.maxLat, lat)
}

// failure records a request that got no complete response, by kind.
func (r *recorder) failure(at time.Duration, kind string) {
	r.errs[kind]++
	s := r.second(at)
	if s.errs == nil {
		s.errs = map[string]int64{}
	}
	s.errs[kind]++
}

// Kinds of failure without a response.
const (
	KindTimeout     = "timeout"
	KindRefused     = "connection_refused"
	KindReset       = "connection_reset"
	KindEOF         = "eof"
	KindNotLoopback = "not_loopback"
	KindOther       = "other"
)

// errorKind classifies a transport error.
func errorKind(err error) string {
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(err, ErrNotLoopback):
		return KindNotLoopback
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &te) && te.Timeout():
		return KindTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return KindReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindEOF
	}
	return KindOther
}
