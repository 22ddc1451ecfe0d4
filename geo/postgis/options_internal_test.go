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
