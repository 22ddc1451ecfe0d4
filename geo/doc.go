// Package geo is the domain of controlmap: collections of dated features, the
// validity interval and the OGC `datetime` filter, queries and pages, the Store
// interface every backend implements, and the loader that reads and validates
// a dataset folder.
//
// The package is pure: it imports no HTTP framework and no database driver.
// Geometry is carried as github.com/paulmach/orb values in WGS84 (lon, lat).
package geo
