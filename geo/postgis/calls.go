package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/controlmap/controlmap/geo"
)

// This file holds the exported geo.Store methods. Each runs its query under
// the call's timeout (Options.StatementTimeout plus a second, waiting for a
// pooled connection included) and explains a failure: a database that is
// down, not migrated yet, too slow or out of connections is geo.ErrUnavailable;
// a caller that gave up keeps its context error.

// errCallTimeout is the cause of a call's own deadline.
var errCallTimeout = errors.New("postgis: no answer in time")

// errNotMigrated answers calls until Run has applied the migrations.
var errNotMigrated = &unavailableError{errors.New("postgis: schema not migrated yet (retrying in the background)")}

// Ping reports whether the store can answer: the migrations are applied and
// the database answers a query on its schema.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return s.explain(ctx, s.ping(ctx))
}

// Version returns the data_version counter, which triggers bump whenever a
// statement changes features or collections. While the change feed is
// connected (Run), it answers from the last notification without a query.
func (s *Store) Version(ctx context.Context) (string, error) {
	if !s.migrated.Load() {
		return "", errNotMigrated
	}
	if v, ok := s.feed.current(); ok {
		return strconv.FormatInt(v, 10), nil
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	defer cancel()
	v, err := s.queryVersion(ctx)
	if err != nil {
		return "", s.explain(ctx, err)
	}
	return strconv.FormatInt(v, 10), nil
}

// Refresh reads the data version from the database and, while the change
// feed is connected, advances the version Version answers to it, in case a
// notification was lost. It is what a reload means for this store: the
// data is always read live.
func (s *Store) Refresh(ctx context.Context) error {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	v, err := s.queryVersion(ctx)
	if err != nil {
		return s.explain(ctx, err)
	}
	s.feed.advance(v)
	return nil
}

// Collections lists the collections in catalogue order with their extents,
// counts and property names, kept with the features by triggers. While the
// change feed is live they are read once per data version.
func (s *Store) Collections(ctx context.Context) ([]geo.Collection, error) {
	cols, err := s.memoCollections(ctx)
	return slices.Clone(cols), err
}

// memoCollections is Collections without the copy: the memoized slice
// itself, which the caller must not change.
func (s *Store) memoCollections(ctx context.Context) ([]geo.Collection, error) {
	if !s.migrated.Load() {
		return nil, errNotMigrated
	}
	v, live := s.feed.current()
	if live {
		if cols, ok := s.memo.collections(v); ok {
			if err := ctx.Err(); err != nil {
				// As a call that asks the database would: the caller
				// has gone (the contract's canceled context).
				return nil, fmt.Errorf("postgis: collections: %w", err)
			}
			return cols, nil
		}
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	cols, err := s.collections(ctx)
	if err != nil {
		return nil, s.explain(ctx, err)
	}
	if live {
		s.memo.setCollections(v, cols)
	}
	return cols, nil
}

// Collection returns one collection by id, or an error matching
// geo.ErrNotFound. While the change feed is live it is looked up in the
// catalogue read once per data version; otherwise it is one query.
func (s *Store) Collection(ctx context.Context, id string) (geo.Collection, error) {
	if !s.migrated.Load() {
		return geo.Collection{}, errNotMigrated
	}
	if _, live := s.feed.current(); live {
		cols, err := s.memoCollections(ctx)
		if err != nil {
			return geo.Collection{}, err
		}
		for _, c := range cols {
			if c.ID == id {
				return c, nil
			}
		}
		return geo.Collection{}, notFound("collection %q", id)
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return geo.Collection{}, err
	}
	defer cancel()
	c, err := s.collection(ctx, id)
	return c, s.explain(ctx, err)
}

// Items returns the page of the collection's features matching q, in id
// order unless q is Unordered, with the number of matching features (left
// zero for a full page when q is Uncounted, which is then not counted); an
// error matching geo.ErrNotFound if the collection does not exist.
func (s *Store) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return geo.Page{}, err
	}
	defer cancel()
	page, err := s.items(ctx, collection, q)
	return page, s.explain(ctx, err)
}

// Item returns one feature, or an error matching geo.ErrNotFound if the
// collection or the feature does not exist.
func (s *Store) Item(ctx context.Context, collection, id string) (geo.Feature, error) {
	return s.itemCall(ctx, collection, id, false)
}

// ItemEncoded is Item for an answer that writes every property as it is
// (geo.EncodedItemStore): the feature comes with its encoded properties
// (props_json) and without Properties and Sources, which are read and
// decoded only for a row that has no encoding.
func (s *Store) ItemEncoded(ctx context.Context, collection, id string) (geo.Feature, error) {
	return s.itemCall(ctx, collection, id, true)
}

// itemCall is the call of Item and ItemEncoded: item under the call's
// checks and timeout, its failure explained.
func (s *Store) itemCall(ctx context.Context, collection, id string, encoded bool) (geo.Feature, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return geo.Feature{}, err
	}
	defer cancel()
	f, err := s.item(ctx, collection, id, encoded)
	return f, s.explain(ctx, err)
}

// begin checks that the schema is migrated and bounds ctx by the call's
// timeout.
func (s *Store) begin(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if !s.migrated.Load() {
		return nil, nil, errNotMigrated
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.callTimeout, errCallTimeout)
	return ctx, cancel, nil
}

// explain returns err as the caller should see it, given the call's context
// ctx from begin: past the call's own deadline it is unavailable (the pool
// was exhausted or the database silent); when the caller's context ended it
// matches that context's error; a statement cancelled by statement_timeout
// is unavailable; anything else is returned as it is.
func (s *Store) explain(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(context.Cause(ctx), errCallTimeout) {
			if errors.Is(err, geo.ErrUnavailable) {
				return err // already said (a statement that read tiles together: readBatch)
			}
			return &unavailableError{fmt.Errorf("no answer within %s: %w", s.callTimeout, err)}
		}
		if errors.Is(err, ctxErr) {
			return err
		}
		// The driver may report the cancelled statement rather than the
		// context; say both.
		return fmt.Errorf("%w (%w)", err, ctxErr)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "57014" && !errors.Is(err, geo.ErrUnavailable) {
		return &unavailableError{err} // canceling statement due to statement timeout
	}
	return err
}
