package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Faults lists what is wrong with the answers of a load that may answer
// 200, 304 and, while something it depends on is down (when, in words, for
// the messages), 503 with Retry-After: no answer at all, requests that got
// none, any other status, a 503 without Retry-After. make loadtest and make
// scaleout check their loads with it before their own checks of when.
func (r *Report) Faults(when string) []string {
	var bad []string
	if r.Requests == 0 {
		bad = append(bad, "no request was answered")
	}
	for _, kind := range slices.Sorted(maps.Keys(r.Failures)) {
		bad = append(bad, fmt.Sprintf("%d requests failed without an answer (%s)", r.Failures[kind], kind))
	}
	for _, code := range slices.Sorted(maps.Keys(r.Status)) {
		if code != "200" && code != "304" && code != "503" {
			bad = append(bad, fmt.Sprintf("%d answers %s (only 200, 304 and, %s, 503 are expected)", r.Status[code], code, when))
		}
	}
	if r.MissingRetry > 0 {
		bad = append(bad, fmt.Sprintf("%d answers 503 without Retry-After", r.MissingRetry))
	}
	return bad
}

// Report is the outcome of a run. Requests counts every request that
// finished, with a response (any status) or a failure; Errors counts
// responses with status 400 or more plus failures. Latencies are of
// responses, from sending the request to reading the last byte of the body.
type Report struct {
	Started         time.Time        `json:"started"`
	ElapsedSeconds  float64          `json:"elapsed_seconds"`
	DurationSeconds float64          `json:"duration_seconds"` // the limit asked for
	URLs            []string         `json:"urls"`
	Concurrency     int              `json:"concurrency"`
	Rate            float64          `json:"rate"` // requests per second asked for; 0: unlimited
	Requests        int64            `json:"requests"`
	Responses       int64            `json:"responses"`
	Errors          int64            `json:"errors"`
	Cancelled       int64            `json:"cancelled"` // in flight or waiting when the run ended
	Status          map[string]int64 `json:"status"`    // responses by status code
	Failures        map[string]int64 `json:"failures"`  // requests without a response, by kind
	TagHeader       string           `json:"tag_header,omitempty"`
	Tags            map[string]int64 `json:"tags,omitempty"`      // responses by the value of TagHeader
	MissingRetry    int64            `json:"missing_retry_after"` // 429 and 503 answers without Retry-After
	RequestsPerSec  float64          `json:"requests_per_second"`
	Latency         Latency          `json:"latency_ms"`
	Bytes           int64            `json:"bytes"` // response bodies, as received
	BytesPerResp    float64          `json:"bytes_per_response"`
	Seconds         []Second         `json:"seconds"` // one per second of the run, empty ones included
}

