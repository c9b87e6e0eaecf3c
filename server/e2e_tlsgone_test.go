package server_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TestTLSClientGone checks web.ClientGone over TLS, with real TLS clients
// over loopback, in both connection models and TLS versions. A client
// that sent close_notify (with its FIN or without) while its request
// waited is gone, and the request is reported as 499: a peek at the
// socket sees the alert record as bytes to read, not the end. A client
// still there is not gone, and the request it pipelined meanwhile,
// whole or in pieces, reaches the server intact.
func TestTLSClientGone(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("0123456789abcdef", 40<<10/16) // 40 KiB: several records
	second := "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 40960\r\n\r\n" + body
	cases := []struct {
		name string
		// leave does what the client does once its request waits:
		// closes, or sends more and stays.
		leave func(t *testing.T, tc *tls.Conn, raw *net.TCPConn)
		// gone says the client left: the request is reported as 499.
		gone bool
	}{
		{"close_notify and FIN", func(t *testing.T, tc *tls.Conn, _ *net.TCPConn) { tc.Close() }, true},
		{"close_notify only", func(t *testing.T, tc *tls.Conn, _ *net.TCPConn) {
			if err := tc.CloseWrite(); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"FIN without close_notify", func(t *testing.T, _ *tls.Conn, raw *net.TCPConn) { raw.CloseWrite() }, true},
		{"pipelined in one write", func(t *testing.T, tc *tls.Conn, _ *net.TCPConn) { write(t, tc, second) }, false},
		{"pipelined in pieces", func(t *testing.T, tc *tls.Conn, _ *net.TCPConn) {
			for _, part := range []string{second[:3], second[3:100], second[100:20000], second[20000:]} {
				write(t, tc, part)
				time.Sleep(30 * time.Millisecond)
			}
		}, false},
	}
	for _, m := range tlsModes {
		if m.adapt {
			continue // the handler here is a web.Handler
		}
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			for _, tc := range cases {
				name := m.name + "/" + tls.VersionName(version) + "/" + tc.name
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					testTLSClientGone(t, m, version, tc.leave, tc.gone, body)
				})
			}
		}
	}
}

func testTLSClientGone(t *testing.T, m mode, version uint16, leave func(*testing.T, *tls.Conn, *net.TCPConn), gone bool, body string) {
	codes := make(chan string, 4)
	waiting := make(chan struct{})
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		switch string(r.Path) {
		case "/wait":
			// A request waiting, as for a worker: it looks whether its
			// client is there until it has watched for a while.
			close(waiting)
			until := time.Now().Add(600 * time.Millisecond)
			if gone {
				until = time.Now().Add(5 * time.Second)
			}
			for time.Now().Before(until) {
				if web.ClientGone(w) {
					return web.ErrClientGone
				}
				time.Sleep(5 * time.Millisecond)
			}
			w.Write([]byte("waited"))
		case "/echo":
			b, err := io.ReadAll(r.Body)
			if err != nil {
				return err
			}
			w.Write(r.Method) // a lost first byte would leave "OST", a method too
			w.Write([]byte(" "))
			w.Write(b)
		}
		return nil
	})
	obs := web.ObserverFunc(func(r *web.Request, c web.Completion) {
		codes <- string(r.Path) + " " + strconv.Itoa(c.Code())
	})
	e := m.start(t, newApp(), func(s *server.Server) { s.Handler, s.Observer = h, obs })
	raw, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	cfg := e.tls.clientConfig("localhost")
	cfg.MinVersion, cfg.MaxVersion = version, version
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	write(t, c, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case <-waiting:
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not reach the handler")
	}
	time.Sleep(20 * time.Millisecond) // the handler has looked at least once
	leave(t, c, raw.(*net.TCPConn))
	if gone {
		select {
		case got := <-codes:
			if got != "/wait 499" {
				t.Errorf("reported %q, want /wait 499: the client that left was taken for present", got)
			}
		case <-time.After(4 * time.Second):
			t.Fatal("the handler did not see the client leave")
		}
		return
	}
	br := bufio.NewReader(c)
	if r := readResponse(t, br, "GET"); r.StatusCode != 200 || r.body != "waited" {
		t.Errorf("first response: %d %q, want 200 waited (the client is there)", r.StatusCode, r.body)
	}
	if r := readResponse(t, br, "POST"); r.StatusCode != 200 || r.body != "POST "+body {
		t.Errorf("pipelined POST: %d, %d bytes starting %.10q; want 200 and POST with its 40 KiB body back intact", r.StatusCode, len(r.body), r.body)
	}
	for _, want := range []string{"/wait 200", "/echo 200"} {
		if got := <-codes; got != want {
			t.Errorf("reported %q, want %q", got, want)
		}
	}
}
