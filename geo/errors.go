package geo

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned (wrapped) when a collection or feature does not exist.
var ErrNotFound = errors.New("geo: not found")

// ErrInvalidQuery is returned (wrapped) when a query parameter is malformed.
// The concrete error is a *ParamError naming the parameter.
var ErrInvalidQuery = errors.New("geo: invalid query")

// ErrUnavailable is returned (wrapped) when the store cannot answer now, for
// example because the database is down. Callers may retry later.
var ErrUnavailable = errors.New("geo: store unavailable")

// ParamError describes a bad query parameter: which one, the value given, and
// what is wrong with it. It matches ErrInvalidQuery with errors.Is.
type ParamError struct {
	Param  string
	Value  string
	Reason string
	// Position is the 1-based character of Value at fault (a filter's
	// syntax error), 0 when the error is about the whole value; Pointer the
	// JSON pointer of the member at fault in a JSON value.
	Position int
	Pointer  string
}

// Error implements error.
func (e *ParamError) Error() string {
	return fmt.Sprintf("geo: invalid %s %q: %s", e.Param, e.Value, e.Reason)
}

// Is reports whether target is ErrInvalidQuery.
func (e *ParamError) Is(target error) bool { return target == ErrInvalidQuery }

func paramErr(param, value, format string, args ...any) *ParamError {
	return &ParamError{Param: param, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// domainError is a plain error from this package, prefixed "geo: ".
type domainError string

func (e domainError) Error() string { return "geo: " + string(e) }

func errorf(format string, args ...any) error {
	return domainError(fmt.Sprintf(format, args...))
}

// stripPrefix returns the message of a domain error without the package prefix,
// for embedding in another message.
func stripPrefix(err error) string {
	var d domainError
	if errors.As(err, &d) {
		return string(d)
	}
	return err.Error()
}
