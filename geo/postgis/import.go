package postgis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/propjson"
)

// ImportResult counts what an import did to the features of the imported
// collections.
type ImportResult struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
}

// Import writes ds into the database at databaseURL in one transaction: it
// upserts the catalogue entries of ds's collections (in ds order), then makes
// the features of each of those collections equal to ds's, inserting new
// ones, rewriting changed ones (their content hash differs) and deleting
// those ds no longer has. Unchanged rows are not touched, so importing the
// same dataset again changes nothing, not even data_version. Collections not
// in ds are left alone. Each row gets its properties encoded for answers
// (props_json, see encodeProperties); a row that lacks that encoding, as
// rows imported before migration 0003 do, counts as changed and is
// rewritten with it.
//
// ds should come from geo.LoadDir or geo.LoadFiles, which validate it. The
// database checks again: a geometry PostGIS finds invalid or two versions of
// one thing overlapping in time make Import return a *geo.LoadError naming
// the file and feature, and nothing is written on any error.
func Import(ctx context.Context, databaseURL string, ds *geo.Dataset) (ImportResult, error) {
	rows, metas, err := importRows(ds)
	if err != nil {
		return ImportResult{}, err
	}
	conn, err := connect(ctx, databaseURL)
	if err != nil {
		return ImportResult{}, fmt.Errorf("postgis: import: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var res ImportResult
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var err error
		res, err = importTx(ctx, tx, ds, rows, metas)
		return err
	})
	if err != nil {
		if _, ok := errors.AsType[*geo.LoadError](err); ok {
			return ImportResult{}, err
		}
		return ImportResult{}, fmt.Errorf("postgis: import: %w", classify(err))
	}
	if res.Inserted+res.Updated+res.Deleted > 0 {
		// Fresh planner statistics, so that queries use the indexes at once:
		// autovacuum may be off or not due yet, and without statistics a
		// tile or bbox query can take several times longer.
		if _, err := conn.Exec(ctx, "ANALYZE features"); err != nil {
			return res, fmt.Errorf("postgis: import: analyze (the data is imported): %w", classify(err))
		}
	}
	return res, nil
}

