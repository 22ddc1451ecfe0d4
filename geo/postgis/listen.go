package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo"
)

// Channel is the notification channel on which the triggers of the schema
// announce every change to features or collections, with the JSON payload
// {"table": ..., "op": ..., "version": n} (delivered when the change commits).
const Channel = "controlmap_changes"

// Backoff bounds of Run: migrations are retried from migrateBackoffMin up
// to migrateBackoffMax apart; the change feed reconnects faster, since until
// it does every Version costs a query.
const (
	migrateBackoffMin = 500 * time.Millisecond
	migrateBackoffMax = 30 * time.Second
	listenBackoffMin  = 100 * time.Millisecond
	listenBackoffMax  = 5 * time.Second
)

// listenCheckEvery is how long the change feed waits for a notification
// before it checks that its connection is still alive, so that a silently
// dropped connection is noticed.
const listenCheckEvery = 30 * time.Second

// feed is the data version the change feed knows. It is safe for
// concurrent use: the listener writes, every Version reads.
type feed struct {
	version atomic.Int64 // the last version seen; meaningful only while live
	live    atomic.Bool  // the listener is connected and has read the version
}

// current returns the version and whether it can be trusted: the listener
// is connected, so every later change will be announced to it.
func (f *feed) current() (int64, bool) {
	if !f.live.Load() {
		return 0, false
	}
	return f.version.Load(), true
}

// start records the version read on a new connection, after LISTEN, and
// marks the feed live.
func (f *feed) start(v int64) {
	f.version.Store(v)
	f.live.Store(true)
}

// advance records an announced version. Notifications arrive in commit
// order, but one queued between LISTEN and the read of the version may be
// older than what was read; the version never goes back while connected.
func (f *feed) advance(v int64) {
	for {
		old := f.version.Load()
		if v <= old || f.version.CompareAndSwap(old, v) {
			return
		}
	}
}

// stop marks the feed down: Version queries the database until it is live
// again.
func (f *feed) stop() { f.live.Store(false) }

// lifetime lets Close stop Run and wait for it. Safe for concurrent use.
type lifetime struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	ended  bool
	runs   sync.WaitGroup
}

func (l *lifetime) init() { l.ctx, l.cancel = context.WithCancel(context.Background()) }

// enter registers a Run; it reports false once the store is closed.
func (l *lifetime) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return false
	}
	l.runs.Add(1)
	return true
}

// end stops every Run and waits for them to return.
func (l *lifetime) end() {
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
	l.cancel()
	l.runs.Wait()
}

// Run keeps the store ready and current until ctx is done or the store is
// closed, and then returns nil. First, when Options.MigrateURL is set, it
// applies the migrations, retrying with exponential backoff (up to 30 s
// apart) while the database is unreachable or refuses them; until they
// succeed every call answers geo.ErrUnavailable. Then it follows the change
// feed: a dedicated connection LISTENs on Channel, and each notification
// updates the version Version returns, so that a change committed by anyone
// (an import, an editor writing the tables directly) shows in Version
// without a query. On a standby, where LISTEN is refused and no
// notification fires, that connection reads the version every
// Options.FeedPollInterval instead (poll.go). If the connection drops it
// reconnects with backoff and re-reads the version, since notifications
// sent meanwhile are lost; until then Version queries the database.
//
// Call Run once, in its own goroutine. Close stops it.
func (s *Store) Run(ctx context.Context) error {
	if !s.life.enter() {
		return nil
	}
	defer s.life.runs.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.life.ctx, cancel)()

	if !s.migrated.Load() {
		if !s.migrate(ctx) {
			return nil
		}
	}
	s.listen(ctx)
	return nil
}

