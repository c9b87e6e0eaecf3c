package server_test

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TestTLSHijackKeepsHeldByte checks that a byte web.ClientGone took from
// crypto/tls (the start of what the client sent beyond its request) is
// not lost when the handler then takes the connection over, by Hijack or
// HijackWatched: the handler reads everything the client sent.
func TestTLSHijackKeepsHeldByte(t *testing.T) {
	t.Parallel()
	const extra = "hello"
	cases := []struct {
		name string
		// take takes the connection over and returns what it reads of
		// the client's extra bytes.
		take func(w web.ResponseWriter) (string, error)
	}{
		{"Hijack", func(w web.ResponseWriter) (string, error) {
			nc, rw, err := web.Hijack(w)
			if err != nil {
				return "", err
			}
			defer nc.Close()
			nc.SetReadDeadline(time.Now().Add(2 * time.Second))
			b := make([]byte, len(extra))
			_, err = io.ReadFull(rw, b)
			return string(b), err
		}},
		{"HijackWatched", func(w web.ResponseWriter) (string, error) {
			wc, rest, err := web.HijackWatched(w)
			if err != nil {
				return "", err
			}
			defer wc.Close()
			got := string(rest)
			deadline := time.Now().Add(2 * time.Second)
			b := make([]byte, 16)
			for len(got) < len(extra) && time.Now().Before(deadline) {
				ready := make(chan struct{})
				if err := wc.Watch(func() { close(ready) }); err != nil {
					return got, err
				}
				select {
				case <-ready:
				case <-time.After(time.Until(deadline)):
					return got, nil
				}
				n, err := wc.Read(b)
				got += string(b[:n])
				if err != nil && n == 0 {
					return got, err
				}
			}
			return got, nil
		}},
	}
	for _, m := range tlsModes {
		if m.adapt {
			continue // the handler here is a web.Handler
		}
		for _, tc := range cases {
			if m.std && tc.name == "HijackWatched" {
				continue // only the epoll engine hands connections over watched
			}
			t.Run(m.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				waiting := make(chan struct{})
				sent := make(chan struct{})
				got := make(chan string, 1)
				h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
					close(waiting)
					<-sent
					// Looking for the client takes what has arrived
					// through crypto/tls.
					until := time.Now().Add(200 * time.Millisecond)
					for time.Now().Before(until) {
						if web.ClientGone(w) {
							t.Error("ClientGone with the client there")
						}
						time.Sleep(5 * time.Millisecond)
					}
					s, err := tc.take(w)
					if err != nil {
						t.Errorf("reading after the takeover: %v (read %q)", err, s)
					}
					got <- s
					return nil
				})
				e := m.start(t, newApp(), func(s *server.Server) { s.Handler = h })
				raw, err := net.Dial("tcp", e.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer raw.Close()
				raw.SetDeadline(time.Now().Add(10 * time.Second))
				c := tls.Client(raw, e.tls.clientConfig("localhost"))
				if err := c.Handshake(); err != nil {
					t.Fatal(err)
				}
				write(t, c, "GET /take HTTP/1.1\r\nHost: x\r\n\r\n")
				<-waiting
				write(t, c, extra) // a record of its own, after the request's
				close(sent)
				select {
				case s := <-got:
					if s != extra {
						t.Errorf("the handler read %q after taking over, want %q", s, extra)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the handler did not finish")
				}
			})
		}
	}
}
