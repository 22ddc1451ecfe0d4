//go:build explain

package postgis

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

// EnvExplainURL names a database holding the scale dataset (`controlmap
// generate --seed 1` then `controlmap import`). When it is set,
// TestExplainStatements prints EXPLAIN (ANALYZE, BUFFERS) of every statement
// the store runs for the benchmark cases, and the median execution time of
// repeated runs; it is a measuring tool for bench/performance-notes.md, not
// a check: it is built only with the tag explain, so that ordinary runs
// neither run nor skip it:
//
//	CONTROLMAP_EXPLAIN_URL=postgres://... go test -tags explain -run 'TestExplainStatements|TestStatementCPU' -v ./geo/postgis
const EnvExplainURL = "CONTROLMAP_EXPLAIN_URL"

// explainCase is one statement to explain.
type explainCase struct {
	name string
	sql  string
	args []any
}

// explainCases are the statements of the benchmark cases, built by the
// store's own builders.
func explainCases() []explainCase {
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	polys := orb.Bound{Min: orb.Point{38, 35}, Max: orb.Point{39, 36}}
	points := orb.Bound{Min: orb.Point{39, 35}, Max: orb.Point{39.5, 35.5}}
	var cs []explainCase
	add := func(name string, sql string, args []any) {
		cs = append(cs, explainCase{name, sql, args})
	}
	sql, args := collectionsSQL()
	add("collections", sql, args)
	sql, args = collectionSQL("points")
	add("collection points", sql, args)
	sql, args = itemsSQL("points", geo.Query{BBox: &points, Limit: 1000}, false) // points: counted apart
	add("items points bbox 0.5° limit 1000", sql, args)
	sql, args = itemsSQL("areas", geo.Query{BBox: &polys, Time: day, Limit: 100}, true)
	add("items areas bbox 1° datetime limit 100", sql, args)
	sql, args = itemsSQL("facilities", geo.Query{Time: day}, false)
	add("items facilities datetime", sql, args)
	sql, args = itemsSQL("points", geo.Query{Time: day, Limit: 10}, false)
	add("items points datetime limit 10", sql, args)
	sql, args = itemSQL("points", "point-000177-2026-01-08", false)
	add("item point by id", sql, args)
	sql, args = itemSQL("points", "point-000177-2026-01-08", true)
	add("item point by id (encoded)", sql, args)
	for _, z := range []maptile.Zoom{7, 10, 13} {
		for _, c := range []struct {
			name   string
			centre orb.Point
		}{{"areas", polys.Center()}, {"points", points.Center()}} {
			sql, args = tileSQL(c.name, geo.TileBound(maptile.At(c.centre, z)), geo.Query{Time: day})
			add(fmt.Sprintf("tile %s z%d", c.name, z), sql, args)
		}
	}
	sql, args = changesSQL("points")
	add("changes points", sql, args)
	return cs
}

func TestExplainStatements(t *testing.T) {
	dbURL := os.Getenv(EnvExplainURL)
	if dbURL == "" {
		t.Skipf("set %s to a database holding the scale dataset to explain the store's statements", EnvExplainURL)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const runs = 7
	for _, c := range explainCases() {
		var times []float64
		var plan []string
		for i := 0; i < runs; i++ {
			rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+c.sql, c.args...)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			for _, l := range lines {
				if v, ok := strings.CutPrefix(l, "Execution Time: "); ok {
					var ms float64
					if _, err := fmt.Sscan(strings.TrimSuffix(v, " ms"), &ms); err == nil {
						times = append(times, ms)
					}
				}
			}
			plan = lines
		}
		slices.Sort(times)
		t.Logf("=== %s: median execution %.2f ms (min %.2f, max %.2f) over %d runs\n%s\n\n%s",
			c.name, times[len(times)/2], times[0], times[len(times)-1], runs, c.sql, strings.Join(plan, "\n"))
	}
}

// TestStatementCPU runs every statement of explainCases the way the store
// does, in the two query modes it uses: pgx's default statement cache
// (named prepared statements, so PostgreSQL may switch to a generic plan
// after five runs) and QueryExecModeCacheDescribe (an unnamed statement per
// run, planned for its values); it reports the CPU time the server
// process spent per run, read from /proc/<pid>/stat of the backend (the
// server must run on this machine). CPU time, unlike wall time, is little
// affected by other processes competing for the cores. Skipped unless
// EnvExplainURL is set.
func TestStatementCPU(t *testing.T) {
	dbURL := os.Getenv(EnvExplainURL)
	if dbURL == "" {
		t.Skipf("set %s to a database holding the scale dataset to measure the store's statements", EnvExplainURL)
	}
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe} {
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		var pid int
		if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		for _, c := range explainCases() {
			run := func() {
				rows, err := conn.Query(ctx, c.sql, append([]any{mode}, c.args...)...)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				for rows.Next() {
					_ = rows.RawValues()
				}
				if err := rows.Err(); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
			}
			for i := 0; i < 6; i++ { // past the switch to a generic plan
				run()
			}
			cpu0, start, n := backendCPU(t, pid), time.Now(), 0
			for ; n < 5000 && (n < 5 || time.Since(start) < 2*time.Second); n++ {
				run()
			}
			cpu := backendCPU(t, pid) - cpu0
			t.Logf("%-18s %-42s %8.3f ms CPU per run (%d runs)", mode, c.name, float64(cpu.Microseconds())/1000/float64(n), n)
		}
		conn.Close(ctx)
	}
}

// backendCPU returns the user and system CPU time of process pid.
func backendCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("cannot read the server process's CPU time: %v", err)
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14 and stime 15, in clock ticks of 1/100 s.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
