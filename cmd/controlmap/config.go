package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/handlers"
)

// Config is everything the process is told from outside, parsed once from
// flags and the environment (a flag wins over its variable) and checked by
// Validate. Each command reads only the fields it uses.
type Config struct {
	// Command is the subcommand: serve, migrate, import or version.
	Command string
	// Args are the positional arguments after the flags (import's files or folder).
	Args []string

	// Addr is the TCP address serve listens on.
	Addr string
	// DataDir, when set, is a dataset folder served instead of the embedded dataset.
	DataDir string
	// DatabaseURL, when set, makes serve answer from PostGIS. The role may be read-only.
	DatabaseURL string
	// AdminDatabaseURL is used for migrations and imports; it defaults to DatabaseURL.
	AdminDatabaseURL string
	// Migrate applies pending migrations before serve (PostGIS only) and import.
	Migrate bool
	// DryRun makes import validate the dataset and stop before the database.
	DryRun bool
	// TileURL is an optional raster basemap template with {z}, {x} and {y}.
	TileURL string
	// TileAttribution is the attribution shown with TileURL's tiles.
	TileAttribution string
	// BaseURL is the external URL used in links, for a server behind a proxy.
	BaseURL string
	// ShutdownTimeout bounds how long serve waits for in-flight requests on shutdown.
	ShutdownTimeout time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout for serve's queries
	// (PostGIS only); each query is also cancelled when its client hangs up.
	StatementTimeout time.Duration
	// DBMaxConns bounds serve's PostgreSQL connection pool.
	DBMaxConns int
	// ChangePoll is how often serve's change feed reads the data version
	// when the database is a standby, where LISTEN/NOTIFY does not work
	// (PostGIS only).
	ChangePoll time.Duration
	// SharedMaxAge, when positive, bounds how long shared caches in front of
	// serve (a reverse proxy, a CDN) may keep an answer (s-maxage and
	// nginx's X-Accel-Expires; handlers.Options.SharedMaxAge).
	SharedMaxAge time.Duration
	// CacheBytes bounds serve's cache of encoded answers, features and tiles
	// (handlers.Options.CacheBytes); 0 turns the cache off.
	CacheBytes int64
	// ReleaseIdle is how long serve waits after the last request before it
	// returns free memory to the system (internal/idle); 0 never does.
	ReleaseIdle time.Duration
	// GCFloor is the heap size below which serve's garbage collector never
	// aims when serving from PostGIS (internal/gcfloor, gcFloor); 0 leaves
	// GOGC alone, as does GOGC set in the environment.
	GCFloor int64
	// AdminToken, when set, enables POST /admin/reload, /admin/cache/purge and /admin/runtime/gc
	// for requests carrying it as a bearer token. It is never logged.
	AdminToken string
	// RateLimit is the sustained requests per second allowed to each client
	// address; 0 turns rate limiting off.
	RateLimit float64
	// RateLimitBurst is how many requests a client may make at once.
	RateLimitBurst int
	// RateLimitExemptLoopback exempts clients on 127.0.0.0/8 and ::1.
	RateLimitExemptLoopback bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when finding a client's address.
	TrustedProxies prefixList
	// LogFormat is text or json.
	LogFormat string
	// LogLevel is debug, info, warn or error.
	LogLevel string
}

// maxDBConns is the largest --db-max-conns: PostgreSQL's own default
// max_connections is 100, and a pool this large already needs tuning there.
const maxDBConns = 1000

// DefaultGCFloor is --gc-floor's default. Measured with the cache off on
// the scale dataset (bench/performance-notes.md): pages of points +23%,
// CQL2 pages +23–38%, features by id +13%, pages of large polygons −7% to
// −12%; with the default cache, no change either way.
const DefaultGCFloor = 64 << 20

// Bounds of --change-poll: more often than minChangePoll is a busy loop on
// the standby; less often than maxChangePoll hides edits for too long.
const (
	minChangePoll = 10 * time.Millisecond
	maxChangePoll = time.Minute
)

