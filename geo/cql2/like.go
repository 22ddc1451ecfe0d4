package cql2

import "unicode/utf8"

// LikePattern is a compiled LIKE pattern: % any run of characters, _ one
// character, \ makes the next one literal (as PostgreSQL's LIKE with its
// default escape).
type LikePattern struct {
	toks []likeTok
}

type likeTok struct {
	r    rune
	kind byte // 'c' a character, '_' any one, '%' any run
}

// CompileLike compiles a pattern; false when it ends in an unpaired
// backslash, which PostgreSQL refuses.
func CompileLike(pat string) (*LikePattern, bool) {
	lp := &LikePattern{}
	for i := 0; i < len(pat); {
		c, w := utf8.DecodeRuneInString(pat[i:])
		i += w
		switch c {
		case '%':
			if n := len(lp.toks); n == 0 || lp.toks[n-1].kind != '%' {
				lp.toks = append(lp.toks, likeTok{kind: '%'})
			}
		case '_':
			lp.toks = append(lp.toks, likeTok{kind: '_'})
		case '\\':
			if i >= len(pat) {
				return nil, false
			}
			c, w = utf8.DecodeRuneInString(pat[i:])
			i += w
			lp.toks = append(lp.toks, likeTok{r: c, kind: 'c'})
		default:
			lp.toks = append(lp.toks, likeTok{r: c, kind: 'c'})
		}
	}
	return lp, true
}

// Match reports whether s matches. It runs in O(len(s) × len(pattern)) at
// worst (backtracking only to the last %), so no pattern can make it run
// for long.
func (lp *LikePattern) Match(s string) bool {
	toks := lp.toks
	si, ti := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		r, w := utf8.DecodeRuneInString(s[si:])
		switch {
		case ti < len(toks) && (toks[ti].kind == '_' || toks[ti].kind == 'c' && toks[ti].r == r):
			si += w
			ti++
		case ti < len(toks) && toks[ti].kind == '%':
			star, mark = ti, si
			ti++
		case star >= 0:
			_, mw := utf8.DecodeRuneInString(s[mark:])
			mark += mw
			si, ti = mark, star+1
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].kind == '%' {
		ti++
	}
	return ti == len(toks)
}
