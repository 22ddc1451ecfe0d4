package deploycheck

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Roles the deployment uses: the owner runs migrations and imports, the
// reader serves.
const (
	OwnerRole  = "controlmap_owner"
	ReaderRole = "controlmap_reader"
)

// AdminTokenVar is the variable that enables the server's admin endpoints.
const AdminTokenVar = "CONTROLMAP_ADMIN_TOKEN"

// adminTokenRE matches the only values compose may give AdminTokenVar: the
// variable of the same name from its own environment, empty when unset
// (${VAR:-}, ${VAR-} or ${VAR}).
var adminTokenRE = regexp.MustCompile(`^\$\{` + AdminTokenVar + `(:?-)?\}$`)

// Compose is the part of a docker-compose file this package checks.
type Compose struct {
	Services map[string]Service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

// Service is one compose service.
type Service struct {
	Image       string       `yaml:"image"`
	Build       any          `yaml:"build"`
	Command     StringList   `yaml:"command"`
	Environment Environment  `yaml:"environment"`
	DependsOn   DependsOn    `yaml:"depends_on"`
	Healthcheck *Healthcheck `yaml:"healthcheck"`
	Ports       []string     `yaml:"ports"`
	Volumes     []string     `yaml:"volumes"`
	Restart     string       `yaml:"restart"`
	Profiles    []string     `yaml:"profiles"`
	Entrypoint  StringList   `yaml:"entrypoint"`
}

// Healthcheck is a service's health check.
type Healthcheck struct {
	Test    StringList `yaml:"test"`
	Disable bool       `yaml:"disable"`
}

// StringList is a command or test written either as a string or a list.
type StringList []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = StringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// Environment is a service's environment, written as a map or as a list of
// KEY=VALUE.
type Environment map[string]string

// UnmarshalYAML accepts both compose forms.
func (e *Environment) UnmarshalYAML(n *yaml.Node) error {
	out := Environment{}
	switch n.Kind {
	case yaml.MappingNode:
		var m map[string]string
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			out[k] = v
		}
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
	default:
		return fmt.Errorf("deploycheck: line %d: environment must be a map or a list", n.Line)
	}
	*e = out
	return nil
}

// DependsOn maps each dependency to its condition; the list form means
// service_started.
type DependsOn map[string]string

// UnmarshalYAML accepts both compose forms.
func (d *DependsOn) UnmarshalYAML(n *yaml.Node) error {
	out := DependsOn{}
	switch n.Kind {
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, s := range list {
			out[s] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			cond := v.Condition
			if cond == "" {
				cond = "service_started"
			}
			out[k] = cond
		}
	default:
		return fmt.Errorf("deploycheck: line %d: depends_on must be a map or a list", n.Line)
	}
	*d = out
	return nil
}

// ParseCompose decodes a compose file.
func ParseCompose(b []byte) (*Compose, error) {
	var c Compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("deploycheck: docker-compose.yml: %w", err)
	}
	if len(c.Services) == 0 {
		return nil, errors.New("deploycheck: docker-compose.yml has no services")
	}
	return &c, nil
}

var varRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// Interpolate replaces ${VAR:-default}, ${VAR-default}, ${VAR} and $VAR as
// compose does when none of the variables is set: by the default or nothing.
func Interpolate(s string) string {
	s = strings.ReplaceAll(s, "$$", "\x00")
	s = varRE.ReplaceAllString(s, "$2")
	return strings.ReplaceAll(s, "\x00", "$")
}

// InitScripts returns the host paths of files the service mounts into
// /docker-entrypoint-initdb.d.
func (s Service) InitScripts() []string {
	var out []string
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && strings.HasPrefix(parts[1], "/docker-entrypoint-initdb.d/") {
			out = append(out, parts[0])
		}
	}
	return out
}