// commands lists the subcommands with one line of help each, in the order
// the usage shows them.
func commands() [][2]string {
	return [][2]string{
		{"serve", "serve the map and the API (the default command)"},
		{"migrate", "apply the PostGIS schema migrations (CONTROLMAP_ADMIN_DATABASE_URL or DATABASE_URL)"},
		{"import", "validate a dataset and load it into PostGIS: [DIR | FILE.geojson...]; none means the embedded dataset"},
		{"version", "print the version and build information"},
	}
}

func isCommand(name string) bool {
	for _, c := range commands() {
		if c[0] == name {
			return true
		}
	}
	return false
}

// option binds one Config field to a flag and an environment variable. A
// flag-less option (flag == "") is read from the environment only, which is
// how secrets such as database URLs are passed; an option without env is a
// flag only.
type option struct {
	flag     string
	env      string
	usage    string
	commands []string // commands that read the option
	want     string   // what a valid value looks like, for error messages
	bind     func(fs *flag.FlagSet, c *Config, name, usage string)
	// set parses an environment value into c for an environment-only option.
	set func(c *Config, v string) error
}

func stringOpt(field func(*Config) *string, def string) func(*flag.FlagSet, *Config, string, string) {
	return func(fs *flag.FlagSet, c *Config, name, usage string) { fs.StringVar(field(c), name, def, usage) }
}

