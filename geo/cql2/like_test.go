package cql2_test

import (
	"strings"
	"testing"

	"github.com/controlmap/controlmap/geo/cql2"
)

func TestCompileLike(t *testing.T) {
	cases := []struct {
		s, pat string
		want   bool
	}{
		{"al-Hol camp", "al-%", true},
		{"al-Hol camp", "%camp", true},
		{"al-Hol camp", "%Hol%", true},
		{"al-Hol camp", "al-_ol camp", true},
		{"al-Hol camp", "al-_ol", false},
		{"al-Hol camp", "%hol%", false},
		{"", "%", true},
		{"", "_", false},
		{"", "", true},
		{"a", "", false},
		{"100%", "100\\%", true},
		{"1000", "100\\%", false},
		{"a_b", "a\\_b", true},
		{"axb", "a\\_b", false},
		{"مخيم الهول", "مخيم _لهول", true},
		{"mississippi", "%iss%ppi", true},
		{"mississippi", "%iss%ppx", false},
		{"abc", "a%%c", true},
		{"ab\\", "ab\\", false}, // an unpaired backslash: not a pattern
		{"ab\\", "ab\\\\", true},
	}
	for _, c := range cases {
		lp, ok := cql2.CompileLike(c.pat)
		if got := ok && lp.Match(c.s); got != c.want {
			t.Errorf("Like(%q, %q) = %v, want %v", c.s, c.pat, got, c.want)
		}
	}
}

// BenchmarkLikeHostile is the pattern that makes naive backtracking take
// exponential time; it must stay linear in practice (reported, not asserted).
func BenchmarkLikeHostile(b *testing.B) {
	s := strings.Repeat("a", 2000)
	lp, _ := cql2.CompileLike(strings.Repeat("%a", 1000) + "b")
	for b.Loop() {
		if lp.Match(s) {
			b.Fatal("matched")
		}
	}
}
