package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TestHandlerFailure covers panics and returned errors: a 500 with a
// logged stack when nothing was sent, a truncated response when something
// was, and a server that goes on serving.
func TestHandlerFailure(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		t.Run("panic before writing", func(t *testing.T) {
			c, br := e.dial(t)
			write(t, c, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
			r := readResponse(t, br, "GET")
			if r.StatusCode != 500 || !r.Close || strings.Contains(r.body, "never sent") {
				t.Fatalf("%d close=%v %q", r.StatusCode, r.Close, r.body)
			}
			expectClosed(t, c, br)
			logs := e.logs.String()
			for _, want := range []string{"handler panic", "boom", "e2e_app_test.go", "target=/panic"} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
			e.checkServes(t)
		})
		t.Run("panic after a flush", func(t *testing.T) {
			c, br := e.dial(t)
			write(t, c, "GET /panic-after-flush HTTP/1.1\r\nHost: x\r\n\r\n")
			r, err := tryReadResponse(br, "GET")
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("truncated chunked body: got %v, %v", r, err)
			}
			if !strings.Contains(e.logs.String(), "boom after flush") {
				t.Errorf("no log line:\n%s", e.logs)
			}
			expectClosed(t, c, br)
			e.checkServes(t)
		})
		t.Run("abort", func(t *testing.T) {
			before := e.logs.String()
			c, br := e.dial(t)
			write(t, c, "GET /abort HTTP/1.1\r\nHost: x\r\n\r\n")
			// An aborted response is not replaced by a 500: the client
			// sees the connection end, and nothing is logged.
			expectClosed(t, c, br)
			if after := e.logs.String(); after != before {
				t.Errorf("abort logged: %s", after[len(before):])
			}
			e.checkServes(t)
		})
		t.Run("error status", func(t *testing.T) {
			c, br := e.dial(t)
			write(t, c, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
			r := readResponse(t, br, "GET")
			if r.StatusCode != 404 || r.body != "Not Found\n" || r.Close {
				t.Fatalf("%d %q close=%v", r.StatusCode, r.body, r.Close)
			}
			expectOpen(t, c, br)
		})
		t.Run("body shorter than its Content-Length", func(t *testing.T) {
			c, br := e.dial(t)
			write(t, c, "GET /short HTTP/1.1\r\nHost: x\r\n\r\n")
			if r, err := tryReadResponse(br, "GET"); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("got %v, %v; want the response cut short", r, err)
			}
		})
		t.Run("client gone mid-response", func(t *testing.T) {
			before := e.logs.String()
			c, br := e.dial(t)
			write(t, c, "GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
			br.Peek(1)
			c.Close()
			select {
			case how := <-e.app.ended:
				if how != "write failed" {
					t.Fatal(how)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the handler's writes did not fail")
			}
			e.checkServes(t)
			if after := e.logs.String(); after != before {
				t.Errorf("a client going away was logged: %s", after[len(before):])
			}
		})
		t.Run("client half-closes after its request", func(t *testing.T) {
			for _, path := range []string{"/query?half", "/sleep"} {
				c, br := e.dial(t)
				write(t, c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
				c.(interface{ CloseWrite() error }).CloseWrite()
				r := readResponse(t, br, "GET")
				if r.StatusCode != 200 || r.body != map[string]string{"/query?half": "half", "/sleep": "slept"}[path] {
					t.Fatalf("%s: %d %q", path, r.StatusCode, r.body)
				}
				expectClosed(t, c, br)
			}
		})
		t.Run("error", func(t *testing.T) {
			r := e.roundTrip(t, "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
			if r.StatusCode != 500 {
				t.Fatalf("%d %q", r.StatusCode, r.body)
			}
		})
	})
}

// readWithin reads until the server closes the connection, failing when
// that takes longer than max; it returns what was read.
func readWithin(t *testing.T, c net.Conn, max time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(max))
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("after %q: %v", b, err)
	}
	return string(b)
}

