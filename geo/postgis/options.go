package postgis

import (
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultStatementTimeout is the statement timeout of a Store whose Options
// leave it zero.
const DefaultStatementTimeout = 5 * time.Second

// callSlack is what a call may take beyond the statement timeout: waiting
// for a pooled connection, the network, and a second statement.
const callSlack = time.Second

// cancelDeadlineDelay is how long a query whose context ended may wait for
// PostgreSQL to confirm the cancel request before the connection is closed.
const cancelDeadlineDelay = time.Second

// applicationName labels the store's sessions in pg_stat_activity unless
// the connection string names them.
const applicationName = "controlmap"

// listenerSuffix ends the application_name of the change feed's session.
const listenerSuffix = " change feed"

// Options configure a Store beyond its connection string. The zero value is
// usable.
type Options struct {
	// MaxConns bounds the pool. Zero keeps the connection string's
	// pool_max_conns, or pgx's default (the larger of 4 and the CPU count).
	MaxConns int32
	// StatementTimeout is set as statement_timeout on every pooled
	// connection. Each call (waiting for a connection included) is also
	// bounded by it plus a second, so that a saturated pool or a silent
	// network gives geo.ErrUnavailable instead of a hung request. Zero means
	// DefaultStatementTimeout.
	StatementTimeout time.Duration
	// MigrateURL, when set, is the connection string Run applies the
	// migrations with (retrying with backoff until they succeed); until then
	// the store answers every call with geo.ErrUnavailable. When empty the
	// schema is assumed to be in place.
	MigrateURL string
	// FeedPollInterval is how often the change feed reads the data version
	// on a standby, where LISTEN/NOTIFY does not work (poll.go). Zero means
	// DefaultFeedPollInterval.
	FeedPollInterval time.Duration
	// FeedPoll makes the change feed poll even on a primary: behind a
	// connection pooler in transaction mode, where LISTEN does not work
	// either, or in tests.
	FeedPoll bool
	// Logger receives Run's progress: migration retries and the state of
	// the change feed. Nil discards it.
	Logger *slog.Logger
}

// sessionDefaults are the settings of the store's sessions that a database
// URL may override (as a parameter or in options). They are sent as startup
// parameters, like statement_timeout, so they take precedence over the
// role's and the database's own settings (ALTER ROLE ... SET); a pooler
// such as PgBouncer must be told to accept them (docs/scaling.md).
//
//   - JIT compilation off: PostGIS declares its functions costly, so
//     PostgreSQL compiles queries that run in milliseconds, and the
//     compiling costs more than it saves (a date's 47,000 points of the
//     scale dataset, as a picture reads them: 578 ms with JIT, 316 ms
//     without, in psql).
//   - No parallel workers for a query: the server runs many requests at
//     once, each on one core, and a query that hands most of a table's rows
//     to the client spends more in gathering them from the workers than
//     they save. A date's 50,145 points as a picture reads them took
//     Store.Items 223–238 ms with PostgreSQL's default of two workers and
//     141–174 ms without; the picture with its points 382–394 ms and
//     287–292 ms (bench/performance-notes.md). The territory analytics took
//     2–3% longer, pages and tiles moved within their spread.
var sessionDefaults = map[string]string{
	"jit":                             "off",
	"max_parallel_workers_per_gather": "0",
}

// urlSettings returns the names of the settings a database URL sets, as
// parameters or in options ("-c name=value", "-cname=value" or
// "--name=value"), as PostgreSQL reads them: in lower case, with dashes as
// underscores.
func urlSettings(params map[string]string) map[string]bool {
	norm := func(name string) string { return strings.ReplaceAll(strings.ToLower(name), "-", "_") }
	set := map[string]bool{}
	for k := range params {
		set[norm(k)] = true
	}
	fields := strings.Fields(params["options"])
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		var setting string
		switch {
		case f == "-c" && i+1 < len(fields):
			i++
			setting = fields[i]
		case strings.HasPrefix(f, "--"):
			setting = f[2:]
		case strings.HasPrefix(f, "-c"):
			setting = f[2:]
		default:
			continue
		}
		if name, _, ok := strings.Cut(setting, "="); ok {
			set[norm(name)] = true
		}
	}
	return set
}

// configure applies opts to the pool configuration and returns the timeout
// of one call.
func configure(cfg *pgxpool.Config, opts Options) time.Duration {
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
		if cfg.MinConns > cfg.MaxConns {
			cfg.MinConns = cfg.MaxConns
		}
	}
	timeout := opts.StatementTimeout
	if timeout <= 0 {
		timeout = DefaultStatementTimeout
	}
	cc := cfg.ConnConfig
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = applicationName
	}
	set := urlSettings(cc.RuntimeParams)
	for name, value := range sessionDefaults {
		if !set[name] {
			cc.RuntimeParams[name] = value
		}
	}
	if cc.ConnectTimeout <= 0 || cc.ConnectTimeout > timeout {
		cc.ConnectTimeout = timeout
	}
	// A query whose context ends (the client hung up, or the call's timeout)
	// is cancelled on the server too: pgx sends a cancel request, and closes
	// the connection if the server does not answer it within a second. The
	// default handler only closes the socket, which leaves PostgreSQL running
	// the query until it next writes to the client.
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelDeadlineDelay}
	}
	return timeout + callSlack
}

// listenConfig is the configuration of the change feed's connection: the
// pool's, named apart in pg_stat_activity, except that it waits on its context with a socket deadline (which
// keeps the connection usable), since there is no query to cancel.
func listenConfig(cfg *pgxpool.Config) *pgx.ConnConfig {
	cc := cfg.ConnConfig.Copy()
	cc.RuntimeParams["application_name"] += listenerSuffix
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	return cc
}
