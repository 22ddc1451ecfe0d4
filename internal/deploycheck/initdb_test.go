package deploycheck

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// TestInitScriptRoles runs deploy/initdb/20-controlmap-roles.sh against the
// local PostgreSQL the way the postgis image would (as the superuser, on a new
// database), under unique role names, and then checks the deployment story:
// the owner migrates and imports the shipped dataset; the reader serves it
// through postgis.Open but can neither write nor migrate.
func TestInitScriptRoles(t *testing.T) {
	ctx := context.Background()
	if err := pgtest.Available(ctx); err != nil {
		skipOrFail(t, err)
	}
	if _, err := exec.LookPath("psql"); err != nil {
		skipOrFail(t, fmt.Errorf("psql not installed: %w", err))
	}
	admin, err := pgconn.ParseConfig(pgtest.AdminURL())
	if err != nil {
		t.Fatalf("bad %s: %v", pgtest.EnvURL, err)
	}
	suffix := randomHex(t)
	dbName := "controlmap_test_roles_" + suffix
	owner, reader := "controlmap_test_owner_"+suffix, "controlmap_test_reader_"+suffix
	ownerPW, readerPW := randomHex(t), randomHex(t)

	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) }) // runs after the drops below
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{dbName}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, q := range []string{
			"DROP DATABASE IF EXISTS " + pgx.Identifier{dbName}.Sanitize() + " WITH (FORCE)",
			"DROP ROLE IF EXISTS " + pgx.Identifier{reader}.Sanitize(),
			"DROP ROLE IF EXISTS " + pgx.Identifier{owner}.Sanitize(),
		} {
			if _, err := conn.Exec(context.Background(), q); err != nil {
				t.Errorf("cleanup: %s: %v", q, err)
			}
		}
	})

	runScript := func() {
		t.Helper()
		cmd := exec.Command("bash", filepath.Join(repoRoot(t), "deploy/initdb/20-controlmap-roles.sh"))
		cmd.Env = append(os.Environ(),
			"PGHOST="+admin.Host, "PGPORT="+strconv.Itoa(int(admin.Port)), "PGPASSWORD="+admin.Password,
			"POSTGRES_USER="+admin.User, "POSTGRES_DB="+dbName,
			"CONTROLMAP_OWNER_ROLE="+owner, "CONTROLMAP_READER_ROLE="+reader,
			"CONTROLMAP_OWNER_PASSWORD="+ownerPW, "CONTROLMAP_READER_PASSWORD="+readerPW,
		)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("init script: %v\n%s", err, out)
		}
	}
	runScript()
	runScript() // a second run must be harmless

	ownerURL := roleURL(admin, owner, ownerPW, dbName)
	readerURL := roleURL(admin, reader, readerPW, dbName)

	if err := postgis.Migrate(ctx, ownerURL); err != nil {
		t.Fatalf("migrate as owner: %v", err)
	}
	ds, err := geo.LoadDir(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	res, err := postgis.Import(ctx, ownerURL, ds)
	if err != nil {
		t.Fatalf("import as owner: %v", err)
	}
	total := 0
	for _, fs := range ds.Features {
		total += len(fs)
	}
	if res.Inserted != total {
		t.Errorf("import inserted %d features, want %d", res.Inserted, total)
	}

	st, err := postgis.Open(ctx, readerURL)
	if err != nil {
		t.Fatalf("open as reader: %v", err)
	}
	defer st.Close()
	for _, c := range ds.Collections {
		page, err := st.Items(ctx, c.ID, geo.Query{})
		if err != nil {
			t.Fatalf("reader: items of %s: %v", c.ID, err)
		}
		if page.NumberMatched != len(ds.Features[c.ID]) {
			t.Errorf("reader: %s has %d features, want %d", c.ID, page.NumberMatched, len(ds.Features[c.ID]))
		}
	}

	rc, err := pgx.Connect(ctx, readerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	tests := []struct {
		name, sql, code string
	}{
		{"default transaction is read-only", "DELETE FROM features", "25006"},         // read_only_sql_transaction
		{"no write privilege", "BEGIN READ WRITE; DELETE FROM features", "42501"},     // insufficient_privilege
		{"no schema changes", "BEGIN READ WRITE; CREATE TABLE evil (x int)", "42501"}, // insufficient_privilege
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rc.Exec(ctx, tt.sql)
			_, _ = rc.Exec(ctx, "ROLLBACK")
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != tt.code {
				t.Errorf("%s as reader: err = %v, want SQLSTATE %s", tt.sql, err, tt.code)
			}
		})
	}
	if err := postgis.Migrate(ctx, readerURL); err == nil {
		t.Error("migrate as reader succeeded; the server's role must not change the schema")
	}
}

// skipOrFail skips a test that needs PostgreSQL, loudly, or fails it under CI.
func skipOrFail(t *testing.T, err error) {
	t.Helper()
	if pgtest.RequireCI() {
		t.Fatalf("PostgreSQL is required under CI=true: %v", err)
	}
	t.Skipf("SKIPPED: the database roles of docker-compose were not checked: %v (run scripts/pg-setup.sh; CI=true makes this a failure)", err)
}

// roleURL is the URL of database db on the admin connection's server as role.
func roleURL(admin *pgconn.Config, role, password, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(role, password),
		Host:     fmt.Sprintf("%s:%d", admin.Host, admin.Port),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	if filepath.IsAbs(admin.Host) { // a Unix socket folder
		u.Host = ""
		u.RawQuery += "&host=" + url.QueryEscape(admin.Host) + "&port=" + strconv.Itoa(int(admin.Port))
	}
	return u.String()
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
