package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // substring of the error; "" for success
	}{
		{"small", []string{"-seed", "3", "-polygons", "4", "-min-vertices", "10", "-max-vertices", "30", "-points", "20", "-facilities", "2", "-events", "1"}, ""},
		{"no out", []string{"-seed", "3"}, "-out DIR is required"},
		{"bad vertices", []string{"-min-vertices", "900", "-max-vertices", "10"}, "vertices"},
		{"stray argument", []string{"extra"}, "no other arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := tt.args
			if tt.name != "no out" {
				args = append([]string{"-out", dir}, args...)
			}
			var stdout, stderr bytes.Buffer
			err := run(args, &stdout, &stderr)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("run(%q) = %v, want an error about %s", args, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("run(%q): %v\n%s", args, err, stderr.String())
			}
			ds, err := geo.LoadDir(os.DirFS(dir))
			if err != nil {
				t.Fatalf("the folder does not load: %v", err)
			}
			if n := len(ds.Features["areas"]); n != 4 {
				t.Errorf("%d polygons, want 4", n)
			}
			if !strings.Contains(stdout.String(), "areas 4 points 20") {
				t.Errorf("stdout %q", stdout.String())
			}
		})
	}
}