// migrate applies the migrations until they succeed; it reports false if
// ctx ended first.
func (s *Store) migrate(ctx context.Context) bool {
	b := backoff{min: migrateBackoffMin, max: migrateBackoffMax}
	for attempt := 1; ; attempt++ {
		err := Migrate(ctx, s.opts.MigrateURL)
		if err == nil {
			s.migrated.Store(true)
			s.log.Info("postgis: schema up to date", "attempts", attempt)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		wait := b.next()
		level := slog.LevelWarn
		if !errors.Is(err, geo.ErrUnavailable) {
			level = slog.LevelError // reachable but refused: permissions, a bad migration
		}
		s.log.Log(ctx, level, "postgis: migrations not applied; serving 503 until they are", "attempt", attempt, "retry_in", wait.Round(time.Millisecond), "err", err)
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// listen follows the change feed until ctx ends, reconnecting with backoff.
func (s *Store) listen(ctx context.Context) {
	b := backoff{min: listenBackoffMin, max: listenBackoffMax}
	connected := false // ever, for the log
	for {
		err := s.listenOnce(ctx, func(v int64, how string) {
			b.reset()
			if connected {
				s.log.Info("postgis: change feed reconnected", "version", v, "feed", how)
			} else {
				s.log.Info("postgis: change feed connected", "channel", Channel, "version", v, "feed", how)
			}
			connected = true
		})
		s.feed.stop()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errPromoted) {
			s.log.Info("postgis: the database left recovery (promoted): the change feed listens from now on")
			continue
		}
		wait := b.next()
		s.log.Warn("postgis: change feed lost; reading versions from the database until it reconnects", "retry_in", wait.Round(time.Millisecond), "err", err)
		if !sleep(ctx, wait) {
			return
		}
	}
}

// listenOnce connects and follows the change feed until the connection
// fails or ctx ends, calling up with the version and how it follows
// ("listen" or "poll") once live. On a primary it LISTENs, reads the
// version, then applies notifications; on a standby (pg_is_in_recovery),
// or always with Options.FeedPoll, it polls the version instead (poll.go).
// It returns why it stopped.
func (s *Store) listenOnce(ctx context.Context, up func(version int64, how string)) error {
	conn, err := pgx.ConnectConfig(ctx, s.listenCfg)
	if err != nil {
		return fmt.Errorf("postgis: listen: %w", classify(err))
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	poll := s.opts.FeedPoll
	if !poll {
		// Bounded like any call: a standby that hangs is retried, not
		// waited on until TCP gives up.
		rctx, cancel := context.WithTimeout(ctx, s.callTimeout)
		poll, err = inRecovery(rctx, conn)
		cancel()
		if err != nil {
			return err
		}
	}
	if poll {
		return s.pollOnce(ctx, conn, func(v int64) { up(v, "poll") })
	}
	// LISTEN before reading the version: a change committed in between is
	// then both read and announced, never missed.
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return fmt.Errorf("postgis: listen: %w", classify(err))
	}
	v, err := readVersion(ctx, conn)
	if err != nil {
		return err
	}
	s.feed.start(v)
	up(v, "listen")
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheckEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// Quiet for a while: make sure the connection still works.
			pctx, cancel := context.WithTimeout(ctx, s.callTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("postgis: listen: check connection: %w", classify(err))
			}
			continue
		case err != nil:
			return fmt.Errorf("postgis: listen: %w", classify(err))
		}
		if n.Channel != Channel {
			continue
		}
		var msg struct {
			Version *int64 `json:"version"`
		}
		if json.Unmarshal([]byte(n.Payload), &msg) == nil && msg.Version != nil {
			s.feed.advance(*msg.Version)
			continue
		}
		// Not a trigger's payload (someone ran NOTIFY by hand): read the
		// version rather than guess.
		v, err := readVersion(ctx, conn)
		if err != nil {
			return err
		}
		s.feed.advance(v)
	}
}

// readVersion reads data_version on conn.
func readVersion(ctx context.Context, conn *pgx.Conn) (int64, error) {
	sql, args := versionSQL()
	var v int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgis: listen: read version: %w", classify(err))
	}
	return v, nil
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
