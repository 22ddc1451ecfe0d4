// Command testsummary reads `go test -json` on standard input and prints a
// short report: the output of every failing test and every build error in
// full, why each skipped test was skipped, one line per package with its
// counts of passed, failed and skipped tests (subtests included), and a
// closing line "tests: N passed, N failed, N skipped". It exits 1 when
// anything failed.
//
//	go test -count=1 -json ./... | go run ./internal/cmd/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Elapsed    float64
	Output     string
	ImportPath string
}

// counts are the results of one package, or of the whole run.
type counts struct {
	passed, failed, skipped int
}

func (c counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.passed, c.failed, c.skipped)
}

// summarize reads events from r and writes the report to w. It reports
// whether any test, package or build failed.
func summarize(r io.Reader, w io.Writer) (bool, error) {
	var (
		total     counts
		anyFailed bool
		perPkg    = map[string]*counts{}
		output    = map[string][]string{} // by package + "\x00" + test
		buildOut  = map[string][]string{} // by import path
	)
	pkg := func(name string) *counts {
		c, ok := perPkg[name]
		if !ok {
			c = &counts{}
			perPkg[name] = c
		}
		return c
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (go vet or the toolchain writing plain text): pass it on.
			fmt.Fprintln(w, string(line))
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "output":
			output[key] = append(output[key], e.Output)
		case "build-output":
			buildOut[e.ImportPath] = append(buildOut[e.ImportPath], e.Output)
		case "build-fail":
			anyFailed = true
			fmt.Fprintf(w, "BUILD FAIL %s\n%s", e.ImportPath, strings.Join(buildOut[e.ImportPath], ""))
		case "pass", "fail", "skip":
			if e.Test == "" {
				anyFailed = packageDone(w, e, pkg(e.Package), output[key]) || anyFailed
				delete(output, key)
				continue
			}
			c := pkg(e.Package)
			switch e.Action {
			case "pass":
				c.passed++
				total.passed++
			case "fail":
				c.failed++
				total.failed++
				anyFailed = true
				fmt.Fprintf(w, "--- FAIL %s %s\n%s", e.Package, e.Test, strings.Join(output[key], ""))
			case "skip":
				c.skipped++
				total.skipped++
				fmt.Fprintf(w, "--- SKIP %s %s: %s\n", e.Package, e.Test, skipReason(output[key]))
			}
			delete(output, key)
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	fmt.Fprintf(w, "tests: %s\n", total)
	return anyFailed, nil
}

// packageDone prints the package's line and reports whether it failed.
func packageDone(w io.Writer, e event, c *counts, out []string) bool {
	elapsed := time.Duration(e.Elapsed * float64(time.Second)).Round(10 * time.Millisecond)
	switch {
	case e.Action == "skip":
		fmt.Fprintf(w, "?    %s [no test files]\n", e.Package)
		return false
	case e.Action == "pass":
		fmt.Fprintf(w, "ok   %s %s (%s)\n", e.Package, elapsed, c)
		return false
	default:
		// Output outside any test: a panic, TestMain failing, or a build error,
		// without go test's own closing lines, which the line below replaces.
		var kept []string
		for _, l := range out {
			if l == "FAIL\n" || l == "PASS\n" || strings.HasPrefix(l, "FAIL\t"+e.Package) || strings.HasPrefix(l, "ok  \t"+e.Package) {
				continue
			}
			kept = append(kept, l)
		}
		fmt.Fprintf(w, "%sFAIL %s %s (%s)\n", strings.Join(kept, ""), e.Package, elapsed, c)
		return true
	}
}

// skipReason extracts the message a skipped test logged, without the
// framework's own lines.
func skipReason(out []string) string {
	var msg []string
	for _, l := range out {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		msg = append(msg, t)
	}
	if len(msg) == 0 {
		return "(no reason given)"
	}
	return strings.Join(msg, " ")
}
