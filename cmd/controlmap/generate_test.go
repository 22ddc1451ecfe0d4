package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

func TestGenerate(t *testing.T) {
	small := []string{"--seed", "3", "--polygons", "4", "--min-vertices", "10", "--max-vertices", "30", "--points", "20", "--facilities", "2", "--events", "1"}
	tests := []struct {
		name  string
		args  []string
		usage bool // a usage error (exit status 2)
		want  string
	}{
		{"small", small, false, ""},
		{"no out", []string{"--seed", "3"}, true, "--out DIR is required"},
		{"bad vertices", []string{"--min-vertices", "900", "--max-vertices", "10"}, true, "vertices"},
		{"stray argument", []string{"extra"}, true, "no other arguments"},
		{"unknown flag", []string{"--colour", "red"}, true, "colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := tt.args
			if tt.name != "no out" {
				args = append([]string{"--out", dir}, args...)
			}
			var stdout, stderr bytes.Buffer
			// Through run, as the command line goes.
			err := run(t.Context(), append([]string{"generate"}, args...), sys{lookupEnv: func(string) (string, bool) { return "", false }, stdout: &stdout, stderr: &stderr})
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, new(usageError)) != tt.usage {
					t.Fatalf("generate %q = %v, want a usage error about %s", args, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("generate %q: %v\n%s", args, err, stderr.String())
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
	var stderr bytes.Buffer
	if err := generate([]string{"-h"}, &bytes.Buffer{}, &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "usage: controlmap generate") {
		t.Errorf("-h: %v, %q", err, stderr.String())
	}
}
