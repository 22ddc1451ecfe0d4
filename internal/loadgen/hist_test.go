package loadgen

import (
	"testing"
	"time"
)

func TestHistIndexRoundTrip(t *testing.T) {
	prev := -1
	for _, us := range []uint64{0, 1, 255, 256, 257, 511, 512, 1000, 65_535, 1 << 20, 600_000_000, 1<<40 - 1} {
		i := histIndex(us)
		if i < prev {
			t.Errorf("index of %d µs is %d, below the index of a smaller value (%d)", us, i, prev)
		}
		prev = i
		if up := histUpper(i); up < us || float64(up-us) > float64(us)/128+1 {
			t.Errorf("%d µs: bucket %d ends at %d µs, want at or above it within 1/128", us, i, up)
		}
		if i > 0 && histUpper(i-1) >= us {
			t.Errorf("%d µs: the bucket before %d already ends at %d", us, i, histUpper(i-1))
		}
	}
	if i := histIndex(1 << 50); i != histBuckets-1 {
		t.Errorf("a value past the range goes to bucket %d, want the last (%d)", i, histBuckets-1)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	var other histogram
	other.record(2 * time.Second) // merged below: the maximum
	h.merge(&other)
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 501 * time.Millisecond},
		{0.9, 901 * time.Millisecond},
		{0.99, 991 * time.Millisecond},
		{1, 2 * time.Second},
	}
	for _, tt := range tests {
		got := h.quantile(tt.q)
		if got < tt.want || float64(got-tt.want) > float64(tt.want)/128 {
			t.Errorf("quantile(%g) = %s, want %s within 1/128 above", tt.q, got, tt.want)
		}
	}
	if h.max != 2*time.Second || h.n != 1001 {
		t.Errorf("max %s, n %d", h.max, h.n)
	}
	if m := h.mean(); m != (500500*time.Millisecond+2*time.Second)/1001 {
		t.Errorf("mean %s", m)
	}
	var empty histogram
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("an empty histogram reports latencies")
	}
}
