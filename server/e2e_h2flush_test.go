package server_test

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestH2FlushEarly: a flushed part of a response reaches a real HTTP/2
// client while the handler still runs (it waits for the rest of the
// request body, which the client sends only once it has read that part),
// for Brick's own handlers and net/http's Flusher through the adapter.
func TestH2FlushEarly(t *testing.T) {
	for _, m := range h2Modes {
		t.Run(m.name, func(t *testing.T) {
			for name, c := range h2Clients(t, m) {
				t.Run(name, func(t *testing.T) {
					scheme := "https"
					if strings.HasSuffix(name, "h2c") {
						scheme = "http"
					}
					pr, pw := io.Pipe()
					defer pw.Close()
					type result struct {
						first, rest string
						err         error
					}
					done := make(chan result, 1)
					go func() {
						resp, err := c.Post(scheme+"://localhost/hold", "text/plain", pr)
						if err != nil {
							done <- result{err: err}
							return
						}
						defer resp.Body.Close()
						first := make([]byte, len("first,"))
						if _, err := io.ReadFull(resp.Body, first); err != nil {
							done <- result{err: err}
							return
						}
						pw.Close()
						rest, err := io.ReadAll(resp.Body)
						done <- result{string(first), string(rest), err}
					}()
					select {
					case r := <-done:
						if r.err != nil || r.first != "first," || r.rest != "second" {
							t.Fatalf("got %q then %q, %v", r.first, r.rest, r.err)
						}
					case <-time.After(5 * time.Second):
						t.Fatal("the flushed part did not arrive while the request body was open")
					}
				})
			}
		})
	}
}