// options lists every setting; the README's configuration table mirrors it.
func options() []option {
	serve := []string{"serve"}
	db := []string{"serve", "migrate", "import"}
	all := []string{"serve", "migrate", "import"}
	return []option{
		{flag: "addr", env: "CONTROLMAP_ADDR", usage: "TCP `address` to listen on", commands: serve,
			bind: stringOpt(func(c *Config) *string { return &c.Addr }, "localhost:8080")},
		{flag: "data", env: "CONTROLMAP_DATA", usage: "serve this dataset `folder` (catalog.json and *.geojson) instead of the embedded dataset", commands: serve,
			bind: stringOpt(func(c *Config) *string { return &c.DataDir }, "")},
		{env: "DATABASE_URL", commands: db,
			set: func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
		{env: "CONTROLMAP_ADMIN_DATABASE_URL", commands: db,
			set: func(c *Config, v string) error { c.AdminDatabaseURL = v; return nil }},
		{flag: "migrate", env: "CONTROLMAP_MIGRATE", usage: "apply pending PostGIS migrations before serving or importing", commands: []string{"serve", "import"},
			want: "true or false",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) { fs.BoolVar(&c.Migrate, name, true, usage) }},
		{flag: "dry-run", usage: "validate the dataset and report every problem, without touching the database", commands: []string{"import"},
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) { fs.BoolVar(&c.DryRun, name, false, usage) }},
		{flag: "tile-url", env: "CONTROLMAP_TILE_URL", usage: "optional raster basemap `template` with {z}, {x} and {y}", commands: serve,
			bind: stringOpt(func(c *Config) *string { return &c.TileURL }, "")},
		{flag: "tile-attribution", env: "CONTROLMAP_TILE_ATTRIBUTION", usage: "attribution `text` for --tile-url", commands: serve,
			bind: stringOpt(func(c *Config) *string { return &c.TileAttribution }, "")},
		{flag: "base-url", env: "CONTROLMAP_BASE_URL", usage: "external `URL` used in links (behind a proxy)", commands: serve,
			bind: stringOpt(func(c *Config) *string { return &c.BaseURL }, "")},
		{flag: "shutdown-timeout", env: "CONTROLMAP_SHUTDOWN_TIMEOUT", usage: "how long to drain in-flight requests on SIGINT/SIGTERM", commands: serve,
			want: "a duration such as 10s or 1m30s",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) {
				fs.DurationVar(&c.ShutdownTimeout, name, 10*time.Second, usage)
			}},
		{flag: "statement-timeout", env: "CONTROLMAP_STATEMENT_TIMEOUT", usage: "PostgreSQL statement_timeout of each query (PostGIS only); a slower query answers 503", commands: serve,
			want: "a duration such as 5s or 1500ms",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) {
				fs.DurationVar(&c.StatementTimeout, name, 5*time.Second, usage)
			}},
		{flag: "db-max-conns", env: "CONTROLMAP_DB_MAX_CONNS", usage: "most PostgreSQL connections serve opens (PostGIS only)", commands: serve,
			want: "a whole number",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) { fs.IntVar(&c.DBMaxConns, name, 8, usage) }},
		{flag: "change-poll", env: "CONTROLMAP_CHANGE_POLL", usage: "how often the change feed reads the data version when the database is a streaming standby, where LISTEN/NOTIFY does not work (PostGIS only)", commands: serve,
			want: "a duration from 10ms to 1m such as 500ms",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) {
				fs.DurationVar(&c.ChangePoll, name, postgis.DefaultFeedPollInterval, usage)
			}},
		{flag: "shared-max-age", env: "CONTROLMAP_SHARED_MAX_AGE", usage: "how long a shared cache in front of the server (nginx, a CDN) may keep an answer: s-maxage, and X-Accel-Expires for nginx; 0 sends neither", commands: serve,
			want: "0 or a duration from 1s to 24h such as 1s",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) {
				fs.DurationVar(&c.SharedMaxAge, name, 0, usage)
			}},
		{flag: "cache-bytes", env: "CONTROLMAP_CACHE_BYTES", usage: "size in bytes of the cache of encoded answers, features and tiles; 0 turns it off", commands: serve,
			want: "a whole number of bytes, 0 for off",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) {
				fs.Int64Var(&c.CacheBytes, name, handlers.DefaultCacheBytes, usage)
			}},
		{flag: "release-idle", env: "CONTROLMAP_RELEASE_IDLE", usage: "after a burst of requests, return free memory to the system once none has run for this long; 0 never does", commands: serve,
			want: "a duration such as 2s, 0 for never",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) {
				fs.DurationVar(&c.ReleaseIdle, name, 2*time.Second, usage)
			}},
		{flag: "gc-floor", env: "CONTROLMAP_GC_FLOOR", usage: "with PostGIS, let the heap grow to this many bytes before the garbage collector runs, however little is live (the server keeps a few megabytes live and would otherwise collect on nearly every large answer); 0, or GOGC in the environment, leaves the collector as Go sets it; the embedded store does not use it", commands: serve,
			want: "a whole number of bytes, 0 for off",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) {
				fs.Int64Var(&c.GCFloor, name, DefaultGCFloor, usage)
			}},
		{flag: "admin-token", env: "CONTROLMAP_ADMIN_TOKEN", usage: "enable the admin endpoints (POST /admin/reload, /admin/cache/purge, /admin/runtime/gc) for requests with Authorization: Bearer `token`; prefer the variable, which ps does not show", commands: serve,
			bind: stringOpt(func(c *Config) *string { return &c.AdminToken }, "")},
		{flag: "rate-limit", env: "CONTROLMAP_RATE_LIMIT", usage: "requests per second allowed to each client address; 0 turns rate limiting off", commands: serve,
			want: "a number of requests per second, 0 for off",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) { fs.Float64Var(&c.RateLimit, name, 50, usage) }},
		{flag: "rate-limit-burst", env: "CONTROLMAP_RATE_LIMIT_BURST", usage: "requests a client may make at once before --rate-limit applies", commands: serve,
			want: "a whole number",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) { fs.IntVar(&c.RateLimitBurst, name, 200, usage) }},
		{flag: "rate-limit-exempt-loopback", env: "CONTROLMAP_RATE_LIMIT_EXEMPT_LOOPBACK", usage: "do not rate-limit clients on 127.0.0.0/8 and ::1 (local tools; a same-host proxy not listed in --trusted-proxies)", commands: serve,
			want: "true or false",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) {
				fs.BoolVar(&c.RateLimitExemptLoopback, name, true, usage)
			}},
		{flag: "trusted-proxies", env: "CONTROLMAP_TRUSTED_PROXIES", usage: "comma-separated `CIDRs` of reverse proxies whose X-Forwarded-For names the client", commands: serve,
			want: "comma-separated addresses or CIDRs such as 10.0.0.0/8,::1",
			bind: func(fs *flag.FlagSet, c *Config, name, usage string) { fs.Var(&c.TrustedProxies, name, usage) }},
		{flag: "log-format", env: "CONTROLMAP_LOG_FORMAT", usage: "log `format`: text or json", commands: all,
			bind: stringOpt(func(c *Config) *string { return &c.LogFormat }, "text")},
		{flag: "log-level", env: "CONTROLMAP_LOG_LEVEL", usage: "log `level`: debug, info, warn or error", commands: all,
			bind: stringOpt(func(c *Config) *string { return &c.LogLevel }, "info")},
	}
}

