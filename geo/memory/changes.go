package memory

import (
	"context"

	"github.com/controlmap/controlmap/geo"
)

var _ geo.ChangeStore = (*Store)(nil)

// Changes returns when the collection's features begin and stop being
// valid in the snapshot now served (computed when it was built), or an
// error matching geo.ErrNotFound.
func (s *Store) Changes(ctx context.Context, collection string) (*geo.Changes, error) {
	c, err := s.lookup(ctx, collection)
	if err != nil {
		return nil, err
	}
	return c.changes, nil
}
