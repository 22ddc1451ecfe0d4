package memory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
)

// generation is a dataset folder in which every feature, the collection's
// title and the feature count say which generation they belong to.
func generation(t *testing.T, gen string, n int) fstest.MapFS {
	t.Helper()
	cat := fmt.Sprintf(`{"collections":[{"id":"things","title":"gen %s","geometry_type":"Point","required":["gen"],
		"style":{"property":"","colors":{},"default_color":"#000"}}]}`, gen)
	feats := make([]any, n)
	for i := range feats {
		feats[i] = map[string]any{
			"type": "Feature", "id": fmt.Sprintf("%s%03d", gen, i),
			"geometry":   map[string]any{"type": "Point", "coordinates": []float64{40 + float64(i%10)/10, 36 + float64(i/10)/10}},
			"properties": map[string]any{"gen": gen, "sources": []any{map[string]any{"publisher": "test"}}},
		}
	}
	b, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": feats})
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{geo.CatalogFile: {Data: []byte(cat)}, "things.geojson": {Data: b}}
}

// TestReloadAtomic reloads between two datasets that differ in every feature
// while readers query; each answer must come wholly from one dataset. Run it
// with -race.
func TestReloadAtomic(t *testing.T) {
	sizes := map[string]int{"a": 60, "b": 40}
	dirs := map[string]fstest.MapFS{"a": generation(t, "a", sizes["a"]), "b": generation(t, "b", sizes["b"])}
	s, err := memory.Load(dirs["a"])
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// consistent reports what is wrong with a page, or "" if it is all of gen.
	consistent := func(page geo.Page, wantTotal func(gen string) int) string {
		if len(page.Features) == 0 {
			return ""
		}
		gen := page.Features[0].Properties["gen"].(string)
		for _, f := range page.Features {
			if f.Properties["gen"] != gen || !strings.HasPrefix(f.ID, gen) {
				return fmt.Sprintf("page mixes gen %s with %s (%s)", gen, f.Properties["gen"], f.ID)
			}
		}
		if page.NumberMatched != wantTotal(gen) {
			return fmt.Sprintf("gen %s page says %d matched, want %d", gen, page.NumberMatched, wantTotal(gen))
		}
		return ""
	}
	box := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{40.45, 36.35}} // 5 columns × 4 rows of either gen
	readers := []func() string{
		func() string {
			page, err := s.Items(ctx, "things", geo.Query{})
			if err != nil {
				return err.Error()
			}
			if len(page.Features) != page.NumberMatched {
				return fmt.Sprintf("%d features, %d matched", len(page.Features), page.NumberMatched)
			}
			return consistent(page, func(g string) int { return sizes[g] })
		},
		func() string {
			page, err := s.Items(ctx, "things", geo.Query{Limit: 7, Offset: 33})
			if err != nil {
				return err.Error()
			}
			return consistent(page, func(g string) int { return sizes[g] })
		},
		func() string {
			page, err := s.Items(ctx, "things", geo.Query{BBox: &box})
			if err != nil {
				return err.Error()
			}
			if len(page.Features) != 20 {
				return fmt.Sprintf("bbox found %d, want 20", len(page.Features))
			}
			return consistent(page, func(string) int { return 20 })
		},
		func() string {
			c, err := s.Collection(ctx, "things")
			if err != nil {
				return err.Error()
			}
			if want := sizes[strings.TrimPrefix(c.Title, "gen ")]; c.Count != want {
				return fmt.Sprintf("collection %q counts %d, want %d", c.Title, c.Count, want)
			}
			return ""
		},
	}

	done := make(chan struct{})
	errs := make(chan string, len(readers))
	var wg sync.WaitGroup
	for _, read := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if msg := read(); msg != "" {
					errs <- msg
					return
				}
			}
		}()
	}
	for i := range 40 {
		gen := "ab"[i%2 : i%2+1]
		if err := s.Reload(dirs[gen]); err != nil {
			t.Errorf("Reload %s: %v", gen, err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	c, err := s.Collection(ctx, "things")
	if err != nil || c.Title != "gen b" {
		t.Errorf("after the last reload: %+v, %v; want gen b", c.Title, err)
	}
}

// onOpen is a dataset folder that calls hook whenever the file named is
// opened (the loader opens it to stat it, then to read it).
type onOpen struct {
	fs.FS
	name string
	hook func()
}

func (o onOpen) Open(name string) (fs.File, error) {
	if name == o.name {
		o.hook()
	}
	return o.FS.Open(name)
}

// TestReloadContext cancels reloads: one whose context ends while it reads
// the folder, and one waiting for the reload before it. Neither changes
// what is served, and each says it was cancelled.
func TestReloadContext(t *testing.T) {
	ctx := context.Background()
	s, err := memory.Load(generation(t, "a", 30))
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := s.Version(ctx)
	served := func() string {
		c, err := s.Collection(ctx, "things")
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s with %d", c.Title, c.Count)
	}

	t.Run("while loading", func(t *testing.T) {
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		err := s.ReloadContext(rctx, onOpen{FS: generation(t, "b", 20), name: "things.geojson", hook: cancel})
		if !errors.Is(err, context.Canceled) || errors.Is(err, geo.ErrInvalidData) {
			t.Fatalf("ReloadContext = %v, want context.Canceled", err)
		}
		if v, _ := s.Version(ctx); v != v1 || served() != "gen a with 30" {
			t.Errorf("after a cancelled reload: version %s (was %s), serving %s", v, v1, served())
		}
	})

	t.Run("waiting for its turn", func(t *testing.T) {
		opened, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		first := make(chan error, 1)
		go func() {
			first <- s.ReloadContext(ctx, onOpen{FS: generation(t, "c", 10), name: "things.geojson",
				hook: func() { once.Do(func() { close(opened); <-release }) }})
		}()
		<-opened // the first reload runs, and waits
		rctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.ReloadContext(rctx, generation(t, "d", 5)); !errors.Is(err, context.Canceled) {
			t.Errorf("a reload cancelled while another runs: %v, want context.Canceled", err)
		}
		if got := served(); got != "gen a with 30" {
			t.Errorf("serving %s while the first reload waits", got)
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if got := served(); got != "gen c with 10" {
			t.Errorf("serving %s after the first reload, want gen c", got)
		}
	})
}
