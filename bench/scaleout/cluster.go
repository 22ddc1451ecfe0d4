package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Names the run gives what it creates on the machine's cluster, so that a
// later run (or the cleanup) finds them again.
const (
	slotName    = "controlmap_scaleout"
	standbyApp  = "controlmap_scaleout_standby"
	readerRole  = "controlmap_scaleout_reader"
	dbPrefix    = "controlmap_scaleout"
	pgOSUser    = "postgres" // the OS user the standby runs as when we are root
	pgReplUser  = "postgres" // the role the standby replicates as
	standbyName = "standby"
)

// primary is the machine's PostgreSQL cluster, reached as a superuser.
type primary struct {
	adminURL string // its maintenance database
	host     string
	port     int
}

func newPrimary(adminURL string) (*primary, error) {
	cfg, err := pgconn.ParseConfig(adminURL)
	if err != nil {
		return nil, fmt.Errorf("scaleout: -db: %w", err)
	}
	if cfg.Host != "127.0.0.1" && cfg.Host != "localhost" && cfg.Host != "::1" {
		return nil, fmt.Errorf("scaleout: -db must be this machine's PostgreSQL (127.0.0.1), not %s: the standby is made with pg_basebackup on loopback", cfg.Host)
	}
	return &primary{adminURL: adminURL, host: "127.0.0.1", port: int(cfg.Port)}, nil
}

func (p *primary) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.adminURL)
	if err != nil {
		return nil, fmt.Errorf("scaleout: connect to the primary: %w", err)
	}
	return c, nil
}

// exec runs statements on the maintenance database.
func (p *primary) exec(ctx context.Context, sql string, args ...any) error {
	c, err := p.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("scaleout: %s: %w", strings.Fields(sql)[0], err)
	}
	return nil
}

// limits reads the settings a hot standby needs at least as high.
func (p *primary) limits(ctx context.Context, sc *standbyConfig) error {
	c, err := p.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return c.QueryRow(ctx, `SELECT current_setting('max_connections')::int, current_setting('max_worker_processes')::int,
		current_setting('max_wal_senders')::int, current_setting('max_prepared_transactions')::int,
		current_setting('max_locks_per_transaction')::int`).
		Scan(&sc.MaxConnections, &sc.MaxWorkerProcesses, &sc.MaxWALSenders, &sc.MaxPreparedXacts, &sc.MaxLocksPerXact)
}

