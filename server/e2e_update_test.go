package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/wire"
)

// TestUpdate changes the limits and timeouts of a running server: new
// connections and the next request of a kept-alive one take them.
func TestUpdate(t *testing.T) {
	runParallel(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		kept, keptBr := e.dial(t)
		expectOpen(t, kept, keptBr) // kept alive from before the Update
		e.srv.Update(server.Settings{
			Limits:   server.Limits{Limits: wire.Limits{MaxHeaderBytes: 1024}, MaxBodyBytes: 100},
			Timeouts: server.Timeouts{Idle: time.Second},
		})
		tests := []struct {
			name   string
			raw    string
			status int
		}{
			{"head under the new header limit", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200},
			{"head over the new header limit", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2048) + "\r\n\r\n", 431},
			{"body under the new body limit", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("b", 100), 200},
			{"body over the new body limit", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + strings.Repeat("b", 101), 413},
			{"chunked body over the new body limit", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n" + strings.Repeat("b", 101) + "\r\n0\r\n\r\n", 413},
		}
		for _, tc := range tests {
			if r := e.roundTrip(t, tc.raw); r.StatusCode != tc.status {
				t.Errorf("%s: status %d, want %d", tc.name, r.StatusCode, tc.status)
			}
		}
		// The kept-alive connection's next request is served under the new
		// settings, and its wait after it has the new idle timeout.
		expectOpen(t, kept, keptBr)
		start := time.Now()
		expectClosed(t, kept, keptBr)
		if d := time.Since(start); d > 3500*time.Millisecond {
			t.Fatalf("idle connection closed after %v; want about 1s (the updated Idle)", d)
		}
	})
}

// TestUpdateMaxConns raises MaxConns while a connection waits for a slot:
// it is served at once; lowering it keeps the next one waiting. Plain
// only: a TLS client's dial waits for its handshake.
func TestUpdateMaxConns(t *testing.T) {
	runPlain(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), func(s *server.Server) { s.Limits.MaxConns = 1 })
		held, _ := e.dial(t)
		write(t, held, "GET / HTTP/1.1\r\n") // half a head holds the slot
		waiting, br := e.dial(t)
		write(t, waiting, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		waiting.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := br.Peek(1); err == nil {
			t.Fatal("a second connection was served with MaxConns 1")
		}
		e.srv.Update(server.Settings{Limits: server.Limits{MaxConns: 2}})
		waiting.SetReadDeadline(time.Now().Add(5 * time.Second))
		if r := readResponse(t, br, "GET"); r.StatusCode != 200 {
			t.Fatalf("after raising MaxConns: status %d", r.StatusCode)
		}
		e.srv.Update(server.Settings{Limits: server.Limits{MaxConns: 1}})
		third, br3 := e.dial(t)
		write(t, third, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := br3.Peek(1); err == nil {
			t.Fatal("a third connection was served with MaxConns lowered to 1 and two open")
		}
	})
}

// TestUpdateH2C turns HTTP/2 over cleartext off and on again: an
// "Upgrade: h2c" request is answered 101 only while it is on.
func TestUpdateH2C(t *testing.T) {
	for _, m := range h2Modes {
		t.Run(m.name, func(t *testing.T) {
			e := m.start(t, newApp(), nil)
			for _, disable := range []bool{true, false} {
				e.srv.Update(server.Settings{DisableH2C: disable})
				c, br := e.dial(t)
				write(t, c, "GET /echo HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				want := 101
				if disable {
					want = 200
				}
				if resp.StatusCode != want {
					t.Fatalf("DisableH2C %v: upgrade answered %d, want %d", disable, resp.StatusCode, want)
				}
			}
		})
	}
}

// TestUpdateWhileServing calls Update over and over while clients send
// requests on kept-alive connections (-race finds a racy read of the
// settings); every request is answered under one of the two settings.
func TestUpdateWhileServing(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		const clients, requests = 4, 40
		conns := make([]net.Conn, clients)
		readers := make([]*bufio.Reader, clients)
		for i := range conns {
			conns[i], readers[i] = e.dial(t)
		}
		stop := make(chan struct{})
		updated := make(chan int)
		go func() {
			n := 0
			defer func() { updated <- n }()
			for ; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				e.srv.Update(server.Settings{
					Limits:     server.Limits{MaxBodyBytes: int64(1<<20 + n%2), MaxConns: 64 + n%2, MaxRequestsPerConn: 1000 + n%2},
					Timeouts:   server.Timeouts{Idle: time.Duration(10+n%2) * time.Second, Write: time.Duration(10+n%2) * time.Second},
					DisableH2C: n%2 == 0,
				})
				time.Sleep(50 * time.Microsecond)
			}
		}()
		var wg sync.WaitGroup
		for i := range conns {
			wg.Go(func() {
				for j := range requests {
					body := strconv.Itoa(i*requests + j)
					io.WriteString(conns[i], "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
					r, err := tryReadResponse(readers[i], "POST")
					if err != nil {
						t.Errorf("client %d request %d: %v", i, j, err)
						return
					}
					if r.StatusCode != 200 || r.body != body {
						t.Errorf("client %d request %d: %d %q, want 200 %q", i, j, r.StatusCode, r.body, body)
						return
					}
				}
			})
		}
		wg.Wait()
		close(stop)
		if n := <-updated; n == 0 {
			t.Fatal("no Update ran while the clients were served")
		}
	})
}
