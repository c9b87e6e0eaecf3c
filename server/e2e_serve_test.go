package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
)

// closeRecorder is a listener that counts its Close calls.
type closeRecorder struct {
	net.Listener
	closes atomic.Int32
}

func (l *closeRecorder) Close() error {
	l.closes.Add(1)
	return l.Listener.Close()
}

// brokenAccept is a listener whose Accept fails for good.
type brokenAccept struct{ *closeRecorder }

func (brokenAccept) Accept() (net.Conn, error) { return nil, errors.New("accept: broken") }

// noDescriptor is a listener that claims a descriptor it cannot give.
type noDescriptor struct{ *closeRecorder }

func (noDescriptor) SyscallConn() (syscall.RawConn, error) {
	return nil, errors.New("no descriptor")
}

// TestServeClosesListener checks that Serve closes its listener on every
// way out, errors included, as it promises (it takes ownership), and
// closes it once even when Shutdown closes it too.
func TestServeClosesListener(t *testing.T) {
	tests := []struct {
		name    string
		wrap    func(*closeRecorder) net.Listener
		srv     func() *server.Server
		before  func(*server.Server) // runs before Serve
		during  func(*server.Server) // runs while Serve runs
		wantErr error                // nil: any error but ErrServerClosed
	}{
		{name: "no Handler", srv: func() *server.Server { return &server.Server{} }},
		{name: "after Shutdown", before: func(s *server.Server) { s.Shutdown(context.Background()) }, wantErr: server.ErrServerClosed},
		{name: "Shutdown while serving", during: func(s *server.Server) { s.Shutdown(context.Background()) }, wantErr: server.ErrServerClosed},
		{name: "accept fails, listener without a descriptor", wrap: func(l *closeRecorder) net.Listener { return brokenAccept{l} }},
		{name: "accept fails, one goroutine per connection", wrap: func(l *closeRecorder) net.Listener { return brokenAccept{l} },
			srv: func() *server.Server { return &server.Server{Handler: helloHandler, GoroutinePerConn: true} }},
		{name: "no descriptor for the loops", wrap: func(l *closeRecorder) net.Listener { return noDescriptor{l} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			rec := &closeRecorder{Listener: ln}
			var l net.Listener = rec
			if tc.wrap != nil {
				l = tc.wrap(rec)
			}
			srv := &server.Server{Handler: helloHandler}
			if tc.srv != nil {
				srv = tc.srv()
			}
			srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			defer srv.Close()
			if tc.before != nil {
				tc.before(srv)
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(l) }()
			if tc.during != nil {
				// Served or not yet, the listener is closed once.
				time.Sleep(20 * time.Millisecond)
				tc.during(srv)
			}
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Serve did not return")
			}
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("Serve: %v, want %v", err, tc.wantErr)
			case tc.wantErr == nil && (err == nil || errors.Is(err, server.ErrServerClosed)):
				t.Errorf("Serve: %v, want an error", err)
			}
			if n := rec.closes.Load(); n != 1 {
				t.Errorf("listener closed %d times, want once", n)
			}
		})
	}
}
