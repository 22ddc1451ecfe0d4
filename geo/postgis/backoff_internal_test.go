package postgis

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	wantCeil := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, ceil := range wantCeil {
		ceil *= time.Millisecond
		got := b.next()
		if got > ceil || got < ceil*3/4 {
			t.Errorf("wait %d = %s, want within [%s, %s]", i+1, got, ceil*3/4, ceil)
		}
	}
	b.reset()
	if got := b.next(); got > 100*time.Millisecond {
		t.Errorf("after reset: %s, want at most the minimum", got)
	}
}
