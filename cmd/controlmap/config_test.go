package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/controlmap/controlmap/handlers"
)

// envFrom returns a lookup function over a fixed environment.
func envFrom(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func TestParseConfig(t *testing.T) {
	defaults := Config{
		Command:          "serve",
		Args:             []string{},
		Addr:             "localhost:8080",
		Migrate:          true,
		ShutdownTimeout:  10 * time.Second,
		StatementTimeout: 5 * time.Second,
		DBMaxConns:       8,
		ChangePoll:       500 * time.Millisecond,
		CacheBytes:       handlers.DefaultCacheBytes,
		ReleaseIdle:      2 * time.Second,
		GCFloor:          DefaultGCFloor,
		LogFormat:        "text",
		LogLevel:         "info",
		RateLimit:        50,
		RateLimitBurst:   200,

		RateLimitExemptLoopback: true,
	}
	with := func(f func(*Config)) Config {
		c := defaults
		f(&c)
		return c
	}
	const pg = "postgres://reader@db:5432/controlmap?sslmode=disable"
	const pgAdmin = "postgres://owner@db:5432/controlmap?sslmode=disable"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want Config
	}{
		{name: "defaults", want: defaults},
		{name: "explicit serve", args: []string{"serve"}, want: defaults},
		{name: "flag", args: []string{"--addr", "127.0.0.1:9000"},
			want: with(func(c *Config) { c.Addr = "127.0.0.1:9000" })},
		{name: "env", env: map[string]string{"CONTROLMAP_ADDR": "0.0.0.0:8080", "CONTROLMAP_DATA": "/srv/data"},
			want: with(func(c *Config) { c.Addr = "0.0.0.0:8080"; c.DataDir = "/srv/data" })},
		{name: "flag wins over env", args: []string{"serve", "-addr=:7000", "--shutdown-timeout", "3s"},
			env:  map[string]string{"CONTROLMAP_ADDR": "0.0.0.0:8080", "CONTROLMAP_SHUTDOWN_TIMEOUT": "1m"},
			want: with(func(c *Config) { c.Addr = ":7000"; c.ShutdownTimeout = 3 * time.Second })},
		{name: "flag overrides a bad env value", args: []string{"--shutdown-timeout=2s"},
			env:  map[string]string{"CONTROLMAP_SHUTDOWN_TIMEOUT": "soon"},
			want: with(func(c *Config) { c.ShutdownTimeout = 2 * time.Second })},
		{name: "admin url defaults to DATABASE_URL", env: map[string]string{"DATABASE_URL": pg},
			want: with(func(c *Config) { c.DatabaseURL = pg; c.AdminDatabaseURL = pg })},
		{name: "separate admin url", env: map[string]string{"DATABASE_URL": pg, "CONTROLMAP_ADMIN_DATABASE_URL": pgAdmin, "CONTROLMAP_MIGRATE": "false"},
			want: with(func(c *Config) { c.DatabaseURL = pg; c.AdminDatabaseURL = pgAdmin; c.Migrate = false })},
		{name: "tiles and base url", args: []string{"--tile-url", "https://t.example.org/{z}/{x}/{y}.png", "--tile-attribution", "© OSM", "--base-url", "https://maps.example.org/cm/"},
			want: with(func(c *Config) {
				c.TileURL = "https://t.example.org/{z}/{x}/{y}.png"
				c.TileAttribution = "© OSM"
				c.BaseURL = "https://maps.example.org/cm"
			})},
		{name: "database limits", args: []string{"--statement-timeout", "1500ms"}, env: map[string]string{"CONTROLMAP_DB_MAX_CONNS": "20", "CONTROLMAP_STATEMENT_TIMEOUT": "9s"},
			want: with(func(c *Config) { c.StatementTimeout = 1500 * time.Millisecond; c.DBMaxConns = 20 })},
		{name: "change poll", args: []string{"--change-poll", "250ms"},
			want: with(func(c *Config) { c.ChangePoll = 250 * time.Millisecond })},
		{name: "change poll from env", env: map[string]string{"CONTROLMAP_CHANGE_POLL": "2s"},
			want: with(func(c *Config) { c.ChangePoll = 2 * time.Second })},
		{name: "shared max age", args: []string{"--shared-max-age", "1s"},
			want: with(func(c *Config) { c.SharedMaxAge = time.Second })},
		{name: "cache size flag", args: []string{"--cache-bytes", "1048576"},
			want: with(func(c *Config) { c.CacheBytes = 1 << 20 })},
		{name: "cache size from env", env: map[string]string{"CONTROLMAP_CACHE_BYTES": "268435456"},
			want: with(func(c *Config) { c.CacheBytes = 256 << 20 })},
		{name: "cache off", args: []string{"--cache-bytes=0"}, env: map[string]string{"CONTROLMAP_CACHE_BYTES": "1024"},
			want: with(func(c *Config) { c.CacheBytes = 0 })},
		{name: "json logs from env", env: map[string]string{"CONTROLMAP_LOG_FORMAT": "json", "CONTROLMAP_LOG_LEVEL": "debug"},
			want: with(func(c *Config) { c.LogFormat = "json"; c.LogLevel = "debug" })},
		{name: "import folder", args: []string{"import", "--migrate=false", "data"}, env: map[string]string{"DATABASE_URL": pg},
			want: Config{Command: "import", Args: []string{"data"}, DatabaseURL: pg, AdminDatabaseURL: pg, LogFormat: "text", LogLevel: "info"}},
		{name: "import reads no serve variables", args: []string{"import"}, env: map[string]string{"CONTROLMAP_ADDR": "nonsense", "CONTROLMAP_SHUTDOWN_TIMEOUT": "x", "CONTROLMAP_CACHE_BYTES": "x"},
			want: Config{Command: "import", Args: []string{}, Migrate: true, LogFormat: "text", LogLevel: "info"}},
		{name: "import dry run needs no database", args: []string{"import", "--dry-run", "data"},
			want: Config{Command: "import", Args: []string{"data"}, Migrate: true, DryRun: true, LogFormat: "text", LogLevel: "info"}},
		{name: "migrate", args: []string{"migrate"}, env: map[string]string{"CONTROLMAP_ADMIN_DATABASE_URL": pgAdmin},
			want: Config{Command: "migrate", Args: []string{}, AdminDatabaseURL: pgAdmin, LogFormat: "text", LogLevel: "info"}},
		{name: "version", args: []string{"version"}, want: Config{Command: "version", Args: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, envFrom(tt.env), &bytes.Buffer{})
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseConfig(%q)\n got %+v\nwant %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // substring of the error
	}{
		{name: "unknown command", args: []string{"serv"}, want: `unknown command "serv"`},
		{name: "unknown flag", args: []string{"--adr", "x"}, want: "flag provided but not defined: -adr"},
		{name: "flag of another command", args: []string{"migrate", "--addr", ":1"}, want: "-addr"},
		{name: "dry run is import's", args: []string{"serve", "--dry-run"}, want: "-dry-run"},
		{name: "bad duration flag", args: []string{"--shutdown-timeout", "ten"}, want: "shutdown-timeout"},
		{name: "bad duration env", env: map[string]string{"CONTROLMAP_SHUTDOWN_TIMEOUT": "ten"}, want: `CONTROLMAP_SHUTDOWN_TIMEOUT="ten" is not valid: want a duration`},
		{name: "bad bool env", env: map[string]string{"CONTROLMAP_MIGRATE": "maybe"}, want: `CONTROLMAP_MIGRATE="maybe" is not valid: want true or false`},
		{name: "cache size not a number", args: []string{"--cache-bytes", "64MiB"}, want: `invalid value "64MiB" for flag -cache-bytes`},
		{name: "cache size a fraction", args: []string{"--cache-bytes", "1.5"}, want: `invalid value "1.5" for flag -cache-bytes`},
		{name: "cache size env not a number", env: map[string]string{"CONTROLMAP_CACHE_BYTES": "lots"}, want: `CONTROLMAP_CACHE_BYTES="lots" is not valid: want a whole number of bytes, 0 for off`},
		{name: "cache size env too large", env: map[string]string{"CONTROLMAP_CACHE_BYTES": "9223372036854775808"}, want: `CONTROLMAP_CACHE_BYTES="9223372036854775808" is not valid`},
		{name: "bad change poll env", env: map[string]string{"CONTROLMAP_CHANGE_POLL": "often"}, want: `CONTROLMAP_CHANGE_POLL="often" is not valid: want a duration from 10ms to 1m`},
		{name: "cache size is serve's", args: []string{"import", "--cache-bytes", "1"}, want: "-cache-bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, envFrom(tt.env), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseConfig(%q) error = %v, want it to contain %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"serve", "--help"}, {"import", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out bytes.Buffer
			_, err := parseConfig(args, envFrom(nil), &out)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("err = %v, want flag.ErrHelp", err)
			}
			if !strings.Contains(out.String(), "usage: controlmap") {
				t.Errorf("usage not written: %q", out.String())
			}
		})
	}
	var out bytes.Buffer
	_, _ = parseConfig([]string{"serve", "-h"}, envFrom(nil), &out)
	for _, want := range []string{"-addr", "CONTROLMAP_ADDR", "-data", "-tile-url", "-shutdown-timeout", "DATABASE_URL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve -h does not mention %s:\n%s", want, out.String())
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	const pg = "postgres://reader@127.0.0.1:5432/controlmap?sslmode=disable"
	base := Config{Command: "serve", Addr: "localhost:8080", Migrate: true, ShutdownTimeout: time.Second,
		StatementTimeout: 5 * time.Second, DBMaxConns: 8, ChangePoll: 500 * time.Millisecond, LogFormat: "text", LogLevel: "info"}
	mod := func(f func(*Config)) Config {
		c := base
		f(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		{name: "defaults", cfg: base},
		{name: "any interface, random port", cfg: mod(func(c *Config) { c.Addr = ":0" })},
		{name: "ipv6", cfg: mod(func(c *Config) { c.Addr = "[::1]:8080" })},
		{name: "data folder", cfg: mod(func(c *Config) { c.DataDir = dir })},
		{name: "postgis", cfg: mod(func(c *Config) { c.DatabaseURL = pg; c.AdminDatabaseURL = pg })},
		{name: "postgis key=value", cfg: mod(func(c *Config) {
			c.DatabaseURL = "host=/run/postgresql dbname=controlmap"
			c.AdminDatabaseURL = c.DatabaseURL
		})},
		{name: "tiles", cfg: mod(func(c *Config) {
			c.TileURL = "https://tile.example.org/{z}/{x}/{y}.png"
			c.TileAttribution = "© OpenStreetMap contributors"
		})},
		{name: "base url", cfg: mod(func(c *Config) { c.BaseURL = "https://maps.example.org/controlmap" })},
		{name: "json debug", cfg: mod(func(c *Config) { c.LogFormat = "json"; c.LogLevel = "debug" })},
		{name: "import", cfg: Config{Command: "import", Args: []string{"data"}, AdminDatabaseURL: pg, LogFormat: "text", LogLevel: "info"}},
		{name: "version", cfg: Config{Command: "version"}},
		{name: "import dry run", cfg: Config{Command: "import", DryRun: true, LogFormat: "text", LogLevel: "info"}},

		{name: "addr without port", cfg: mod(func(c *Config) { c.Addr = "localhost" }), want: []string{"--addr / CONTROLMAP_ADDR", "host:port"}},
		{name: "addr port out of range", cfg: mod(func(c *Config) { c.Addr = "localhost:70000" }), want: []string{`port "70000"`}},
		{name: "addr port name", cfg: mod(func(c *Config) { c.Addr = "localhost:http" }), want: []string{`port "http"`}},
		{name: "missing data folder", cfg: mod(func(c *Config) { c.DataDir = filepath.Join(dir, "nope") }), want: []string{"--data / CONTROLMAP_DATA", "no such file"}},
		{name: "data is a file", cfg: mod(func(c *Config) { c.DataDir = file }), want: []string{"is not a folder"}},
		{name: "data and database", cfg: mod(func(c *Config) { c.DataDir = dir; c.DatabaseURL = pg; c.AdminDatabaseURL = pg }), want: []string{"not both"}},
		{name: "bad database url", cfg: mod(func(c *Config) {
			c.DatabaseURL = "postgres://u:secret@host:notaport/db"
			c.AdminDatabaseURL = c.DatabaseURL
		}), want: []string{"DATABASE_URL: not a valid PostgreSQL connection string"}},
		{name: "tile url without placeholders", cfg: mod(func(c *Config) { c.TileURL = "https://tile.example.org/tiles.png"; c.TileAttribution = "x" }), want: []string{"missing {z}"}},
		{name: "tile url missing y", cfg: mod(func(c *Config) { c.TileURL = "https://tile.example.org/{z}/{x}.png"; c.TileAttribution = "x" }), want: []string{"missing {y}"}},
		{name: "tile url not http", cfg: mod(func(c *Config) { c.TileURL = "file:///{z}/{x}/{y}.png"; c.TileAttribution = "x" }), want: []string{"absolute http(s) URL"}},
		{name: "tile url without attribution", cfg: mod(func(c *Config) { c.TileURL = "https://tile.example.org/{z}/{x}/{y}.png" }), want: []string{"--tile-attribution"}},
		{name: "attribution without tile url", cfg: mod(func(c *Config) { c.TileAttribution = "x" }), want: []string{"without --tile-url"}},
		{name: "relative base url", cfg: mod(func(c *Config) { c.BaseURL = "/controlmap" }), want: []string{"--base-url"}},
		{name: "base url with query", cfg: mod(func(c *Config) { c.BaseURL = "https://example.org/?a=1" }), want: []string{"query or fragment"}},
		{name: "zero shutdown timeout", cfg: mod(func(c *Config) { c.ShutdownTimeout = 0 }), want: []string{"--shutdown-timeout"}},
		{name: "negative shutdown timeout", cfg: mod(func(c *Config) { c.ShutdownTimeout = -time.Second }), want: []string{"must be positive"}},
		{name: "zero statement timeout", cfg: mod(func(c *Config) { c.StatementTimeout = 0 }), want: []string{"--statement-timeout / CONTROLMAP_STATEMENT_TIMEOUT", "at least 1ms"}},
		{name: "no db connections", cfg: mod(func(c *Config) { c.DBMaxConns = 0 }), want: []string{"--db-max-conns / CONTROLMAP_DB_MAX_CONNS", "from 1 to 1000"}},
		{name: "too many db connections", cfg: mod(func(c *Config) { c.DBMaxConns = 5000 }), want: []string{"got 5000"}},
		{name: "change poll too often", cfg: mod(func(c *Config) { c.ChangePoll = time.Millisecond }), want: []string{"--change-poll / CONTROLMAP_CHANGE_POLL", "from 10ms to 1m0s", "got 1ms"}},
		{name: "change poll too rare", cfg: mod(func(c *Config) { c.ChangePoll = time.Hour }), want: []string{"--change-poll", "got 1h0m0s"}},
		{name: "shared max age", cfg: mod(func(c *Config) { c.SharedMaxAge = 2 * time.Second })},
		{name: "shared max age under a second", cfg: mod(func(c *Config) { c.SharedMaxAge = 500 * time.Millisecond }), want: []string{"--shared-max-age / CONTROLMAP_SHARED_MAX_AGE", "got 500ms"}},
		{name: "negative shared max age", cfg: mod(func(c *Config) { c.SharedMaxAge = -time.Second }), want: []string{"--shared-max-age", "got -1s"}},
		{name: "cache off", cfg: mod(func(c *Config) { c.CacheBytes = 0 })},
		{name: "negative cache size", cfg: mod(func(c *Config) { c.CacheBytes = -1 }), want: []string{"--cache-bytes / CONTROLMAP_CACHE_BYTES", "0 (off) or a positive number of bytes", "got -1"}},
		{name: "log format", cfg: mod(func(c *Config) { c.LogFormat = "xml" }), want: []string{"--log-format", `"xml"`}},
		{name: "log level", cfg: mod(func(c *Config) { c.LogLevel = "loud" }), want: []string{"--log-level", `"loud"`}},
		{name: "serve with arguments", cfg: mod(func(c *Config) { c.Args = []string{"data"} }), want: []string{"serve takes no arguments", "--data"}},
		{name: "flag after argument", cfg: Config{Command: "import", Args: []string{"data", "--migrate=false"}, AdminDatabaseURL: pg, LogFormat: "text", LogLevel: "info"}, want: []string{"put flags before arguments"}},
		{name: "several problems at once", cfg: mod(func(c *Config) { c.Addr = "nope"; c.LogFormat = "xml" }), want: []string{"--addr", "--log-format"}},
		{name: "migrate without database", cfg: Config{Command: "migrate", LogFormat: "text", LogLevel: "info"}, want: []string{"migrate needs a database", "CONTROLMAP_ADMIN_DATABASE_URL or DATABASE_URL"}},
		{name: "import without database", cfg: Config{Command: "import", LogFormat: "text", LogLevel: "info"}, want: []string{"import needs a database", "--dry-run"}},
		{name: "import with a bad admin url", cfg: Config{Command: "import", DatabaseURL: pg, AdminDatabaseURL: "postgres://x:y@h:port/db", LogFormat: "text", LogLevel: "info"}, want: []string{"CONTROLMAP_ADMIN_DATABASE_URL: not a valid"}},
		{name: "version with arguments", cfg: Config{Command: "version", Args: []string{"x"}}, want: []string{"version takes no arguments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v\nwant it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error repeats a password: %v", err)
			}
		})
	}
}

