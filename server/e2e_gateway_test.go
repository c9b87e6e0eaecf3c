package server_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TestReasonPhrase checks that a handler's reason phrase (web.SetReason)
// is the one on the wire, in both connection models, and that the
// server's own answers keep the standard phrase.
func TestReasonPhrase(t *testing.T) {
	t.Parallel()
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		switch string(r.Path) {
		case "/custom":
			web.SetReason(w, []byte("Custom Reason"))
			w.WriteHeader(299)
		case "/fine":
			web.SetReason(w, []byte("Everything Fine"))
		case "/split":
			web.SetReason(w, []byte("Bad\r\nX-Evil: 1"))
			w.WriteHeader(200)
		case "/error":
			// The server's answer to the error is its own.
			web.SetReason(w, []byte("Everything Fine"))
			return web.Error(503, io.EOF)
		case "/stream":
			web.SetReason(w, []byte("Streaming Along"))
			w.WriteHeader(200)
			w.Write([]byte("a"))
			web.Flush(w)
		}
		w.Write([]byte("ok"))
		return nil
	})
	for _, perConn := range []bool{false, true} {
		srv := &server.Server{Handler: h, GoroutinePerConn: perConn}
		addr := loopback.Serve(t, srv)
		for _, tc := range []struct{ path, line string }{
			{"/custom", "HTTP/1.1 299 Custom Reason"},
			{"/fine", "HTTP/1.1 200 Everything Fine"},
			{"/split", "HTTP/1.1 200 OK"},
			{"/error", "HTTP/1.1 503 Service Unavailable"},
			{"/stream", "HTTP/1.1 200 Streaming Along"},
			{"/plain", "HTTP/1.1 200 OK"}, // the phrase does not outlive its request
		} {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			// Two requests on one connection: the second is plain.
			io.WriteString(c, "GET "+tc.path+" HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
			line, err := br.ReadString('\n')
			if err != nil || strings.TrimRight(line, "\r\n") != tc.line {
				t.Errorf("perConn=%v GET %s: status line %q, %v; want %q", perConn, tc.path, line, err, tc.line)
			}
			if tc.path == "/split" {
				rest, _ := br.ReadString('\n')
				if strings.HasPrefix(rest, "X-Evil") {
					t.Errorf("a reason with CR LF split the head: %q", rest)
				}
			}
			c.Close()
		}
	}
}

// TestClientGone checks web.ClientGone in both connection models: false
// while the client waits, true once it closed, and a handler returning
// web.ErrClientGone is reported as 499, not as a response.
func TestClientGone(t *testing.T) {
	t.Parallel()
	for _, perConn := range []bool{false, true} {
		codes := make(chan int, 4)
		obs := web.ObserverFunc(func(r *web.Request, c web.Completion) { codes <- c.Code() })
		h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			if string(r.Path) == "/present" {
				if web.ClientGone(w) {
					t.Errorf("perConn=%v: ClientGone with the client waiting", perConn)
				}
				w.Write([]byte("here"))
				return nil
			}
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if web.ClientGone(w) {
					return web.ErrClientGone
				}
			}
			t.Errorf("perConn=%v: ClientGone stayed false after the client closed", perConn)
			return nil
		})
		addr := loopback.Serve(t, &server.Server{Handler: h, GoroutinePerConn: perConn, Observer: obs})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET /present HTTP/1.1\r\nHost: x\r\n\r\n")
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("perConn=%v: %q, %v", perConn, line, err)
		}
		c.Close()
		if code := <-codes; code != 200 {
			t.Errorf("perConn=%v: present client logged %d", perConn, code)
		}
		c, err = net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET /leaves HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(50 * time.Millisecond)
		c.Close()
		select {
		case code := <-codes:
			if code != 499 {
				t.Errorf("perConn=%v: a client gone before the answer logged %d, want 499", perConn, code)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("perConn=%v: no completion reported", perConn)
		}
	}
}
