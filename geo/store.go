package geo

import "context"

// Store answers queries over a dataset. Every method takes a context first and
// must honour its cancellation. Implementations are safe for concurrent use.
//
// Errors: a missing collection or feature is ErrNotFound (wrapped); a query the
// store cannot run because of its values is ErrInvalidQuery; a store that is
// down is ErrUnavailable.
type Store interface {
	// Collections lists every collection in catalogue order, with extents.
	Collections(ctx context.Context) ([]Collection, error)
	// Collection returns one collection by id.
	Collection(ctx context.Context, id string) (Collection, error)
	// Items returns a page of the collection's features matching q, in id
	// order (see Query.Unordered). The page's slice is the caller's: the
	// store keeps no reference to it (what its features hold, geometries
	// and property maps, may be the store's own, not to be changed).
	Items(ctx context.Context, collection string, q Query) (Page, error)
	// Item returns one feature by id.
	Item(ctx context.Context, collection, id string) (Feature, error)
	// Version identifies the data now served; it changes whenever any feature
	// or collection changes. It is used for ETags and cache keys.
	Version(ctx context.Context) (string, error)
	// Ping reports whether the store can answer queries.
	Ping(ctx context.Context) error
}

// LocalStore is implemented by stores that answer from the process's own
// memory (an optional interface next to Store): their calls are work on the
// caller's processor, never a wait on another process, so that a server may
// run as many at once as it has processors and queue the rest. A type that
// embeds such a store inherits the mark: a wrapper that waits on something
// else (a network, a disk) must not embed it, or hide the method.
type LocalStore interface {
	Store
	// Local marks the store; it does nothing.
	Local()
}

// EncodedItemStore is implemented by stores that can return one feature
// for an answer that writes every property as it is (an optional interface
// next to Store), as Query.EncodedProperties does for a page: ItemEncoded
// is Item, but the feature may come with PropertiesJSON set and Properties
// and Sources nil, when the store holds its properties encoded and would
// otherwise decode them only for the caller to write the encoding.
type EncodedItemStore interface {
	Store
	ItemEncoded(ctx context.Context, collection, id string) (Feature, error)
}
