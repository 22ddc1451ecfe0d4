package geo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"
)

// CatalogFile is the name of the catalogue in a dataset folder.
const CatalogFile = "catalog.json"

// ErrInvalidData is matched (errors.Is) by a *LoadError.
var ErrInvalidData = errors.New("geo: invalid data")

// Problem is one thing wrong with an input: the file, the feature id (empty
// when the problem is with the file itself) and the reason.
type Problem struct {
	File    string `json:"file"`
	Feature string `json:"feature,omitempty"`
	Reason  string `json:"reason"`
}

// String formats the problem as "file: feature ID: reason".
func (p Problem) String() string {
	if p.Feature == "" {
		return p.File + ": " + p.Reason
	}
	return fmt.Sprintf("%s: feature %s: %s", p.File, p.Feature, p.Reason)
}

// LoadError lists every problem found in a dataset. Nothing is loaded or
// written when a LoadError is returned.
type LoadError struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *LoadError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	lines = append(lines, fmt.Sprintf("geo: invalid data: %d problem(s)", len(e.Problems)))
	for _, p := range e.Problems {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

// Is reports whether target is ErrInvalidData.
func (e *LoadError) Is(target error) bool { return target == ErrInvalidData }

// Dataset is a validated set of collections and their features. Features of
// each collection are sorted by id. A Dataset is immutable once loaded and safe
// to share between goroutines.
type Dataset struct {
	Collections []Collection
	Features    map[string][]Feature
	// Digest is a hash of every input byte; it identifies the dataset's content.
	Digest string
}

// Collection returns the collection with the given id.
func (d *Dataset) Collection(id string) (Collection, bool) {
	for _, c := range d.Collections {
		if c.ID == id {
			return c, true
		}
	}
	return Collection{}, false
}

// ReadCatalog reads and checks catalog.json from fsys.
func ReadCatalog(fsys fs.FS) (Catalog, error) {
	b, err := readDataFile(fsys, CatalogFile)
	if err != nil {
		return Catalog{}, &LoadError{Problems: []Problem{{File: CatalogFile, Reason: err.Error()}}}
	}
	return ParseCatalog(b)
}

// ParseCatalog parses and checks catalogue JSON.
func ParseCatalog(b []byte) (Catalog, error) {
	var c Catalog
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Catalog{}, &LoadError{Problems: []Problem{{File: CatalogFile, Reason: "not a valid catalogue: " + err.Error()}}}
	}
	var probs []Problem
	seen := map[string]bool{}
	roles := map[string]string{} // role -> collection id
	own := make([]map[string]float64, len(c.Collections))
	for i, col := range c.Collections {
		switch {
		case !ValidSlug(col.ID):
			probs = append(probs, Problem{File: CatalogFile, Reason: fmt.Sprintf("collection %d: id %q is not a slug ([a-z0-9_-], at most 63 characters)", i, col.ID)})
		case seen[col.ID]:
			probs = append(probs, Problem{File: CatalogFile, Reason: fmt.Sprintf("collection %q is listed twice", col.ID)})
		}
		seen[col.ID] = true
		if col.Title == "" {
			probs = append(probs, Problem{File: CatalogFile, Reason: fmt.Sprintf("collection %q has no title", col.ID)})
		}
		if _, ok := allowedGeometry[col.GeometryType]; !ok {
			probs = append(probs, Problem{File: CatalogFile, Reason: fmt.Sprintf("collection %q: unknown geometry_type %q", col.ID, col.GeometryType)})
		}
		switch col.Role {
		case "", RoleEvents, RoleSites:
			if col.Role != "" && roles[col.Role] != "" {
				probs = append(probs, Problem{File: CatalogFile, Reason: fmt.Sprintf("collections %q and %q both have role %q; one collection may have it", roles[col.Role], col.ID, col.Role)})
			}
			roles[col.Role] = col.ID
		default:
			probs = append(probs, Problem{File: CatalogFile, Reason: fmt.Sprintf("collection %q: unknown role %q (want %q or %q)", col.ID, col.Role, RoleEvents, RoleSites)})
		}
		c.Collections[i].Terms = mergeTerms(c.Terms, col.Terms)
		own[i] = col.PrecisionByConfidence
		c.Collections[i].PrecisionByConfidence = mergeGrids(c.PrecisionByConfidence, col.PrecisionByConfidence)
	}
	for _, conf := range slices.Sorted(maps.Keys(c.PrecisionByConfidence)) {
		if g := c.PrecisionByConfidence[conf]; !validGrid(g) {
			probs = append(probs, Problem{File: CatalogFile, Reason: fmt.Sprintf("precision_by_confidence %q: %v: want a grid in degrees, above 0 and at most %v", conf, g, maxGrid)})
		}
	}
	for i, col := range c.Collections {
		// The collection's own grids: the catalogue's, merged in, are
		// checked once above.
		col.PrecisionByConfidence = own[i]
		probs = append(probs, checkRules(c, col)...)
	}
	if len(probs) > 0 {
		return Catalog{}, &LoadError{Problems: probs}
	}
	return c, nil
}