// TestTimeouts trips each timeout. The sweep of the readiness loops runs
// once a second, so a 1 s timeout fires within about 2 s.
func TestTimeouts(t *testing.T) {
	runParallel(t, func(t *testing.T, m mode) {
		a := newApp()
		e := m.start(t, a, func(s *server.Server) {
			s.Timeouts = server.Timeouts{ReadHeader: time.Second, Idle: time.Second, Read: 300 * time.Millisecond, Write: 300 * time.Millisecond}
		})
		var wg sync.WaitGroup
		check := func(name string, f func(t *testing.T)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Run(name, f)
			}()
		}
		check("header timeout", func(t *testing.T) {
			c, _ := e.dial(t)
			write(t, c, "GET / HTTP/1.1\r\nHost: x\r\n")
			got := readWithin(t, c, 4*time.Second)
			if !strings.HasPrefix(got, "HTTP/1.1 408 Request Timeout\r\n") || !strings.Contains(got, "Connection: close\r\n") {
				t.Fatalf("got %q", got)
			}
		})
		check("header trickling in", func(t *testing.T) {
			c, _ := e.dial(t)
			go func() {
				for _, b := range []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 100)) {
					if _, err := c.Write([]byte{b}); err != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			start := time.Now()
			got := readWithin(t, c, 4*time.Second)
			if !strings.HasPrefix(got, "HTTP/1.1 408 ") {
				t.Fatalf("got %q", got)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("408 after %v: the header timeout restarts with every byte", d)
			}
		})
		check("no request at all", func(t *testing.T) {
			c, _ := e.dial(t)
			if got := readWithin(t, c, 4*time.Second); got != "" {
				t.Fatalf("got %q", got)
			}
		})
		check("idle timeout closes silently", func(t *testing.T) {
			c, br := e.dial(t)
			write(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			readResponse(t, br, "GET")
			c.SetReadDeadline(time.Now().Add(4 * time.Second))
			if b, err := io.ReadAll(br); err != nil || len(b) > 0 {
				t.Fatalf("got %q, %v", b, err)
			}
		})
		check("slow body", func(t *testing.T) {
			for _, raw := range []string{
				"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello",
				"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
			} {
				c, _ := e.dial(t)
				write(t, c, raw)
				got := readWithin(t, c, 3*time.Second)
				if !strings.HasPrefix(got, "HTTP/1.1 408 ") || !strings.Contains(got, "Connection: close\r\n") {
					t.Fatalf("got %q", got)
				}
			}
		})
		check("client that does not read", func(t *testing.T) {
			c, _ := e.dial(t)
			write(t, c, "GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
			select {
			case how := <-a.ended:
				if how != "write failed" {
					t.Fatal(how)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the handler's writes did not time out")
			}
		})
		wg.Wait()
		if logs := e.logs.String(); logs != "" {
			t.Errorf("timeouts were logged:\n%s", logs)
		}
	})
}

// TestMaxConns checks that a connection over MaxConns waits in the backlog
// until another one closes.
func TestMaxConns(t *testing.T) {
	runPlain(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), func(s *server.Server) { s.Limits.MaxConns = 2 })
		c1, br1 := e.dial(t)
		c2, br2 := e.dial(t)
		expectOpen(t, c1, br1)
		expectOpen(t, c2, br2)
		c3, br3 := e.dial(t)
		write(t, c3, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c3.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := br3.ReadByte(); !isTimeout(err) {
			t.Fatalf("third connection served while two are open: %v", err)
		}
		if n := e.srv.OpenConns(); n != 2 {
			t.Errorf("OpenConns %d, want 2", n)
		}
		c1.Close()
		c3.SetReadDeadline(time.Now().Add(5 * time.Second))
		if r := readResponse(t, br3, "GET"); r.StatusCode != 200 {
			t.Fatalf("%d", r.StatusCode)
		}
		expectOpen(t, c2, br2)
	})
}

// TestMaxRequestsPerConn checks that the last allowed request says
// "Connection: close" and the connection closes after it.
func TestMaxRequestsPerConn(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), func(s *server.Server) { s.Limits.MaxRequestsPerConn = 3 })
		c, br := e.dial(t)
		write(t, c, strings.Repeat("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 4))
		for i := range 3 {
			r := readResponse(t, br, "GET")
			if r.StatusCode != 200 || r.Close != (i == 2) {
				t.Fatalf("response %d: %d close=%v", i, r.StatusCode, r.Close)
			}
		}
		expectClosed(t, c, br)
	})
}

