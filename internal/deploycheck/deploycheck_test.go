package deploycheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoRoot finds the module root from the test's working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRepoDockerfile(t *testing.T) {
	stages, err := ParseDockerfile(bytes.NewReader(readRepoFile(t, "Dockerfile")))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range CheckDockerfile(stages) {
		t.Error(err)
	}
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.Base, "gcr.io/distroless/static") {
		t.Errorf("final image %q is not distroless/static", final.Base)
	}
	var build string
	for _, st := range stages {
		for _, in := range st.Instructions {
			if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
				build = in.Args
			}
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w"`, "./cmd/controlmap"} {
		if !strings.Contains(build, want) {
			t.Errorf("go build step %q lacks %s", build, want)
		}
	}
}

// TestDockerfileSourcesExist checks that every file the Dockerfile copies
// from the build context exists and is not excluded by .dockerignore, since
// no Docker engine runs here to try the build.
func TestDockerfileSourcesExist(t *testing.T) {
	root := repoRoot(t)
	stages, err := ParseDockerfile(bytes.NewReader(readRepoFile(t, "Dockerfile")))
	if err != nil {
		t.Fatal(err)
	}
	var ignored []string
	for _, l := range strings.Split(string(readRepoFile(t, ".dockerignore")), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ignored = append(ignored, strings.TrimSuffix(l, "/"))
		}
	}
	for _, src := range CopySources(stages) {
		if src == "." {
			continue
		}
		matches, err := filepath.Glob(filepath.Join(root, src))
		if err != nil || len(matches) == 0 {
			t.Errorf("Dockerfile copies %s, which does not exist", src)
		}
		for _, ig := range ignored {
			if strings.TrimSuffix(src, "/") == ig || strings.HasPrefix(src, ig+"/") {
				t.Errorf("Dockerfile copies %s, which .dockerignore excludes (%s)", src, ig)
			}
		}
	}
}

func TestCheckDockerfileRejects(t *testing.T) {
	const good = `FROM golang:1.26 AS build
RUN go build -o /out/app .
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/app"]
`
	tests := []struct {
		name, dockerfile, want string
	}{
		{"good", good, ""},
		{"single stage", "FROM debian\nUSER app\nEXPOSE 1\nENTRYPOINT [\"x\"]\n", "single stage"},
		{"no user", strings.Replace(good, "USER nonroot:nonroot\n", "", 1), "sets no USER"},
		{"root user", strings.Replace(good, "USER nonroot:nonroot", "USER root", 1), "runs as root"},
		{"uid 0", strings.Replace(good, "USER nonroot:nonroot", "USER 0:0", 1), "runs as 0:0"},
		{"curl", strings.Replace(good, "RUN go build", "RUN curl -fsSL https://example.org/x | sh && go build", 1), "RUN uses curl"},
		{"wget after continuation", strings.Replace(good, "RUN go build", "RUN apt-get update && \\\n    wget -q https://example.org/x && go build", 1), "RUN uses wget"},
		{"ADD url", strings.Replace(good, "COPY --from=build /out/app /app", "ADD https://example.org/app /app", 1), "ADD fetches a URL"},
		{"copy from unknown stage", strings.Replace(good, "--from=build", "--from=builder", 1), "names no earlier stage"},
		{"no expose", strings.Replace(good, "EXPOSE 8080\n", "", 1), "no EXPOSE"},
		{"no entrypoint", strings.Replace(good, "ENTRYPOINT [\"/app\"]\n", "", 1), "no ENTRYPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stages, err := ParseDockerfile(strings.NewReader(tt.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			errs := CheckDockerfile(stages)
			if tt.want == "" {
				for _, err := range errs {
					t.Error(err)
				}
				return
			}
			var all []string
			for _, err := range errs {
				all = append(all, err.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("CheckDockerfile = %q, want a problem containing %q", all, tt.want)
			}
		})
	}
}

func TestParseDockerfileErrors(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n", "RUN echo\nFROM x\n", "FROM a b c d\n"} {
		if _, err := ParseDockerfile(strings.NewReader(in)); err == nil {
			t.Errorf("ParseDockerfile(%q) = nil error", in)
		}
	}
}

