package memory

import (
	"bytes"
	"iter"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/propjson"
)

// The store keeps each collection in a compact form of its own rather than
// as the geo.Features it was given: measured on the scale dataset (bench/
// performance-notes.md), a feature's properties map, its boxed values and
// its copies of the same few strings (property names, controllers,
// sources, validity) took more room than its coordinates. A collection
// holds
//
//   - one record per feature, in id order, with the id, thing and geometry
//     and indices into tables of what features share: property names,
//     validities (with their ends formatted for tiles) and source lists;
//   - the property values of every feature in one slice, each distinct
//     scalar boxed once (-0 apart from 0: each -0 is its own);
//   - the ids in one string, and the coordinates of lines and polygons in
//     one slice of points, so that nothing of the decoded input stays live;
//     these, the values and their strings are laid out in the order of
//     place the spatial index packs the features in (newCollection);
//   - every feature's whole properties object encoded once
//     (internal/propjson), which answers with every property copy: each
//     one's own part in one slice of bytes (geo.Feature.PropertiesJSON),
//     and its end from the key "sources" on (sources, validity and any
//     property named after "sources" in sort order, which features mostly
//     share) once per distinct end (geo.Feature.PropertiesJSONTail). On
//     the scale dataset's points the ends are three quarters of the bytes
//     and 2,000 distinct ones serve 100,000 features.
//
// geo.Features are built from it for the features a query returns only.

// record is one feature in compact form.
type record struct {
	id    string
	thing string
	geom  orb.Geometry
	vals  uint32 // its property values are vals[vals : vals+len(keys)]
	keys  uint32 // its property names: collection.keys[keys]
	valid uint32 // collection.valids[valid]
	srcs  uint32 // collection.sources[srcs]
	coll  uint32 // its Collection field: collection.colls[coll]
	enc   uint32 // its encoded properties start at collection.enc[enc] and end where the next record's start
	tail  uint32 // and go on with collection.tails[tail]
}

// propKeys are the sorted names of a feature's properties. isNil records a
// nil Properties map (datasets built in code), so that it is returned nil.
type propKeys struct {
	names []string
	isNil bool
}

// validity is a distinct validity with its ends as tiles carry them
// (geo.FormatTime, "" for an open end).
type validity struct {
	iv       geo.Interval
	from, to string
}

// collection is one collection of a snapshot. It is never modified once
// built.
type collection struct {
	meta    geo.Collection
	recs    []record // sorted by id
	vals    []any
	keys    []propKeys
	valids  []validity
	sources [][]geo.Source
	colls   []string
	enc     []byte      // the records' encoded properties up to their tails, one after the other; empty for a feature that could not be encoded
	tails   [][]byte    // the distinct ends of the encoded properties, from "sources" on
	bounds  []orb.Bound // each record's geometry bound; nil when every geometry is a point (cheap to bound)
	index   *rtree      // items are positions in recs
	ids     idIndex     // positions in recs by id
	changes *geo.Changes
	// distinctIDs says that the ids are distinct and that no string the
	// collection holds (property values, validity ends, anything interned)
	// is the text of an id: a tile writes each id as a value of its own
	// (geo.TileValue.Distinct).
	distinctIDs bool
	strVals     int // the distinct strings among the property values
}