// TestREADMEConfigTable keeps the README's configuration reference true to
// the code: one row per option naming its flag, its variable and its default.
func TestREADMEConfigTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `--") || strings.HasPrefix(line, "| | `") {
			rows = append(rows, line)
		}
	}
	defaults := map[string]string{}
	for _, cmd := range []string{"serve", "import"} {
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		var c Config
		for _, o := range options() {
			if o.flag != "" && slices.Contains(o.commands, cmd) && fs.Lookup(o.flag) == nil {
				o.bind(fs, &c, o.flag, o.usage)
				defaults[o.flag] = fs.Lookup(o.flag).DefValue
			}
		}
	}
	seen := map[string]bool{}
	for _, o := range options() {
		key := "| | `" + o.env + "` |"
		if o.flag != "" {
			key = "| `--" + o.flag + "` |"
		}
		var row string
		for _, r := range rows {
			if strings.Contains(r, key) {
				row = r
			}
		}
		if row == "" {
			t.Errorf("README configuration table has no row for %s", key)
			continue
		}
		seen[row] = true
		if o.env != "" && !strings.Contains(row, "`"+o.env+"`") {
			t.Errorf("README row %q does not name %s", row, o.env)
		}
		if def := defaults[o.flag]; def != "" && !strings.Contains(row, "`"+def+"`") {
			t.Errorf("README row %q does not give the default %q", row, def)
		}
		for _, cmd := range o.commands {
			if !strings.Contains(row, cmd) {
				t.Errorf("README row %q does not say %s uses it", row, cmd)
			}
		}
	}
	for _, r := range rows {
		if !seen[r] {
			t.Errorf("README row %q matches no option", r)
		}
	}
}

