package server

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
)

// TestLargeWrite checks that a handler's 32 MiB Write goes out whole and
// in order in every framing (Content-Length, chunked, HTTP/1.0 until
// close) while the exchange's buffers stay small: the body held back for a
// Content-Length within pendingMax, the output buffer within flushAt and
// framing. Before, both grew to the size of the write, and the held-back
// body kept that size for the life of its worker (or, one goroutine per
// connection, of its connection). The memory the server holds once the
// response is sent, with the connection kept alive, is measured too.
func TestLargeWrite(t *testing.T) {
	const size = 32 << 20
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i ^ i>>11)
	}
	tests := []struct {
		name      string
		req       string
		keepAlive bool
	}{
		{"chunked", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"Content-Length", "GET /declare HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"HTTP/1.0 until close", "GET / HTTP/1.0\r\n\r\n", false},
	}
	for _, model := range []struct {
		name    string
		perConn bool
	}{{"epoll", false}, {"goroutine", true}} {
		t.Run(model.name, func(t *testing.T) {
			type caps struct{ pending, out int }
			seen := make(chan caps, 1)
			h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
				if string(r.Path) == "/small" {
					_, err := w.WriteString("small")
					return err
				}
				if string(r.Path) == "/declare" {
					w.Header().Set("Content-Length", strconv.Itoa(size))
				}
				// A little held back first, then the rest in one Write.
				if _, err := w.Write(body[:100]); err != nil {
					return err
				}
				if _, err := w.Write(body[100:]); err != nil {
					return err
				}
				x := w.(*response).x
				seen <- caps{cap(x.pending), cap(x.out)}
				return nil
			})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &Server{Handler: h, GoroutinePerConn: model.perConn,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			defer func() {
				srv.Close()
				<-done
			}()
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					c, err := net.Dial("tcp", ln.Addr().String())
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(30 * time.Second))
					br := bufio.NewReader(c)
					get := func(req, path string) []byte {
						t.Helper()
						if _, err := io.WriteString(c, req); err != nil {
							t.Fatal(err)
						}
						resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
						if err != nil {
							t.Fatalf("%s: %v", path, err)
						}
						b, err := io.ReadAll(resp.Body)
						if err != nil {
							t.Fatalf("%s: body: %v", path, err)
						}
						return b
					}
					var before runtime.MemStats
					if tc.keepAlive {
						get("GET /small HTTP/1.1\r\nHost: x\r\n\r\n", "/small")
						runtime.GC()
						runtime.ReadMemStats(&before)
					}
					got := get(tc.req, "/")
					if !bytes.Equal(got, body) {
						t.Fatalf("body: %d bytes, want %d, equal %v", len(got), len(body), bytes.Equal(got, body))
					}
					got = nil
					sc := <-seen
					if sc.pending > pendingMax || sc.out > 2*flushAt {
						t.Errorf("after a %d-byte Write the exchange holds %d bytes of held-back body and %d of output, want at most %d and %d",
							size, sc.pending, sc.out, pendingMax, 2*flushAt)
					}
					if !tc.keepAlive {
						return
					}
					// The connection stays open and idle: whatever the
					// server still holds is kept for it (or its worker).
					if string(get("GET /small HTTP/1.1\r\nHost: x\r\n\r\n", "/small")) != "small" {
						t.Fatal("no response after the large one")
					}
					var after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&after)
					grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
					t.Logf("heap after the %d MiB response, connection idle: %+d KiB", size>>20, grew>>10)
					if grew > 4<<20 {
						t.Errorf("the heap grew by %d KiB after the response, want under 4 MiB", grew>>10)
					}
				})
			}
		})
	}
	runtime.KeepAlive(body)
}
