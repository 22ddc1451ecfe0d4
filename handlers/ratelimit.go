package handlers

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// RateLimit configures per-client rate limiting: a token bucket per client
// address. The zero value turns limiting off.
type RateLimit struct {
	// PerSecond is the sustained number of requests a client may make each
	// second; 0 or less turns limiting off.
	PerSecond float64
	// Burst is how many requests a client may make at once after being idle;
	// 0 means twice PerSecond (at least 1).
	Burst int
	// ExemptLoopback exempts clients connecting from 127.0.0.0/8 or ::1 (load
	// tests on the same machine; a proxy on the same host that is not listed
	// in Options.TrustedProxies, whose clients could not be told apart).
	ExemptLoopback bool
	// MaxClients bounds how many clients are tracked at once; 0 means
	// 100,000 (a few MB). Past it, new clients share one bucket until idle
	// ones are dropped.
	MaxClients int
}

// defaultMaxClients is RateLimit.MaxClients when zero.
const defaultMaxClients = 100_000

// rateExemptPaths are never limited: health probes must see the truth.
func rateExemptPaths() []string { return []string{"/healthz", "/readyz"} }

// rateLimiter keeps one token bucket per client. A bucket that has been idle
// long enough to be full again is the same as no bucket, so such buckets are
// dropped: memory follows the clients active in the last few seconds. Under
// a flood from more than MaxClients addresses, the clients not yet tracked
// share one overflow bucket until idle buckets are dropped; a tracked
// client's bucket is never dropped early, so churning addresses cannot reset
// anyone's limit. Safe for concurrent use.
type rateLimiter struct {
	rate       float64 // tokens per second
	burst      float64
	maxClients int
	now        func() time.Time

	mu        sync.Mutex
	clients   map[netip.Addr]*bucket
	overflow  *bucket // shared by new clients while clients is full
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(cfg RateLimit, now func() time.Time) *rateLimiter {
	burst := float64(cfg.Burst)
	if burst <= 0 {
		burst = math.Max(1, math.Ceil(2*cfg.PerSecond))
	}
	maxClients := cfg.MaxClients
	if maxClients <= 0 {
		maxClients = defaultMaxClients
	}
	return &rateLimiter{rate: cfg.PerSecond, burst: burst, maxClients: maxClients, now: now,
		clients: map[netip.Addr]*bucket{}, overflow: &bucket{tokens: burst, last: now()}}
}

// refillTime is how long an empty bucket takes to fill.
func (l *rateLimiter) refillTime() time.Duration {
	return time.Duration(l.burst / l.rate * float64(time.Second))
}

// allow takes a token from key's bucket. When the bucket is empty it returns
// false and how long until a token is there.
func (l *rateLimiter) allow(key netip.Addr) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.clients[key]
	switch {
	case ok:
	case len(l.clients) >= l.maxClients:
		b = l.overflow
	default:
		b = &bucket{tokens: l.burst, last: now}
		l.clients[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// sweep drops the buckets that are full again (idle for the refill time),
// at most once per refill time (and per second).
func (l *rateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < max(l.refillTime(), time.Second) {
		return
	}
	l.lastSweep = now
	idle := l.refillTime()
	for k, b := range l.clients {
		if now.Sub(b.last) >= idle {
			delete(l.clients, k)
		}
	}
}

// size returns the number of clients tracked.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// clientKey maps an address to its bucket: IPv4 addresses one each, IPv6
// addresses by /64 (what one subscriber usually gets). An address that does
// not parse shares the zero key.
func clientKey(ip string) netip.Addr {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Addr{}
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// rateLimit returns the middleware that answers 429 with Retry-After to a
// client (by c.RealIP(), see ipExtractor) that exceeds its rate; nil when
// limiting is off.
func (s *server) rateLimit(cfg RateLimit) echo.MiddlewareFunc {
	if cfg.PerSecond <= 0 || math.IsNaN(cfg.PerSecond) || math.IsInf(cfg.PerSecond, 0) {
		return nil
	}
	l := newRateLimiter(cfg, time.Now)
	s.limiter = l
	exempt := rateExemptPaths()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			path := c.Request().URL.Path
			for _, p := range exempt {
				if path == p {
					return next(c)
				}
			}
			ip := c.RealIP()
			if cfg.ExemptLoopback && isLoopback(ip) {
				return next(c)
			}
			ok, wait := l.allow(clientKey(ip))
			if ok {
				return next(c)
			}
			secs := int(math.Ceil(wait.Seconds()))
			secs = max(secs, 1)
			s.metrics.rateLimited.Inc()
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return echo.NewHTTPError(http.StatusTooManyRequests,
				fmt.Sprintf("too many requests from %s: at most %s a second, in bursts of up to %d; retry after %d s",
					ip, strconv.FormatFloat(l.rate, 'f', -1, 64), int(l.burst), secs))
		}
	}
}

// isLoopback reports whether ip is 127.0.0.0/8 or ::1 (IPv4-mapped too).
func isLoopback(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && a.Unmap().IsLoopback()
}

// ipExtractor returns how the server finds a client's address: the TCP peer,
// unless the peer is one of trusted (a reverse proxy), in which case the
// nearest untrusted address in X-Forwarded-For. Nothing is trusted by
// default, so a client cannot pick its own address with a header.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP:   net.IP(p.Addr().AsSlice()),
			Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
