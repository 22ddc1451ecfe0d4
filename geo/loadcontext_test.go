package geo_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

// cancelOnOpen is a dataset folder that cancels a context when the file
// named is opened.
type cancelOnOpen struct {
	fs.FS
	name   string
	cancel context.CancelFunc
}

func (c cancelOnOpen) Open(name string) (fs.File, error) {
	if name == c.name {
		c.cancel()
	}
	return c.FS.Open(name)
}

// TestLoadDirContext stops a load when its context is done: before it
// starts, and while it reads the second of three collections, whose file
// the error names. A stopped load is not a *geo.LoadError and gives no
// dataset.
func TestLoadDirContext(t *testing.T) {
	t.Run("done before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ds, err := geo.LoadDirContext(ctx, validFS(t))
		if ds != nil || !errors.Is(err, context.Canceled) || errors.Is(err, geo.ErrInvalidData) {
			t.Fatalf("LoadDirContext = %v, %v; want no dataset and context.Canceled", ds, err)
		}
	})
	t.Run("done while loading", func(t *testing.T) {
		// Files are read in name order: areas, border, facilities.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ds, err := geo.LoadDirContext(ctx, cancelOnOpen{FS: validFS(t), name: "border.geojson", cancel: cancel})
		if ds != nil || !errors.Is(err, context.Canceled) || errors.Is(err, geo.ErrInvalidData) {
			t.Fatalf("LoadDirContext = %v, %v; want no dataset and context.Canceled", ds, err)
		}
		if want := "geo: loading stopped at border.geojson: context canceled"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	})
	t.Run("never done", func(t *testing.T) {
		if _, err := geo.LoadDirContext(context.Background(), validFS(t)); err != nil {
			t.Fatal(err)
		}
	})
}

// doneAfter is a context whose Err is nil for its first n calls and
// context.Canceled from then on.
type doneAfter struct {
	context.Context
	n atomic.Int64
}

func (c *doneAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestDecodeFeaturesContext checks the context before each feature: a
// context done after the third check stops the decoding there.
func TestDecodeFeaturesContext(t *testing.T) {
	col := geo.Collection{ID: "border", Title: "B", GeometryType: "LineString"}
	var feats []map[string]any
	for i := range 10 {
		feats = append(feats, borderLine(fmt.Sprintf("b%d", i), nil))
	}
	b := fcJSON(t, feats...)
	ctx := &doneAfter{Context: context.Background()}
	ctx.n.Store(3)
	got, probs, err := geo.DecodeFeaturesContext(ctx, col, "border.geojson", b)
	if got != nil || probs != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("DecodeFeaturesContext = %d features, %v, %v; want none and context.Canceled", len(got), probs, err)
	}
	if n := ctx.n.Load(); n != -1 {
		t.Errorf("the context was checked %d times, want 4 (three features, then stop)", 3-n)
	}
	ctx.n.Store(1 << 20)
	got, probs, err = geo.DecodeFeaturesContext(ctx, col, "border.geojson", b)
	if len(got) != 10 || len(probs) != 0 || err != nil {
		t.Errorf("DecodeFeaturesContext = %d features, %v, %v; want all 10", len(got), probs, err)
	}
}
