// Package storetest is the contract every geo.Store must pass, and the small
// dataset it runs against.
//
// A backend's test calls Run with a function that builds the store from the
// fixture dataset:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
//			return memory.New(ds)
//		})
//	}
//
// The expected answers are written out by hand from the fixture (see the
// comments in fixture.go), not computed with geo.Query.Match, so a store that
// uses Match is still checked against an independent answer.
package storetest