// CheckCompose returns every way c falls short of the deployment the README
// describes: services db, import and server; db a PostGIS image with a
// pg_isready health check and init scripts mounted file by file (mounting
// the folder would hide the image's own script that creates PostGIS);
// import waiting for a healthy db, running `import` as the owner role;
// server waiting for the import to complete successfully, connecting as the
// read-only role with no admin URL and no start-up migration, listening on
// all interfaces on the port it publishes, and given CONTROLMAP_ADMIN_TOKEN
// from the environment of docker-compose (empty, so no admin endpoints,
// unless it is set there); no service may hard-code an admin token.
func CheckCompose(c *Compose) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("docker-compose.yml: "+format, args...))
	}
	for _, name := range []string{"db", "import", "server"} {
		if _, ok := c.Services[name]; !ok {
			bad("no service %q", name)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	db, imp, srv := c.Services["db"], c.Services["import"], c.Services["server"]

	if !strings.HasPrefix(db.Image, "postgis/postgis:") {
		bad("db: image %q is not postgis/postgis", db.Image)
	}
	switch {
	case db.Healthcheck == nil || db.Healthcheck.Disable:
		bad("db: no health check")
	case !strings.Contains(strings.Join(db.Healthcheck.Test, " "), "pg_isready"):
		bad("db: health check %q does not run pg_isready", db.Healthcheck.Test)
	}
	if len(db.InitScripts()) == 0 {
		bad("db: no init script mounted into /docker-entrypoint-initdb.d/ (one file per mount)")
	}
	for _, v := range db.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && strings.TrimSuffix(parts[1], "/") == "/docker-entrypoint-initdb.d" {
			bad("db: %q mounts over the whole init folder, hiding the image's 10_postgis.sh: mount files one by one", v)
		}
	}

	if got := imp.DependsOn["db"]; got != "service_healthy" {
		bad("import: depends_on db with condition %q, want service_healthy", got)
	}
	if len(imp.Command) == 0 || imp.Command[0] != "import" {
		bad("import: command %q does not run controlmap import", imp.Command)
	}
	adminURL := imp.Environment["CONTROLMAP_ADMIN_DATABASE_URL"]
	if adminURL == "" {
		adminURL = imp.Environment["DATABASE_URL"]
	}
	if u, err := dbUser(adminURL); err != nil {
		bad("import: admin database URL: %v", err)
	} else if u != OwnerRole {
		bad("import: connects as %q, want the owner role %s", u, OwnerRole)
	}

	if got := srv.DependsOn["import"]; got != "service_completed_successfully" {
		bad("server: depends_on import with condition %q, want service_completed_successfully", got)
	}
	if u, err := dbUser(srv.Environment["DATABASE_URL"]); err != nil {
		bad("server: DATABASE_URL: %v", err)
	} else if u != ReaderRole {
		bad("server: DATABASE_URL connects as %q, want the read-only role %s", u, ReaderRole)
	}
	if _, ok := srv.Environment["CONTROLMAP_ADMIN_DATABASE_URL"]; ok {
		bad("server: has CONTROLMAP_ADMIN_DATABASE_URL: the server must not hold the owner's credentials")
	}
	if !slices.Contains(srv.Command, "--migrate=false") && srv.Environment["CONTROLMAP_MIGRATE"] != "false" {
		bad("server: migrations at start-up are on, but the read-only role cannot apply them: pass --migrate=false")
	}
	if _, ok := srv.Environment[AdminTokenVar]; !ok {
		bad("server: no %s: pass it from the environment with %s: ${%s:-}", AdminTokenVar, AdminTokenVar, AdminTokenVar)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Services)) {
		s := c.Services[name]
		if v, ok := s.Environment[AdminTokenVar]; ok && !adminTokenRE.MatchString(v) {
			bad("%s: %s is %q: the token must come from the environment of docker-compose (${%s:-}), never be written in the file", name, AdminTokenVar, v, AdminTokenVar)
		}
		for _, arg := range s.Command {
			if arg == "--admin-token" || arg == "-admin-token" || strings.HasPrefix(arg, "--admin-token=") || strings.HasPrefix(arg, "-admin-token=") {
				bad("%s: command passes --admin-token, which process listings show and which hard-codes the token: use ${%s:-} in environment", name, AdminTokenVar)
			}
		}
	}

	addr := srv.Environment["CONTROLMAP_ADDR"]
	host, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		bad("server: CONTROLMAP_ADDR %q is not host:port", addr)
	case host != "0.0.0.0" && host != "":
		bad("server: CONTROLMAP_ADDR %q listens only on %s, unreachable through the published port", addr, host)
	default:
		published := false
		for _, p := range srv.Ports {
			if strings.HasSuffix(Interpolate(p), ":"+port) || Interpolate(p) == port {
				published = true
			}
		}
		if !published {
			bad("server: container port %s is not published (ports %q)", port, srv.Ports)
		}
	}
	return errs
}

// dbUser returns the user of a postgres:// URL after interpolation.
func dbUser(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("not set")
	}
	u, err := url.Parse(Interpolate(raw))
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.User == nil {
		return "", errors.New("want postgres://USER:PASSWORD@HOST:PORT/DATABASE")
	}
	return u.User.Username(), nil
}

// ScaleoutProfile is the compose profile of the scaled-out deployment.
const ScaleoutProfile = "scaleout"

