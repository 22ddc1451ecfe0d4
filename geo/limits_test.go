package geo

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestCountPositions(t *testing.T) {
	tests := []struct {
		typ, coords string
		want        int
	}{
		{"Point", `[41, 36]`, 1},
		{"Point", `null`, 0},
		{"MultiPoint", `[[41, 36], [42, 37]]`, 2},
		{"LineString", ` [ [41,36] ,[42,37],[43,38]] `, 3},
		{"Polygon", `[[[0,0],[1,0],[1,1],[0,0]],[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2]]]`, 8},
		{"MultiPolygon", `[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]`, 8},
		{"LineString", `[[41,36],["[[[",37],[42,"\"]["]]`, 3},
	}
	for _, tt := range tests {
		if got := countPositions([]byte(tt.coords), positionDepth[tt.typ]); got != tt.want {
			t.Errorf("countPositions(%s %s) = %d, want %d", tt.typ, tt.coords, got, tt.want)
		}
	}
}

// lineFeature is a feature of the "misc" collection whose geometry is a
// LineString of n positions (or a GeometryCollection of such lines, one
// for each of ns).
func lineFeature(id string, ns ...int) string {
	line := func(n int) string {
		pts := make([]string, n)
		for i := range pts {
			pts[i] = fmt.Sprintf("[%d,%d]", 40+i%2, 30+i%50)
		}
		return `{"type":"LineString","coordinates":[` + strings.Join(pts, ",") + `]}`
	}
	g := line(ns[0])
	if len(ns) > 1 {
		members := make([]string, len(ns))
		for i, n := range ns {
			members[i] = line(n)
		}
		g = `{"type":"GeometryCollection","geometries":[` + strings.Join(members, ",") + `]}`
	}
	return `{"type":"Feature","id":"` + id + `","geometry":` + g + `,"properties":{"sources":[{"publisher":"p"}]}}`
}

// TestVertexLimits decodes files against small limits: a feature past the
// limit for one is a problem naming it and the limit; once the file's
// features are past the limit for a file, the feature that passed it is a
// problem and the rest of the file is not read.
func TestVertexLimits(t *testing.T) {
	col := Collection{ID: "misc", Title: "M", GeometryType: "Geometry"}
	lim := vertexLimits{perFeature: 10, perFile: 40}
	tests := []struct {
		name     string
		features []string
		decoded  []string // ids
		problems []string // "feature: reason start"
	}{
		{"within both", []string{lineFeature("a", 10), lineFeature("b", 10), lineFeature("c", 10), lineFeature("d", 10)},
			[]string{"a", "b", "c", "d"}, nil},
		{"one feature too large", []string{lineFeature("a", 11), lineFeature("b", 2)},
			[]string{"b"}, []string{"a: too many positions: 11 counted, and a feature may have at most 10 (geo.MaxFeatureVertices)"}},
		{"a collection too large in all", []string{lineFeature("a", 4, 4, 4), lineFeature("b", 5, 5)},
			[]string{"b"}, []string{"a: too many positions: 12 counted, and a feature may have at most 10 (geo.MaxFeatureVertices)"}},
		{"the file too large", []string{lineFeature("a", 10), lineFeature("b", 11), lineFeature("c", 10), lineFeature("d", 10), lineFeature("e", 2), `{"id":"f"}`},
			[]string{"a", "c"}, []string{
				"b: too many positions: 11 counted",
				"d: too many positions in the file: 41 counted up to this feature, and a file may have at most 40 (geo.MaxFileVertices); the rest of the file is not read",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := `{"type":"FeatureCollection","features":[` + strings.Join(tt.features, ",") + `]}`
			feats, probs, err := decodeFeatures(context.Background(), col, "misc.geojson", []byte(b), lim)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range feats {
				ids = append(ids, f.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.decoded) {
				t.Errorf("decoded %v, want %v", ids, tt.decoded)
			}
			if len(probs) != len(tt.problems) {
				t.Fatalf("problems %v, want %d", probs, len(tt.problems))
			}
			for i, p := range probs {
				if got := p.Feature + ": " + p.Reason; p.File != "misc.geojson" || !strings.HasPrefix(got, tt.problems[i]) {
					t.Errorf("problem %d: %s, want %q", i, p, tt.problems[i])
				}
			}
		})
	}
}

// TestMaxFeatureVertices loads a folder whose one feature has one position
// more than MaxFeatureVertices: the error names the file, the feature and
// the limit.
func TestMaxFeatureVertices(t *testing.T) {
	if testing.Short() {
		t.Skip("an 8 MB feature")
	}
	col := Collection{ID: "misc", Title: "M", GeometryType: "Geometry"}
	b := `{"type":"FeatureCollection","features":[` + lineFeature("big", MaxFeatureVertices+1) + `,` + lineFeature("small", 2) + `]}`
	feats, probs := DecodeFeatures(col, "misc.geojson", []byte(b))
	if len(feats) != 1 || len(probs) != 1 {
		t.Fatalf("%d features, problems %v; want the small one and one problem", len(feats), probs)
	}
	want := "misc.geojson: feature big: too many positions: 1,000,001 counted, and a feature may have at most 1,000,000 (geo.MaxFeatureVertices)"
	if got := probs[0].String(); got != want {
		t.Errorf("problem %q\nwant    %q", got, want)
	}
}
