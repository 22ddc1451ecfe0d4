// Package gen generates the scale dataset used by the benchmarks and the load
// tests: thousands of dated polygons with hundreds to thousands of vertices,
// a hundred thousand dated points, a layer of facilities and a few events,
// over north-east Syria and the months around the January 2026 offensive.
//
// The data is synthetic and says nothing about the real world: every feature
// cites the publisher "controlmap generator". It is valid by the rules of
// docs/data-format.md (geo.LoadDir accepts what WriteDir writes), and it is
// a pure function of the seed and the Options (math/rand/v2 with a PCG
// source, one stream per collection): the same seed and options give the same
// dataset and the same bytes on every run. Across CPU architectures a
// coordinate's last digit may differ, because the compiler may fuse
// multiply-adds on some of them (arm64, for example); compare datasets made
// on one kind of machine.
package gen
