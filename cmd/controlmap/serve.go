package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/handlers"
	"github.com/controlmap/controlmap/internal/gcfloor"
	"github.com/controlmap/controlmap/internal/idle"
)

// servingStore is the store serve answers from, with what it takes to reload
// and close it.
type servingStore struct {
	geo.Store
	// source describes where the data comes from, for logs.
	source string
	// reload re-reads the data, giving up when ctx is done (the data
	// served is then unchanged); nil when there is nothing to reload.
	reload func(ctx context.Context) error
	// run, when set, keeps the store ready and current until its context
	// ends; serve runs it in the background.
	run func(ctx context.Context) error
	// close releases the store's resources.
	close func()
}

// openStore picks the store: PostGIS when DATABASE_URL is set, else the
// --data folder, else the embedded dataset. The PostGIS store needs no
// database to open: its run applies the migrations (unless --migrate=false)
// retrying until the database comes, and follows its change feed; until
// then it answers 503. A folder is loaded under ctx: once ctx is done the
// load stops and openStore returns an error matching ctx.Err().
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (servingStore, error) {
	switch {
	case cfg.DatabaseURL != "":
		opts := postgis.Options{
			MaxConns:         int32(cfg.DBMaxConns),
			StatementTimeout: cfg.StatementTimeout,
			FeedPollInterval: cfg.ChangePoll,
			Logger:           log,
		}
		if cfg.Migrate {
			opts.MigrateURL = cfg.AdminDatabaseURL
		}
		st, err := postgis.OpenWith(ctx, cfg.DatabaseURL, opts)
		if err != nil {
			return servingStore{}, fmt.Errorf("controlmap serve: %w", err)
		}
		return servingStore{
			Store:  st,
			source: "postgis",
			// Nothing to re-read: the change feed keeps the version current.
			// A reload re-reads it anyway, in case a notification was lost.
			reload: st.Refresh,
			run:    st.Run,
			close:  st.Close,
		}, nil
	case cfg.DataDir != "":
		dir := cfg.DataDir
		// The folder is opened as an os.Root for each load (a folder
		// swapped at the same path is picked up by a reload): links
		// inside it are followed, links out of it are not.
		var st *memory.Store
		load := func(ctx context.Context) error {
			fsys, closeDir, err := geo.OpenFolder(dir)
			if err != nil {
				return err
			}
			defer closeDir()
			if st == nil {
				st, err = memory.LoadContext(ctx, fsys)
				return err
			}
			return st.ReloadContext(ctx, fsys)
		}
		log.Info("loading", "folder", dir)
		start := time.Now()
		if err := load(ctx); err != nil {
			return servingStore{}, fmt.Errorf("controlmap serve: load %s: %w", dir, err)
		}
		version, _ := st.Version(ctx)
		log.Info("loaded", "folder", dir, "version", version, "took", time.Since(start).Round(time.Millisecond))
		return servingStore{
			Store:  st,
			source: "folder " + dir,
			reload: load,
			close:  func() {},
		}, nil
	default:
		st, err := memory.LoadContext(ctx, data.FS)
		if err != nil {
			return servingStore{}, fmt.Errorf("controlmap serve: embedded dataset: %w", err)
		}
		return servingStore{Store: st, source: "embedded dataset", close: func() {}}, nil
	}
}

// cacheBytes is handlers.Options.CacheBytes for --cache-bytes, where 0
// means off (which Options writes as a negative size, its zero being the
// default).
func cacheBytes(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

// newServer wraps h with the server's limits (handlers.NewHTTPServer, which
// the hostile-input tests use too): slow clients cannot hold a connection by
// trickling headers, headers are bounded, and a response must be written
// within handlers.WriteTimeout. The handler's errors that net/http itself
// logs go to log at warn level.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return handlers.NewHTTPServer(h, log)
}

