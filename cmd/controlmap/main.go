// Command controlmap serves dated GeoJSON layers of who controls what in
// north-east Syria, as OGC API – Features and a Leaflet map, from the dataset
// embedded in the binary, a folder of GeoJSON, or PostGIS.
//
// Usage:
//
//	controlmap [serve] [--addr localhost:8080] [--data DIR]
//	controlmap migrate
//	controlmap import [DIR | FILE.geojson...]
//	controlmap version
//	controlmap generate --out DIR [--seed N]   (the scale dataset for benchmarks)
//
// Run "controlmap COMMAND -h" for a command's flags. Every flag can also be
// set by an environment variable (CONTROLMAP_ADDR for --addr, ...); database
// URLs are read from DATABASE_URL and CONTROLMAP_ADMIN_DATABASE_URL only.
//
// This package holds only wiring: configuration, picking a store, and the
// HTTP server's life cycle. Everything else lives in geo, handlers and static.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/controlmap/controlmap/internal/logbuf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first SIGINT/SIGTERM, a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	err := run(ctx, os.Args[1:], sys{
		lookupEnv: os.LookupEnv,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		reload:    hup,
	})
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// sys is what run receives from the process, so that tests can run every
// command in-process: the environment, the output streams, the reload signal
// (SIGHUP) and a hook called once the server listens.
type sys struct {
	lookupEnv func(string) (string, bool)
	stdout    io.Writer
	stderr    io.Writer
	// reload delivers a value whenever the served folder should be reloaded.
	reload <-chan os.Signal
	// listening, when set, is called with the server's address once it accepts connections.
	listening func(net.Addr)
}

// The server's log buffer: its size, and how late a line may reach stderr.
const (
	logBufferBytes = 64 << 10
	logDelay       = 100 * time.Millisecond
)

// usageError marks a mistake in the command line or the environment; the
// process exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// run parses the configuration from args and the environment and runs the
// command until it finishes or ctx is cancelled.
func run(ctx context.Context, args []string, s sys) error {
	if len(args) > 0 && args[0] == "generate" {
		// A tool for benchmarks with flags of its own (generate.go).
		return generate(args[1:], s.stdout, s.stderr)
	}
	cfg, err := parseConfig(args, s.lookupEnv, s.stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	switch cfg.Command {
	case "migrate":
		return migrate(ctx, cfg, s)
	case "import":
		return importData(ctx, cfg, s)
	case "version":
		return printVersion(s.stdout)
	default:
		// The server's log lines (one per request) are written in batches:
		// at most logDelay late, warnings and errors at once, the rest when
		// serve returns.
		lw := logbuf.New(s.stderr, logBufferBytes, logDelay)
		defer lw.Close()
		log := slog.New(logbuf.Handler(cfg.Logger(lw).Handler(), lw, slog.LevelWarn))
		return serve(ctx, cfg, s, log)
	}
}

// exitCode reports err on w and maps it to the process status: 0 for success
// and help, 2 for usage errors, 1 for everything else.
func exitCode(err error, w io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintln(w, err)
		return 2
	default:
		fmt.Fprintln(w, err)
		return 1
	}
}
