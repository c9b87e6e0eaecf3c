package server_test

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
)

// TestConnectionChurn opens and closes connections as fast as it can: some
// clients hang up in the middle of a request or without reading their
// response, some send their first request only after a pause, some keep
// their connection for several requests. Descriptor numbers are reused by
// the kernel at once, so readiness reported for a connection that has just
// closed can be taken for the new connection that got its number: a stale
// hang-up then closes a fresh connection without an answer. Every client
// that sends a whole request and waits must get its response.
func TestConnectionChurn(t *testing.T) {
	const clients, rounds = 8, 150
	const req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	runPlain(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), func(s *server.Server) {
			if !m.std {
				// Handling each batch of readiness events late lets
				// connections close and descriptors be reused meanwhile.
				if err := server.DelayPolledEvents(s, 300*time.Microsecond); err != nil {
					t.Fatal(err)
				}
			}
		})
		var failures atomic.Int32
		fail := func(format string, args ...any) {
			if failures.Add(1) <= 5 {
				t.Errorf(format, args...)
			}
		}
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				for r := range rounds {
					c, err := net.Dial("tcp", e.addr)
					if err != nil {
						fail("dial: %v", err)
						return
					}
					c.SetDeadline(time.Now().Add(10 * time.Second))
					br := bufio.NewReader(c)
					kind := (i + r) % 4
					switch kind {
					case 0: // hangs up in the middle of a head
						c.Write([]byte(req[:10]))
					case 1: // hangs up without reading the response
						c.Write([]byte(req))
					case 2: // first request after a pause: the server reads nothing at first
						time.Sleep(200 * time.Microsecond)
						fallthrough
					case 3: // keeps the connection for several requests
						for k := range 1 + kind {
							if _, err := c.Write([]byte(req)); err != nil {
								fail("client %d round %d request %d: write: %v", i, r, k, err)
								break
							}
							resp, err := tryReadResponse(br, "GET")
							if err != nil {
								fail("client %d round %d request %d: %v", i, r, k, err)
								break
							}
							if resp.body != "Hello, World!" {
								fail("client %d round %d request %d: %d %q", i, r, k, resp.StatusCode, resp.body)
								break
							}
						}
					}
					c.Close()
				}
			})
		}
		wg.Wait()
		if n := failures.Load(); n > 0 {
			t.Errorf("%d of %d connections that waited for a response did not get one", n, clients*rounds/2)
		}
		e.checkServes(t)
	})
}
