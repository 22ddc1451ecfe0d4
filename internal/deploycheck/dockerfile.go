// Package deploycheck checks the deployment files, Dockerfile and
// docker-compose.yml, without a Docker engine: it parses them and asserts
// what the project relies on (a multi-stage, non-root image that downloads
// nothing with curl or wget; PostGIS with a health check, a one-shot import
// as the owner role, and a server on the read-only role started only after
// the import succeeded). Its tests run these checks on the repository's
// files and on broken variants of them.
package deploycheck

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Instruction is one Dockerfile instruction with its continuation lines joined.
type Instruction struct {
	Cmd  string // upper case: FROM, RUN, COPY, ...
	Args string
	Line int // where it starts, from 1
}

// Stage is a build stage: a FROM instruction and what follows it.
type Stage struct {
	Base         string
	Name         string // the AS name; empty when unnamed
	Line         int
	Instructions []Instruction
}

// ParseDockerfile splits a Dockerfile into stages. It understands comments,
// blank lines and backslash continuations, which is all this project's
// Dockerfile uses; heredocs are not supported.
func ParseDockerfile(r io.Reader) ([]Stage, error) {
	var (
		stages []Stage
		buf    strings.Builder
		start  int
		n      int
	)
	flush := func() error {
		text := strings.TrimSpace(buf.String())
		buf.Reset()
		if text == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := Instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start}
		if in.Cmd == "FROM" {
			st, err := parseFrom(in)
			if err != nil {
				return err
			}
			stages = append(stages, st)
			return nil
		}
		if len(stages) == 0 {
			if in.Cmd == "ARG" { // ARG before the first FROM is allowed
				return nil
			}
			return fmt.Errorf("deploycheck: Dockerfile line %d: %s before the first FROM", in.Line, in.Cmd)
		}
		last := &stages[len(stages)-1]
		last.Instructions = append(last.Instructions, in)
		return nil
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && buf.Len() == 0) {
			continue
		}
		if buf.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(trimmed, `\`) {
			buf.WriteString(strings.TrimSuffix(trimmed, `\`))
			buf.WriteString(" ")
			continue
		}
		buf.WriteString(trimmed)
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("deploycheck: read Dockerfile: %w", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("deploycheck: Dockerfile has no FROM")
	}
	return stages, nil
}

func parseFrom(in Instruction) (Stage, error) {
	var words []string
	for _, w := range strings.Fields(in.Args) {
		if !strings.HasPrefix(w, "--") { // --platform=...
			words = append(words, w)
		}
	}
	st := Stage{Line: in.Line}
	switch {
	case len(words) == 1:
		st.Base = words[0]
	case len(words) == 3 && strings.EqualFold(words[1], "AS"):
		st.Base, st.Name = words[0], words[2]
	default:
		return st, fmt.Errorf("deploycheck: Dockerfile line %d: want FROM IMAGE [AS NAME], got %q", in.Line, in.Args)
	}
	return st, nil
}

var downloaderRE = regexp.MustCompile(`(^|[^A-Za-z0-9_./-])(curl|wget)($|[^A-Za-z0-9_-])`)

// CheckDockerfile returns every way the stages fall short: the build must be
// multi-stage; the final stage must run as a named non-root user, expose a
// port and have an ENTRYPOINT; no stage may fetch anything with curl or wget
// or ADD a URL (every input comes from the build context or a package
// registry's own client); COPY --from must name an earlier stage.
func CheckDockerfile(stages []Stage) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("Dockerfile: "+format, args...)) }
	if len(stages) < 2 {
		bad("single stage: build in one stage and copy the binary into a small final image")
	}
	names := map[string]bool{}
	for i, st := range stages {
		for _, in := range st.Instructions {
			switch in.Cmd {
			case "RUN":
				if m := downloaderRE.FindStringSubmatch(in.Args); m != nil {
					bad("line %d: RUN uses %s: fetch nothing from the network outside package managers", in.Line, m[2])
				}
			case "ADD":
				if strings.Contains(in.Args, "://") || strings.Contains(in.Args, "git@") {
					bad("line %d: ADD fetches a URL: copy from the build context instead", in.Line)
				}
			case "COPY":
				if from, ok := flagValue(in.Args, "from"); ok && !names[from] {
					bad("line %d: COPY --from=%s names no earlier stage", in.Line, from)
				}
			}
		}
		if st.Name != "" {
			names[st.Name] = true
		}
		names[fmt.Sprint(i)] = true
	}
	final := stages[len(stages)-1]
	user := ""
	var expose, entrypoint bool
	for _, in := range final.Instructions {
		switch in.Cmd {
		case "USER":
			user = in.Args
		case "EXPOSE":
			expose = true
		case "ENTRYPOINT":
			entrypoint = true
		}
	}
	name, _, _ := strings.Cut(user, ":")
	switch name {
	case "":
		bad("final stage (line %d) sets no USER: it would run as root", final.Line)
	case "root", "0":
		bad("final stage runs as %s: use a non-root user", user)
	}
	if !expose {
		bad("final stage has no EXPOSE")
	}
	if !entrypoint {
		bad("final stage has no ENTRYPOINT")
	}
	return errs
}

// flagValue returns the value of --name=value among an instruction's flags.
func flagValue(args, name string) (string, bool) {
	for _, w := range strings.Fields(args) {
		if v, ok := strings.CutPrefix(w, "--"+name+"="); ok {
			return v, true
		}
		if !strings.HasPrefix(w, "--") {
			break
		}
	}
	return "", false
}

// CopySources returns the build-context paths (possibly globs) the stages
// COPY or ADD, so that a test can check they exist.
func CopySources(stages []Stage) []string {
	var out []string
	for _, st := range stages {
		for _, in := range st.Instructions {
			if in.Cmd != "COPY" && in.Cmd != "ADD" {
				continue
			}
			if _, ok := flagValue(in.Args, "from"); ok {
				continue
			}
			var words []string
			for _, w := range strings.Fields(in.Args) {
				if !strings.HasPrefix(w, "--") {
					words = append(words, w)
				}
			}
			if len(words) >= 2 {
				out = append(out, words[:len(words)-1]...)
			}
		}
	}
	return out
}
