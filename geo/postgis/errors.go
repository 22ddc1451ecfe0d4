package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/controlmap/controlmap/geo"
)

// unavailableError marks a failure to reach PostgreSQL. It matches
// geo.ErrUnavailable with errors.Is and keeps the driver's error in the chain.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "postgis: database unavailable: " + e.err.Error() }

func (e *unavailableError) Unwrap() []error { return []error{geo.ErrUnavailable, e.err} }

// classify wraps err with geo.ErrUnavailable when it means the database
// cannot be reached or is shutting down, and returns it unchanged otherwise.
// Context cancellation and deadlines are left as they are: the caller gave up.
func classify(err error) error {
	if err == nil || errors.Is(err, geo.ErrUnavailable) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if unavailableCode(pgErr.Code) {
			return &unavailableError{err}
		}
		return err
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, net.ErrClosed),
		pgconn.SafeToRetry(err),
		strings.Contains(err.Error(), "closed pool"):
		return &unavailableError{err}
	}
	return err
}

// unavailableCode reports whether a SQLSTATE means the server cannot serve
// now: connection exceptions (class 08), shutdown and start-up (57P01..57P03),
// too many connections (53300), and a query a standby cancelled because it
// conflicted with the replay of the primary's changes (40001; the store
// runs no serializable transaction, so that is the only way to get it).
func unavailableCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"):
		return true
	case code == "57P01", code == "57P02", code == "57P03", code == "53300", code == "40001":
		return true
	}
	return false
}

// notFound returns an error matching geo.ErrNotFound that names what is missing.
func notFound(format string, args ...any) error {
	return fmt.Errorf("postgis: %s: %w", fmt.Sprintf(format, args...), geo.ErrNotFound)
}