// newCollection builds the compact form of feats, which must be sorted by
// id. Nothing of feats is kept but values that are not scalars (objects and
// arrays of properties), which are shared. The features' properties are
// encoded from feats as they are, after the loader is done with them.
func newCollection(meta geo.Collection, feats []geo.Feature) *collection {
	c := &collection{meta: meta, recs: make([]record, len(feats))}
	in := newInterner()
	arena := newGeomArena(feats)
	nvals, points := 0, true
	bounds := make([]orb.Bound, len(feats))
	for i, f := range feats {
		nvals += len(f.Properties)
		if _, ok := f.Geometry.(orb.Point); !ok {
			points = false
		}
		if f.Geometry != nil {
			bounds[i] = f.Geometry.Bound()
		}
	}
	c.vals = make([]any, 0, nvals)
	if !points {
		c.bounds = bounds
	}
	// The records stay in id order, but what each one points to (its id's
	// bytes, geometry, property values and the strings they hold) is laid
	// out in the order of place the spatial index packs them in: a tile or
	// a bbox reads the features near each other, which then lie near each
	// other in memory too, not anywhere among the collection's.
	c.index = newRTree(bounds)
	order := c.index.items()
	ids := joinIDs(feats, order)
	keyIdx := map[string]uint32{}
	validIdx := map[geo.Interval]uint32{}
	srcIdx := map[string]uint32{}
	collIdx := map[string]uint32{}
	var scratch []string
	for _, i := range order {
		f := &feats[i]
		r := &c.recs[i]
		r.id, ids = ids[:len(f.ID)], ids[len(f.ID):]
		r.thing = in.str(f.Thing)
		r.geom = arena.copy(f.Geometry)

		scratch = scratch[:0]
		for k := range f.Properties {
			scratch = append(scratch, k)
		}
		sortStrings(scratch)
		key := strings.Join(scratch, "\x00")
		if f.Properties == nil {
			key = "\x01nil"
		}
		ki, ok := keyIdx[key]
		if !ok {
			ki = uint32(len(c.keys))
			names := make([]string, len(scratch))
			for j, k := range scratch {
				names[j] = in.str(k)
			}
			c.keys = append(c.keys, propKeys{names: names, isNil: f.Properties == nil})
			keyIdx[key] = ki
		}
		r.keys = ki
		r.vals = uint32(len(c.vals))
		for _, k := range c.keys[ki].names {
			c.vals = append(c.vals, in.value(f.Properties[k]))
		}

		vi, ok := validIdx[f.Valid]
		if !ok {
			vi = uint32(len(c.valids))
			v := validity{iv: f.Valid}
			if !f.Valid.Start.IsZero() {
				v.from = geo.FormatTime(f.Valid.Start)
			}
			if !f.Valid.End.IsZero() {
				v.to = geo.FormatTime(f.Valid.End)
			}
			c.valids = append(c.valids, v)
			validIdx[f.Valid] = vi
		}
		r.valid = vi

		sk := sourcesKey(f.Sources)
		si, ok := srcIdx[sk]
		if !ok {
			si = uint32(len(c.sources))
			c.sources = append(c.sources, in.sources(f.Sources))
			srcIdx[sk] = si
		}
		r.srcs = si

		ci, ok := collIdx[f.Collection]
		if !ok {
			ci = uint32(len(c.colls))
			c.colls = append(c.colls, in.str(f.Collection))
			collIdx[f.Collection] = ci
		}
		r.coll = ci
	}
	c.encode()
	c.distinctIDs = distinctIDs(feats, in, c.valids)
	c.strVals = in.strVals
	c.ids = newIDIndex(c.recs)
	valid := make([]geo.Interval, len(c.valids))
	for i, v := range c.valids {
		valid[i] = v.iv
	}
	c.changes = geo.NewChanges(valid) // the distinct validities have the changes of all
	return c
}

// encode encodes every record's properties into c.enc and c.tails, from the
// compact form (the values as feature returns them, which is what an answer
// would write from them) through one scratch map.
func (c *collection) encode() {
	var buf, tails bytes.Buffer
	var ends [][2]int // each distinct tail's start and end in tails
	tailIdx := map[string]uint32{}
	props := map[string]any{}
	for i := range c.recs {
		r := &c.recs[i]
		clear(props)
		for j, name := range c.keys[r.keys].names {
			props[name] = c.vals[int(r.vals)+j]
		}
		start := buf.Len()
		f := geo.Feature{Properties: props, Valid: c.valids[r.valid].iv, Sources: c.sources[r.srcs]}
		if err := propjson.Write(&buf, f, nil); err != nil {
			// A value JSON cannot hold (NaN in a dataset built in code): no
			// encoding, so answers write the values and fail as before.
			buf.Truncate(start)
		} else {
			own := start + tailStart(buf.Bytes()[start:])
			tail := buf.Bytes()[own:]
			ti, ok := tailIdx[string(tail)]
			if !ok {
				ti = uint32(len(ends))
				ends = append(ends, [2]int{tails.Len(), tails.Len() + len(tail)})
				tails.Write(tail)
				tailIdx[string(tail)] = ti
			}
			r.tail = ti
			buf.Truncate(own)
		}
		if buf.Len() > math.MaxUint32 {
			// Past what a record's offset can hold: encode nothing.
			for j := range c.recs {
				c.recs[j].enc = 0
			}
			return
		}
		r.enc = uint32(start)
	}
	c.enc = bytes.Clone(buf.Bytes()) // exactly its size
	all := bytes.Clone(tails.Bytes())
	c.tails = make([][]byte, len(ends))
	for i, e := range ends {
		c.tails[i] = all[e[0]:e[1]:e[1]]
	}
}

// tailStart returns where the part of an encoded properties object that
// features share begins: at its key "sources" (the first of the three
// that propjson adds, keys being sorted), taken as the object's first key
// or else the first `,"sources":` (a quote inside a string is escaped, so
// this is a key; one of a nested object's keys before the top-level one
// only splits earlier, which shares less). The encoding is always head and
// tail together, wherever the split.
func tailStart(enc []byte) int {
	if bytes.HasPrefix(enc, []byte(`{"sources":`)) {
		return 1
	}
	if k := bytes.Index(enc, []byte(`,"sources":`)); k >= 0 {
		return k
	}
	return len(enc)
}

