package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/cache"
)

// PoolStater is implemented by stores that keep a pool of database
// connections (geo/postgis.Store); /metrics reports its numbers. The methods
// return plain numbers so that a store need not import this package.
type PoolStater interface {
	// PoolConns returns the connections now in use, idle, and the most the
	// pool opens.
	PoolConns() (inUse, idle, max int)
	// PoolAcquires returns how many connections were taken from the pool, how
	// many of those had to wait because none was idle, and the total time
	// spent waiting for them.
	PoolAcquires() (acquires, waited int64, waitTime time.Duration)
}

// Cache names and results of the controlmap_cache_requests_total counter.
const (
	// cacheETag counts conditional requests: a 304 answer is a hit, a 200
	// carrying an ETag a miss.
	cacheETag = "etag"
	// cacheAnswers counts the answers looked up in the server's cache of
	// encoded answers: found is a hit (X-Cache: hit, or stale while the
	// store is down), not found a miss (X-Cache: miss). A 304 is decided
	// before the lookup and not counted here.
	cacheAnswers = "answers"
	cacheHit     = "hit"
	cacheMiss    = "miss"
)

// routeUnmatched labels requests that matched no route, so that scanners
// probing random paths cannot grow the number of series.
const routeUnmatched = "unmatched"

// metrics holds the Prometheus series of the HTTP layer, registered in one
// registry that /metrics exposes. It is safe for concurrent use.
type metrics struct {
	requests *prometheus.CounterVec   // method, route, status
	duration *prometheus.HistogramVec // method, route
	size     *prometheus.HistogramVec // method, route
	inFlight prometheus.Gauge
	// etagLookups and answerLookups are the series of
	// controlmap_cache_requests_total for cacheETag and cacheAnswers:
	// miss, then hit.
	etagLookups, answerLookups [2]prometheus.Counter

	rateLimited prometheus.Counter
	stale       prometheus.Counter
	handler     http.Handler
	reg         *prometheus.Registry
	log         *slog.Logger

	routesOnce sync.Once
	routes     map[string]bool // the router's paths, read on the first request

	// series holds the series of each (method, route, status) seen, so
	// that a request costs one lookup instead of three label hashes.
	series sync.Map // seriesKey -> *routeSeries
}

// seriesKey names the series of one kind of request.
type seriesKey struct {
	method, route string
	status        int
}

// routeSeries are the series a request of one seriesKey counts in.
type routeSeries struct {
	requests       prometheus.Counter
	duration, size prometheus.Observer
}

// newMetrics registers the HTTP series, the Go runtime and process
// collectors and, when the store has a connection pool, its numbers in reg
// (a new registry when nil). A series already registered by another server
// on the same registry is shared.
func newMetrics(reg *prometheus.Registry, store geo.Store, log *slog.Logger) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{
		reg: reg,
		log: log,
		requests: register(reg, log, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "controlmap_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status code.",
		}, []string{"method", "route", "status"})),
		duration: register(reg, log, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "controlmap_http_request_duration_seconds",
			Help:    "Time from receiving a request to the end of its answer, by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"})),
		size: register(reg, log, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "controlmap_http_response_size_bytes",
			Help:    "Bytes of response body sent (after compression), by method and route template.",
			Buckets: prometheus.ExponentialBuckets(128, 4, 10), // 128 B to 32 MiB
		}, []string{"method", "route"})),
		inFlight: register(reg, log, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "controlmap_http_requests_in_flight",
			Help: "Requests being answered now.",
		})),
		rateLimited: register(reg, log, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "controlmap_rate_limited_requests_total",
			Help: "Requests refused with 429 because their client exceeded the rate limit.",
		})),
		stale: register(reg, log, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "controlmap_stale_answers_total",
			Help: "Answers served from the cache, marked stale, while the data store was unavailable.",
		})),
	}
	cache := register(reg, log, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "controlmap_cache_requests_total",
		Help: `Cache lookups by cache and result (hit or miss). cache="etag": a conditional GET answered 304 is a hit, a 200 with an ETag a miss. cache="answers": an answer found in the server's cache of encoded answers is a hit (X-Cache: hit, or stale while the data store is down), one not found a miss.`,
	}, []string{"cache", "result"}))
	// Present from the start, at 0.
	lookups := func(name string) [2]prometheus.Counter {
		return [2]prometheus.Counter{cache.WithLabelValues(name, cacheMiss), cache.WithLabelValues(name, cacheHit)}
	}
	m.etagLookups, m.answerLookups = lookups(cacheETag), lookups(cacheAnswers)
	register(reg, log, collectors.NewGoCollector())
	register(reg, log, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ps, ok := store.(PoolStater); ok {
		register(reg, log, prometheus.Collector(newPoolCollector(ps)))
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// The Gzip middleware compresses; promhttp must not do it again.
		DisableCompression: true,
	})
	return m
}

// register adds c to reg and returns it, or the equal collector registered
// before. Any other error (two different series with one name) is a bug in
// this package; it is logged and the series goes unexported.
func register[C prometheus.Collector](reg prometheus.Registerer, log *slog.Logger, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
		return c // e.g. the Go collector another part of the program registered
	}
	log.Error("handlers: metrics: register", "err", err)
	return c
}

// serveMetrics serves /metrics in the Prometheus text format.
func (s *server) serveMetrics(c echo.Context) error {
	if _, err := strictParams(c.QueryParams(), nil, nil); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	s.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// trackLimiter exports the number of clients the rate limiter tracks.
func (m *metrics) trackLimiter(l *rateLimiter) {
	register(m.reg, m.log, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "controlmap_rate_limit_clients",
		Help: "Client addresses the rate limiter tracks now (those active within the time a bucket takes to refill).",
	}, func() float64 { return float64(l.size()) }))
}

