//go:build !linux

package proxy

import "net"

// fastConn: raw socket calls are made on Linux only.
func fastConn(net.Conn) net.Conn { return nil }

// rawConn and sendError exist on Linux only; no connection is one here.
type rawConn struct{ net.Conn }

func (c *rawConn) sendThenRead(p []byte) {}

// notSent: without sendThenRead every send is a Write of its own.
func notSent(error) bool { return false }
