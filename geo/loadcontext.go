package geo

import (
	"context"
	"fmt"
	"io/fs"
)

// LoadDir is LoadDirContext with a context that is never done.
func LoadDir(fsys fs.FS) (*Dataset, error) {
	return LoadDirContext(context.Background(), fsys)
}

// LoadFiles is LoadFilesContext with a context that is never done.
func LoadFiles(fsys fs.FS, cat Catalog, files []string, all bool) (*Dataset, error) {
	return LoadFilesContext(context.Background(), fsys, cat, files, all)
}

// DecodeFeaturesContext is DecodeFeatures that checks ctx before each
// feature and returns ctx.Err(), and no features, once ctx is done.
func DecodeFeaturesContext(ctx context.Context, col Collection, file string, b []byte) ([]Feature, []Problem, error) {
	return decodeFeatures(ctx, col, file, b, defaultVertexLimits())
}

// loadStopped is the error of a load that ctx stopped at file.
func loadStopped(file string, err error) error {
	return fmt.Errorf("geo: loading stopped at %s: %w", file, err)
}
