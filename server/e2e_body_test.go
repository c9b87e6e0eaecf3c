package server_test

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
)

// chunked encodes body in chunks of random sizes up to max.
func chunked(body string, max int, rng *rand.Rand) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(len(body), 1+rng.IntN(max))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

// writeAsync writes s from a goroutine, so a test can read the response
// while a large request is still going out; the returned channel gets the
// write's error.
func writeAsync(c net.Conn, s string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, s)
		done <- err
	}()
	return done
}

// TestRequestBody sends bodies framed by Content-Length and chunked, whole,
// large and slow, and checks the handler sees exactly the bytes sent.
func TestRequestBody(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 1<<20/45)
	tests := []struct {
		name   string
		head   string   // up to and including the blank line
		pieces []string // the body, as written
		want   string
	}{
		{
			name:   "Content-Length",
			head:   "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n",
			pieces: []string{"hello world"},
			want:   "hello world",
		},
		{
			name:   "chunked with extensions and trailers",
			head:   "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
			pieces: []string{"5;name=value\r\nhello\r\n6;a;b=\"q\"\r\n world\r\n0;last\r\nX-Checksum: 42\r\nX-More: yes\r\n\r\n"},
			want:   "hello world",
		},
		{
			name:   "1 MiB with Content-Length",
			head:   "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(len(big)) + "\r\n\r\n",
			pieces: []string{big},
			want:   big,
		},
		{
			name:   "1 MiB chunked",
			head:   "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
			pieces: []string{chunked(big, 20000, rng)},
			want:   big,
		},
		{
			name:   "slow Content-Length body",
			head:   "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 25\r\n\r\n",
			pieces: []string{"one ", "two ", "three ", "four ", "fifty!"},
			want:   "one two three four fifty!",
		},
		{
			name:   "slow chunked body split inside the framing",
			head:   "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
			pieces: []string{"3", "\r", "\nabc\r\n", "4;ext\r\nde", "fg\r", "\n0\r\nTrailer: x", "\r\n", "\r\n"},
			want:   "abcdefg",
		},
	}
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c, br := e.dial(t)
				write(t, c, tc.head)
				done := make(chan error, 1)
				go func() {
					for i, p := range tc.pieces {
						if i > 0 {
							time.Sleep(10 * time.Millisecond) // a slow client, not synchronization
						}
						if _, err := io.WriteString(c, p); err != nil {
							done <- err
							return
						}
					}
					done <- nil
				}()
				r := readResponse(t, br, "POST")
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if r.StatusCode != 200 || r.body != tc.want {
					t.Fatalf("%d, body %d bytes %.40q, want %d bytes", r.StatusCode, len(r.body), r.body, len(tc.want))
				}
				expectOpen(t, c, br)
			})
		}
	})
}

// TestUnreadBody checks what happens to a body the handler leaves unread:
// a small one is drained and the connection kept, one over MaxDrainBytes
// closes the connection after the response.
func TestUnreadBody(t *testing.T) {
	const maxDrain = 64 << 10
	rng := rand.New(rand.NewPCG(3, 4))
	small := strings.Repeat("s", 10<<10)
	large := strings.Repeat("L", 1<<20)
	tests := []struct {
		name      string
		raw       string
		keepAlive bool
	}{
		{"small Content-Length", "POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: 10240\r\n\r\n" + small, true},
		{"small chunked", "POST /noread HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(small, 3000, rng), true},
		{"Content-Length over MaxDrainBytes", "POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + large, false},
		{"chunked over MaxDrainBytes", "POST /noread HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(large, 30000, rng), false},
	}
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), func(s *server.Server) { s.Limits.MaxDrainBytes = maxDrain })
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c, br := e.dial(t)
				done := writeAsync(c, tc.raw)
				r := readResponse(t, br, "POST")
				if r.StatusCode != 200 || r.body != "ok" {
					t.Fatalf("%d %q", r.StatusCode, r.body)
				}
				if !tc.keepAlive {
					expectClosed(t, c, br)
					return
				}
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if r.Close {
					t.Fatal("Connection: close after a small unread body")
				}
				expectOpen(t, c, br)
			})
		}
	})
}