// canReplicate tries a replication connection as pgReplUser from loopback.
func (p *primary) canReplicate(ctx context.Context) error {
	cfg, err := pgconn.ParseConfig(p.adminURL)
	if err != nil {
		return err
	}
	cfg.User = pgReplUser
	cfg.RuntimeParams["replication"] = "true"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

// hbaFile returns the path of the primary's pg_hba.conf.
func (p *primary) hbaFile(ctx context.Context) (string, error) {
	c, err := p.connect(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	var path string
	err = c.QueryRow(ctx, "SELECT current_setting('hba_file')").Scan(&path)
	return path, err
}

// allowReplication makes sure the standby may connect for replication: if
// the primary refuses it, one line marked hbaMarker is added to its
// pg_hba.conf and the configuration reloaded. It reports whether it added
// the line, which removeReplicationLine takes away again.
func (p *primary) allowReplication(ctx context.Context) (bool, error) {
	if p.canReplicate(ctx) == nil {
		return false, nil
	}
	path, err := p.hbaFile(ctx)
	if err != nil {
		return false, fmt.Errorf("scaleout: find pg_hba.conf: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("scaleout: the primary refuses replication connections and its pg_hba.conf cannot be read to allow them: %w", err)
	}
	text := string(b)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	text += hbaReplicationLine(pgReplUser) + "\n"
	logf("the primary refuses replication from loopback: adding %q to %s (removed at the end)", hbaReplicationLine(pgReplUser), path)
	if err := writeKeepingMode(path, text); err != nil {
		return false, err
	}
	if err := p.exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return true, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := p.canReplicate(ctx)
		if err == nil {
			return true, nil
		}
		if time.Now().After(deadline) {
			return true, fmt.Errorf("scaleout: replication still refused after adding the pg_hba.conf line: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeReplicationLine takes the marked line out of pg_hba.conf, if there,
// and reloads.
func (p *primary) removeReplicationLine(ctx context.Context) error {
	path, err := p.hbaFile(ctx)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text, found := withoutMarked(string(b))
	if !found {
		return nil
	}
	if err := writeKeepingMode(path, text); err != nil {
		return err
	}
	logf("removed the replication line from %s", path)
	return p.exec(ctx, "SELECT pg_reload_conf()")
}

func writeKeepingMode(path, text string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), fi.Mode().Perm())
}

// createSlot creates the standby's physical replication slot, reserving
// WAL from now on, so that the standby can catch up after its restart.
func (p *primary) createSlot(ctx context.Context) error {
	return p.exec(ctx, "SELECT pg_create_physical_replication_slot($1, true)", slotName)
}

// dropSlot drops the slot if it exists and no standby uses it. A slot left
// behind would keep WAL on the primary for ever, so every run and every
// cleanup drops it.
func (p *primary) dropSlot(ctx context.Context) error {
	return p.exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", slotName)
}

// dropLeftovers drops the databases and the role an earlier run left.
func (p *primary) dropLeftovers(ctx context.Context) error {
	c, err := p.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	// The pattern is a bound parameter; LIKE's escape character is \.
	rows, err := c.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1`, runDBPattern)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, n := range names {
		if !isRunDB(n) {
			continue
		}
		logf("dropping database %s left by an earlier run", n)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			return err
		}
	}
	_, err = c.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{readerRole}.Sanitize())
	return err
}

// runDBPattern is the LIKE pattern of the databases runs create
// (proc.CreateDB: dbPrefix, an underscore and a number), with every _ and %
// of the prefix escaped: unescaped, the _ of controlmap_scaleout matches
// any character, and a database named controlmapXscaleout_1 would be
// dropped.
var runDBPattern = likeEscape(dbPrefix+"_") + "%"

// likeEscape escapes s for a LIKE pattern (whose escape character is \
// unless the query names another): it matches s itself, _ and % included.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "_", `\_`, "%", `\%`).Replace(s)
}

// isRunDB reports whether a database name is one proc.CreateDB made for a
// run: dbPrefix, an underscore and digits (what the pattern matches, held
// to the number).
func isRunDB(name string) bool {
	n, ok := strings.CutPrefix(name, dbPrefix+"_")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// createReader creates the read-only role the replicas connect as: it may
// log in, read the tables of db, and every transaction it runs is
// read-only (as controlmap_reader in docker-compose).
func (p *primary) createReader(ctx context.Context, dbURL, db string) error {
	role := pgx.Identifier{readerRole}.Sanitize()
	if err := p.exec(ctx, "CREATE ROLE "+role+" LOGIN"); err != nil {
		return err
	}
	if err := p.exec(ctx, "ALTER ROLE "+role+" SET default_transaction_read_only = on"); err != nil {
		return err
	}
	if err := p.exec(ctx, "GRANT CONNECT ON DATABASE "+pgx.Identifier{db}.Sanitize()+" TO "+role); err != nil {
		return err
	}
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "GRANT USAGE ON SCHEMA public TO "+role+"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+role)
	return err
}

// dropReader drops the role (after its database).
func (p *primary) dropReader(ctx context.Context) error {
	return p.exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{readerRole}.Sanitize())
}

// standby is the second cluster: a streaming standby of the primary in a
// folder of its own, run as the postgres OS user when we are root.
type standby struct {
	bin     string // PostgreSQL's binaries
	dir     string // its data directory
	sockDir string
	logPath string
	port    int
}

// asPG runs a PostgreSQL program as the postgres OS user when we are root
// (PostgreSQL refuses to run as root), in a process group of its own so
// that a Ctrl-C meant for the run does not reach the server it starts.
func (s *standby) asPG(ctx context.Context, prog string, args ...string) error {
	path := filepath.Join(s.bin, prog)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", pgOSUser, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scaleout: %s %s: %w\n%s", prog, strings.Join(args, " "), err, out)
	}
	return nil
}

// pgOwner returns the uid and gid files of the standby must have.
func pgOwner() (int, int, error) {
	if os.Geteuid() != 0 {
		return os.Geteuid(), os.Getegid(), nil
	}
	u, err := user.Lookup(pgOSUser)
	if err != nil {
		return 0, 0, fmt.Errorf("scaleout: OS user %s: %w", pgOSUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// create takes a base backup of the primary through the slot and writes the
// standby's configuration into it.
func (s *standby) create(ctx context.Context, p *primary, sc standbyConfig) error {
	uid, gid, err := pgOwner()
	if err != nil {
		return err
	}
	parent := filepath.Dir(s.dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return err
	}
	if err := os.Chown(parent, uid, gid); err != nil {
		return err
	}
	if err := s.asPG(ctx, "pg_basebackup", "-h", p.host, "-p", strconv.Itoa(p.port), "-U", pgReplUser,
		"-D", s.dir, "-X", "stream", "-c", "fast", "-S", slotName); err != nil {
		return err
	}
	files := map[string]string{
		"postgresql.conf": postgresqlConf(sc),
		"pg_hba.conf":     standbyHBA,
		"pg_ident.conf":   "",
		"standby.signal":  "",
	}
	for name, text := range files {
		path := filepath.Join(s.dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return err
		}
		if err := os.Chown(path, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// start starts the standby and waits until it accepts connections.
func (s *standby) start(ctx context.Context) error {
	return s.asPG(ctx, "pg_ctl", "-D", s.dir, "-l", s.logPath, "-w", "-t", "60", "start")
}

// stop stops it (fast: open sessions are ended) and waits.
func (s *standby) stop(ctx context.Context) error {
	return s.asPG(ctx, "pg_ctl", "-D", s.dir, "-m", "fast", "-w", "-t", "60", "stop")
}

// running reports whether a postmaster holds the data directory.
func (s *standby) running() bool {
	_, err := os.Stat(filepath.Join(s.dir, "postmaster.pid"))
	return err == nil
}

// url is the standby's URL for role on database db.
func (s *standby) url(role, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, s.port, db)
}

// waitReplica waits until the standby answers on db as role, in recovery,
// with the schema replayed.
func (s *standby) waitReplica(ctx context.Context, role, db string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := pgx.Connect(cctx, s.url(role, db))
		if err == nil {
			var rec bool
			var v int64
			err = c.QueryRow(cctx, "SELECT pg_is_in_recovery(), (SELECT version FROM data_version)").Scan(&rec, &v)
			c.Close(cctx)
			if err == nil && !rec {
				err = errors.New("not in recovery: not a standby")
			}
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("scaleout: the standby did not serve %s within %s: %w", db, timeout, last)
}

// dataVersion reads data_version on a server.
func dataVersion(ctx context.Context, dbURL string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var v int64
	err = c.QueryRow(ctx, "SELECT version FROM data_version").Scan(&v)
	return v, err
}

// replication reads the standby's row of pg_stat_replication on the
// primary: its state and lags (as PostgreSQL measures them).
type replicationState struct {
	State                         string
	WriteLag, FlushLag, ReplayLag string
	SentLSN, ReplayLSN            string
}

func (p *primary) replication(ctx context.Context) (replicationState, error) {
	var r replicationState
	c, err := p.connect(ctx)
	if err != nil {
		return r, err
	}
	defer c.Close(ctx)
	err = c.QueryRow(ctx, `SELECT state, coalesce(write_lag::text, '-'), coalesce(flush_lag::text, '-'), coalesce(replay_lag::text, '-'),
		coalesce(sent_lsn::text, '-'), coalesce(replay_lsn::text, '-')
		FROM pg_stat_replication WHERE application_name = $1`, standbyApp).
		Scan(&r.State, &r.WriteLag, &r.FlushLag, &r.ReplayLag, &r.SentLSN, &r.ReplayLSN)
	return r, err
}
