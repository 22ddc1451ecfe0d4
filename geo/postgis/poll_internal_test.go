package postgis

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeStandby answers the polling feed's reads from a script, one step per
// read, and hands each read to the test before answering, so that the test
// drives the clock (the tick channel) and sees every read.
type fakeStandby struct {
	steps []pollStep
	reads chan int // the index of each read, sent before it answers
}

type pollStep struct {
	version    int64
	recovering bool
	err        error
}

func (f *fakeStandby) read(i *int) versionReader {
	return func(ctx context.Context) (int64, bool, error) {
		n := *i
		*i++
		f.reads <- n
		if n >= len(f.steps) {
			<-ctx.Done() // nothing scripted: hang until the test ends
			return 0, false, ctx.Err()
		}
		st := f.steps[n]
		return st.version, st.recovering, st.err
	}
}

// runFollow runs follow on a store with opts over the scripted standby,
// with a tick channel the test sends on. It returns the channels of reads
// and of follow's result, the ticks, and the versions up saw.
func runFollow(t *testing.T, opts Options, steps []pollStep) (reads chan int, done chan error, ticks chan time.Time, ups chan int64, s *Store, cancel func()) {
	t.Helper()
	s = &Store{opts: opts}
	f := &fakeStandby{steps: steps, reads: make(chan int, 1)}
	ticks = make(chan time.Time)
	ups = make(chan int64, 1)
	done = make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	n := 0
	go func() { done <- s.follow(ctx, f.read(&n), ticks, func(v int64) { ups <- v }) }()
	return f.reads, done, ticks, ups, s, cancel
}

func wantRead(t *testing.T, reads chan int, want int) {
	t.Helper()
	select {
	case got := <-reads:
		if got != want {
			t.Fatalf("read %d, want read %d", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("read %d did not come", want)
	}
}

// current waits until the feed's version is want (follow advances it right
// after the read the test saw) and checks that the feed is live.
func waitVersion(t *testing.T, s *Store, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, live := s.feed.current()
		if live && v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("feed at %d (live %v), want %d", v, live, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFollowOnStandby drives the polling feed with a fake clock: it reads
// the version once, goes live, then reads again at each tick and only then,
// advances without ever going back, and stops on a failed read.
func TestFollowOnStandby(t *testing.T) {
	readErr := errors.New("connection lost")
	reads, done, ticks, ups, s, _ := runFollow(t, Options{}, []pollStep{
		{version: 7, recovering: true},
		{version: 7, recovering: true},
		{version: 9, recovering: true},
		{version: 8, recovering: true}, // an older answer never moves the feed back
		{err: readErr},
	})
	wantRead(t, reads, 0)
	if v := <-ups; v != 7 {
		t.Fatalf("up(%d), want up(7)", v)
	}
	waitVersion(t, s, 7)

	// No tick, no read: the clock alone paces the feed.
	select {
	case n := <-reads:
		t.Fatalf("read %d without a tick", n)
	case <-time.After(50 * time.Millisecond):
	}
	for i, want := range []int64{7, 9, 9} {
		ticks <- time.Time{}
		wantRead(t, reads, i+1)
		waitVersion(t, s, want)
	}
	ticks <- time.Time{}
	wantRead(t, reads, 4)
	if err := <-done; !errors.Is(err, readErr) {
		t.Fatalf("follow = %v, want the read's error", err)
	}
	if v := s.feed.version.Load(); v != 9 {
		t.Errorf("version %d after reading 9 then 8, want 9", v)
	}
}

// TestFollowPromoted: a server that is not (or no longer) in recovery ends
// polling with errPromoted, so that the feed reconnects and LISTENs; with
// FeedPoll it polls a primary all the same.
func TestFollowPromoted(t *testing.T) {
	t.Run("primary at once", func(t *testing.T) {
		reads, done, _, ups, s, _ := runFollow(t, Options{}, []pollStep{{version: 3, recovering: false}})
		wantRead(t, reads, 0)
		if err := <-done; !errors.Is(err, errPromoted) {
			t.Fatalf("follow = %v, want errPromoted", err)
		}
		if len(ups) != 0 {
			t.Error("the feed went live on a primary")
		}
		if _, live := s.feed.current(); live {
			t.Error("feed live after polling a primary")
		}
	})
	t.Run("promoted while polling", func(t *testing.T) {
		reads, done, ticks, _, s, _ := runFollow(t, Options{}, []pollStep{
			{version: 3, recovering: true},
			{version: 5, recovering: false},
		})
		wantRead(t, reads, 0)
		waitVersion(t, s, 3)
		ticks <- time.Time{}
		wantRead(t, reads, 1)
		if err := <-done; !errors.Is(err, errPromoted) {
			t.Fatalf("follow = %v, want errPromoted", err)
		}
		// The last version read is kept: the change made before the
		// promotion is not lost while the feed reconnects.
		if v := s.feed.version.Load(); v != 5 {
			t.Errorf("version %d after the promotion, want 5", v)
		}
	})
	t.Run("forced on a primary", func(t *testing.T) {
		reads, done, ticks, _, s, cancel := runFollow(t, Options{FeedPoll: true}, []pollStep{
			{version: 3, recovering: false},
			{version: 4, recovering: false},
		})
		wantRead(t, reads, 0)
		waitVersion(t, s, 3)
		ticks <- time.Time{}
		wantRead(t, reads, 1)
		waitVersion(t, s, 4)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("follow = %v after cancel, want context.Canceled", err)
		}
	})
}

func TestPollInterval(t *testing.T) {
	if got := (&Store{}).pollInterval(); got != DefaultFeedPollInterval {
		t.Errorf("default interval %s, want %s", got, DefaultFeedPollInterval)
	}
	if got := (&Store{opts: Options{FeedPollInterval: 50 * time.Millisecond}}).pollInterval(); got != 50*time.Millisecond {
		t.Errorf("interval %s, want 50ms", got)
	}
}

func TestPollSQL(t *testing.T) {
	sql, args := pollVersionSQL()
	checkSQL(t, sql, args, `SELECT version, pg_is_in_recovery() FROM data_version`, nil)
	sql, args = inRecoverySQL()
	checkSQL(t, sql, args, `SELECT pg_is_in_recovery()`, nil)
}
