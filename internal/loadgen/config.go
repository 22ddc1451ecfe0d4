// Package loadgen is a small HTTP load generator for this machine only: it
// refuses any host but localhost, 127.0.0.0/8 and ::1, and every run ends
// within ten minutes. Run holds Config.Concurrency connections, each with
// one request in flight, and returns a Report with a per-second series of
// statuses, so that an outage in the middle of a run shows when it began
// and when the server recovered. cmd/loadgen is its command line;
// bench/loadtest reads the Report it writes as JSON.
package loadgen

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Limits on a run, so that a load test always ends and stays on this machine.
const (
	MaxDuration    = 10 * time.Minute
	MaxConcurrency = 1024
	MaxRate        = 1e6
	MaxURLs        = 100_000
)

// ErrNotLoopback is matched (errors.Is) by the error for a URL or a
// connection whose host is not a loopback address.
var ErrNotLoopback = errors.New("loadgen: not a loopback address")

// Config is one run: which URLs, how many connections, for how long.
type Config struct {
	URLs        []string      // requested round-robin, in order
	Concurrency int           // connections, each with one request in flight
	Duration    time.Duration // the run ends after this, at most MaxDuration
	Rate        float64       // requests per second over all connections; 0: as fast as they go
	Requests    int64         // stop after this many requests; 0: no limit but Duration
	Timeout     time.Duration // limit on one request, response body included
	Header      map[string]string
	Gzip        bool // send Accept-Encoding: gzip and count the compressed bytes
	// TagHeader, when set, is a response header whose values are counted
	// (X-Cache: hit, miss, stale), TagNone standing for its absence.
	TagHeader string
}

// TagNone is the tag of a response without Config.TagHeader.
const TagNone = "(none)"

// Validate checks the configuration: at least one URL, every URL http or
// https on a loopback host, and every limit in range.
func (c Config) Validate() error {
	var errs []error
	if len(c.URLs) == 0 {
		errs = append(errs, errors.New("loadgen: no URL (give -url or -urls)"))
	}
	if len(c.URLs) > MaxURLs {
		errs = append(errs, fmt.Errorf("loadgen: %d URLs, at most %d", len(c.URLs), MaxURLs))
	}
	for _, u := range c.URLs {
		if err := CheckURL(u); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("loadgen: concurrency %d: want 1..%d", c.Concurrency, MaxConcurrency))
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("loadgen: duration %s: want more than 0 and at most %s", c.Duration, MaxDuration))
	}
	if math.IsNaN(c.Rate) || c.Rate < 0 || c.Rate > MaxRate {
		errs = append(errs, fmt.Errorf("loadgen: rate %g: want 0 (unlimited) to %g requests per second", c.Rate, MaxRate))
	}
	if c.Requests < 0 {
		errs = append(errs, fmt.Errorf("loadgen: requests %d: want 0 (no limit) or more", c.Requests))
	}
	if c.Timeout <= 0 || c.Timeout > MaxDuration {
		errs = append(errs, fmt.Errorf("loadgen: timeout %s: want more than 0 and at most %s", c.Timeout, MaxDuration))
	}
	if c.TagHeader != "" && strings.ContainsAny(c.TagHeader, " :\r\n") {
		errs = append(errs, fmt.Errorf("loadgen: tag header %q is not a token", c.TagHeader))
	}
	for k := range c.Header {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			errs = append(errs, fmt.Errorf("loadgen: header name %q is not a token", k))
		}
	}
	return errors.Join(errs...)
}

// CheckURL accepts an http or https URL whose host is "localhost" or an
// address in 127.0.0.0/8 or ::1 (IPv4-mapped included). Other names are
// refused without being looked up.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("loadgen: url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("loadgen: url %q: scheme %q, want http or https", raw, u.Scheme)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Unmap().IsLoopback() {
		return fmt.Errorf("loadgen: url %q: host %q: %w (want localhost, 127.0.0.0/8 or ::1)", raw, host, ErrNotLoopback)
	}
	return nil
}

// loopbackOnly is a net.Dialer Control function: it refuses to connect to an
// address that is not loopback, whatever a name resolved to.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("loadgen: connect to %s: %w", address, ErrNotLoopback)
	}
	return nil
}
