package postgis

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrateLockKey is the pg_advisory_xact_lock key that serialises migrations,
// so that two servers starting at once apply each migration exactly once.
const migrateLockKey int64 = 0x636d_6d69_6772 // "cmmigr"

// migration is one versioned SQL file.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	return readMigrations(migrationFS, "migrations")
}

// readMigrations reads NNNN_name.sql files from dir of fsys, in version order.
// Versions must be positive and unique.
func readMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("postgis: read migrations: %w", err)
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgis: migration %s: name must be NNNN_description.sql", e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("postgis: migrations %s and %s share version %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("postgis: read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every embedded migration not yet recorded in the table
// schema_migrations, each in its own transaction under an advisory lock, so
// running it again (or from two processes at once) is safe. It needs a role
// that may create extensions, tables and triggers.
func Migrate(ctx context.Context, databaseURL string) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("postgis: migrate: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, m := range ms {
		if err := applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration runs m in a transaction unless it is already recorded.
func applyMigration(ctx context.Context, conn *pgx.Conn, m migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey); err != nil {
			return fmt.Errorf("postgis: migrate: lock: %w", classify(err))
		}
		if _, err := tx.Exec(ctx, createMigrationsTableSQL); err != nil {
			return fmt.Errorf("postgis: migrate: %w", classify(err))
		}
		var applied bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", m.Version).Scan(&applied); err != nil {
			return fmt.Errorf("postgis: migrate: %w", classify(err))
		}
		if applied {
			return nil
		}
		// No arguments: pgx sends the file with the simple protocol, so it
		// may hold several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("postgis: migration %s: %w", m.Name, classify(err))
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return fmt.Errorf("postgis: migration %s: record: %w", m.Name, classify(err))
		}
		return nil
	})
}

const createMigrationsTableSQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// connect opens one connection for Migrate and Import.
func connect(ctx context.Context, databaseURL string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("bad database URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, classify(err)
	}
	return conn, nil
}