// trackCache exports the bytes kept by the response cache and by the store
// of large answers.
func (m *metrics) trackCache(answers, large *cache.Budget) {
	register(m.reg, m.log, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "controlmap_cache_bytes",
		Help: "Bytes the response cache counts now (answers, features and their keys; Options.CacheBytes bounds it).",
	}, func() float64 { return float64(answers.Used()) }))
	register(m.reg, m.log, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "controlmap_large_answer_bytes",
		Help: "Bytes of the gzip-compressed large answers (whole-layer downloads) kept now.",
	}, func() float64 { return float64(large.Used()) }))
}

// trackWork exports the turns to compute pages and tiles (work.go), when
// the server bounds them.
func (m *metrics) trackWork(w *workTurns) {
	if w == nil {
		return
	}
	register(m.reg, m.log, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "controlmap_work_running",
		Help: "Pages and tiles missing from the cache being computed now by the embedded store (at most Options.Workers, by default GOMAXPROCS).",
	}, func() float64 { return float64(w.running()) }))
	register(m.reg, m.log, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "controlmap_work_waiting",
		Help: "Requests waiting for a turn to compute a page or a tile with the embedded store.",
	}, func() float64 { return float64(w.queued()) }))
}

// staleAnswer counts one answer served stale.
func (m *metrics) staleAnswer() { m.stale.Inc() }

// etagLookup counts one conditional request (cacheETag): a 304 is a hit.
func (m *metrics) etagLookup(hit bool) { count(m.etagLookups, hit) }

// answerLookup counts one lookup in the cache of answers (cacheAnswers).
func (m *metrics) answerLookup(hit bool) { count(m.answerLookups, hit) }

// count adds one to the hit or the miss of series.
func count(series [2]prometheus.Counter, hit bool) {
	i := 0
	if hit {
		i = 1
	}
	series[i].Inc()
}

// observe records one answered request. route is the label routeLabel
// gave; status and bytes what was sent; etagged whether the answer carried
// an ETag (so that a conditional request could have been a hit).
func (m *metrics) observe(method, route string, status int, bytes int64, took time.Duration, etagged bool) {
	method = methodLabel(method)
	rs := m.seriesOf(method, route, status)
	rs.requests.Inc()
	rs.duration.Observe(took.Seconds())
	rs.size.Observe(float64(bytes))
	if method != http.MethodGet && method != http.MethodHead {
		return
	}
	switch {
	case status == http.StatusNotModified:
		m.etagLookup(true)
	case status == http.StatusOK && etagged:
		m.etagLookup(false)
	}
}

// seriesOf returns the series of requests of method on route answered
// with status. The labels are bounded (methodLabel, routeLabel, the status
// codes the server sends), and so is the map.
func (m *metrics) seriesOf(method, route string, status int) *routeSeries {
	k := seriesKey{method, route, status}
	if rs, ok := m.series.Load(k); ok {
		return rs.(*routeSeries)
	}
	rs, _ := m.series.LoadOrStore(k, &routeSeries{
		requests: m.requests.WithLabelValues(method, route, strconv.Itoa(status)),
		duration: m.duration.WithLabelValues(method, route),
		size:     m.size.WithLabelValues(method, route),
	})
	return rs.(*routeSeries)
}

// routeLabel returns route when it is one of the router's paths and
// routeUnmatched otherwise.
func (m *metrics) routeLabel(e *echo.Echo, route string) string {
	m.routesOnce.Do(func() {
		m.routes = map[string]bool{}
		for _, r := range e.Routes() {
			m.routes[r.Path] = true
		}
	})
	if route == "" || !m.routes[route] {
		return routeUnmatched
	}
	return route
}

// methodLabel bounds the method label to the methods HTTP defines.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// poolCollector reports a PoolStater's numbers at each scrape.
type poolCollector struct {
	pool                          PoolStater
	conns, maxConns               *prometheus.Desc
	acquires, waited, waitSeconds *prometheus.Desc
}

func newPoolCollector(p PoolStater) *poolCollector {
	return &poolCollector{
		pool: p,
		conns: prometheus.NewDesc("controlmap_db_pool_connections",
			"Database connections in the pool, by state (in_use or idle).", []string{"state"}, nil),
		maxConns: prometheus.NewDesc("controlmap_db_pool_max_connections",
			"The most connections the pool opens.", nil, nil),
		acquires: prometheus.NewDesc("controlmap_db_pool_acquires_total",
			"Connections taken from the pool.", nil, nil),
		waited: prometheus.NewDesc("controlmap_db_pool_empty_acquires_total",
			"Connections taken from the pool that had to wait because none was idle.", nil, nil),
		waitSeconds: prometheus.NewDesc("controlmap_db_pool_acquire_wait_seconds_total",
			"Time spent waiting for a connection because none was idle.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.conns, p.maxConns, p.acquires, p.waited, p.waitSeconds} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	inUse, idle, maxConns := p.pool.PoolConns()
	acquires, waited, wait := p.pool.PoolAcquires()
	ch <- prometheus.MustNewConstMetric(p.conns, prometheus.GaugeValue, float64(inUse), "in_use")
	ch <- prometheus.MustNewConstMetric(p.conns, prometheus.GaugeValue, float64(idle), "idle")
	ch <- prometheus.MustNewConstMetric(p.maxConns, prometheus.GaugeValue, float64(maxConns))
	ch <- prometheus.MustNewConstMetric(p.acquires, prometheus.CounterValue, float64(acquires))
	ch <- prometheus.MustNewConstMetric(p.waited, prometheus.CounterValue, float64(waited))
	ch <- prometheus.MustNewConstMetric(p.waitSeconds, prometheus.CounterValue, wait.Seconds())
}