// importRows encodes the features of ds as rows of import_rows and the
// catalogue entries as JSON. It rejects what cannot be encoded, and features
// of a collection ds does not list, before anything is sent.
func importRows(ds *geo.Dataset) ([][]any, []string, error) {
	if ds == nil {
		return nil, nil, errors.New("postgis: import: no dataset")
	}
	var probs []geo.Problem
	listed := map[string]bool{}
	metas := make([]string, len(ds.Collections))
	for i, c := range ds.Collections {
		listed[c.ID] = true
		b, err := json.Marshal(c)
		if err != nil {
			return nil, nil, fmt.Errorf("postgis: import: catalogue entry %q: %w", c.ID, err)
		}
		metas[i] = string(b)
	}
	ids := make([]string, 0, len(ds.Features))
	for id := range ds.Features {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var rows [][]any
	for _, col := range ids {
		file := col + ".geojson"
		if !listed[col] {
			probs = append(probs, geo.Problem{File: file, Reason: fmt.Sprintf("unknown collection %q (not in the dataset's catalogue)", col)})
			continue
		}
		placed := make([]placedRow, 0, len(ds.Features[col]))
		for _, f := range ds.Features[col] {
			row, err := importRow(col, f)
			if err != nil {
				// Reasons carry no package prefix, like the loader's.
				probs = append(probs, geo.Problem{File: file, Feature: f.ID, Reason: strings.TrimPrefix(err.Error(), "geo: ")})
				continue
			}
			placed = append(placed, placedRow{importPlace(geo.BoundOf(f.Geometry)), row})
		}
		// Copied, staged and inserted in the order of their places.
		slices.SortStableFunc(placed, func(a, b placedRow) int { return cmp.Compare(a.place, b.place) })
		for _, p := range placed {
			rows = append(rows, p.row)
		}
	}
	if len(probs) > 0 {
		return nil, nil, &geo.LoadError{Problems: probs}
	}
	return rows, metas, nil
}

// importRow encodes one feature in the column order of importRowsColumns.
func importRow(col string, f geo.Feature) ([]any, error) {
	if f.ID == "" {
		return nil, errors.New("no id")
	}
	if !storable(f.ID) || !storable(f.Thing) {
		return nil, errors.New("id or group key holds a NUL character or invalid UTF-8, which PostgreSQL cannot store")
	}
	if f.Geometry == nil {
		return nil, errors.New("no geometry")
	}
	if holdsNUL(f.Properties) || holdsNUL(f.Sources) {
		return nil, errors.New(`a property or source holds a NUL character (\u0000), which PostgreSQL cannot store`)
	}
	g, err := wkb.Marshal(f.Geometry)
	if err != nil {
		return nil, fmt.Errorf("cannot encode geometry: %w", err)
	}
	props := f.Properties
	if props == nil {
		props = map[string]any{}
	}
	p, err := json.Marshal(props)
	if err != nil {
		return nil, fmt.Errorf("cannot encode properties: %w", err)
	}
	sources := f.Sources
	if sources == nil {
		sources = []geo.Source{}
	}
	s, err := json.Marshal(sources)
	if err != nil {
		return nil, fmt.Errorf("cannot encode sources: %w", err)
	}
	if err := f.Valid.Validate(); err != nil {
		return nil, err
	}
	enc, err := encodeProperties(f, p, s)
	if err != nil {
		return nil, fmt.Errorf("cannot encode properties: %w", err)
	}
	var thing any
	if f.Thing != "" {
		thing = f.Thing
	}
	return []any{col, f.ID, thing, g, p, s, timeArg(f.Valid.Start), timeArg(f.Valid.End), enc}, nil
}

// encodeProperties returns what the props_json column holds for f: its
// whole properties object as the store's answers write it from a row, that
// is encoded (internal/propjson) from the values as the database gives them
// back: props and sources decoded from the JSON sent for them (p, s) by the
// store's own decoding (decodeValues), with negative zeros made 0 as jsonb's
// numeric keeps them, and the validity to the microsecond as timestamptz
// keeps it (pgx sends whole microseconds, dropping the rest). The stored
// bytes are therefore those that decoding the row would give.
func encodeProperties(f geo.Feature, p, s []byte) (string, error) {
	// pgx sends a timestamptz to the microsecond (geo.Precision); the zero
	// time (an open end) stays zero.
	row := geo.Feature{Valid: geo.Interval{Start: f.Valid.Start.Truncate(geo.Precision), End: f.Valid.End.Truncate(geo.Precision)}}
	if err := decodeValues(&row, p, s); err != nil {
		return "", err
	}
	positiveZeros(row.Properties)
	b, err := propjson.Encode(row)
	return string(b), err
}

// positiveZeros replaces -0 by 0 in a decoded JSON object or array and
// those inside it, in place: jsonb keeps numbers as numeric, which has no
// negative zero, so -0 comes back as 0.
func positiveZeros(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isNegZero(e) {
				x[k] = 0.0
			}
			positiveZeros(e)
		}
	case []any:
		for i, e := range x {
			if isNegZero(e) {
				x[i] = 0.0
			}
			positiveZeros(e)
		}
	}
}

func isNegZero(v any) bool {
	f, ok := v.(float64)
	return ok && f == 0 && math.Signbit(f)
}

// holdsNUL reports whether a JSON-like value has a NUL character in any
// string or object key; jsonb refuses \u0000.
func holdsNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, 0)
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) || holdsNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holdsNUL(e) {
				return true
			}
		}
	case []geo.Source:
		for _, s := range x {
			if holdsNUL(s.Publisher) || holdsNUL(s.Title) || holdsNUL(s.URL) || holdsNUL(s.Date) {
				return true
			}
		}
	}
	return false
}

