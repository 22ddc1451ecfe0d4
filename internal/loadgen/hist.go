package loadgen

import (
	"math/bits"
	"time"
)

// histogram counts latencies in microseconds in buckets with 8 significant
// bits: exact below 256 µs, within 0.8% above. It covers up to about 12 days
// (2⁴⁰ µs); longer values count in the last bucket. The zero value is empty.
// A histogram is not safe for concurrent use: each connection keeps its own
// and they are merged at the end.
type histogram struct {
	counts [histBuckets]int64
	n      int64
	sum    time.Duration
	max    time.Duration
}

const (
	histSub     = 128 // buckets per power of two above 256 µs
	histMaxBits = 40
	histBuckets = 2*histSub + (histMaxBits-8)*histSub
)

func histIndex(us uint64) int {
	if us < 2*histSub {
		return int(us)
	}
	shift := bits.Len64(us) - 8
	if shift > histMaxBits-8 {
		return histBuckets - 1
	}
	return 2*histSub + (shift-1)*histSub + int(us>>shift) - histSub
}

// histUpper is the largest value (µs) counted in bucket i.
func histUpper(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	shift := (i-2*histSub)/histSub + 1
	m := uint64((i-2*histSub)%histSub + histSub)
	return (m+1)<<shift - 1
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d/time.Microsecond))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the latency at or below which a fraction q of the values
// lie: the upper end of the bucket holding the value of rank ⌈q·n⌉, and
// never more than the largest value recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(histUpper(i))*time.Microsecond, h.max)
		}
	}
	return h.max
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