// parseConfig reads the command, its flags and the environment. args excludes
// the program name. The command may be omitted (serve). Environment values are
// applied first and flags override them. The result is not yet validated.
func parseConfig(args []string, lookupEnv func(string) (string, bool), usageOut io.Writer) (Config, error) {
	var c Config
	c.Command = "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.Command, args = args[0], args[1:]
	}
	if c.Command == "help" {
		writeUsage(usageOut, nil)
		return c, flag.ErrHelp
	}
	if !isCommand(c.Command) {
		names := make([]string, 0, len(commands()))
		for _, cmd := range commands() {
			names = append(names, cmd[0])
		}
		return c, fmt.Errorf("controlmap: unknown command %q (want one of %s)", c.Command, strings.Join(names, ", "))
	}
	fs := flag.NewFlagSet("controlmap "+c.Command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	envErrs := map[string]error{} // by flag name ("" for environment-only options)
	var errs []error
	for _, o := range options() {
		if !slices.Contains(o.commands, c.Command) {
			continue
		}
		if o.flag != "" {
			usage := o.usage
			if o.env != "" {
				usage += " (env " + o.env + ")"
			}
			o.bind(fs, &c, o.flag, usage)
		}
		if o.env == "" {
			continue
		}
		v, ok := lookupEnv(o.env)
		if !ok {
			continue
		}
		var err error
		if o.flag != "" {
			err = fs.Lookup(o.flag).Value.Set(v)
		} else {
			err = o.set(&c, v)
		}
		if err != nil {
			err = fmt.Errorf("controlmap: %s=%q is not valid: want %s", o.env, v, o.want)
			if o.flag == "" {
				errs = append(errs, err)
			} else {
				envErrs[o.flag] = err
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeUsage(usageOut, fs)
			return c, flag.ErrHelp
		}
		return c, fmt.Errorf("controlmap %s: %w (run 'controlmap %s -h' for help)", c.Command, err, c.Command)
	}
	c.Args = append([]string{}, fs.Args()...)
	// A bad variable does not matter when its flag overrides it.
	fs.Visit(func(f *flag.Flag) { delete(envErrs, f.Name) })
	for _, o := range options() {
		if err, ok := envErrs[o.flag]; ok {
			errs = append(errs, err)
		}
	}
	if c.AdminDatabaseURL == "" {
		c.AdminDatabaseURL = c.DatabaseURL
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	return c, errors.Join(errs...)
}

// Validate checks the settings the command uses and returns every problem
// at once, each naming the flag or variable to fix.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("controlmap: "+format, args...))
	}
	for _, a := range c.Args {
		if strings.HasPrefix(a, "-") {
			bad("flag %q comes after an argument: put flags before arguments (controlmap %s [flags] [args])", a, c.Command)
		}
	}
	switch c.Command {
	case "serve":
		if len(c.Args) > 0 {
			bad("serve takes no arguments, got %q (use --data DIR to serve a folder)", c.Args)
		}
		if err := checkAddr(c.Addr); err != nil {
			bad("--addr / CONTROLMAP_ADDR %q: %v", c.Addr, err)
		}
		if c.DataDir != "" {
			if err := checkDir(c.DataDir); err != nil {
				bad("--data / CONTROLMAP_DATA: %v", err)
			}
			if c.DatabaseURL != "" {
				bad("--data / CONTROLMAP_DATA and DATABASE_URL are both set: serve either a folder or PostGIS, not both")
			}
		}
		if c.TileURL != "" {
			if err := checkTileURL(c.TileURL); err != nil {
				bad("--tile-url / CONTROLMAP_TILE_URL %q: %v", c.TileURL, err)
			}
			if strings.TrimSpace(c.TileAttribution) == "" {
				bad("--tile-url is set but --tile-attribution / CONTROLMAP_TILE_ATTRIBUTION is empty: tile providers require their attribution")
			}
		} else if c.TileAttribution != "" {
			bad("--tile-attribution / CONTROLMAP_TILE_ATTRIBUTION is set without --tile-url / CONTROLMAP_TILE_URL")
		}
		if c.BaseURL != "" {
			if err := checkBaseURL(c.BaseURL); err != nil {
				bad("--base-url / CONTROLMAP_BASE_URL %q: %v", c.BaseURL, err)
			}
		}
		if c.ShutdownTimeout <= 0 {
			bad("--shutdown-timeout / CONTROLMAP_SHUTDOWN_TIMEOUT must be positive, got %s", c.ShutdownTimeout)
		}
		if c.StatementTimeout < time.Millisecond {
			bad("--statement-timeout / CONTROLMAP_STATEMENT_TIMEOUT must be at least 1ms, got %s", c.StatementTimeout)
		}
		if c.DBMaxConns < 1 || c.DBMaxConns > maxDBConns {
			bad("--db-max-conns / CONTROLMAP_DB_MAX_CONNS must be from 1 to %d, got %d", maxDBConns, c.DBMaxConns)
		}
		if c.DatabaseURL != "" {
			if err := checkDatabaseURL(c.DatabaseURL); err != nil {
				bad("DATABASE_URL: %v", err)
			}
		}
		if c.SharedMaxAge != 0 && (c.SharedMaxAge < time.Second || c.SharedMaxAge > 24*time.Hour) {
			bad("--shared-max-age / CONTROLMAP_SHARED_MAX_AGE must be 0 (not sent) or from 1s to 24h, got %s", c.SharedMaxAge)
		}
		if c.ChangePoll < minChangePoll || c.ChangePoll > maxChangePoll {
			bad("--change-poll / CONTROLMAP_CHANGE_POLL must be from %s to %s, got %s", minChangePoll, maxChangePoll, c.ChangePoll)
		}
		if c.ReleaseIdle < 0 {
			bad("--release-idle / CONTROLMAP_RELEASE_IDLE must be 0 (never) or a positive duration, got %s", c.ReleaseIdle)
		}
		if c.GCFloor < 0 {
			bad("--gc-floor / CONTROLMAP_GC_FLOOR must be 0 (off) or a positive number of bytes, got %d", c.GCFloor)
		}
		if c.CacheBytes < 0 {
			bad("--cache-bytes / CONTROLMAP_CACHE_BYTES must be 0 (off) or a positive number of bytes, got %d", c.CacheBytes)
		}
		if err := checkAdminToken(c.AdminToken); err != nil {
			bad("--admin-token / CONTROLMAP_ADMIN_TOKEN: %v", err)
		}
		if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
			bad("--rate-limit / CONTROLMAP_RATE_LIMIT must be 0 (off) or a positive number of requests per second, got %v", c.RateLimit)
		}
		if c.RateLimit > 0 && (c.RateLimitBurst < 1 || c.RateLimitBurst > 1_000_000) {
			bad("--rate-limit-burst / CONTROLMAP_RATE_LIMIT_BURST must be from 1 to 1000000, got %d", c.RateLimitBurst)
		}
		if c.DatabaseURL != "" && c.Migrate && c.AdminDatabaseURL != c.DatabaseURL {
			if err := checkDatabaseURL(c.AdminDatabaseURL); err != nil {
				bad("CONTROLMAP_ADMIN_DATABASE_URL: %v", err)
			}
		}
	case "migrate", "import":
		if c.Command == "migrate" && len(c.Args) > 0 {
			bad("migrate takes no arguments, got %q", c.Args)
		}
		if c.Command == "import" && c.DryRun {
			break
		}
		if c.AdminDatabaseURL == "" {
			hint := ""
			if c.Command == "import" {
				hint = ", or pass --dry-run to only validate the dataset"
			}
			bad("%s needs a database: set CONTROLMAP_ADMIN_DATABASE_URL or DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/controlmap?sslmode=disable)%s", c.Command, hint)
		} else if err := checkDatabaseURL(c.AdminDatabaseURL); err != nil {
			name := "CONTROLMAP_ADMIN_DATABASE_URL"
			if c.AdminDatabaseURL == c.DatabaseURL {
				name = "DATABASE_URL"
			}
			bad("%s: %v", name, err)
		}
	case "version":
		if len(c.Args) > 0 {
			bad("version takes no arguments, got %q", c.Args)
		}
		return errors.Join(errs...)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("--log-format / CONTROLMAP_LOG_FORMAT must be text or json, got %q", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("--log-level / CONTROLMAP_LOG_LEVEL: %v", err)
	}
	return errors.Join(errs...)
}

