package service

import (
	"slices"
	"testing"
	"time"

	"github.com/brick-server/brick/config"
)

// TestFixedChanges lists the [server] settings a reload cannot apply by
// name, and only those: timeouts, limits, h2c and graces are reloaded.
func TestFixedChanges(t *testing.T) {
	base := config.Server{Backlog: 4096, IdleTimeout: time.Minute, MaxConns: 10, MaxBody: 1 << 20, H2C: true,
		ShutdownTimeout: time.Second, ReloadGrace: time.Second, WSGrace: time.Hour}
	tests := []struct {
		name   string
		change func(*config.Server)
		want   []string
	}{
		{"nothing", func(*config.Server) {}, nil},
		{"reloadable", func(s *config.Server) {
			s.IdleTimeout, s.ReadTimeout, s.WriteTimeout, s.ReadHeaderTimeout = time.Second, time.Second, time.Second, time.Second
			s.MaxConns, s.MaxBody, s.H2C = 2, 100, false
			s.ShutdownTimeout, s.ReloadGrace, s.WSGrace = time.Minute, time.Minute, time.Minute
		}, nil},
		{"backlog", func(s *config.Server) { s.Backlog = 16 }, []string{"backlog"}},
		{"engine", func(s *config.Server) { s.Trace, s.GoroutinePerConn, s.ReusePort = true, true, true },
			[]string{"reuseport", "trace", "goroutine_per_conn"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := base
			tc.change(&next)
			if got := fixedChanges(base, next); !slices.Equal(got, tc.want) {
				t.Fatalf("fixedChanges = %q, want %q", got, tc.want)
			}
		})
	}
}
