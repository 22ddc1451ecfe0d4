package geo

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// overlapsPairwise is the check Overlaps replaced, kept as the oracle: every
// two versions of each thing compared.
func overlapsPairwise(feats []Feature) [][2]string {
	byThing := map[string][]Feature{}
	for _, f := range feats {
		if f.Thing != "" {
			byThing[f.Thing] = append(byThing[f.Thing], f)
		}
	}
	things := make([]string, 0, len(byThing))
	for t := range byThing {
		things = append(things, t)
	}
	sort.Strings(things)
	var out [][2]string
	for _, t := range things {
		vs := byThing[t]
		for i := range vs {
			for j := i + 1; j < len(vs); j++ {
				if vs[i].Valid.Intersects(vs[j].Valid) {
					out = append(out, [2]string{vs[j].ID, vs[i].ID})
				}
			}
		}
	}
	return out
}

// randomVersions returns n features of a few things whose validities start
// and end on a few days, so that equal ends and starts, touching intervals,
// instants on either end of an interval, two equal instants and open ends
// are all common. Every validity passes Interval.Validate.
func randomVersions(rng *rand.Rand, n int) []Feature {
	day := func() time.Time { return time.Date(2026, 1, 1+rng.IntN(6), 0, 0, 0, 0, time.UTC) }
	feats := make([]Feature, n)
	for i := range feats {
		var iv Interval
		switch rng.IntN(6) {
		case 0: // an instant
			iv = Instant(day())
		case 1: // open at the start
			iv.End = day()
		case 2: // open at the end
			iv.Start = day()
		case 3:
			if rng.IntN(4) == 0 { // open at both ends
				break
			}
			fallthrough
		default:
			a, b := day(), day()
			for a.Equal(b) {
				b = day()
			}
			if b.Before(a) {
				a, b = b, a
			}
			iv = Interval{Start: a, End: b}
		}
		if err := iv.Validate(); err != nil {
			panic(err)
		}
		thing := fmt.Sprintf("t%d", rng.IntN(3))
		if rng.IntN(8) == 0 {
			thing = "" // not a version of anything
		}
		feats[i] = Feature{ID: fmt.Sprintf("f%03d", rng.IntN(1000)), Thing: thing, Valid: iv}
	}
	return feats
}

// TestOverlapsMatchesPairwise compares Overlaps with every pair compared, on
// random sets of versions: the same pairs, in the same order.
func TestOverlapsMatchesPairwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	pairs := 0
	for round := range 3000 {
		feats := randomVersions(rng, rng.IntN(25))
		got, want := Overlaps(feats), overlapsPairwise(feats)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d, features %+v:\nOverlaps  %v\npairwise %v", round, feats, got, want)
		}
		pairs += len(got)
	}
	t.Logf("%d overlapping pairs found alike", pairs)
}

// TestOverlapPairsLimit checks the listed pairs past the limit: the count is
// of all of them, and the listed ones are some of them.
func TestOverlapPairsLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for range 500 {
		feats := randomVersions(rng, rng.IntN(40))
		all := overlapsPairwise(feats)
		limit := rng.IntN(10)
		got, total := overlapPairs(feats, limit)
		if total != len(all) {
			t.Fatalf("%d pairs counted, want %d", total, len(all))
		}
		if len(got) != min(limit, len(all)) {
			t.Fatalf("%d pairs listed with limit %d of %d", len(got), limit, len(all))
		}
		in := map[[2]string]bool{}
		for _, p := range all {
			in[p] = true
		}
		for _, p := range got {
			if !in[p] {
				t.Fatalf("listed pair %v does not overlap", p)
			}
		}
	}
}

// TestOverlapsManyVersions runs Overlaps on 100,000 versions of one thing
// that follow each other without overlapping, which every pair compared
// would take minutes for, and on many equal ones with the limit.
func TestOverlapsManyVersions(t *testing.T) {
	const n = 100_000
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	feats := make([]Feature, n)
	for i := range feats {
		from := start.Add(time.Duration(i) * time.Hour)
		feats[i] = Feature{ID: fmt.Sprintf("v%06d", i), Thing: "x", Valid: Interval{Start: from, End: from.Add(time.Hour)}}
	}
	if got := Overlaps(feats); len(got) != 0 {
		t.Fatalf("%d overlaps among versions that follow each other", len(got))
	}
	for i := range feats {
		feats[i].Valid = Interval{Start: start}
	}
	got, total := overlapPairs(feats[:20_000], maxOverlapProblems)
	if len(got) != maxOverlapProblems || total != 20_000*19_999/2 {
		t.Errorf("%d listed, %d in all; want %d of %d", len(got), total, maxOverlapProblems, 20_000*19_999/2)
	}
}

// TestDecodeFeaturesListsSomeOverlaps decodes 60 versions of one thing with
// the same validity: 1,770 overlapping pairs, of which the first
// maxOverlapProblems are listed and one problem counts the rest.
func TestDecodeFeaturesListsSomeOverlaps(t *testing.T) {
	col := Collection{ID: "sites", Title: "Sites", GeometryType: "Point", Dated: true, GroupKey: "site"}
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range 60 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"type":"Feature","id":"v%02d","geometry":{"type":"Point","coordinates":[40,36]},`+
			`"properties":{"site":"x","valid_from":"2026-01-01","valid_to":null,"sources":[{"publisher":"p"}]}}`, i)
	}
	b.WriteString("]}")
	_, probs := DecodeFeatures(col, "sites.geojson", []byte(b.String()))
	if len(probs) != maxOverlapProblems+1 {
		t.Fatalf("%d problems, want %d", len(probs), maxOverlapProblems+1)
	}
	if p := probs[0]; p.Feature != "v01" || p.Reason != "validity overlaps feature v00, another version of the same thing" {
		t.Errorf("first problem %+v", p)
	}
	last := probs[len(probs)-1]
	if want := "770 more pairs of versions of the same thing overlap (the first 1000 are listed)"; last.File != "sites.geojson" || last.Reason != want {
		t.Errorf("last problem %+v, want %q", last, want)
	}
}