// feature returns record i as a geo.Feature, with a properties map of its
// own unless encoded is true and the record's properties are encoded
// (geo.Query.EncodedProperties); everything else, PropertiesJSON included,
// is shared with the collection.
func (c *collection) feature(i int, encoded bool) geo.Feature {
	r := &c.recs[i]
	end := len(c.enc)
	if i+1 < len(c.recs) {
		end = int(c.recs[i+1].enc)
	}
	var pj, tail []byte
	if int(r.enc) < end {
		pj, tail = c.enc[r.enc:end:end], c.tails[r.tail]
	}
	var props map[string]any
	if k := &c.keys[r.keys]; !k.isNil && (!encoded || pj == nil) {
		props = make(map[string]any, len(k.names))
		for j, name := range k.names {
			props[name] = c.vals[int(r.vals)+j]
		}
	}
	return geo.Feature{
		ID: r.id, Collection: c.colls[r.coll], Thing: r.thing, Geometry: r.geom,
		Properties: props, Valid: c.valids[r.valid].iv, Sources: c.sources[r.srcs],
		PropertiesJSON: pj, PropertiesJSONTail: tail,
	}
}

// featureOf returns record i as q asks for it: whole, or with only the
// properties q names (geo.Query.Properties) when sel is not nil.
func (c *collection) featureOf(i int, q *geo.Query, sel *selector) geo.Feature {
	if sel == nil {
		return c.feature(i, q.EncodedProperties)
	}
	r := &c.recs[i]
	return geo.Feature{
		ID: r.id, Collection: c.colls[r.coll], Thing: r.thing, Geometry: r.geom,
		Properties: sel.props(c, r), Valid: c.valids[r.valid].iv, Sources: c.sources[r.srcs],
	}
}

// A selector builds the properties of features read for the few that a
// query names (geo.Query.Properties: a picture's dots read two of 100,000
// points'): the named ones a feature has that are not null, in a map shared
// by the features whose values are the same, as PostGIS does, instead of a
// map of every property for each feature.
type selector struct {
	names  []string
	shared map[selectorKey]map[string]any
	// scratch holds one record's values when there are more names than
	// a key holds; a selector serves one query, one record at a time.
	scratch []any
}

// selectorKey holds the values of up to maxSelected named properties,
// compared as Go compares interface values: scalars only, since a map or a
// slice cannot be a map key.
type selectorKey [maxSelected]any

// maxSelected is how many named properties a selector shares maps for;
// with more, each feature gets a map of its own.
const maxSelected = 4

// maxSelectorMaps bounds the maps a selector keeps.
const maxSelectorMaps = 1024

// selector returns the selector of q, or nil when q reads every property.
func (c *collection) selector(q *geo.Query) *selector {
	if q.Properties == nil || q.EncodedProperties {
		return nil
	}
	return &selector{names: q.Properties, shared: map[selectorKey]map[string]any{}}
}

// props returns record r's named properties.
func (s *selector) props(c *collection, r *record) map[string]any {
	// Each property is looked up once: into key when the selector shares
	// maps (few names), else into the selector's scratch list.
	var key selectorKey
	shareable := len(s.names) <= maxSelected
	vals := key[:]
	if !shareable {
		if len(s.scratch) < len(s.names) {
			s.scratch = make([]any, len(s.names))
		}
		vals = s.scratch[:len(s.names)]
	}
	for j, name := range s.names {
		v := c.prop(r, name)
		vals[j] = v
		switch v.(type) {
		case nil, string, float64, bool, int, int64:
		default:
			shareable = false // an object or a list
		}
	}
	if shareable {
		if p, ok := s.shared[key]; ok {
			return p
		}
	}
	p := make(map[string]any, len(s.names))
	for j, name := range s.names {
		if v := vals[j]; v != nil {
			p[name] = v
		}
	}
	if shareable && len(s.shared) < maxSelectorMaps {
		s.shared[key] = p
	}
	return p
}

// bound returns the bound of record i's geometry.
func (c *collection) bound(i int) orb.Bound {
	if c.bounds != nil {
		return c.bounds[i]
	}
	if g := c.recs[i].geom; g != nil {
		return g.Bound()
	}
	return orb.Bound{}
}

// prop returns record r's value of the property name, nil when it has none.
func (c *collection) prop(r *record, name string) any {
	for j, k := range c.keys[r.keys].names {
		if k == name {
			return c.vals[int(r.vals)+j]
		}
	}
	return nil
}

