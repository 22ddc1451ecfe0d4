package geo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb/geojson"
)

// DecodeFeatures parses a GeoJSON FeatureCollection as features of col and
// validates each one and the set (unique ids, no overlapping versions),
// within the limits on positions (MaxFeatureVertices, MaxFileVertices). It
// returns the features sorted by id and every problem found, naming file.
func DecodeFeatures(col Collection, file string, b []byte) ([]Feature, []Problem) {
	feats, probs, _ := decodeFeatures(context.Background(), col, file, b, defaultVertexLimits())
	return feats, probs
}

// decodeFeatures is DecodeFeaturesContext with the positions of the file's
// features counted against lim.
func decodeFeatures(ctx context.Context, col Collection, file string, b []byte, lim vertexLimits) ([]Feature, []Problem, error) {
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, []Problem{{File: file, Reason: "not GeoJSON: " + err.Error()}}, nil
	}
	if fc.Type != "FeatureCollection" {
		return nil, []Problem{{File: file, Reason: fmt.Sprintf("not a GeoJSON FeatureCollection (type %q)", fc.Type)}}, nil
	}
	var probs []Problem
	feats := make([]Feature, 0, len(fc.Features))
	seen := make(map[string]int, len(fc.Features))
	for i, raw := range fc.Features {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		f, label, err := decodeFeature(col, raw, &lim)
		if label == "" {
			label = fmt.Sprintf("#%d", i)
		}
		if err != nil {
			probs = append(probs, Problem{File: file, Feature: label, Reason: stripPrefix(err)})
			if lim.full() {
				break
			}
			continue
		}
		if j, dup := seen[f.ID]; dup {
			probs = append(probs, Problem{File: file, Feature: f.ID, Reason: fmt.Sprintf("duplicate id (features #%d and #%d)", j, i)})
			continue
		}
		seen[f.ID] = i
		feats = append(feats, f)
	}
	sort.Slice(feats, func(i, j int) bool { return feats[i].ID < feats[j].ID })
	overlaps, total := overlapPairs(feats, maxOverlapProblems)
	for _, p := range overlaps {
		probs = append(probs, Problem{File: file, Feature: p[0], Reason: fmt.Sprintf("validity overlaps feature %s, another version of the same thing", p[1])})
	}
	if more := total - len(overlaps); more > 0 {
		probs = append(probs, Problem{File: file, Reason: fmt.Sprintf("%d more pairs of versions of the same thing overlap (the first %d are listed)", more, len(overlaps))})
	}
	return feats, probs, nil
}

// decodeFeature parses and validates one feature, its positions counted
// against lim. It returns the feature's id as a label for error messages
// even when it fails.
func decodeFeature(col Collection, raw json.RawMessage, lim *vertexLimits) (Feature, string, error) {
	var head struct {
		ID       any             `json:"id"`
		Geometry json.RawMessage `json:"geometry"`
	}
	_ = json.Unmarshal(raw, &head)
	label, _ := ScalarText(head.ID)
	if err := lim.checkGeometry(head.Geometry); err != nil {
		return Feature{}, label, err
	}
	gf, err := geojson.UnmarshalFeature(raw)
	if err != nil {
		return Feature{}, label, errorf("not a GeoJSON Feature: %s", err)
	}
	if label == "" {
		return Feature{}, "", errorf("no id (every feature needs a unique, stable string id)")
	}
	f := Feature{ID: label, Collection: col.ID, Geometry: gf.Geometry}
	if err := ValidateGeometry(gf.Geometry, col.GeometryType); err != nil {
		return Feature{}, label, err
	}
	props := map[string]any(gf.Properties)
	if props == nil {
		props = map[string]any{}
	}
	if f.Valid, err = decodeValidity(col, props); err != nil {
		return Feature{}, label, err
	}
	if f.Sources, err = decodeSources(props[PropSources]); err != nil {
		return Feature{}, label, err
	}
	f.Properties = make(map[string]any, len(props))
	for k, v := range props {
		if k != PropValidFrom && k != PropValidTo && k != PropSources {
			f.Properties[k] = v
		}
	}
	var missing []string
	for _, r := range col.Required {
		if v, ok := f.Properties[r]; !ok || v == nil || v == "" {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return Feature{}, label, errorf("missing required properties: %s", strings.Join(missing, ", "))
	}
	if err := col.checkValues(f.Properties); err != nil {
		return Feature{}, label, err
	}
	if err := col.publish(&f); err != nil {
		return Feature{}, label, err
	}
	if col.GroupKey != "" {
		thing, ok := f.Properties[col.GroupKey].(string)
		if !ok || thing == "" {
			return Feature{}, label, errorf("property %q (the thing this feature is a version of) must be a non-empty string", col.GroupKey)
		}
		f.Thing = thing
	}
	return f, label, nil
}

func decodeValidity(col Collection, props map[string]any) (Interval, error) {
	from, hasFrom := props[PropValidFrom]
	to, hasTo := props[PropValidTo]
	if !col.Dated {
		if from != nil || to != nil {
			return Interval{}, errorf("collection %q is undated but the feature has valid_from or valid_to", col.ID)
		}
		return Interval{}, nil
	}
	if !hasFrom || !hasTo {
		return Interval{}, errorf("dated feature needs valid_from and valid_to (null for an open end)")
	}
	var iv Interval
	var err error
	if iv.Start, err = decodeTime(PropValidFrom, from); err != nil {
		return Interval{}, err
	}
	if iv.End, err = decodeTime(PropValidTo, to); err != nil {
		return Interval{}, err
	}
	return iv, iv.Validate()
}

func decodeTime(name string, v any) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, errorf("%s must be a string date or null, not %v", name, v)
	}
	t, _, err := ParseTime(s)
	if err != nil {
		return time.Time{}, errorf("%s: %s", name, stripPrefix(err))
	}
	return t, nil
}

func decodeSources(v any) ([]Source, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, errorf("sources must be a non-empty array of {publisher, title, url, date}")
	}
	out := make([]Source, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, errorf("sources[%d] is not an object", i)
		}
		var s Source
		for k, dst := range map[string]*string{"publisher": &s.Publisher, "title": &s.Title, "url": &s.URL, "date": &s.Date} {
			if m[k] == nil {
				continue
			}
			str, ok := m[k].(string)
			if !ok {
				return nil, errorf("sources[%d].%s must be a string", i, k)
			}
			*dst = str
		}
		if s.Publisher == "" {
			return nil, errorf("sources[%d] has no publisher", i)
		}
		out = append(out, s)
	}
	return out, nil
}