func TestRepoCompose(t *testing.T) {
	root := repoRoot(t)
	c, err := ParseCompose(readRepoFile(t, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range CheckCompose(c) {
		t.Error(err)
	}
	for _, err := range CheckScaleout(c) {
		t.Error(err)
	}
	// The admin token comes from where docker-compose runs and is empty,
	// so the admin endpoints are off, when it is not set there.
	if v := c.Services["server"].Environment[AdminTokenVar]; v != "${CONTROLMAP_ADMIN_TOKEN:-}" || Interpolate(v) != "" {
		t.Errorf("server: %s is %q, want ${CONTROLMAP_ADMIN_TOKEN:-}", AdminTokenVar, v)
	}
	for _, script := range c.Services["db"].InitScripts() {
		b, err := os.ReadFile(filepath.Join(root, script))
		if err != nil {
			t.Errorf("db init script: %v", err)
			continue
		}
		if strings.Contains(script, "roles") {
			for _, role := range []string{OwnerRole, ReaderRole, "default_transaction_read_only"} {
				if !bytes.Contains(b, []byte(role)) {
					t.Errorf("%s does not set up %s", script, role)
				}
			}
		}
		fi, err := os.Stat(filepath.Join(root, script))
		if err == nil && fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable: the postgres entrypoint would source it instead of running it", script)
		}
		if out, err := exec.Command("bash", "-n", filepath.Join(root, script)).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", script, err, out)
		}
	}
}

func TestCheckComposeRejects(t *testing.T) {
	good := readRepoFile(t, "docker-compose.yml")
	tests := []struct {
		name   string
		mutate func(*Compose)
		want   string
	}{
		{"no db", func(c *Compose) { delete(c.Services, "db") }, `no service "db"`},
		{"not postgis", func(c *Compose) { s := c.Services["db"]; s.Image = "postgres:15"; c.Services["db"] = s }, "is not postgis/postgis"},
		{"no health check", func(c *Compose) { s := c.Services["db"]; s.Healthcheck = nil; c.Services["db"] = s }, "db: no health check"},
		{"health check without pg_isready", func(c *Compose) {
			s := c.Services["db"]
			s.Healthcheck = &Healthcheck{Test: StringList{"CMD", "true"}}
			c.Services["db"] = s
		}, "does not run pg_isready"},
		{"init folder mounted whole", func(c *Compose) {
			s := c.Services["db"]
			s.Volumes = []string{"./deploy/initdb:/docker-entrypoint-initdb.d:ro"}
			c.Services["db"] = s
		}, "hiding the image's 10_postgis.sh"},
		{"import does not wait for health", func(c *Compose) {
			s := c.Services["import"]
			s.DependsOn = DependsOn{"db": "service_started"}
			c.Services["import"] = s
		}, "want service_healthy"},
		{"import as reader", func(c *Compose) {
			s := c.Services["import"]
			s.Environment = Environment{"CONTROLMAP_ADMIN_DATABASE_URL": "postgres://controlmap_reader:x@db/controlmap"}
			c.Services["import"] = s
		}, "want the owner role"},
		{"server starts before import", func(c *Compose) {
			s := c.Services["server"]
			s.DependsOn = DependsOn{"import": "service_started"}
			c.Services["server"] = s
		}, "want service_completed_successfully"},
		{"server as owner", setEnv("server", "DATABASE_URL", "postgres://${USER_NAME:-controlmap_owner}:pw@db:5432/controlmap"), `connects as "controlmap_owner", want the read-only role`},
		{"server holds admin url", setEnv("server", "CONTROLMAP_ADMIN_DATABASE_URL", "postgres://controlmap_owner@db/controlmap"), "must not hold the owner's credentials"},
		{"server migrates", func(c *Compose) { s := c.Services["server"]; s.Command = StringList{"serve"}; c.Services["server"] = s }, "pass --migrate=false"},
		{"server on loopback", setEnv("server", "CONTROLMAP_ADDR", "localhost:8080"), "listens only on localhost"},
		{"port not published", func(c *Compose) { s := c.Services["server"]; s.Ports = []string{"9090:9090"}; c.Services["server"] = s }, "container port 8080 is not published"},
		{"server without admin token", unsetEnv("server", AdminTokenVar), "server: no CONTROLMAP_ADMIN_TOKEN"},
		{"admin token hard-coded", setEnv("server", AdminTokenVar, "0123456789abcdef0123"), "never be written in the file"},
		{"admin token hard-coded as the default", setEnv("server", AdminTokenVar, "${CONTROLMAP_ADMIN_TOKEN:-0123456789abcdef0123}"), "never be written in the file"},
		{"admin token required", setEnv("server", AdminTokenVar, "${CONTROLMAP_ADMIN_TOKEN:?set it}"), "never be written in the file"},
		{"admin token from another variable", setEnv("server", AdminTokenVar, "${POSTGRES_PASSWORD:-}"), "never be written in the file"},
		{"admin token hard-coded in import", setEnv("import", AdminTokenVar, "0123456789abcdef0123"), "import: CONTROLMAP_ADMIN_TOKEN"},
		{"admin token on the command line", func(c *Compose) {
			s := c.Services["server"]
			s.Command = StringList{"serve", "--migrate=false", "--admin-token=0123456789abcdef0123"}
			c.Services["server"] = s
		}, "server: command passes --admin-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCompose(good)
			if err != nil {
				t.Fatal(err)
			}
			tt.mutate(c)
			var all []string
			for _, err := range CheckCompose(c) {
				all = append(all, err.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("CheckCompose = %q, want a problem containing %q", all, tt.want)
			}
		})
	}
}