// match reports whether record i matches q (geo.Query.Match of its feature).
func (c *collection) match(i int, q *geo.Query) bool {
	r := &c.recs[i]
	if !q.MatchTime(c.valids[r.valid].iv) {
		return false
	}
	if len(q.Filters) > 0 && !q.MatchFilters(func(k string) any { return c.prop(r, k) }) {
		return false
	}
	if q.BBox != nil && !geo.IntersectsBoundOf(r.geom, c.bound(i), *q.BBox) {
		return false
	}
	return q.Filter == nil || geo.MatchFilter(q.Filter, c.filterRow(i))
}

// filterRow is what a CQL2 filter reads of record i.
func (c *collection) filterRow(i int) *geo.FilterRow {
	r := &c.recs[i]
	return &geo.FilterRow{ID: r.id, Prop: func(k string) any { return c.prop(r, k) },
		Geom: r.geom, Bound: c.bound(i), Valid: c.valids[r.valid].iv}
}

// sortRow is what an ordering reads of record i.
func (c *collection) sortRow(i int) *geo.SortRow {
	r := &c.recs[i]
	return &geo.SortRow{ID: r.id, Prop: func(k string) any { return c.prop(r, k) }, Valid: c.valids[r.valid].iv}
}

// tileProperties yields record r's tile properties (geo.EachTileProperty of
// its feature) from its sorted names and preformatted validity.
func (c *collection) tileProperties(r *record) iter.Seq2[string, geo.TileValue] {
	v := &c.valids[r.valid]
	own := func(yield func(string, any) bool) {
		for j, k := range c.keys[r.keys].names {
			if !yield(k, c.vals[int(r.vals)+j]) {
				return
			}
		}
	}
	return geo.TilePropertiesOf(r.id, c.distinctIDs, v.from, v.to, own)
}

// distinctIDs reports whether the ids of feats, sorted by id, are distinct,
// not empty, and none is the text of a string in holds or of a validity's
// end.
func distinctIDs(feats []geo.Feature, holds *interner, valids []validity) bool {
	ends := make(map[string]bool, 2*len(valids))
	for _, v := range valids {
		ends[v.from], ends[v.to] = true, true
	}
	for i, f := range feats {
		if f.ID == "" || i > 0 && f.ID == feats[i-1].ID {
			return false
		}
		if _, ok := holds.strs[f.ID]; ok || ends[f.ID] {
			return false
		}
	}
	return true
}

// joinIDs returns the ids of feats[i] for each i of order concatenated, in
// one allocation.
func joinIDs(feats []geo.Feature, order []int) string {
	n := 0
	for _, i := range order {
		n += len(feats[i].ID)
	}
	var b strings.Builder
	b.Grow(n)
	for _, i := range order {
		b.WriteString(feats[i].ID)
	}
	return b.String()
}

// sourcesKey identifies a list of sources by content (nil and empty apart).
func sourcesKey(srcs []geo.Source) string {
	if srcs == nil {
		return ""
	}
	var b strings.Builder
	b.WriteByte('[')
	for _, s := range srcs {
		for _, f := range [...]string{s.Publisher, s.Title, s.URL, s.Date} {
			b.WriteString(f)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
	return b.String()
}

// sortStrings sorts a short slice in place (insertion sort: property names
// are a handful, and slices.Sort would not be faster).
func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// interner hands out one copy of each distinct string and scalar value, so
// that the thousands of features naming the same controller share it.
type interner struct {
	strs    map[string]string
	vals    map[any]any
	strVals int // distinct strings among the values
}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, vals: map[any]any{}}
}

func (in *interner) str(s string) string {
	if s == "" {
		return ""
	}
	if t, ok := in.strs[s]; ok {
		return t
	}
	t := strings.Clone(s)
	in.strs[t] = t
	return t
}

// value returns v, or the copy of an equal scalar handed out before. Objects
// and arrays are returned as they are.
func (in *interner) value(v any) any {
	switch x := v.(type) {
	case string:
		v = in.str(x)
	case float64:
		if x == 0 && math.Signbit(x) {
			// -0, which Go's == (so a map key) takes for 0: kept apart.
			return v
		}
	case bool, int, int64:
	default:
		return v
	}
	if u, ok := in.vals[v]; ok {
		return u
	}
	in.vals[v] = v
	if _, ok := v.(string); ok {
		in.strVals++
	}
	return v
}

func (in *interner) sources(srcs []geo.Source) []geo.Source {
	if srcs == nil {
		return nil
	}
	out := make([]geo.Source, len(srcs))
	for i, s := range srcs {
		out[i] = geo.Source{Publisher: in.str(s.Publisher), Title: in.str(s.Title), URL: in.str(s.URL), Date: in.str(s.Date)}
	}
	return out
}
