package server

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
)

// netConn is the goroutine-per-connection transport over a net.Conn: the
// portable model, also used for listeners without a file descriptor.
type netConn struct {
	nc  net.Conn
	srv *Server

	mu       sync.Mutex
	hijacked bool
}

func (n *netConn) read(p []byte, deadline int64) (int, error) {
	n.nc.SetReadDeadline(time.Unix(0, deadline))
	k, err := n.nc.Read(p)
	if k > 0 {
		return k, nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return 0, errTimeout
	}
	return 0, err
}

func (n *netConn) waitRead(int64) error { return nil }

func (n *netConn) write(p []byte, timeout time.Duration) error {
	// net.Conn has one deadline for the whole write; give it time in
	// proportion to the size so a large response is not cut short.
	n.nc.SetWriteDeadline(time.Now().Add(timeout + time.Duration(len(p)>>16)*time.Second))
	_, err := n.nc.Write(p)
	return err
}

// sendFile writes head and copies the file onto the net.Conn, which uses
// sendfile(2) itself for a TCP connection. The file's offset is restored.
func (n *netConn) sendFile(head []byte, f *os.File, offset, count int64, timeout time.Duration) (int64, error) {
	if len(head) > 0 {
		if err := n.write(head, timeout); err != nil {
			return 0, err
		}
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, err
	}
	defer f.Seek(pos, io.SeekStart)
	n.nc.SetWriteDeadline(time.Now().Add(timeout + time.Duration(count>>16)*time.Second))
	sent, err := io.Copy(n.nc, &io.LimitedReader{R: f, N: count})
	if err == nil && sent < count {
		err = io.ErrUnexpectedEOF // the file shrank
	}
	return sent, err
}

func (n *netConn) park(int64, bool) bool { return false }

func (n *netConn) pendingInput() int64 { return 0 }

func (n *netConn) peerGone() bool {
	n.mu.Lock()
	hijacked := n.hijacked
	n.mu.Unlock()
	sc, ok := n.nc.(syscall.Conn)
	if hijacked || !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	if rc.Control(func(fd uintptr) { gone = peekClosed(fd) }) != nil {
		return true // closed already
	}
	return gone
}

// readNow reads what has arrived without waiting (tlsConn.peerGone):
// errAgain when nothing has, or when the connection has no descriptor to
// ask. It reads the descriptor directly, past the read deadline, which
// may have passed while the request waited.
func (n *netConn) readNow(p []byte) (int, error) {
	sc, ok := n.nc.(syscall.Conn)
	if !ok {
		return 0, errAgain
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, errAgain
	}
	var k int
	var rerr error
	if err := rc.Control(func(fd uintptr) { k, rerr = readNowFD(fd, p) }); err != nil {
		return 0, err
	}
	return k, rerr
}

func (n *netConn) closeWrite() error {
	if cw, ok := n.nc.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (n *netConn) close() {
	n.nc.Close()
	n.srv.release()
}

// abort closes the socket, which makes the owner's pending and future I/O
// fail at once (a deadline would not do: the owner sets new ones). The
// owner's own close later is then a harmless second Close.
func (n *netConn) abort() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.hijacked {
		n.nc.Close()
	}
}

func (n *netConn) hijack() (net.Conn, error) {
	n.mu.Lock()
	n.hijacked = true
	n.mu.Unlock()
	n.nc.SetDeadline(time.Time{})
	return n.nc, nil
}

// serveStd accepts with ln.Accept and serves each connection on its own
// goroutine, over TLS with tlsCfg when it is not nil.
func (s *Server) serveStd(ln net.Listener, tlsCfg *tls.Config) error {
	var delay time.Duration
	for {
		if !s.acquire() {
			return ErrServerClosed
		}
		nc, err := ln.Accept()
		if err != nil {
			s.unacquire()
			if s.shutting.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors and the like: back off as
				// net/http does rather than spin.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.conns.Add(1)
		c := &conn{srv: s, t: &netConn{nc: nc, srv: s}}
		if tlsCfg != nil {
			c.t = newTLSConn(c.t, c, tlsCfg, false)
		}
		c.remote = toSockAddr(addrPort(nc.RemoteAddr()))
		c.local = toSockAddr(addrPort(nc.LocalAddr()))
		c.headSince = s.clock.Now()
		s.mu.Lock()
		s.stdConns[c] = struct{}{}
		s.mu.Unlock()
		go s.serveConnStd(c)
	}
}

func (s *Server) serveConnStd(c *conn) {
	var x exchange
	x.serve(c)
	s.mu.Lock()
	delete(s.stdConns, c)
	s.mu.Unlock()
}

func isTemporary(err error) bool {
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}
