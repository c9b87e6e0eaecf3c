package metrics

import "github.com/brick-server/brick/accesslog"

// The two packages' wrappers are interchangeable: each middleware reads
// the other's instead of wrapping again.
var (
	_ accesslog.Recorder = (*recorder)(nil)
	_ recording          = accesslog.Recorder(nil)
)
