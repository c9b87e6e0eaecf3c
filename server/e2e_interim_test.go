package server_test

import (
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// TestInterimResponse checks that a 1xx response (here 103 Early Hints)
// goes out when the handler writes it, as net/http sends it, while the
// handler is still working on the final response: hints that arrive with
// the final response are worth nothing. An HTTP/1.0 client gets no 1xx
// (RFC 9110 §15.2).
func TestInterimResponse(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		t.Run("HTTP/1.1", func(t *testing.T) {
			a := newApp()
			e := m.start(t, a, nil)
			c, br := e.dial(t)
			write(t, c, "GET /hints HTTP/1.1\r\nHost: x\r\n\r\n")
			// The handler waits until released: the 103 must come first.
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			tp := textproto.NewReader(br)
			line, err := tp.ReadLine()
			if err != nil || line != "HTTP/1.1 103 Early Hints" {
				t.Fatalf("while the handler works: %q, %v; want the 103 at once", line, err)
			}
			h, err := tp.ReadMIMEHeader()
			if err != nil || h.Get("Link") != earlyHint {
				t.Fatalf("103 fields %v, %v", h, err)
			}
			close(a.release)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if r := readResponse(t, br, "GET"); r.StatusCode != 200 || r.body != "done" {
				t.Fatalf("final response %d %q", r.StatusCode, r.body)
			}
			expectOpen(t, c, br)
		})
		t.Run("HTTP/1.0", func(t *testing.T) {
			a := newApp()
			close(a.release)
			e := m.start(t, a, nil)
			c, br := e.dial(t)
			write(t, c, "GET /hints HTTP/1.0\r\n\r\n")
			line, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200 ") {
				t.Fatalf("first line %q, %v; want the final response only", line, err)
			}
		})
	})
}
