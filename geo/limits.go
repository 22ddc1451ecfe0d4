package geo

import (
	"encoding/json"
	"strconv"
)

// tooManyPositions is the error of a feature of which n positions were
// counted, more than limit.
func tooManyPositions(n, limit int) error {
	return errorf("too many positions: %s counted, and a feature may have at most %s (geo.MaxFeatureVertices)",
		thousands(n), thousands(limit))
}

// countPositions counts the positions in the text of a geometry's
// coordinates, which nest positions depth arrays deep (positionDepth): the
// arrays opened at that depth, strings skipped. It reads the text once and
// decodes nothing, so that a feature can be refused for its size before it
// is decoded. For coordinates of the wrong shape the count is meaningless;
// checkPositions reports those.
func countPositions(coords json.RawMessage, depth int) int {
	n, level := 0, 0
	for i := 0; i < len(coords); i++ {
		switch coords[i] {
		case '[':
			level++
			if level == depth+1 {
				n++
			}
		case ']':
			level--
		case '"':
			for i++; i < len(coords) && coords[i] != '"'; i++ {
				if coords[i] == '\\' {
					i++
				}
			}
		}
	}
	return n
}

// vertexLimits counts the positions of one file's features, each against
// perFeature and all against perFile. The loader uses MaxFeatureVertices
// and MaxFileVertices; tests use smaller ones.
type vertexLimits struct {
	perFeature, perFile int
	seen                int // positions of the features counted so far
}

func defaultVertexLimits() vertexLimits {
	return vertexLimits{perFeature: MaxFeatureVertices, perFile: MaxFileVertices}
}

// checkGeometry checks a feature's raw geometry with checkRawGeometry and
// counts its positions. Once the file's features have more than perFile,
// it is an error naming the limit, and full reports true.
func (l *vertexLimits) checkGeometry(raw json.RawMessage) error {
	n, err := checkRawGeometry(raw, l.perFeature)
	l.seen += n
	switch {
	case l.full():
		return errorf("too many positions in the file: %s counted up to this feature, and a file may have at most %s (geo.MaxFileVertices); the rest of the file is not read",
			thousands(l.seen), thousands(l.perFile))
	case err != nil:
		return err
	}
	return nil
}

// full reports whether the file's features have more positions than a file
// may have.
func (l *vertexLimits) full() bool { return l.seen > l.perFile }

// thousands writes n ≥ 0 with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
