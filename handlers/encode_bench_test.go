package handlers

import (
	"bytes"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
)

// benchDataset is a slice of the scale dataset of issue 6: enough polygons
// and points for the encoder benchmarks to measure coordinates and
// properties, generated in well under a second.
func benchDataset(b *testing.B) *geo.Dataset {
	b.Helper()
	return gen.Scale(1, gen.Options{Polygons: 100, Points: 2000, Facilities: 50, Events: 10})
}

// dayFeatures returns the features of collection valid on 2026-01-15,
// limited to n (0: all).
func dayFeatures(ds *geo.Dataset, collection string, n int) []geo.Feature {
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	var out []geo.Feature
	for _, f := range ds.Features[collection] {
		if f.Valid.Intersects(day) {
			out = append(out, f)
			if n > 0 && len(out) == n {
				break
			}
		}
	}
	return out
}

// BenchmarkWriteFeatureCollection measures the GeoJSON writer alone on what
// the benchmark cases (a), (b) and (c) return: facilities of a date,
// polygons of 200-2,000 vertices, and points.
func BenchmarkWriteFeatureCollection(b *testing.B) {
	ds := benchDataset(b)
	cases := []struct {
		name  string
		feats []geo.Feature
	}{
		{"facilities", dayFeatures(ds, gen.Facilities, 0)},
		{"polygons-20", dayFeatures(ds, gen.Areas, 20)},
		{"points-300", dayFeatures(ds, gen.Points, 300)},
	}
	stamp := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	links := []link{{Href: "http://localhost/collections/x/items", Rel: RelSelf, Type: MediaGeoJSON, Title: "This document"}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var body []byte
			for b.Loop() {
				var err error
				if body, err = featureCollectionBody(featureCollection{
					features: c.feats, precision: DefaultPrecision, numberMatched: len(c.feats), timeStamp: stamp.Format(time.RFC3339), links: links,
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(body)))
		})
	}
}

// BenchmarkAppendCoord measures one coordinate, the inner loop of polygons.
func BenchmarkAppendCoord(b *testing.B) {
	vals := []float64{41.14862, 36.3756, 38.00001, 35.5}
	var buf [32]byte
	for i := 0; b.Loop(); i++ {
		_ = appendCoord(buf[:0], vals[i%len(vals)], DefaultPrecision)
	}
}

// BenchmarkWriteGeometry measures a polygon of 1,000 vertices.
func BenchmarkWriteGeometry(b *testing.B) {
	ring := make(orb.Ring, 0, 1001)
	for i := range 1000 {
		ring = append(ring, orb.Point{38 + float64(i)*0.00037, 35 + float64(i%97)*0.00041})
	}
	ring = append(ring, ring[0])
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := writeGeometry(&buf, orb.Polygon{ring}, DefaultPrecision); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