// TestExpectContinue checks RFC 9110 §10.1.1: "100 Continue" goes out when
// the handler reads the body, and not when it answers without reading.
func TestExpectContinue(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		t.Run("handler reads the body", func(t *testing.T) {
			for _, framing := range []struct{ field, body string }{
				{"Content-Length: 5", "hello"},
				{"Transfer-Encoding: chunked", "5\r\nhello\r\n0\r\n\r\n"},
			} {
				c, br := e.dial(t)
				write(t, c, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"+framing.field+"\r\n\r\n")
				const cont = "HTTP/1.1 100 Continue\r\n\r\n"
				got := make([]byte, len(cont))
				if _, err := io.ReadFull(br, got); err != nil || string(got) != cont {
					t.Fatalf("%s: got %q, %v; want %q", framing.field, got, err, cont)
				}
				write(t, c, framing.body)
				r := readResponse(t, br, "POST")
				if r.StatusCode != 200 || r.body != "hello" {
					t.Fatalf("%s: %d %q", framing.field, r.StatusCode, r.body)
				}
				expectOpen(t, c, br)
			}
		})
		for _, path := range []string{"/reject", "/noread"} {
			t.Run("handler answers without reading: "+path, func(t *testing.T) {
				c, br := e.dial(t)
				write(t, c, "POST "+path+" HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n")
				r := readResponse(t, br, "POST")
				if r.StatusCode == 100 {
					t.Fatal("100 Continue sent though the handler did not read")
				}
				want := map[string]int{"/reject": 403, "/noread": 200}[path]
				if r.StatusCode != want {
					t.Fatalf("status %d, want %d", r.StatusCode, want)
				}
				// The body was never asked for, so the connection cannot be
				// reused; the response says so.
				if !r.Close {
					t.Error("no Connection: close")
				}
				expectClosed(t, c, br)
			})
		}
		t.Run("HTTP/1.0 ignores Expect", func(t *testing.T) {
			c, br := e.dial(t)
			write(t, c, "POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")
			r := readResponse(t, br, "POST")
			if r.StatusCode != 200 || r.body != "hi" {
				t.Fatalf("%d %q", r.StatusCode, r.body)
			}
		})
	})
}

// TestStreaming checks that a flushed response part reaches the client
// while the handler is still running: chunked for HTTP/1.1, delimited by
// the close for HTTP/1.0.
func TestStreaming(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		chunked bool
	}{
		{"HTTP/1.1 chunked", "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"HTTP/1.0 until close", "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false},
	}
	run(t, func(t *testing.T, m mode) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				a := newApp()
				e := m.start(t, a, nil)
				c, br := e.dial(t)
				write(t, c, tc.raw)
				var raw strings.Builder
				tee := bufio.NewReader(io.TeeReader(br, &raw))
				// The handler is blocked until release: the first part and
				// the head must already be here.
				for !strings.Contains(raw.String(), "first") {
					if _, err := tee.ReadByte(); err != nil {
						t.Fatalf("before the handler finished: %v; got %q", err, raw.String())
					}
				}
				if got := <-a.started; got != "/stream" {
					t.Fatal(got)
				}
				head := raw.String()
				if strings.Contains(head, "Content-Length") {
					t.Fatalf("streamed response with a Content-Length:\n%s", head)
				}
				if got := strings.Contains(head, "Transfer-Encoding: chunked\r\n"); got != tc.chunked {
					t.Fatalf("chunked=%v, want %v:\n%s", got, tc.chunked, head)
				}
				close(a.release)
				if tc.chunked {
					for !strings.HasSuffix(raw.String(), "\r\n0\r\n\r\n") {
						if _, err := tee.ReadByte(); err != nil {
							t.Fatalf("%v; got %q", err, raw.String())
						}
					}
					if all := raw.String(); !strings.HasSuffix(all, "\r\n\r\n5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n") {
						t.Fatalf("response:\n%q", all)
					}
					expectOpen(t, c, br)
					return
				}
				if _, err := io.ReadAll(tee); err != nil {
					t.Fatal(err)
				}
				if all := raw.String(); !strings.HasSuffix(all, "\r\n\r\nfirstsecond") || !strings.Contains(all, "Connection: close\r\n") {
					t.Fatalf("response:\n%q", all)
				}
			})
		}
	})
}

// pattern returns n bytes of a repeating, position-revealing text, so a
// corrupted or shifted copy does not compare equal.
func pattern(n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(alphabet[i%len(alphabet):])
	}
	return b.String()[:n]
}

