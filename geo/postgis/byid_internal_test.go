package postgis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

// TestByID checks that byID orders features as a plain sort of their ids
// in byte order does, on ids that share long prefixes, differ only after
// their eighth byte past the shared prefix, hold zero bytes, are prefixes
// of one another or are empty, and on ids such as the scale dataset's.
func TestByID(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{0, 1, 'a', 'b', 0x7f, 0x80, 0xff}
	random := func(prefix string) string {
		b := []byte(prefix)
		for range r.IntN(14) {
			b = append(b, alphabet[r.IntN(len(alphabet))])
		}
		return string(b)
	}
	sets := [][]string{
		{"b", "a"},
		{"", "a", "\x00", "\x00\x00", "a\x00"},
		{"abcdefgh1", "abcdefgh", "abcdefgh0", "abcdefgh\x00", "abcdefg"},
		// No shared prefix, and keys equal past it: the ids decide.
		{"abcdefgh2", "bbcdefgh1", "abcdefgh1", "abcdefgh", "bbcdefgh0", "abcdefgh\x00\x01"},
	}
	for n := range 300 {
		seen := map[string]bool{}
		var ids []string
		prefix := strings.Repeat("p", n%12)
		for range 1 + r.IntN(60) {
			id := random(prefix)
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		sets = append(sets, ids)
	}
	var scale []string
	for _, i := range r.Perm(700) {
		scale = append(scale, fmt.Sprintf("point-%06d-2025-%02d-01", i/2*37, 10+i%2))
	}
	sets = append(sets, scale)
	for _, ids := range sets {
		fs := make([]geo.Feature, len(ids))
		for i, id := range ids {
			fs[i] = geo.Feature{ID: id}
		}
		want := slices.Clone(ids)
		slices.Sort(want)
		var got []string
		for _, f := range byID(fs) {
			got = append(got, f.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("byID(%q)\n = %q\nwant %q", ids, got, want)
		}
	}
}

// BenchmarkByID sorts a page of 658 of the scale dataset's point ids (a
// cold 0.5° page), as wholePage does, each time from the same shuffled
// order (the copy it sorts is made in the loop, and timed).
func BenchmarkByID(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	fs := make([]geo.Feature, 658)
	for i, j := range r.Perm(len(fs)) {
		fs[i] = geo.Feature{ID: fmt.Sprintf("point-%06d-2025-%02d-%02d", j*151%100000, 10+j%3, 1+j%28)}
	}
	work := make([]geo.Feature, len(fs))
	for b.Loop() {
		copy(work, fs)
		byID(work)
	}
}
