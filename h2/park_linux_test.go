package h2

import (
	"bytes"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
	"golang.org/x/sys/unix"
)

// peekWatched stands in for the server's watched connection (a
// web.WatchedConn): Watch waits for readability on a goroutine of its
// own, where the server's readiness loop needs none, and counts the
// watches.
type peekWatched struct {
	*net.TCPConn
	rc      syscall.RawConn
	watches atomic.Int32
}

func (w *peekWatched) Watch(fn func()) error {
	w.watches.Add(1)
	go func() {
		err := w.rc.Read(func(fd uintptr) bool {
			var b [1]byte
			_, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
			return err != unix.EAGAIN
		})
		if err == nil {
			fn()
		}
	}()
	return nil
}

// serveWatched is serveTest with every connection watched; it returns the
// address and a channel that gives each connection and its watcher.
func serveWatched(t *testing.T, cfg *Config) (string, chan watchedServed) {
	t.Helper()
	if cfg.Handler == nil {
		cfg.Handler = web.HandlerFunc(testHandler)
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns := make(chan watchedServed, 16)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			tc := nc.(*net.TCPConn)
			rc, _ := tc.SyscallConn()
			w := &peekWatched{TCPConn: tc, rc: rc}
			c := NewConn(w, cfg, ConnOptions{})
			t.Cleanup(c.Close)
			conns <- watchedServed{c, w}
			go c.Serve()
		}
	}()
	return ln.Addr().String(), conns
}

type watchedServed struct {
	c *Conn
	w *peekWatched
}

// waitParked waits until hc parks for the n-th time.
func waitParked(t *testing.T, s watchedServed, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.c.mu.Lock()
		p := s.c.park
		s.c.mu.Unlock()
		if p == parked && s.w.watches.Load() >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connection did not park (%d watches)", s.w.watches.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestParked: an idle watched connection parks (its read loop returns)
// once releaseAfter has passed, and what the client sends next is served
// when the watch calls back: a request, a PING; the idle timeout, a
// Shutdown and a Close reach a parked connection too.
func TestParked(t *testing.T) {
	for _, tc := range []struct {
		name string
		then func(t *testing.T, c *client, s watchedServed)
	}{
		{"request", func(t *testing.T, c *client, s watchedServed) {
			c.request(3, "GET", "/", true)
			if st := c.status(3); st != "200" {
				t.Fatalf("status %s after parking", st)
			}
			waitParked(t, s, 2)
		}},
		{"post", func(t *testing.T, c *client, s watchedServed) {
			// A large DATA frame grows the read Framer's buffer; the
			// release drops it before the connection parks again.
			c.request(3, "POST", "/echo", false)
			c.fr.WriteData(3, true, bytes.Repeat([]byte("x"), 16000))
			if st := c.status(3); st != "200" {
				t.Fatalf("status %s after parking", st)
			}
			waitParked(t, s, 2)
			s.c.mu.Lock()
			grown := s.c.rfMax
			s.c.mu.Unlock()
			if grown > keepReadBuf {
				t.Errorf("parked with the read Framer's %d-byte buffer", grown)
			}
		}},
		{"headers across the release", func(t *testing.T, c *client, s watchedServed) {
			// A large DATA frame grows the read Framer's buffer; then a
			// HEADERS frame stops half-way while the release passes, and
			// its block ends in a CONTINUATION frame, which the Framer
			// that read the HEADERS must still expect.
			c.request(3, "POST", "/echo", false)
			c.fr.WriteData(3, true, bytes.Repeat([]byte("x"), 16000))
			if st := c.status(3); st != "200" {
				t.Fatalf("status %s", st)
			}
			block := c.block("GET", "/")
			hdr := []byte{0, 0, byte(len(block)), 0x1, 0x1, 0, 0, 0, 5} // HEADERS, END_STREAM, stream 5
			c.nc.Write(append(hdr, block[:2]...))
			time.Sleep(3 * releaseAfter)
			c.nc.Write(block[2:])
			c.fr.WriteContinuation(5, true, nil)
			if st := c.status(5); st != "200" {
				t.Fatalf("status %s", st)
			}
		}},
		{"ping", func(t *testing.T, c *client, s watchedServed) {
			c.fr.WritePing(false, [8]byte{7})
			c.until("PING ack", func(f http2.Frame) bool {
				p, ok := f.(*http2.PingFrame)
				return ok && p.IsAck() && p.Data == [8]byte{7}
			})
			waitParked(t, s, 2)
		}},
		{"idle timeout", func(t *testing.T, c *client, s watchedServed) {
			c.goAway(http2.ErrCodeNo)
			waitDone(t, s.c)
		}},
		{"shutdown", func(t *testing.T, c *client, s watchedServed) {
			s.c.Shutdown()
			c.goAway(http2.ErrCodeNo)
			waitDone(t, s.c)
		}},
		{"close", func(t *testing.T, c *client, s watchedServed) {
			s.c.Close()
			waitDone(t, s.c)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idle := 30 * time.Second
			if tc.name == "idle timeout" {
				idle = time.Second
			}
			addr, conns := serveWatched(t, &Config{Idle: idle})
			c := dial(t, addr)
			c.fr.WriteSettingsAck()
			s := <-conns
			c.request(1, "GET", "/", true)
			if st := c.status(1); st != "200" {
				t.Fatalf("status %s", st)
			}
			waitParked(t, s, 1)
			tc.then(t, c, s)
		})
	}
}

func waitDone(t *testing.T, c *Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the parked connection did not close")
	}
}