// TestLargeHeads sends heads of many sizes around and beyond the 4 KiB read
// buffer, with bodies behind them: the head's views must survive the body
// being read (which may move it to a new buffer), and the request pipelined
// after the body must be served.
func TestLargeHeads(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	body := pattern(100000)
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		for _, size := range []int{100, 3000, 3900, 3990, 4040, 4090, 5000, 9000, 40000} {
			for _, framing := range []string{"none", "Content-Length", "chunked"} {
				t.Run(fmt.Sprintf("%d-byte field, body %s", size, framing), func(t *testing.T) {
					value := pattern(size)
					req := "POST /header-after-body HTTP/1.1\r\nHost: x\r\nX-Big: " + value + "\r\n"
					n := len(body)
					switch framing {
					case "none":
						req += "\r\n"
						n = 0
					case "Content-Length":
						req += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
					case "chunked":
						req += "Transfer-Encoding: chunked\r\n\r\n" + chunked(body, 7000, rng)
					}
					req += "GET /query?after HTTP/1.1\r\nHost: x\r\n\r\n"
					c, br := e.dial(t)
					done := writeAsync(c, req)
					r := readResponse(t, br, "POST")
					if want := fmt.Sprintf("%s /header-after-body %d", value, n); r.StatusCode != 200 || r.body != want {
						t.Fatalf("%d: got %d bytes %.60q..., want %d bytes", r.StatusCode, len(r.body), r.body, len(want))
					}
					if r := readResponse(t, br, "GET"); r.body != "after" {
						t.Fatalf("pipelined request: %q", r.body)
					}
					if err := <-done; err != nil {
						t.Fatal(err)
					}
				})
			}
		}
		t.Run("pipelined heads larger than the buffer", func(t *testing.T) {
			c, br := e.dial(t)
			var req strings.Builder
			for i := range 12 {
				fmt.Fprintf(&req, "GET /header-after-body HTTP/1.1\r\nHost: x\r\nX-Big: %d%s\r\n\r\n", i, pattern(1500+i*97))
			}
			done := writeAsync(c, req.String())
			for i := range 12 {
				want := fmt.Sprintf("%d%s /header-after-body 0", i, pattern(1500+i*97))
				if r := readResponse(t, br, "GET"); r.body != want {
					t.Fatalf("response %d: %.60q", i, r.body)
				}
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	})
}

// TestWrappedWriter checks that flushing works through a wrapper that
// only offers Unwrap.
func TestWrappedWriter(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		r := e.roundTrip(t, "GET /wrapped HTTP/1.1\r\nHost: x\r\n\r\n")
		if r.StatusCode != 200 || r.body != "firstsecond" || len(r.TransferEncoding) != 1 {
			t.Fatalf("%d %q %v: the flush did not reach the server's writer", r.StatusCode, r.body, r.TransferEncoding)
		}
	})
}

// TestClone keeps requests past their handler with Request.Clone while
// the connection goes on reusing its buffer; the clones must not change.
func TestClone(t *testing.T) {
	for _, m := range modes {
		if m.adapt {
			continue // net/http requests are the handler's own anyway
		}
		t.Run(m.name, func(t *testing.T) {
			a := newApp()
			e := m.start(t, a, nil)
			c, br := e.dial(t)
			var sent []string
			for i := range 20 {
				target := fmt.Sprintf("/clone?i=%d&pad=%s", i, pattern(i*37))
				sent = append(sent, target)
				write(t, c, "GET "+target+" HTTP/1.1\r\nHost: h"+strconv.Itoa(i)+"\r\nX-I: "+strconv.Itoa(i)+"\r\n\r\n")
				readResponse(t, br, "GET")
			}
			for i, target := range sent {
				r := <-a.clones
				if string(r.Method) != "GET" || string(r.Target) != target || string(r.Path) != "/clone" ||
					string(r.Query) != target[len("/clone?"):] || string(r.Host) != "h"+strconv.Itoa(i) ||
					string(r.Header.Get("X-I")) != strconv.Itoa(i) {
					t.Errorf("clone %d: %s %s path %s query %s host %s X-I %s", i, r.Method, r.Target, r.Path, r.Query, r.Host, r.Header.Get("X-I"))
				}
			}
		})
	}
}