// Logger builds the process logger writing to w in the configured format.
func (c Config) Logger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("want debug, info, warn or error, got %q", s)
	}
	return l, nil
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, e.g. localhost:8080 or 0.0.0.0:8080")
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("bad host %q", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot use %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%q is not a folder", dir)
	}
	return nil
}

func checkTileURL(s string) error {
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(s, p) {
			return fmt.Errorf("missing %s: want a template such as https://tile.example.org/{z}/{x}/{y}.png", p)
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want an absolute http(s) URL")
	}
	return nil
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want an absolute http(s) URL such as https://maps.example.org/controlmap")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not have a query or fragment")
	}
	return nil
}

// minAdminToken is the shortest admin token accepted.
const minAdminToken = 16

// checkAdminToken accepts an empty token (no admin endpoints) or one of at
// least minAdminToken visible ASCII characters. Its message never repeats
// the token.
func checkAdminToken(s string) error {
	if s == "" {
		return nil
	}
	if len(s) < minAdminToken {
		return fmt.Errorf("too short (%d characters): use at least %d random characters, e.g. from openssl rand -hex 32", len(s), minAdminToken)
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return errors.New("use visible ASCII characters only (no spaces), e.g. from openssl rand -hex 32")
		}
	}
	return nil
}

// prefixList is a comma-separated list of CIDRs (a bare address is its own
// /32 or /128), as a flag.Value.
type prefixList []netip.Prefix