// Latency summarises response latencies in milliseconds. Quantiles are
// within 0.8% (histogram buckets); Max and Mean are exact.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Second is what finished during one second of the run: from T to T+1
// seconds after the start. The last may be a fraction of a second, holding
// what finished while the run was winding down.
type Second struct {
	T         int              `json:"t"`
	Requests  int64            `json:"requests"`
	Status    map[string]int64 `json:"status"`
	Failures  map[string]int64 `json:"failures,omitempty"`
	Tags      map[string]int64 `json:"tags,omitempty"`
	MeanMS    float64          `json:"mean_ms"`
	MaxMS     float64          `json:"max_ms"`
	responses int64
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// newReport merges the connections' recorders.
func newReport(cfg Config, start time.Time, elapsed time.Duration, recs []*recorder) *Report {
	r := &Report{
		Started: start.UTC(), ElapsedSeconds: elapsed.Seconds(), DurationSeconds: cfg.Duration.Seconds(),
		URLs: cfg.URLs, Concurrency: cfg.Concurrency, Rate: cfg.Rate,
		Status: map[string]int64{}, Failures: map[string]int64{},
		TagHeader: cfg.TagHeader,
	}
	if cfg.TagHeader != "" {
		r.Tags = map[string]int64{}
	}
	var lat histogram
	nsec := int((elapsed + time.Second - 1) / time.Second)
	for _, rec := range recs {
		nsec = max(nsec, len(rec.seconds))
	}
	r.Seconds = make([]Second, nsec)
	latSum := make([]time.Duration, nsec)
	for i := range r.Seconds {
		r.Seconds[i] = Second{T: i, Status: map[string]int64{}}
	}
	for _, rec := range recs {
		lat.merge(&rec.lat)
		r.Bytes += rec.bytes
		r.Cancelled += rec.cancelled
		r.MissingRetry += rec.noRetry
		for tag, n := range rec.tags {
			r.Tags[tag] += n
		}
		for code, n := range rec.status {
			r.Status[strconv.Itoa(code)] += n
			r.Responses += n
			if code >= 400 {
				r.Errors += n
			}
		}
		for kind, n := range rec.errs {
			r.Failures[kind] += n
			r.Errors += n
			r.Requests += n
		}
		for i, s := range rec.seconds {
			out := &r.Seconds[i]
			for code, n := range s.status {
				out.Status[strconv.Itoa(code)] += n
				out.Requests += n
				out.responses += n
			}
			for kind, n := range s.errs {
				if out.Failures == nil {
					out.Failures = map[string]int64{}
				}
				out.Failures[kind] += n
				out.Requests += n
			}
			for tag, n := range s.tags {
				if out.Tags == nil {
					out.Tags = map[string]int64{}
				}
				out.Tags[tag] += n
			}
			latSum[i] += s.lat
			out.MaxMS = max(out.MaxMS, ms(s.maxLat))
		}
	}
	for i := range r.Seconds {
		if n := r.Seconds[i].responses; n > 0 {
			r.Seconds[i].MeanMS = ms(latSum[i] / time.Duration(n))
		}
	}
	r.Requests += r.Responses
	if elapsed > 0 {
		r.RequestsPerSec = float64(r.Requests) / elapsed.Seconds()
	}
	if r.Responses > 0 {
		r.BytesPerResp = float64(r.Bytes) / float64(r.Responses)
	}
	r.Latency = Latency{
		Mean: ms(lat.mean()), P50: ms(lat.quantile(0.50)), P90: ms(lat.quantile(0.90)),
		P99: ms(lat.quantile(0.99)), Max: ms(lat.max),
	}
	return r
}

// WriteText writes the report for a reader: totals, latency, sizes, and a
// table of the seconds with a column per status and failure kind.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	rate := "unlimited"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%g/s", r.Rate)
	}
	fmt.Fprintf(&b, "loadgen: %d URL(s), %d connections, %.1fs of %gs, rate %s, started %s\n",
		len(r.URLs), r.Concurrency, r.ElapsedSeconds, r.DurationSeconds, rate, r.Started.Format(time.RFC3339))
	fmt.Fprintf(&b, "requests  %d (%.1f/s), %d errors, %d cancelled at the end\n", r.Requests, r.RequestsPerSec, r.Errors, r.Cancelled)
	fmt.Fprintf(&b, "latency   mean %s  p50 %s  p90 %s  p99 %s  max %s\n",
		fmtMS(r.Latency.Mean), fmtMS(r.Latency.P50), fmtMS(r.Latency.P90), fmtMS(r.Latency.P99), fmtMS(r.Latency.Max))
	fmt.Fprintf(&b, "bytes     %s per response, %s in all\n", fmtBytes(r.BytesPerResp), fmtBytes(float64(r.Bytes)))
	codes := slices.Sorted(maps.Keys(r.Status))
	kinds := slices.Sorted(maps.Keys(r.Failures))
	fmt.Fprintf(&b, "status   ")
	for _, c := range codes {
		fmt.Fprintf(&b, " %s: %d", c, r.Status[c])
	}
	for _, k := range kinds {
		fmt.Fprintf(&b, " %s: %d", k, r.Failures[k])
	}
	tags := slices.Sorted(maps.Keys(r.Tags))
	if r.TagHeader != "" {
		fmt.Fprintf(&b, "\n%-9s", r.TagHeader)
		for _, tg := range tags {
			fmt.Fprintf(&b, " %s: %d", tg, r.Tags[tg])
		}
	}
	if r.MissingRetry > 0 {
		fmt.Fprintf(&b, "\nRetry-After missing from %d answers 429 or 503", r.MissingRetry)
	}
	fmt.Fprintf(&b, "\n\nper second (responses and failures that finished in it)\n%5s %9s", "t", "requests")
	for _, c := range codes {
		fmt.Fprintf(&b, " %9s", c)
	}
	for _, k := range kinds {
		fmt.Fprintf(&b, " %18s", k)
	}
	for _, tg := range tags {
		fmt.Fprintf(&b, " %9s", tg)
	}
	fmt.Fprintf(&b, " %10s %10s\n", "mean", "max")
	for _, s := range r.Seconds {
		fmt.Fprintf(&b, "%5d %9d", s.T, s.Requests)
		for _, c := range codes {
			fmt.Fprintf(&b, " %9d", s.Status[c])
		}
		for _, k := range kinds {
			fmt.Fprintf(&b, " %18d", s.Failures[k])
		}
		for _, tg := range tags {
			fmt.Fprintf(&b, " %9d", s.Tags[tg])
		}
		fmt.Fprintf(&b, " %10s %10s\n", fmtMS(s.MeanMS), fmtMS(s.MaxMS))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtMS(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}

func fmtBytes(v float64) string {
	switch {
	case v < 1000:
		return fmt.Sprintf("%.0f B", v)
	case v < 1e6:
		return fmt.Sprintf("%.1f kB", v/1e3)
	case v < 1e9:
		return fmt.Sprintf("%.1f MB", v/1e6)
	}
	return fmt.Sprintf("%.2f GB", v/1e9)
}

// ReadReport reads the JSON report a run wrote to path (cmd/loadgen -json).
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("loadgen report %s: %w", path, err)
	}
	return &rep, nil
}
