package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// printVersion writes the module version, the VCS revision the binary was
// built from (when known) and the Go version.
func printVersion(w io.Writer) error {
	_, err := fmt.Fprintln(w, versionString(debug.ReadBuildInfo()))
	return err
}

func versionString(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return "controlmap (unknown version)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var rev, when, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+modified"
			}
		}
	}
	out := "controlmap " + version
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += fmt.Sprintf(" (commit %s%s %s)", rev, dirty, when)
	}
	return out + " " + bi.GoVersion
}