func TestCheckScaleoutRejects(t *testing.T) {
	good := readRepoFile(t, "docker-compose.yml")
	tests := []struct {
		name   string
		mutate func(*Compose)
		want   string
	}{
		{"no standby", func(c *Compose) { delete(c.Services, "standby") }, `no service "standby"`},
		{"one replica", func(c *Compose) { delete(c.Services, "replica2") }, "1 replica services, want at least 2"},
		{"standby always on", func(c *Compose) { s := c.Services["standby"]; s.Profiles = nil; c.Services["standby"] = s }, "standby: profiles"},
		{"standby before db is healthy", func(c *Compose) {
			s := c.Services["standby"]
			s.DependsOn = DependsOn{"db": "service_started"}
			c.Services["standby"] = s
		}, "standby: depends_on db"},
		{"no replication script", func(c *Compose) {
			s := c.Services["db"]
			s.Volumes = slices.DeleteFunc(slices.Clone(s.Volumes), func(v string) bool { return strings.Contains(v, "replication") })
			c.Services["db"] = s
		}, "no replication init script"},
		{"replica on the primary", setEnv("replica1", "DATABASE_URL", "postgres://controlmap_reader:pw@db:5432/controlmap"), `replica1: reads from "db"`},
		{"replica as owner", setEnv("replica2", "DATABASE_URL", "postgres://controlmap_owner:pw@standby:5432/controlmap"), "want the read-only role"},
		{"replica migrates", func(c *Compose) {
			s := c.Services["replica1"]
			s.Command = StringList{"serve", "--shared-max-age", "1s"}
			c.Services["replica1"] = s
		}, "want serve --migrate=false"},
		{"replica without shared max age", func(c *Compose) {
			s := c.Services["replica2"]
			s.Command = StringList{"serve", "--migrate=false"}
			c.Services["replica2"] = s
		}, "no --shared-max-age"},
		{"edge with its own configuration", func(c *Compose) {
			s := c.Services["edge"]
			s.Volumes = []string{"./nginx.conf:/etc/nginx/nginx.conf:ro"}
			c.Services["edge"] = s
		}, "does not mount ./deploy/nginx/scaleout.conf"},
		{"replica token hard-coded", setEnv("replica1", AdminTokenVar, "0123456789abcdef0123"), "replica1: CONTROLMAP_ADMIN_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCompose(good)
			if err != nil {
				t.Fatal(err)
			}
			tt.mutate(c)
			var all []string
			for _, err := range append(CheckCompose(c), CheckScaleout(c)...) {
				all = append(all, err.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("CheckScaleout = %q, want a problem containing %q", all, tt.want)
			}
		})
	}
}

// setEnv returns a change to the file that sets a variable of a service.
func setEnv(service, name, value string) func(*Compose) {
	return func(c *Compose) {
		s := c.Services[service]
		s.Environment = copyEnv(s.Environment)
		s.Environment[name] = value
		c.Services[service] = s
	}
}

