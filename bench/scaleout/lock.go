package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// lockPath is the lock file of the work folder dir: next to it, not inside,
// since a run empties dir (a lock file removed and made again would let a
// second run in). It is never removed: removing a lock file races with the
// next run taking it.
func lockPath(dir string) string { return filepath.Clean(dir) + ".lock" }

// lockRun takes the exclusive lock of the work folder dir for as long as
// the returned file stays open (the whole process: main keeps it open; the
// kernel releases it when the process ends, however it ends). It does not
// wait: when another run or -cleanup holds it, it fails at once, naming the
// lock file.
//
// Every run uses the same names (the folder, the database prefix, the
// slot, the role) and starts by emptying and dropping what it finds under
// them, so two at once would destroy each other's; the lock keeps them
// apart. Names of their own per run would let them run side by side, but
// the machine's cluster, ports and CPUs are shared anyway and the figures
// of two runs at once would mean nothing: one at a time is what we want.
//
// The file is opened close-on-exec (as os.OpenFile always does), so the
// servers the run starts do not inherit the lock and a run killed with
// SIGKILL does not leave it held by its nginx or replicas.
func lockRun(dir string) (*os.File, error) {
	path := lockPath(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("scaleout: lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("scaleout: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			by := ""
			if pid := strings.TrimSpace(string(holder)); pid != "" {
				by = " (pid " + pid + ")"
			}
			return nil, fmt.Errorf("scaleout: another run or -cleanup%s holds the lock %s on the work folder %s: wait for it to end; two at once would stop and drop each other's servers, database, role and slot", by, path, dir)
		}
		return nil, fmt.Errorf("scaleout: lock %s: %w", path, err)
	}
	// Who holds it, for the message above; only informative.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintln(os.Getpid())), 0)
	}
	return f, nil
}
