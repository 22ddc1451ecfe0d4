package mvt_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/mvt"
)

// TestLayerReuse: a layer given back (Release) and taken again by
// NewLayer writes the same bytes as a layer made anew, whatever tiles it
// wrote before (more or fewer features, up to a table of strings too large
// to keep barely used, other names, strings, numbers and booleans, points,
// lines and polygons across the tile's edge), with or without Expect; and
// what Draw returned stays as it was after its layer is given back and
// reused.
func TestLayerReuse(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	type tileCase struct {
		name   string
		tile   maptile.Tile
		feats  []geo.Feature
		expect bool
	}
	var cases []tileCase
	for i := range 24 {
		tile := maptile.At(orb.Point{10.5, 10.5}, maptile.Zoom(4+i%6))
		b := geo.TileBound(tile)
		w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
		at := func() orb.Point {
			return orb.Point{b.Min[0] - w/4 + r.Float64()*w*1.5, b.Min[1] - h/4 + r.Float64()*h*1.5}
		}
		var feats []geo.Feature
		n := []int{3, 400, 0, 50}[i%4]
		if i%8 == 7 {
			n = 3000 // more strings than a table kept barely used (bigTable)
		}
		for j := range n {
			props := map[string]any{"name": fmt.Sprintf("f%d-%d", i, j), "kind": []string{"camp", "prison"}[j%2]}
			switch j % 5 {
			case 0:
				props["n"] = float64(r.IntN(4))
			case 1:
				props["ok"] = j%3 == 0
			}
			var g orb.Geometry = at()
			switch j % 4 {
			case 1:
				g = orb.LineString{at(), at(), at()}
			case 2:
				c := at()
				g = orb.Polygon{square(c[0]-w/3, c[1]-h/3, c[0]+w/3, c[1]+h/3)}
			}
			feats = append(feats, feature(fmt.Sprintf("%c%03d", 'a'+i%3, j), g, props, geo.Interval{}))
		}
		cases = append(cases, tileCase{fmt.Sprintf("layer%d", i%5), tile, feats, i%2 == 0})
	}
	build := func(l *mvt.Layer, c tileCase) []byte {
		if c.expect {
			l.Expect(len(c.feats), 2*len(c.feats))
		}
		for _, f := range c.feats {
			l.Add(f.Geometry, geo.BoundOf(f.Geometry), geo.EachTileProperty(f))
		}
		return l.Tile()
	}
	want := make([][]byte, len(cases))
	for i, c := range cases {
		want[i] = build(mvt.FreshLayerForTest(c.name, c.tile), c)
	}
	drawnAt := 13 // 400 features
	c := cases[drawnAt]
	first := mvt.NewLayer(c.name, c.tile)
	var drawn []mvt.Drawn
	for _, f := range c.feats {
		if d, ok := first.Draw(f.Geometry, geo.BoundOf(f.Geometry)); ok {
			drawn = append(drawn, d)
		}
	}
	first.Release()
	seen, reused := map[*mvt.Layer]bool{}, 0
	for round := range 3 {
		for _, i := range r.Perm(len(cases)) {
			l := mvt.NewLayer(cases[i].name, cases[i].tile)
			if seen[l] {
				reused++
			}
			seen[l] = true
			got := build(l, cases[i])
			l.Release()
			if !bytes.Equal(got, want[i]) {
				t.Errorf("round %d, tile %d (%d features): %d bytes from a layer reused, %d from a new one", round, i, len(cases[i].feats), len(got), len(want[i]))
			}
		}
	}
	// sync.Pool may drop what it is given (it does at random under the
	// race detector), but not every time.
	if reused == 0 {
		t.Errorf("no layer of %d was reused: the comparison proves nothing", 3*len(cases))
	}
	// The features drawn before, written now on a new layer, give the
	// tile Add gives.
	l := mvt.FreshLayerForTest(c.name, c.tile)
	l.Expect(len(c.feats), 2*len(c.feats))
	j := 0
	for _, f := range c.feats {
		if _, ok := mvt.FreshLayerForTest(c.name, c.tile).Draw(f.Geometry, geo.BoundOf(f.Geometry)); ok {
			l.AddDrawn(drawn[j], geo.EachTileProperty(f))
			j++
		}
	}
	if len(drawn) == 0 || !bytes.Equal(l.Tile(), want[drawnAt]) {
		t.Errorf("%d features drawn before their layer was reused: the tile differs", len(drawn))
	}
}

// TestLayerReleaseTwice: a layer given back twice is in the pool once, so
// that two later layers are never the same.
func TestLayerReleaseTwice(t *testing.T) {
	tile := maptile.At(orb.Point{10.5, 10.5}, 5)
	for range 20 {
		l := mvt.NewLayer("x", tile)
		l.Release()
		l.Release()
		if a, b := mvt.NewLayer("x", tile), mvt.NewLayer("x", tile); a == b {
			t.Fatal("two layers taken from the pool are the same")
		}
	}
}

// TestKeepTable: a pooled table up to 4,096 entries is always kept; a
// larger one only if the tile given back used an eighth of it.
func TestKeepTable(t *testing.T) {
	for _, c := range []struct {
		used, room int
		keep       bool
	}{
		{0, 0, true},
		{0, 4096, true},
		{0, 4097, false},
		{512, 4104, false}, // an eighth of 4,104 is 513
		{513, 4104, true},
		{65536, 65536, true},
	} {
		if got := mvt.KeepTable(c.used, c.room); got != c.keep {
			t.Errorf("KeepTable(%d, %d) = %v, want %v", c.used, c.room, got, c.keep)
		}
	}
}
