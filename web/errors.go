package web

import (
	"errors"
	"fmt"
)

// HandlerError is an error with the HTTP status it should produce.
type HandlerError struct {
	Status int
	Err    error
}

// Error returns the status and the wrapped error's text.
func (e *HandlerError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("status %d", e.Status)
	}
	return fmt.Sprintf("status %d: %v", e.Status, e.Err)
}

// Unwrap returns the wrapped error.
func (e *HandlerError) Unwrap() error { return e.Err }

// Error wraps err with the status a handler wants answered, for example
// web.Error(404, nil) or web.Error(503, err).
func Error(status int, err error) error {
	return &HandlerError{Status: status, Err: err}
}

// StatusOf returns the status an error from a handler should produce: the
// status of the first *HandlerError in its chain, else 500.
func StatusOf(err error) int {
	var he *HandlerError
	if errors.As(err, &he) && he.Status >= 400 && he.Status <= 599 {
		return he.Status
	}
	return 500
}

// ErrAbortHandler aborts a response without a log line: returned or
// panicked with, it closes the connection like any other abort.
var ErrAbortHandler = errors.New("web: abort handler")

// ErrClientGone is returned by a handler that found its client gone
// (ClientGone) before it answered: the server closes the connection
// without a response and reports the request as Cut and ClientGone, which
// logs as 499, nginx's "client closed request", not as a status the
// client never saw.
var ErrClientGone = errors.New("web: the client closed the connection before the response")

// Errors a ResponseWriter's Write returns, shared by every implementation
// so that adapters can recognise them.
var (
	// ErrBodyNotAllowed: the status (1xx, 204, 304) allows no body.
	ErrBodyNotAllowed = errors.New("web: response status allows no body")
	// ErrContentLength: more bytes than the declared Content-Length.
	ErrContentLength = errors.New("web: wrote more than the declared Content-Length")
)