// importTx does the work of Import inside tx.
func importTx(ctx context.Context, tx pgx.Tx, ds *geo.Dataset, rows [][]any, metas []string) (ImportResult, error) {
	var res ImportResult
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", importLockKey); err != nil {
		return res, fmt.Errorf("lock: %w", err)
	}
	if len(ds.Collections) == 0 {
		return res, nil
	}
	sql, args := upsertCollectionsSQL(ds.Collections, metas)
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		return res, fmt.Errorf("write catalogue: %w", err)
	}
	if _, err := tx.Exec(ctx, createImportRowsSQL); err != nil {
		return res, fmt.Errorf("stage: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, importRowsColumns, pgx.CopyFromRows(rows)); err != nil {
		return res, fmt.Errorf("stage: copy features: %w", err)
	}
	for _, stmt := range []string{stageSQL, indexStagedSQL} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return res, fmt.Errorf("stage: %w", err)
		}
	}
	if err := checkGeometry(ctx, tx); err != nil {
		return res, err
	}
	cols := make([]string, len(ds.Collections))
	for i, c := range ds.Collections {
		cols[i] = c.ID
	}
	tag, err := tx.Exec(ctx, deleteGoneSQL, cols)
	if err != nil {
		return res, fmt.Errorf("delete features: %w", err)
	}
	res.Deleted = int(tag.RowsAffected())
	if tag, err = tx.Exec(ctx, updateChangedSQL); err != nil {
		return res, fmt.Errorf("update features: %w", err)
	}
	res.Updated = int(tag.RowsAffected())
	if tag, err = tx.Exec(ctx, insertNewSQL); err != nil {
		return res, fmt.Errorf("insert features: %w", err)
	}
	res.Inserted = int(tag.RowsAffected())
	res.Unchanged = len(rows) - res.Inserted - res.Updated
	if err := checkOverlaps(ctx, tx, cols); err != nil {
		return res, err
	}
	return res, nil
}

// checkGeometry returns a *geo.LoadError listing every staged geometry that
// PostGIS finds invalid.
func checkGeometry(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, invalidGeometrySQL)
	if err != nil {
		return fmt.Errorf("check geometry: %w", err)
	}
	probs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (geo.Problem, error) {
		var col, id, reason string
		err := r.Scan(&col, &id, &reason)
		return geo.Problem{File: col + ".geojson", Feature: id, Reason: "invalid geometry (PostGIS): " + reason}, err
	})
	if err != nil {
		return fmt.Errorf("check geometry: %w", err)
	}
	if len(probs) > 0 {
		return &geo.LoadError{Problems: probs}
	}
	return nil
}

// checkOverlaps checks the deferred exclusion constraint on the versions of
// each thing now, inside a savepoint, and when it fails names the features
// that overlap in a *geo.LoadError.
func checkOverlaps(ctx context.Context, tx pgx.Tx, cols []string) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("check overlaps: %w", err)
	}
	_, err = sp.Exec(ctx, checkOverlapSQL)
	if err == nil {
		return sp.Commit(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.ConstraintName != overlapConstraint {
		return fmt.Errorf("check overlaps: %w", err)
	}
	if rbErr := sp.Rollback(ctx); rbErr != nil {
		return fmt.Errorf("check overlaps: %w", errors.Join(err, rbErr))
	}
	rows, qErr := tx.Query(ctx, overlapsSQL, cols)
	if qErr != nil {
		return fmt.Errorf("check overlaps: %w", errors.Join(err, qErr))
	}
	probs, qErr := pgx.CollectRows(rows, func(r pgx.CollectableRow) (geo.Problem, error) {
		var col, id, other string
		err := r.Scan(&col, &id, &other)
		return geo.Problem{File: col + ".geojson", Feature: id, Reason: fmt.Sprintf("validity overlaps feature %s, another version of the same thing (database constraint %s)", other, overlapConstraint)}, err
	})
	if qErr != nil || len(probs) == 0 {
		// The constraint fired but the pairs cannot be named: say what
		// PostgreSQL said, which names the thing and both ranges.
		return fmt.Errorf("two versions of one thing overlap in time: %s: %w", pgErr.Detail, errors.Join(err, qErr))
	}
	probs = slices.CompactFunc(probs, func(a, b geo.Problem) bool { return a == b })
	return &geo.LoadError{Problems: probs}
}