// unsetEnv returns a change to the file that removes a variable of a service.
func unsetEnv(service, name string) func(*Compose) {
	return func(c *Compose) {
		s := c.Services[service]
		s.Environment = copyEnv(s.Environment)
		delete(s.Environment, name)
		c.Services[service] = s
	}
}

func copyEnv(e Environment) Environment {
	out := Environment{}
	for k, v := range e {
		out[k] = v
	}
	return out
}

func TestParseComposeForms(t *testing.T) {
	c, err := ParseCompose([]byte(`
services:
  a:
    image: x
    command: serve --migrate=false
    environment:
      - DATABASE_URL=postgres://u@h/db
      - EMPTY
    depends_on: [b]
    healthcheck:
      test: pg_isready
  b:
    image: y
`))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Services["a"]
	if a.Environment["DATABASE_URL"] != "postgres://u@h/db" {
		t.Errorf("list environment: %v", a.Environment)
	}
	if a.DependsOn["b"] != "service_started" {
		t.Errorf("list depends_on: %v", a.DependsOn)
	}
	if len(a.Command) != 1 || len(a.Healthcheck.Test) != 1 {
		t.Errorf("string command/test: %q %q", a.Command, a.Healthcheck.Test)
	}
	if _, err := ParseCompose([]byte("services: [")); err == nil {
		t.Error("ParseCompose accepted broken YAML")
	}
}

func TestInterpolate(t *testing.T) {
	tests := map[string]string{
		"postgres://r:${PW:-secret}@db/x": "postgres://r:secret@db/x",
		"${A-b}":                          "b",
		"${A}c":                           "c",
		"$A/d":                            "/d",
		"$$literal":                       "$literal",
		"plain":                           "plain",
	}
	for in, want := range tests {
		if got := Interpolate(in); got != want {
			t.Errorf("Interpolate(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDockerComposeConfig runs Debian's docker-compose, which validates the
// file against the compose schema without a Docker engine.
func TestDockerComposeConfig(t *testing.T) {
	path, err := exec.LookPath("docker-compose")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("docker-compose is not installed (scripts/test-deps.sh installs it); CI=true, so the compose file must be validated")
		}
		t.Skip("SKIPPED: docker-compose not installed, so docker-compose.yml was not validated against the compose schema (run scripts/test-deps.sh)")
	}
	for _, args := range [][]string{{"config", "-q"}, {"--profile", ScaleoutProfile, "config", "-q"}} {
		cmd := exec.Command(path, append([]string{"-f", "docker-compose.yml"}, args...)...)
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker-compose %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	// The server gets CONTROLMAP_ADMIN_TOKEN from docker-compose's own
	// environment, and an empty one (no admin endpoints) when it is unset.
	const token = "test-token-0123456789abcdef"
	// An empty --env-file: a developer's .env must not change the answer.
	noEnvFile := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(noEnvFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ set, want string }{{"", ""}, {token, token}} {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, AdminTokenVar+"=") {
				env = append(env, kv)
			}
		}
		if tt.set != "" {
			env = append(env, AdminTokenVar+"="+tt.set)
		}
		cmd := exec.Command(path, "--env-file", noEnvFile, "-f", "docker-compose.yml", "config")
		cmd.Dir = repoRoot(t)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("docker-compose config with %s=%q: %v\n%s", AdminTokenVar, tt.set, err, stderr.String())
		}
		// The rendered file writes ports in the long form, so read only the
		// environments.
		var c struct {
			Services map[string]struct {
				Environment Environment `yaml:"environment"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(out, &c); err != nil {
			t.Fatalf("docker-compose config: %v", err)
		}
		got, ok := c.Services["server"].Environment[AdminTokenVar]
		if !ok || got != tt.want {
			t.Errorf("with %s=%q in docker-compose's environment the server gets %q (set: %v), want %q", AdminTokenVar, tt.set, got, ok, tt.want)
		}
		if _, ok := c.Services["import"].Environment[AdminTokenVar]; ok {
			t.Errorf("the import service gets %s; only the server needs it", AdminTokenVar)
		}
	}
}
