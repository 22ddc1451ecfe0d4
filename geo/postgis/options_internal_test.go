package postgis

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestConfigureJIT: the store's sessions run without JIT compilation
// unless the database URL sets jit itself (as a parameter or in options).
func TestConfigureJIT(t *testing.T) {
	for url, want := range map[string]string{
		"postgres://u@localhost/db":                          "off",
		"postgres://u@localhost/db?jit=on":                   "on",
		"postgres://u@localhost/db?options=-c%20jit%3Don":    "",
		"postgres://u@localhost/db?application_name=replica": "off",
	} {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		configure(cfg, Options{})
		if got := cfg.ConnConfig.RuntimeParams["jit"]; got != want {
			t.Errorf("%s: jit %q, want %q", url, got, want)
		}
	}
}

// TestConfigureParallel: the store's queries run without parallel workers
// unless the database URL sets max_parallel_workers_per_gather itself, in
// any spelling PostgreSQL reads (options with -c, -cname or --name, dashes
// for underscores, any case); a URL that sets only jit keeps this default,
// and the other way round; a setting whose name merely contains the other
// (jit_above_cost) or a value that does (search_path=jitter) sets nothing.
func TestConfigureParallel(t *testing.T) {
	const name = "max_parallel_workers_per_gather"
	for url, want := range map[string][2]string{
		"postgres://u@localhost/db":                                                              {"0", "off"},
		"postgres://u@localhost/db?max_parallel_workers_per_gather=2":                            {"2", "off"},
		"postgres://u@localhost/db?options=-c%20max_parallel_workers_per_gather%3D4":             {"", "off"},
		"postgres://u@localhost/db?options=-cmax_parallel_workers_per_gather%3D4":                {"", "off"},
		"postgres://u@localhost/db?options=--max-parallel-workers-per-gather%3D4":                {"", "off"},
		"postgres://u@localhost/db?options=-c%20MAX_PARALLEL_WORKERS_PER_GATHER%3D4":             {"", "off"},
		"postgres://u@localhost/db?jit=on":                                                       {"0", "on"},
		"postgres://u@localhost/db?options=-c%20jit%3Don%20-c%20work_mem%3D64MB":                 {"0", ""},
		"postgres://u@localhost/db?options=-c%20JIT%3Don":                                        {"0", ""},
		"postgres://u@localhost/db?options=-c%20max_parallel_workers_per_gather%3D1&jit=on":      {"", "on"},
		"postgres://u@localhost/db?options=-c%20jit_above_cost%3D10%20-c%20search_path%3Djitter": {"0", "off"},
	} {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		configure(cfg, Options{})
		if got := cfg.ConnConfig.RuntimeParams[name]; got != want[0] {
			t.Errorf("%s: %s %q, want %q", url, name, got, want[0])
		}
		if got := cfg.ConnConfig.RuntimeParams["jit"]; got != want[1] {
			t.Errorf("%s: jit %q, want %q", url, got, want[1])
		}
	}
}
