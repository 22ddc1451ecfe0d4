package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// A standby (a PostgreSQL hot standby fed by streaming replication) runs no
// NOTIFY and refuses LISTEN ("cannot execute LISTEN during recovery"), yet
// it replays every change the primary's triggers make to data_version. So
// on a standby the change feed reads that counter every
// Options.FeedPollInterval on its own connection instead of listening: an
// edit committed on the primary shows in Version once the standby has
// replayed it and the next poll has run, that is within the replication lag
// plus one interval. The counter is read from the same server the data is
// read from, so the version never runs ahead of the data it labels (as
// notifications taken from the primary could, while the standby lags).

// DefaultFeedPollInterval is how often the change feed reads the data
// version when it cannot LISTEN, when Options.FeedPollInterval is zero.
const DefaultFeedPollInterval = 500 * time.Millisecond

// errPromoted ends polling when the server has left recovery (the standby
// was promoted): the feed reconnects and LISTENs.
var errPromoted = errors.New("postgis: change feed: the server left recovery (promoted); listening instead of polling")

// pollVersionSQL reads the data version and whether the server is a standby.
func pollVersionSQL() (string, []any) {
	return "SELECT version, pg_is_in_recovery() FROM data_version", nil
}

// inRecoverySQL asks whether the server is a standby.
func inRecoverySQL() (string, []any) {
	return "SELECT pg_is_in_recovery()", nil
}

// versionReader reads the data version and whether the server is in
// recovery (a standby).
type versionReader func(ctx context.Context) (version int64, recovering bool, err error)

// connVersionReader reads with pollVersionSQL on conn, each read bounded by
// timeout.
func connVersionReader(conn *pgx.Conn, timeout time.Duration) versionReader {
	return func(ctx context.Context) (int64, bool, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		sql, args := pollVersionSQL()
		var v int64
		var rec bool
		if err := conn.QueryRow(ctx, sql, args...).Scan(&v, &rec); err != nil {
			return 0, false, fmt.Errorf("postgis: change feed: poll version: %w", classify(err))
		}
		return v, rec, nil
	}
}

// pollInterval is the interval of the polling feed.
func (s *Store) pollInterval() time.Duration {
	if s.opts.FeedPollInterval > 0 {
		return s.opts.FeedPollInterval
	}
	return DefaultFeedPollInterval
}

// follow is the polling change feed: it reads the version once, marks the
// feed live (calling up), then reads it again at every tick and advances
// the feed, until a read fails, the server leaves recovery (unless polling
// was forced: Options.FeedPoll), or ctx ends. It returns why it stopped;
// the caller marks the feed down. ticks stands for the clock, so that a
// test can drive it.
func (s *Store) follow(ctx context.Context, read versionReader, ticks <-chan time.Time, up func(version int64)) error {
	v, recovering, err := read(ctx)
	if err != nil {
		return err
	}
	if !recovering && !s.opts.FeedPoll {
		return errPromoted
	}
	s.feed.start(v)
	up(v)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticks:
		}
		v, recovering, err := read(ctx)
		if err != nil {
			return err
		}
		s.feed.advance(v)
		if !recovering && !s.opts.FeedPoll {
			return errPromoted
		}
	}
}

// pollOnce runs follow on conn with a real clock.
func (s *Store) pollOnce(ctx context.Context, conn *pgx.Conn, up func(version int64)) error {
	t := time.NewTicker(s.pollInterval())
	defer t.Stop()
	return s.follow(ctx, connVersionReader(conn, s.callTimeout), t.C, up)
}

// inRecovery asks whether conn's server is a standby.
func inRecovery(ctx context.Context, conn *pgx.Conn) (bool, error) {
	sql, args := inRecoverySQL()
	var rec bool
	if err := conn.QueryRow(ctx, sql, args...).Scan(&rec); err != nil {
		return false, fmt.Errorf("postgis: change feed: pg_is_in_recovery: %w", classify(err))
	}
	return rec, nil
}