// CheckScaleout returns every way the scaleout profile of c falls short of
// docs/scaling.md: a standby of db (a PostGIS image, started only after db
// is healthy, with a pg_isready health check); two or more replicas
// (services named replicaN) that run controlmap serve with --migrate=false
// as the read-only role on the standby, never on db, after the import and
// once the standby is healthy, with a shared max age for the edge; an edge
// nginx that mounts deploy/nginx/scaleout.conf and publishes a port; db
// mounting the replication script. Every one of them only in the profile,
// so that a plain docker-compose up starts what it did before.
func CheckScaleout(c *Compose) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("docker-compose.yml: "+format, args...))
	}
	sb, ok := c.Services["standby"]
	if !ok {
		bad("no service %q", "standby")
		return errs
	}
	edge, ok := c.Services["edge"]
	if !ok {
		bad("no service %q", "edge")
		return errs
	}
	var replicas []string
	for _, name := range slices.Sorted(maps.Keys(c.Services)) {
		if strings.HasPrefix(name, "replica") {
			replicas = append(replicas, name)
		}
	}
	if len(replicas) < 2 {
		bad("scaleout: %d replica services, want at least 2", len(replicas))
	}
	for _, name := range append([]string{"standby", "edge"}, replicas...) {
		if !slices.Equal(c.Services[name].Profiles, []string{ScaleoutProfile}) {
			bad("%s: profiles %q, want only [%s]: without the profile, docker-compose up must start what it did", name, c.Services[name].Profiles, ScaleoutProfile)
		}
	}

	if !strings.HasPrefix(sb.Image, "postgis/postgis:") {
		bad("standby: image %q is not postgis/postgis", sb.Image)
	}
	if got := sb.DependsOn["db"]; got != "service_healthy" {
		bad("standby: depends_on db with condition %q, want service_healthy", got)
	}
	if sb.Healthcheck == nil || sb.Healthcheck.Disable || !strings.Contains(strings.Join(sb.Healthcheck.Test, " "), "pg_isready") {
		bad("standby: no pg_isready health check")
	}
	replication := false
	for _, script := range c.Services["db"].InitScripts() {
		if strings.Contains(script, "replication") {
			replication = true
		}
	}
	if !replication {
		bad("db: no replication init script mounted: the standby could not connect")
	}

	for _, name := range replicas {
		r := c.Services[name]
		if len(r.Command) == 0 || r.Command[0] != "serve" || !slices.Contains(r.Command, "--migrate=false") {
			bad("%s: command %q, want serve --migrate=false", name, r.Command)
		}
		if !slices.Contains(r.Command, "--shared-max-age") && r.Environment["CONTROLMAP_SHARED_MAX_AGE"] == "" {
			bad("%s: no --shared-max-age: the edge would keep answers as long as browsers do", name)
		}
		u, err := url.Parse(Interpolate(r.Environment["DATABASE_URL"]))
		switch {
		case err != nil || u.User == nil:
			bad("%s: DATABASE_URL is not a postgres:// URL", name)
		case u.User.Username() != ReaderRole:
			bad("%s: connects as %q, want the read-only role %s", name, u.User.Username(), ReaderRole)
		case u.Hostname() != "standby":
			bad("%s: reads from %q, want the standby", name, u.Hostname())
		}
		if _, ok := r.Environment["CONTROLMAP_ADMIN_DATABASE_URL"]; ok {
			bad("%s: has CONTROLMAP_ADMIN_DATABASE_URL: a replica must not hold the owner's credentials", name)
		}
		if got := r.DependsOn["standby"]; got != "service_healthy" {
			bad("%s: depends_on standby with condition %q, want service_healthy", name, got)
		}
		if got := r.DependsOn["import"]; got != "service_completed_successfully" {
			bad("%s: depends_on import with condition %q, want service_completed_successfully", name, got)
		}
	}

	if !strings.HasPrefix(edge.Image, "nginx:") {
		bad("edge: image %q is not nginx", edge.Image)
	}
	conf := false
	for _, v := range edge.Volumes {
		if strings.HasPrefix(v, "./deploy/nginx/scaleout.conf:") {
			conf = true
		}
	}
	if !conf {
		bad("edge: does not mount ./deploy/nginx/scaleout.conf (the configuration make scaleout measures)")
	}
	if len(edge.Ports) == 0 {
		bad("edge: publishes no port")
	}
	for _, name := range replicas {
		if _, ok := edge.DependsOn[name]; !ok {
			bad("edge: does not depend on %s", name)
		}
	}
	return errs
}
