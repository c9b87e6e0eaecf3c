//go:build linux

package server_test

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TestWatchedCloseWriteAfterClose checks that CloseWrite on a watched
// connection its owner already closed touches nothing: the descriptor
// number is the kernel's to reuse at once (a tunnel's two directions may
// end that way, one closing while the other passes its end on), and a
// shutdown(2) by number would end another connection's sending side.
func TestWatchedCloseWriteAfterClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		reused bool
		err    error
	}
	res := make(chan result, 1)
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		wc, _, err := web.HijackWatched(w)
		if err != nil {
			res <- result{err: err}
			return nil
		}
		before := procFDs()
		wc.Close()
		fd := -1
		after := procFDs()
		for n := range before {
			if !after[n] {
				fd = n
			}
		}
		// The freed number goes to the next socket made: find one that
		// took it.
		var keep []net.Conn
		defer func() {
			for _, c := range keep {
				c.Close()
			}
		}()
		for range 8 {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				res <- result{err: err}
				return nil
			}
			peer, err := ln.Accept()
			if err != nil {
				res <- result{err: err}
				return nil
			}
			keep = append(keep, c, peer)
			if fdOf(c) != fd && fdOf(peer) != fd {
				continue
			}
			cw := wc.(interface{ CloseWrite() error })
			cerr := cw.CloseWrite()
			other := peer
			if fdOf(peer) == fd {
				other = c
			}
			keep = keep[:len(keep)-2]
			defer c.Close()
			defer peer.Close()
			// What the socket with the number sees from its side.
			other.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, rerr := other.Read(make([]byte, 1))
			if rerr == io.EOF {
				t.Error("CloseWrite on the closed watched connection shut down the socket that reused its descriptor number")
			}
			res <- result{reused: true, err: cerr}
			return nil
		}
		res <- result{}
		return nil
	})
	e := modes[0].start(t, newApp(), func(s *server.Server) { s.Handler = h })
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	write(t, c, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case r := <-res:
		if !r.reused {
			t.Fatalf("no new socket took the closed descriptor's number (err %v)", r.err)
		}
		if !errors.Is(r.err, net.ErrClosed) {
			t.Errorf("CloseWrite after Close: %v, want net.ErrClosed", r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not finish")
	}
}

// fdOf returns c's descriptor number, or -1.
func fdOf(c any) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// procFDs returns the process's open socket descriptor numbers.
func procFDs() map[int]bool {
	out := map[int]bool{}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// Sockets only: reading the directory takes a descriptor too.
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			out[n] = true
		}
	}
	return out
}
