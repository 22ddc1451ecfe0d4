package storetest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/storetest"
)

// naive is the simplest store there is: a linear scan with geo.Query.Match.
// Running the suite against it checks the hand-written answers against the
// domain's own semantics, apart from any index.
type naive struct{ ds *geo.Dataset }

var _ geo.Store = naive{}

func (n naive) Collections(ctx context.Context) ([]geo.Collection, error) {
	return n.ds.Collections, ctx.Err()
}

func (n naive) Collection(ctx context.Context, id string) (geo.Collection, error) {
	if err := ctx.Err(); err != nil {
		return geo.Collection{}, err
	}
	c, ok := n.ds.Collection(id)
	if !ok {
		return geo.Collection{}, fmt.Errorf("naive: collection %q: %w", id, geo.ErrNotFound)
	}
	return c, nil
}

func (n naive) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	if _, err := n.Collection(ctx, collection); err != nil {
		return geo.Page{}, err
	}
	var page geo.Page
	feats := n.ds.Features[collection]
	if len(q.SortBy) > 0 {
		feats = slices.Clone(feats)
		row := func(f geo.Feature) *geo.SortRow {
			return &geo.SortRow{ID: f.ID, Prop: func(k string) any { return f.Properties[k] }, Valid: f.Valid}
		}
		slices.SortFunc(feats, func(a, b geo.Feature) int { return geo.CompareSort(q.SortBy, row(a), row(b)) })
	}
	for _, f := range feats {
		if !q.Match(f) {
			continue
		}
		if page.NumberMatched >= q.Offset && (q.Limit <= 0 || len(page.Features) < q.Limit) {
			page.Features = append(page.Features, f)
		}
		page.NumberMatched++
	}
	return page, nil
}

func (n naive) Item(ctx context.Context, collection, id string) (geo.Feature, error) {
	if _, err := n.Collection(ctx, collection); err != nil {
		return geo.Feature{}, err
	}
	for _, f := range n.ds.Features[collection] {
		if f.ID == id {
			return f, nil
		}
	}
	return geo.Feature{}, fmt.Errorf("naive: feature %q: %w", id, geo.ErrNotFound)
}

func (n naive) Version(ctx context.Context) (string, error) { return n.ds.Digest, ctx.Err() }

func (n naive) Ping(ctx context.Context) error { return ctx.Err() }

func TestContractNaive(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ds *geo.Dataset) geo.Store { return naive{ds} })
}

func TestEncodingNaive(t *testing.T) {
	storetest.RunEncoding(t, func(t *testing.T, ds *geo.Dataset) geo.Store { return naive{ds} })
}