// TestShutdown checks graceful shutdown: requests in flight finish with
// their whole response and "Connection: close", idle connections close,
// new connections are refused and Serve returns ErrServerClosed.
func TestShutdown(t *testing.T) {
	runParallel(t, func(t *testing.T, m mode) {
		a := newApp()
		e := m.start(t, a, nil)
		// flight is a request in flight; done gets its response (nil when
		// lost), the read error, and what a read after it returned.
		type result struct {
			r     *response
			err   error
			after error
		}
		var flights []chan result
		for i := range 4 {
			c, br := e.dial(t)
			// /block, not /sleep: a fixed sleep may end before Shutdown
			// begins on a loaded machine, and its response rightly
			// keeps the connection open.
			raw := "GET /block HTTP/1.1\r\nHost: x\r\n\r\n"
			if i == 3 {
				// A request pipelined behind one in flight is not served.
				raw += "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
			}
			write(t, c, raw)
			done := make(chan result, 1)
			go func() {
				var res result
				res.r, res.err = tryReadResponse(br, "GET")
				if res.err == nil {
					c.SetReadDeadline(time.Now().Add(5 * time.Second))
					_, res.after = br.ReadByte()
				}
				done <- res
			}()
			flights = append(flights, done)
		}
		var idle []net.Conn
		for range 2 {
			c, br := e.dial(t)
			expectOpen(t, c, br)
			idle = append(idle, c)
		}
		for range flights {
			<-a.started
		}
		shut := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			shut <- e.srv.Shutdown(ctx)
		}()
		for i, c := range idle {
			if got := readWithin(t, c, 2*time.Second); got != "" {
				t.Errorf("idle connection %d got %q", i, got)
			}
		}
		// The idle connections are closed: the drain has begun.
		close(a.release)
		if err := e.serveResult(t); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		if c, err := net.Dial("tcp", e.addr); err == nil {
			c.Close()
			t.Error("new connection accepted after Serve returned")
		}
		for i, done := range flights {
			res := <-done
			if res.err != nil {
				t.Errorf("in flight %d lost: %v", i, res.err)
				continue
			}
			if r := res.r; r.StatusCode != 200 || r.body != "released" || !r.Close {
				t.Errorf("in flight %d: %d %q close=%v", i, r.StatusCode, r.body, r.Close)
			}
			if res.after != io.EOF && !errors.Is(res.after, syscall.ECONNRESET) {
				t.Errorf("in flight %d: after the response: %v", i, res.after)
			}
		}
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if n := e.srv.OpenConns(); n != 0 {
			t.Errorf("OpenConns %d after Shutdown", n)
		}
	})
}

// TestShutdownExpired checks that Shutdown whose context ends first closes
// the remaining connections hard and cancels the requests' context.
func TestShutdownExpired(t *testing.T) {
	runParallel(t, func(t *testing.T, m mode) {
		a := newApp()
		e := m.start(t, a, nil)
		c, _ := e.dial(t)
		write(t, c, "GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
		<-a.started
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := e.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown: %v", err)
		}
		if got := readWithin(t, c, 2*time.Second); got != "" {
			t.Fatalf("got %q", got)
		}
		if how := <-a.ended; how != "cancelled" {
			t.Errorf("handler %s; want its context cancelled", how)
		}
		if err := e.serveResult(t); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
}

// TestHijack checks that a hijacking handler gets the connection with the
// bytes the client sent after the request head.
func TestHijack(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		for _, split := range []bool{false, true} {
			c, br := e.dial(t)
			head := "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n"
			if split {
				write(t, c, head)
				time.Sleep(10 * time.Millisecond) // let the head arrive alone
				write(t, c, "later line\n")
			} else {
				write(t, c, head+"pipelined line\n")
			}
			b, err := io.ReadAll(br)
			if err != nil {
				t.Fatal(err)
			}
			want := "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhijacked: pipelined line\n"
			if split {
				want = strings.Replace(want, "pipelined", "later", 1)
			}
			if string(b) != want {
				t.Fatalf("got %q, want %q", b, want)
			}
		}
		e.checkServes(t)
	})
}

// TestTwoListeners serves one Server on two listeners; Shutdown stops both.
func TestTwoListeners(t *testing.T) {
	for _, perConn := range []bool{false, true} {
		t.Run(fmt.Sprintf("GoroutinePerConn=%v", perConn), func(t *testing.T) {
			a := newApp()
			srv := &server.Server{Handler: web.HandlerFunc(a.serveWeb), GoroutinePerConn: perConn}
			var addrs []string
			served := make(chan error, 2)
			for range 2 {
				ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
				if err != nil {
					t.Fatal(err)
				}
				addrs = append(addrs, ln.Addr().String())
				go func() { served <- srv.Serve(ln) }()
			}
			for _, addr := range addrs {
				e := &env{addr: addr}
				e.checkServes(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := <-served; !errors.Is(err, server.ErrServerClosed) {
					t.Errorf("Serve returned %v", err)
				}
			}
		})
	}
}

// TestTrace checks the `brick -v` printer, including for a request whose
// body made the server move to a new read buffer.
func TestTrace(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		trace := new(syncBuffer)
		e := m.start(t, newApp(), func(s *server.Server) { s.Trace = trace })
		value := pattern(4000)
		body := pattern(50000)
		c, br := e.dial(t)
		write(t, c, "POST /len HTTP/1.1\r\nHost: x\r\nX-Big: "+value+"\r\nContent-Length: 50000\r\n\r\n"+body)
		if r := readResponse(t, br, "POST"); r.body != "50000" {
			t.Fatalf("%q", r.body)
		}
		got := trace.String()
		want := "< POST /len HTTP/1.1\n< Host: x\n< X-Big: " + value + "\n< Content-Length: 50000\n< \n> HTTP/1.1 200 OK\n"
		if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "\n> \n> 50000\n\n") {
			t.Fatalf("trace:\n%.300s\n...\n%s", got, got[max(0, len(got)-200):])
		}
	})
}