// LoadDirContext reads a dataset folder: catalog.json and one <id>.geojson
// for each collection it lists. Any other .geojson file is an error (unknown
// collection). Every feature is validated; all problems are reported
// together. It stops when ctx is done (see LoadFilesContext).
func LoadDirContext(ctx context.Context, fsys fs.FS) (*Dataset, error) {
	cat, err := ReadCatalog(fsys)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("geo: read dataset folder: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".geojson") {
			files = append(files, e.Name())
		}
	}
	return LoadFilesContext(ctx, fsys, cat, files, true)
}

// LoadFilesContext reads the named GeoJSON files from fsys as collections of
// the catalogue: the file name stem (facilities.geojson) names the
// collection. With all set, every catalogue collection must have a file and
// the dataset holds all of them; otherwise it holds only the collections
// read. It checks ctx before each file and each feature; once ctx is done
// it returns no dataset and an error naming the file that matches
// ctx.Err() (not a *LoadError).
func LoadFilesContext(ctx context.Context, fsys fs.FS, cat Catalog, files []string, all bool) (*Dataset, error) {
	d := &Dataset{Features: map[string][]Feature{}}
	var probs []Problem
	h := sha256.New()
	catJSON, _ := json.Marshal(cat)
	h.Write(catJSON)
	files = append([]string(nil), files...) // sort a copy; the caller's slice is not ours
	sort.Strings(files)
	read := map[string]string{} // collection id -> file name
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return nil, loadStopped(name, err)
		}
		id := strings.TrimSuffix(path.Base(name), ".geojson")
		col, ok := cat.Lookup(id)
		if !ok {
			probs = append(probs, Problem{File: name, Reason: fmt.Sprintf("unknown collection %q (not in %s)", id, CatalogFile)})
			continue
		}
		if read[id] != "" {
			probs = append(probs, Problem{File: name, Reason: fmt.Sprintf("collection %q given twice", id)})
			continue
		}
		read[id] = name
		b, err := readDataFile(fsys, name)
		if err != nil {
			probs = append(probs, Problem{File: name, Reason: err.Error()})
			continue
		}
		h.Write([]byte(name))
		h.Write(b)
		feats, ps, err := decodeFeatures(ctx, col, name, b, defaultVertexLimits())
		if err != nil {
			return nil, loadStopped(name, err)
		}
		probs = append(probs, ps...)
		d.Features[id] = feats
	}
	for _, col := range cat.Collections {
		// The inside rule needs both collections; a partial load of one
		// (controlmap import of some files) cannot check it.
		if r := col.Inside; r != nil && read[col.ID] != "" && read[r.Areas] != "" {
			probs = append(probs, checkInside(col, read[col.ID], d.Features[col.ID], d.Features[r.Areas])...)
		}
		if read[col.ID] == "" {
			if all {
				probs = append(probs, Problem{File: col.ID + ".geojson", Reason: fmt.Sprintf("collection %q is in %s but its file is missing", col.ID, CatalogFile)})
			}
			continue
		}
		col.Extent, col.Count, col.Properties = Summarize(d.Features[col.ID])
		d.Collections = append(d.Collections, col)
	}
	if len(probs) > 0 {
		return nil, &LoadError{Problems: probs}
	}
	d.Digest = hex.EncodeToString(h.Sum(nil))[:16]
	return d, nil
}

// Summarize computes a collection's extent, feature count and sorted property
// names from its features.
func Summarize(feats []Feature) (Extent, int, []string) {
	ext := Extent{Empty: len(feats) == 0}
	names := map[string]bool{}
	openStart, openEnd := false, false
	for i, f := range feats {
		if f.Geometry != nil {
			if i == 0 {
				ext.Bound = f.Geometry.Bound()
			} else {
				ext.Bound = ext.Bound.Union(f.Geometry.Bound())
			}
		}
		if f.Valid.Start.IsZero() {
			openStart = true
		} else if ext.Time.Start.IsZero() || f.Valid.Start.Before(ext.Time.Start) {
			ext.Time.Start = f.Valid.Start
		}
		if f.Valid.End.IsZero() {
			openEnd = true
		} else if f.Valid.End.After(ext.Time.End) {
			ext.Time.End = f.Valid.End
		}
		for k := range f.Properties {
			names[k] = true
		}
	}
	if openStart {
		ext.Time.Start = time.Time{}
	}
	if openEnd {
		ext.Time.End = time.Time{}
	}
	props := make([]string, 0, len(names))
	for k := range names {
		props = append(props, k)
	}
	sort.Strings(props)
	return ext, len(feats), props
}

// mergeTerms returns the catalogue's terms overlaid with a collection's own;
// nil when both are empty.
func mergeTerms(shared, own map[string]map[string]Term) map[string]map[string]Term {
	if len(shared) == 0 && len(own) == 0 {
		return nil
	}
	out := map[string]map[string]Term{}
	for _, src := range []map[string]map[string]Term{shared, own} {
		for prop, vals := range src {
			if out[prop] == nil {
				out[prop] = map[string]Term{}
			}
			for v, t := range vals {
				out[prop][v] = t
			}
		}
	}
	return out
}
