package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func testEdge(dir string) edgeConfig {
	return edgeConfig{
		Dir:         dir,
		Listen:      "127.0.0.1:18080",
		Replicas:    []string{"127.0.0.1:18081", "127.0.0.1:18082"},
		FailTimeout: 2 * time.Second,
		MaxFails:    1,
		RetryAfter:  5 * time.Second,
		CacheSize:   "512m",
		Inactive:    10 * time.Minute,
	}
}

func testStandby() standbyConfig {
	return standbyConfig{
		Port: 15433, SocketDir: "/tmp/controlmap-scaleout/pg",
		PrimaryHost: "127.0.0.1", PrimaryPort: 5432, PrimaryUser: "postgres",
		Slot: "controlmap_scaleout", AppName: "controlmap_scaleout_standby",
		MaxConnections: 100, MaxWorkerProcesses: 8, MaxWALSenders: 10, MaxPreparedXacts: 0, MaxLocksPerXact: 64,
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the generated text (go test -update rewrites it):\n%s", path, got)
	}
}

// TestNginxConf checks the generated nginx.conf against its golden file and
// for what the run relies on, directive by directive.
func TestNginxConf(t *testing.T) {
	c := testEdge("/tmp/controlmap-scaleout/nginx")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	conf := nginxConf(c)
	golden(t, "nginx.conf", conf)
	for _, want := range []string{
		"server 127.0.0.1:18081 max_fails=1 fail_timeout=2s;",
		"server 127.0.0.1:18082 max_fails=1 fail_timeout=2s;",
		"hash $request_uri consistent;",
		"proxy_next_upstream error timeout http_502 http_503 http_504;",
		"proxy_cache_revalidate on;",
		"proxy_cache_use_stale error timeout http_500 http_502 http_503 http_504;",
		"STALE   '110 - \"Response is Stale\"';",
		"error_page 502 504 =503 @unavailable;",
		"add_header Retry-After 5 always;",
		"listen 127.0.0.1:18080;",
		"location = /metrics { return 404; }",
		"location /admin/ { return 404; }",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	// Nothing may make nginx ignore the replicas' cache headers or cache
	// answers on its own terms.
	for _, never := range []string{"proxy_ignore_headers", "proxy_cache_valid", "proxy_hide_header X-Accel-Expires", "updating", "proxy_cache_background_update"} {
		if strings.Contains(conf, never) {
			t.Errorf("nginx.conf has %q: the replicas' Cache-Control and X-Accel-Expires must decide how long a copy is served", never)
		}
	}
}

// TestNginxConfAccepted runs nginx -t on the generated file. nginx-light
// is installed by scripts/test-deps.sh; outside CI a machine without it
// skips loudly, under CI=true it fails.
func TestNginxConfAccepted(t *testing.T) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr == nil {
			bin = "/usr/sbin/nginx"
		} else if os.Getenv("CI") == "true" {
			t.Fatal("nginx is not installed (scripts/test-deps.sh installs nginx-light); CI=true, so the generated nginx.conf must be checked")
		} else {
			t.Skip("SKIPPED: nginx not installed, so the generated nginx.conf was not checked with nginx -t (run scripts/test-deps.sh)")
		}
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // nginx's workers run as nobody when the master is root
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(testEdge(dir))), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-t", "-q", "-e", filepath.Join(dir, "error.log"), "-p", dir, "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}

func TestEdgeConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*edgeConfig)
		want string
	}{
		{"relative dir", func(c *edgeConfig) { c.Dir = "tmp/nginx" }, "absolute path"},
		{"dir with a semicolon", func(c *edgeConfig) { c.Dir = "/tmp/a;b" }, "absolute path"},
		{"no replica", func(c *edgeConfig) { c.Replicas = nil }, "no replica"},
		{"replica without port", func(c *edgeConfig) { c.Replicas = []string{"127.0.0.1"} }, `address "127.0.0.1"`},
		{"listen with a brace", func(c *edgeConfig) { c.Listen = "127.0.0.1:80}" }, "address"},
		{"no fail timeout", func(c *edgeConfig) { c.FailTimeout = 0 }, "at least 1s"},
		{"no cache size", func(c *edgeConfig) { c.CacheSize = "" }, "cache size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testEdge("/tmp/x")
			tt.mod(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestStandbyConf checks the standby's settings: its own port and socket,
// streaming from the primary through its slot, a hot standby with
// feedback, and the primary's limits (a hot standby refuses to start with
// lower ones).
func TestStandbyConf(t *testing.T) {
	c := testStandby()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	conf := postgresqlConf(c)
	golden(t, "standby.conf", conf)
	for _, want := range []string{
		"port = 15433\n",
		"listen_addresses = '127.0.0.1'\n",
		"unix_socket_directories = '/tmp/controlmap-scaleout/pg'\n",
		"primary_conninfo = 'host=127.0.0.1 port=5432 user=postgres application_name=controlmap_scaleout_standby'\n",
		"primary_slot_name = 'controlmap_scaleout'\n",
		"hot_standby = on\n",
		"hot_standby_feedback = on\n",
		"max_connections = 100\n",
		"max_locks_per_transaction = 64\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("standby postgresql.conf lacks %q", want)
		}
	}
	if strings.Contains(standbyHBA, "0.0.0.0") || strings.Contains(standbyHBA, "::/0") {
		t.Error("the standby's pg_hba.conf trusts more than loopback")
	}
}

func TestStandbyConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*standbyConfig)
		want string
	}{
		{"no port", func(c *standbyConfig) { c.Port = 0 }, "ports"},
		{"quote in the socket dir", func(c *standbyConfig) { c.SocketDir = "/tmp/it's" }, "without spaces, quotes"},
		{"conninfo injection", func(c *standbyConfig) { c.PrimaryUser = "postgres password=x" }, "without spaces"},
		{"limits not read", func(c *standbyConfig) { c.MaxConnections = 0 }, "the primary's limits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testStandby()
			tt.mod(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestHBALine: the line the run adds to the primary's pg_hba.conf is found
// and removed again, and nothing else is.
func TestHBALine(t *testing.T) {
	orig := "local all all trust\nhost all all 127.0.0.1/32 trust\n"
	added := orig + hbaReplicationLine("postgres") + "\n"
	if !strings.HasPrefix(hbaReplicationLine("postgres"), "host replication postgres 127.0.0.1/32 trust ") {
		t.Errorf("line %q", hbaReplicationLine("postgres"))
	}
	got, found := withoutMarked(added)
	if !found || got != orig {
		t.Errorf("withoutMarked(added) = %q, %v; want %q, true", got, found, orig)
	}
	if got, found := withoutMarked(orig); found || got != orig {
		t.Errorf("withoutMarked(orig) = %q, %v; want it unchanged", got, found)
	}
	noNewline := strings.TrimSuffix(added, "\n")
	if got, _ := withoutMarked(noNewline); got != orig {
		t.Errorf("withoutMarked without a final newline = %q, want %q", got, orig)
	}
}

// TestComposeNginxConf: docker-compose's edge serves the configuration the
// run measures, rendered for the compose services.
func TestComposeNginxConf(t *testing.T) {
	c := composeEdge()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "deploy", "nginx", "scaleout.conf")
	if *update {
		if err := os.WriteFile(path, []byte(composeNginxConf()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != composeNginxConf() {
		t.Errorf("%s is not the generated configuration (go test ./bench/scaleout -update rewrites it)", path)
	}
}