// TestCacheBytes follows --cache-bytes from the command line to the server:
// a negative size or a word is a usage error (exit status 2) naming the flag
// or variable, the default keeps answers (the second is a cache hit), and 0
// keeps none.
func TestCacheBytes(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"negative flag", []string{"--cache-bytes", "-1"}, nil, "--cache-bytes / CONTROLMAP_CACHE_BYTES must be 0 (off) or a positive number of bytes, got -1"},
		{"negative variable", nil, map[string]string{"CONTROLMAP_CACHE_BYTES": "-65536"}, "--cache-bytes / CONTROLMAP_CACHE_BYTES must be 0 (off) or a positive number of bytes, got -65536"},
		{"word", []string{"--cache-bytes", "big"}, nil, `invalid value "big" for flag -cache-bytes`},
		{"empty variable", nil, map[string]string{"CONTROLMAP_CACHE_BYTES": ""}, `CONTROLMAP_CACHE_BYTES="" is not valid: want a whole number of bytes`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(t.Context(), tt.args, sys{lookupEnv: envFrom(tt.env), stdout: io.Discard, stderr: &stderr})
			if code := exitCode(err, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2 (err %v)", code, err)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.want)
			}
		})
	}

	const path = "/collections/facilities/items?datetime=2026-01-21"
	for _, tt := range []struct {
		name   string
		args   []string
		env    map[string]string
		second string // X-Cache of the second identical request
	}{
		{"default", nil, nil, "hit"},
		{"flag", []string{"--cache-bytes", "1048576"}, nil, "hit"},
		{"off by flag", []string{"--cache-bytes", "0"}, nil, "miss"},
		{"off by variable", nil, map[string]string{"CONTROLMAP_CACHE_BYTES": "0"}, "miss"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, _, stop := startServe(t, tt.args, tt.env, nil)
			var got []string
			for range 2 {
				resp, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: status %d", path, resp.StatusCode)
				}
				got = append(got, resp.Header.Get("X-Cache"))
			}
			if want := []string{"miss", tt.second}; !slices.Equal(got, want) {
				t.Errorf("X-Cache of two identical requests %q, want %q", got, want)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
