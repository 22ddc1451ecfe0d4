package main

import (
	"regexp"
	"strings"
	"testing"
)

// likeMatch evaluates a LIKE pattern as PostgreSQL does with the default
// escape character \.
func likeMatch(t *testing.T, pattern, s string) bool {
	t.Helper()
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '\\':
			i++
			if i == len(pattern) {
				t.Fatalf("pattern %q ends in an escape", pattern)
			}
			re.WriteString(regexp.QuoteMeta(string(pattern[i])))
		case '_':
			re.WriteString("(?s:.)")
		case '%':
			re.WriteString("(?s:.*)")
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(s)
}

func TestLikeEscape(t *testing.T) {
	for in, want := range map[string]string{
		"controlmap_scaleout_": `controlmap\_scaleout\_`,
		"100%":                 `100\%`,
		`a\b`:                  `a\\b`,
		"plain":                "plain",
	} {
		if got := likeEscape(in); got != want {
			t.Errorf("likeEscape(%q) = %q, want %q", in, got, want)
		}
		if !likeMatch(t, likeEscape(in), in) {
			t.Errorf("likeEscape(%q) does not match itself", in)
		}
	}
	if likeMatch(t, likeEscape("a_b%"), "aXbYZ") {
		t.Error("an escaped _ or % still matches another character")
	}
}

func TestRunDBPattern(t *testing.T) {
	for name, want := range map[string]bool{
		"controlmap_scaleout_1796390999735106871": true,
		"controlmap_scaleout_1":                   true,
		"controlmapXscaleout_1":                   false, // the unescaped _ of the prefix matched this
		"controlmap_scaleoutX1":                   false,
		"controlmap_scaleout":                     false,
		"controlmap_scaleout_":                    false,
		"controlmap_scaleout_reader_1":            false,
		"controlmap_bench_1":                      false,
		"controlmap_loadtest_1":                   false,
	} {
		// Dropped only when both the SQL pattern and isRunDB say so.
		if got := likeMatch(t, runDBPattern, name) && isRunDB(name); got != want {
			t.Errorf("%s: dropped %v, want %v", name, got, want)
		}
	}
	if !likeMatch(t, runDBPattern, "controlmap_scaleout_123") || likeMatch(t, runDBPattern, "controlmapXscaleoutY123") {
		t.Errorf("pattern %q: the prefix's underscores are not literal", runDBPattern)
	}
}
