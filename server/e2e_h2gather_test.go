package server_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// fileHandler sends the file at path with web.FileSender, as the static
// handler does, so that HTTP/2 sends it in batches of DATA frames.
func fileHandler(path string) web.Handler {
	return web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
		_, err = w.(web.FileSender).SendFile(f, 0, fi.Size())
		return err
	})
}

// dialSlowH2 opens an HTTP/2 connection over TLS with a small receive
// buffer, so that the server's writes to a client that reads slowly meet
// a full socket (partial writes, EAGAIN), and asks for "/" on stream 1 with windows open wide.
func dialSlowH2(t *testing.T, e *h2env) (net.Conn, *http2.Framer) {
	t.Helper()
	raw, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	// Not below loopback's MSS (64 KiB), where Linux sends only on its
	// persist timer.
	raw.(*net.TCPConn).SetReadBuffer(64 << 10)
	t.Cleanup(func() { raw.Close() })
	cfg := e.tls.clientConfig("localhost")
	cfg.NextProtos = []string{"h2"}
	nc := tls.Client(raw, cfg)
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	fr := http2.NewFramer(nc, nc)
	io.WriteString(nc, http2.ClientPreface)
	fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1<<31 - 1})
	fr.WriteWindowUpdate(0, 1<<31-1-65535)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {":authority", "localhost"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
	return nc, fr
}

// readBody reads stream 1's DATA until its end or an error. When pause
// is set it sleeps after the first frame and then after every pause
// bytes (a slow reader), long enough for the server's socket to fill.
func readBody(fr *http2.Framer, pause int) ([]byte, error) {
	var body []byte
	next := 1
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return body, err
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			fr.WriteSettingsAck()
		}
		df, ok := f.(*http2.DataFrame)
		if !ok || df.StreamID != 1 {
			continue
		}
		body = append(body, df.Data()...)
		if df.StreamEnded() {
			return body, nil
		}
		if pause > 0 && len(body) >= next {
			next = len(body) + pause
			time.Sleep(100 * time.Millisecond) // a slow client, not synchronization
		}
	}
}

// TestH2TLSFileSlowAndStalledClients sends a file over HTTP/2 with TLS
// (the writes of gathered records) to a client that reads slowly through
// a small buffer, which gets every byte in order, and to one that stops
// reading, on which the server's write gives up at the write timeout.
func TestH2TLSFileSlowAndStalledClients(t *testing.T) {
	data := make([]byte, 8<<20+12345)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	const writeTimeout = 300 * time.Millisecond
	for _, m := range []mode{{name: "epoll/tls", tls: true}, {name: "goroutine/tls", std: true, tls: true}} {
		t.Run(m.name+"/slow", func(t *testing.T) {
			t.Parallel()
			e := startH2(t, m, func(s *server.Server) { s.Handler = fileHandler(path) })
			_, fr := dialSlowH2(t, e)
			body, err := readBody(fr, 2<<20)
			if err != nil {
				t.Fatalf("after %d bytes: %v", len(body), err)
			}
			if !bytes.Equal(body, data) {
				t.Fatalf("got %d bytes, not the file's %d", len(body), len(data))
			}
		})
		t.Run(m.name+"/stalled", func(t *testing.T) {
			t.Parallel()
			e := startH2(t, m, func(s *server.Server) {
				s.Handler = fileHandler(path)
				s.Timeouts.Write = writeTimeout
			})
			dialSlowH2(t, e) // and read nothing
			// Until the socket's buffers are full the writes go on; from
			// then, one waits the write timeout (not the default 60 s).
			const bound = 10 * time.Second
			deadline := time.Now().Add(bound)
			for !strings.Contains(e.logs.String(), "i/o timeout") {
				if time.Now().After(deadline) {
					t.Fatalf("the server still writes to a client that stopped reading %v ago", bound)
				}
				time.Sleep(20 * time.Millisecond) // polling the log
			}
		})
	}
}
