package testutil

import "github.com/brick-server/brick/wire"

// DiscardWriter is a web.ResponseWriter that keeps the header fields and
// drops the rest: for allocation tests of middleware, where the server's
// own writer would measure the server too.
type DiscardWriter struct{ H wire.Header }

// Header returns the header fields set so far.
func (w *DiscardWriter) Header() *wire.Header { return &w.H }

// WriteHeader does nothing.
func (w *DiscardWriter) WriteHeader(int) {}

// Write drops p.
func (w *DiscardWriter) Write(p []byte) (int, error) { return len(p), nil }

// WriteString drops s.
func (w *DiscardWriter) WriteString(s string) (int, error) { return len(s), nil }
