//go:build !linux

package proxy

import "net"

// fastConn: raw socket calls are made on Linux only.
func fastConn(net.Conn) net.Conn { return nil }
