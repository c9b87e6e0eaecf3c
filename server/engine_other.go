//go:build !linux

package server

import (
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// engine is the readiness-loop model, which exists on Linux only; here every
// connection gets its own goroutine.
type engine struct{}

func pollable(net.Listener) bool { return false }

func (s *Server) servePoll(net.Listener, *tls.Config) error {
	return errors.New("server: readiness loops need Linux")
}

func (e *engine) sweep(int64)      {}
func (e *engine) idleCount() int64 { return 0 }
func (e *engine) closeParked()     {}
func (e *engine) abortAll()        {}
func (e *engine) stop()            {}

// writevDirect is for the readiness loops' connections only.
func writevDirect(transport, []byte, []byte, time.Duration) (bool, error) { return false, nil }
