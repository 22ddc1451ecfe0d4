// Package memory is the embedded geo.Store: a whole dataset held in memory,
// with a packed R-tree per collection for bbox queries.
//
// A Store holds an immutable snapshot behind an atomic pointer. Reload and
// Swap build a new snapshot and replace the old one in one step, so every
// call sees either the old dataset or the new one, never a mix, and readers
// never wait for a reload.
package memory
