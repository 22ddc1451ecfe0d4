package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/controlmap/controlmap/bench/internal/proc"
)

// nginxConfPath is the configuration nginx is started with (-c), under
// its prefix dir; its command line names it, and cleanLeftovers looks
// for that.
func nginxConfPath(dir string) string { return filepath.Join(dir, "nginx.conf") }

// writePID records a process the run started, for cleanLeftovers.
func writePID(path string, p *proc.Process) {
	_ = os.WriteFile(path, []byte(fmt.Sprintln(p.Cmd.Process.Pid)), 0o644)
}

// readPID reads the process id on the first line of a pid file (ours,
// nginx's or PostgreSQL's postmaster.pid).
func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(first), &pid); err != nil {
		return 0, fmt.Errorf("%s: no process id: %w", path, err)
	}
	if pid <= 1 {
		return 0, fmt.Errorf("%s: process id %d", path, pid)
	}
	return pid, nil
}

// stopByPIDFile stops (SIGTERM, then SIGKILL after 10 s) the process whose
// id the file holds, if it is still running and is this run's: program
// prog with the argument want (see ownProcess). Then it removes the file.
// Any other process that got the same id is never signalled.
func stopByPIDFile(path, prog, want string) {
	if _, err := os.Stat(path); err != nil {
		return
	}
	defer os.Remove(path)
	pid, err := readPID(path)
	if err != nil {
		return
	}
	if !ownProcess(pid, prog, want) {
		if syscall.Kill(pid, 0) == nil {
			logf("%s names pid %d, which is not the %s of %s: left alone", path, pid, prog, want)
		}
		return
	}
	logf("stopping %s (pid %d) left by an earlier run", prog, pid)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Still the same process? The id could have been taken again meanwhile.
	if ownProcess(pid, prog, want) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// ownProcess reports whether process pid is one this run started: its
// command line (/proc/pid/cmdline) is that of program prog with an
// argument equal to want (see cmdlineMatches).
func ownProcess(pid int, prog, want string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && cmdlineMatches(string(b), prog, want)
}

// cmdlineMatches reports whether cmdline, the text of /proc/pid/cmdline,
// is that of program prog (the base name of its first word, less a
// trailing colon) with one word exactly want. want is an absolute path
// under the run's work folder that no other process names: the
// controlmap binary the run built (a replica's argv[0]), the nginx.conf it
// wrote (nginx -c), the standby's data directory (postgres -D).
//
// Words are split at NULs and at white space: nginx rewrites its command
// line into one NUL-padded string, "nginx: master process /usr/sbin/nginx
// -e … -c /…/nginx.conf", and -dir has no spaces (parseFlags).
func cmdlineMatches(cmdline, prog, want string) bool {
	if !filepath.IsAbs(want) {
		return false
	}
	words := strings.FieldsFunc(cmdline, func(r rune) bool { return r == 0 || unicode.IsSpace(r) })
	if len(words) == 0 || filepath.Base(strings.TrimSuffix(words[0], ":")) != prog {
		return false
	}
	return slices.Contains(words, filepath.Clean(want))
}
