package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/controlmap/controlmap/geo"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		unavailable bool
	}{
		{"nil", nil, false},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"conn closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"conflict with recovery on a standby", &pgconn.PgError{Code: "40001", Message: "canceling statement due to conflict with recovery"}, true},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"undefined table", &pgconn.PgError{Code: "42P01"}, false},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), false},
		{"deadline", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			if errors.Is(got, geo.ErrUnavailable) != tt.unavailable {
				t.Errorf("classify(%v) = %v: unavailable %v, want %v", tt.err, got, !tt.unavailable, tt.unavailable)
			}
			if tt.err != nil && !errors.Is(got, tt.err) {
				t.Errorf("classify(%v) = %v lost the original error", tt.err, got)
			}
		})
	}
}

func TestNotFoundError(t *testing.T) {
	err := notFound("feature %q in collection %q", "x", "events")
	if !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("%v does not match geo.ErrNotFound", err)
	}
	if want := `postgis: feature "x" in collection "events": geo: not found`; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}