// String implements flag.Value.
func (l *prefixList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(*l))
	for i, p := range *l {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value: it replaces the list.
func (l *prefixList) Set(v string) error {
	var out prefixList
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return fmt.Errorf("%q is not an address or CIDR", part)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	*l = out
	return nil
}

// checkDatabaseURL parses a PostgreSQL connection string. Its message never
// repeats the string, which may hold a password.
func checkDatabaseURL(s string) error {
	if _, err := pgconn.ParseConfig(s); err != nil {
		return errors.New("not a valid PostgreSQL connection string; want postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable or key=value pairs")
	}
	return nil
}

// writeUsage prints the commands and, when fs is given, that command's flags.
func writeUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: controlmap [command] [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", cmd[0], cmd[1])
	}
	if fs == nil {
		fmt.Fprintln(w, "\nrun 'controlmap COMMAND -h' for a command's flags")
		return
	}
	fmt.Fprintf(w, "\nflags of %s (each also read from its environment variable; a flag wins):\n", fs.Name())
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	envOnly := []string{}
	for _, o := range options() {
		if o.flag == "" && slices.Contains(o.commands, strings.TrimPrefix(fs.Name(), "controlmap ")) {
			envOnly = append(envOnly, o.env)
		}
	}
	if len(envOnly) > 0 {
		fmt.Fprintf(w, "\nenvironment only: %s\n", strings.Join(envOnly, ", "))
	}
}
