package postgis

import (
	"math/rand/v2"
	"time"
)

// backoff yields exponentially growing waits between retries: min, then
// doubling up to max, each shortened by up to a quarter at random so that
// servers restarted together do not retry in step. The zero value is not
// usable; set min and max. Not safe for concurrent use.
type backoff struct {
	min, max time.Duration
	cur      time.Duration
}

// next returns the wait before the next attempt.
func (b *backoff) next() time.Duration {
	switch {
	case b.cur == 0:
		b.cur = b.min
	case b.cur < b.max:
		b.cur = min(2*b.cur, b.max)
	}
	return b.cur - time.Duration(rand.Int64N(int64(b.cur)/4+1))
}

// reset starts again from min after a success.
func (b *backoff) reset() { b.cur = 0 }
