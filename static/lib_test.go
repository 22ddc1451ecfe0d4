package static_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/static"
)

// vendored maps each file committed under static/lib to the npm package
// and the file in it that it must equal byte for byte (as
// scripts/vendor-web.sh --update copies them). The folder is not called
// vendor: module zips, which `go install module@version` builds from, leave
// out every file under a "vendor/" folder below the module root.
var vendored = map[string]struct{ pkg, file string }{
	"lib/leaflet/leaflet.js":                                   {"leaflet", "dist/leaflet.js"},
	"lib/leaflet/leaflet.css":                                  {"leaflet", "dist/leaflet.css"},
	"lib/leaflet/LICENSE":                                      {"leaflet", "LICENSE"},
	"lib/leaflet/images/layers.png":                            {"leaflet", "dist/images/layers.png"},
	"lib/leaflet/images/layers-2x.png":                         {"leaflet", "dist/images/layers-2x.png"},
	"lib/leaflet/images/marker-icon.png":                       {"leaflet", "dist/images/marker-icon.png"},
	"lib/leaflet/images/marker-icon-2x.png":                    {"leaflet", "dist/images/marker-icon-2x.png"},
	"lib/leaflet/images/marker-shadow.png":                     {"leaflet", "dist/images/marker-shadow.png"},
	"lib/leaflet.vectorgrid/README.md":                         {"leaflet.vectorgrid", "README.md"}, // its licence
	"lib/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js": {"leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.min.js"},
}

// TestVendorEmbedded: the binary embeds exactly the vendored files, so a
// plain `go build` serves the map without npm.
func TestVendorEmbedded(t *testing.T) {
	var got []string
	err := fs.WalkDir(static.FS, "lib", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got = append(got, p)
		}
		return err
	})
	if err != nil {
		t.Fatalf("static.FS has no lib folder: %v", err)
	}
	want := make([]string, 0, len(vendored))
	for f := range vendored {
		want = append(want, f)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("embedded files under lib/:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestNoVendorFolder: no frontend file is under a folder named vendor, which
// module zips leave out (golang.org/x/mod/zip, "file is in vendor
// directory"): `go install github.com/controlmap/controlmap/cmd/controlmap@v…`
// would build a binary without them, and a blank map.
func TestNoVendorFolder(t *testing.T) {
	err := fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "vendor" {
			t.Errorf("static/%s: a folder named vendor is left out of module zips; its files would be missing from a `go install`ed binary", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVendorMatchesLockedPackages: the files committed under static/lib
// are byte for byte those of the npm packages at the versions of
// package-lock.json (also those package.json pins). It needs node_modules
// (npm ci); without it the comparison is skipped, except under CI=true.
func TestVendorMatchesLockedPackages(t *testing.T) {
	locked := lockedVersions(t)
	pinned := pinnedVersions(t)
	// The header of leaflet.js names its version: check it even without
	// node_modules.
	js, err := fs.ReadFile(static.FS, "lib/leaflet/leaflet.js")
	if err != nil {
		t.Fatal(err)
	}
	if want := " * Leaflet " + locked["leaflet"] + ","; !bytes.Contains(js[:min(len(js), 200)], []byte(want)) {
		t.Errorf("static/lib/leaflet/leaflet.js is not Leaflet %s (its header lacks %q)", locked["leaflet"], want)
	}

	if _, err := os.Stat(filepath.Join("..", "node_modules")); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("node_modules is missing (run npm ci); CI=true requires the comparison with the npm packages: %v", err)
		}
		t.Skip("node_modules is missing (npm ci, or scripts/test-deps.sh): static/lib not compared with the npm packages")
	}
	for _, pkg := range []string{"leaflet", "leaflet.vectorgrid"} {
		if locked[pkg] == "" || locked[pkg] != pinned[pkg] {
			t.Errorf("%s: package-lock.json has %q, package.json pins %q: run npm install, then sh scripts/vendor-web.sh --update", pkg, locked[pkg], pinned[pkg])
		}
		var installed struct{ Version string }
		readJSON(t, filepath.Join("..", "node_modules", pkg, "package.json"), &installed)
		if installed.Version != locked[pkg] {
			t.Fatalf("node_modules holds %s %s, package-lock.json %s: run npm ci", pkg, installed.Version, locked[pkg])
		}
	}
	for f, src := range vendored {
		got, err := fs.ReadFile(static.FS, f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		want, err := os.ReadFile(filepath.Join("..", "node_modules", src.pkg, filepath.FromSlash(src.file)))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("static/%s differs from node_modules/%s/%s (%s %s): run sh scripts/vendor-web.sh --update and commit static/lib",
				f, src.pkg, src.file, src.pkg, locked[src.pkg])
		}
	}
	// A file the package ships that the vendored copy lacks, such as a new
	// image, is a difference too.
	images, err := os.ReadDir(filepath.Join("..", "node_modules", "leaflet", "dist", "images"))
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range images {
		if _, ok := vendored[path.Join("lib/leaflet/images", im.Name())]; !ok {
			t.Errorf("node_modules/leaflet/dist/images/%s is not vendored", im.Name())
		}
	}
}

// lockedVersions returns the versions package-lock.json installs.
func lockedVersions(t *testing.T) map[string]string {
	t.Helper()
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	readJSON(t, filepath.Join("..", "package-lock.json"), &lock)
	out := map[string]string{}
	for _, pkg := range []string{"leaflet", "leaflet.vectorgrid"} {
		out[pkg] = lock.Packages["node_modules/"+pkg].Version
		if out[pkg] == "" {
			t.Fatalf("package-lock.json has no version of %s", pkg)
		}
	}
	return out
}

// pinnedVersions returns the dependencies of package.json.
func pinnedVersions(t *testing.T) map[string]string {
	t.Helper()
	var p struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	readJSON(t, filepath.Join("..", "package.json"), &p)
	return p.Dependencies
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