// serve opens the store, builds the application and runs the HTTP server
// until ctx is cancelled; SIGHUP (s.reload) reloads a folder store. When
// ctx ends while the data is loaded at start-up (SIGINT or SIGTERM), it
// says so and returns nil: the stop was asked for.
func serve(ctx context.Context, cfg Config, s sys, log *slog.Logger) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			log.Warn("stopped while loading the data at start-up; not serving", "cause", context.Cause(ctx), "err", err)
			return nil
		}
		return err
	}
	defer st.close() // stops st.run too
	if st.run != nil {
		go func() { _ = st.run(ctx) }()
	}

	// The store itself, not the wrapper, so that handlers can see any optional
	// interface it implements.
	app := handlers.New(st.Store, handlers.Options{
		BaseURL:         cfg.BaseURL,
		TileURL:         cfg.TileURL,
		TileAttribution: cfg.TileAttribution,
		Logger:          log,
		AdminToken:      cfg.AdminToken,
		Reload:          st.reload, // nil for the embedded dataset; a failed or cancelled reload keeps the data
		CacheBytes:      cacheBytes(cfg.CacheBytes),
		SharedMaxAge:    cfg.SharedMaxAge,
		RateLimit: handlers.RateLimit{
			PerSecond:      cfg.RateLimit,
			Burst:          cfg.RateLimitBurst,
			ExemptLoopback: cfg.RateLimitExemptLoopback,
		},
		TrustedProxies: cfg.TrustedProxies,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("controlmap serve: %w", err)
	}

	reloadDone := make(chan struct{})
	reloadCtx, stopReload := context.WithCancel(ctx)
	defer func() { stopReload(); <-reloadDone }()
	go func() {
		defer close(reloadDone)
		watchReload(reloadCtx, s.reload, st, log)
	}()

	stopFloor := gcfloor.Start(gcFloor(cfg))
	defer stopFloor()
	var h http.Handler = app
	if cfg.ReleaseIdle > 0 {
		r := &idle.Releaser{Quiet: cfg.ReleaseIdle}
		h = r.Handler(app)
		go r.Run(ctx)
	}

	log.Info("listening", "url", "http://"+ln.Addr().String(), "store", st.source,
		"admin_endpoints", cfg.AdminToken != "", "rate_limit", cfg.RateLimit, "rate_limit_burst", cfg.RateLimitBurst)
	if s.listening != nil {
		s.listening(ln.Addr())
	}
	return runServer(ctx, handlers.Listen(ln), h, cfg.ShutdownTimeout, log)
}

// runServer serves h on ln until ctx is cancelled, then stops accepting
// connections and waits up to shutdownTimeout for in-flight requests to
// finish; past that it closes the remaining connections and reports it.
func runServer(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, log *slog.Logger) error {
	srv := newServer(h, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("controlmap serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("controlmap serve: shutdown: requests still running after %s were cut off: %w", shutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("controlmap serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// watchReload reloads st each time sig delivers, until ctx is done. A failed
// reload keeps the previous dataset and logs every problem.
func watchReload(ctx context.Context, sig <-chan os.Signal, st servingStore, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
		}
		if st.reload == nil {
			log.Warn("reload requested but there is nothing to reload", "store", st.source)
			continue
		}
		start := time.Now()
		if err := st.reload(ctx); err != nil {
			if ctx.Err() != nil {
				log.Warn("reload stopped by shutdown; the previous dataset stays", "store", st.source)
				return
			}
			attrs := []any{"store", st.source, "err", err}
			var le *geo.LoadError
			if errors.As(err, &le) {
				problems := make([]string, len(le.Problems))
				for i, p := range le.Problems {
					problems[i] = p.String()
				}
				attrs = []any{"store", st.source, "problems", problems}
			}
			log.Error("reload failed; still serving the previous dataset", attrs...)
			continue
		}
		version, _ := st.Version(ctx)
		log.Info("reloaded", "store", st.source, "version", version, "took", time.Since(start).Round(time.Millisecond))
	}
}

// gcFloor is the heap floor serve keeps (internal/gcfloor): --gc-floor when
// serving from PostGIS, which keeps a few megabytes live; none for the
// embedded store, which keeps its data in the heap and gained nothing from
// it (with the shipped dataset, the same requests/s at 139 MB of RSS under
// load instead of 29).
func gcFloor(cfg Config) uint64 {
	if cfg.DatabaseURL == "" {
		return 0
	}
	return uint64(cfg.GCFloor)
}
