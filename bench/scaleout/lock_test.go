package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLockRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "work")
	f, err := lockRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Name(), dir+".lock"; got != want {
		t.Errorf("lock file %s, want %s (next to the folder a run empties)", got, want)
	}
	// flock locks belong to the open file, so a second open in this
	// process is refused like another process would be.
	_, err = lockRun(dir + "/")
	if err == nil {
		t.Fatal("a second lockRun while the first holds the lock succeeds")
	}
	if !strings.Contains(err.Error(), dir+".lock") || !strings.Contains(err.Error(), "another run") {
		t.Errorf("error %q does not name the lock file and say why", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := lockRun(dir)
	if err != nil {
		t.Fatalf("lockRun after the first ended: %v", err)
	}
	g.Close()
}
