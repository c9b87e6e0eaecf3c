package proxy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/proxy"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/wire"
)

// backendPy is the Python upstream: it answers with what it received
// (method, path, fields, body length and SHA-256) as JSON, and has a few
// paths that misbehave on purpose.
const backendPy = `
import sys, json, hashlib, time, os, socket
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
name, sick = sys.argv[1], sys.argv[2]
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def body(self):
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            h = hashlib.sha256(); n = 0
            while True:
                size = int(self.rfile.readline().split(b';')[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''): pass
                    return n, h.hexdigest()
                h.update(self.rfile.read(size)); n += size; self.rfile.readline()
        left = int(self.headers.get('Content-Length') or 0)
        h = hashlib.sha256(); n = left
        while left > 0:
            b = self.rfile.read(min(left, 65536)); h.update(b); left -= len(b)
        return n, h.hexdigest()
    def send(self, code, body, ctype='application/json', extra=()):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers(); self.wfile.write(body)
    def any(self):
        p = self.path
        if p.startswith('/health'):
            if os.path.exists(sick): return self.send(503, b'sick', 'text/plain')
            return self.send(200, b'ok', 'text/plain')
        if p.startswith('/sse'):
            self.send_response(200); self.send_header('Content-Type', 'text/event-stream')
            self.send_header('Transfer-Encoding', 'chunked'); self.end_headers()
            for i in range(3):
                d = b'data: %d\n\n' % i
                self.wfile.write(b'%x\r\n%s\r\n' % (len(d), d)); self.wfile.flush(); time.sleep(0.5)
            self.wfile.write(b'0\r\n\r\n'); return
        if p.startswith('/slow'):
            time.sleep(3); return self.send(200, b'late', 'text/plain')
        if p.startswith('/diechunked'):
            self.send_response(200); self.send_header('Transfer-Encoding', 'chunked'); self.end_headers()
            self.wfile.write(b'5\r\nhello\r\n'); self.wfile.flush()
            self.close_connection = True; self.connection.shutdown(socket.SHUT_RDWR); return
        if p.startswith('/die'):
            self.send_response(200); self.send_header('Content-Length', '100000'); self.end_headers()
            self.wfile.write(b'x' * 1000); self.wfile.flush()
            self.close_connection = True; self.connection.shutdown(socket.SHUT_RDWR); return
        if p.startswith('/hop'):
            return self.send(200, b'hop', 'text/plain', [('Connection', 'X-Secret'), ('X-Secret', '1'),
                ('Keep-Alive', 'timeout=5'), ('Proxy-Thing', '1'), ('Trailer', 'X-T'), ('X-Kept', 'yes')])
        n, digest = self.body()
        out = json.dumps({'name': name, 'method': self.command, 'path': self.path,
            'headers': [[k, v] for k, v in self.headers.items()], 'len': n, 'sha256': digest}).encode()
        self.send(200, out)
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = any
srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
`

// pyBackend is a running Python upstream.
type pyBackend struct {
	URL  string
	sick string // while this file exists, /health answers 503
}

func startPython(t *testing.T, name string) *pyBackend {
	t.Helper()
	py := testutil.NeedPython(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "backend.py")
	if err := os.WriteFile(script, []byte(backendPy), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &pyBackend{sick: filepath.Join(dir, "sick")}
	cmd := exec.Command(py, script, name, b.sick)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("python backend did not start: %v", err)
	}
	b.URL = "http://127.0.0.1:" + strings.TrimSpace(line)
	return b
}

// echo is what the Python backend answers.
type echo struct {
	Name    string      `json:"name"`
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Headers [][2]string `json:"headers"`
	Len     int64       `json:"len"`
	SHA256  string      `json:"sha256"`
}

func (e *echo) get(name string) []string {
	var out []string
	for _, h := range e.Headers {
		if strings.EqualFold(h[0], name) {
			out = append(out, h[1])
		}
	}
	return out
}

// serve runs a proxy Handler for c behind a Brick server.
func serve(t testing.TB, c proxy.Config) (addr string, h *proxy.Handler) {
	t.Helper()
	h, err := proxy.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return loopback.Serve(t, &server.Server{Handler: h}), h
}

func config(to ...string) proxy.Config {
	c := proxy.DefaultConfig()
	c.To = to
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return c
}

// rawResponse is a response read off a raw connection.
type rawResponse struct {
	wire.ReceivedResponse
	Body []byte
	raw  []byte
}

// roundTrip sends raw bytes on a new connection and reads one response
// with Brick's parser, its body by its framing.
func roundTrip(t *testing.T, addr, req string) *rawResponse {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return readResponse(t, bufio.NewReader(c), strings.HasPrefix(req, "HEAD "))
}

func readResponse(t *testing.T, br *bufio.Reader, head bool) *rawResponse {
	t.Helper()
	var buf []byte
	r := &rawResponse{}
	for {
		line, err := br.ReadBytes('\n')
		buf = append(buf, line...)
		if err != nil {
			t.Fatalf("reading the response head: %v (got %q)", err, buf)
		}
		if n, err := wire.ParseResponse(&r.ReceivedResponse, buf, nil); err == nil {
			r.raw = buf[:n]
			break
		} else if err != wire.ErrNeedMore {
			t.Fatalf("response head %q: %v", buf, err)
		}
	}
	switch r.Framing(head) {
	case wire.LengthBody:
		r.Body = make([]byte, r.ContentLength)
		if _, err := io.ReadFull(br, r.Body); err != nil {
			t.Fatalf("body: %v", err)
		}
	case wire.ChunkedBody:
		var d wire.ChunkedDecoder
		var in []byte
		for {
			n, data, err := d.Decode(in)
			r.Body = append(r.Body, data...)
			in = in[n:]
			if err == io.EOF {
				break
			}
			if err == wire.ErrNeedMore {
				b, rerr := br.ReadByte()
				if rerr != nil {
					t.Fatalf("chunked body: %v", rerr)
				}
				in = append(in, b)
				continue
			}
			if err != nil {
				t.Fatalf("chunked body: %v", err)
			}
		}
	case wire.CloseBody:
		r.Body, _ = io.ReadAll(br)
	}
	return r
}

func decodeEcho(t *testing.T, body []byte) *echo {
	t.Helper()
	var e echo
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("backend answer %q: %v", body, err)
	}
	return &e
}

// rawUpstream is a Go upstream on raw TCP that records the request
// lines it reads and answers each with its name. closeAfter closes the
// connection after each response without saying so, as an upstream
// whose keep-alive timeout ran out does.
type rawUpstream struct {
	URL        string
	name       string
	closeAfter bool
	mu         sync.Mutex
	lines      []string
	conns      int
}

func startRaw(t testing.TB, name string, closeAfter bool) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rawUpstream{URL: "http://" + ln.Addr().String(), name: name, closeAfter: closeAfter}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.conns++
			u.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); u.serveConn(c) }()
		}
	}()
	return u
}

func (u *rawUpstream) serveConn(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	var p wire.RequestParser
	var req wire.RequestHead
	buf := make([]byte, 0, 64<<10)
	tmp := make([]byte, 32<<10)
	for {
		n, err := p.Parse(&req, buf, nil)
		if err == wire.ErrNeedMore {
			k, rerr := c.Read(tmp)
			if k == 0 || rerr != nil && k == 0 {
				return
			}
			buf = append(buf, tmp[:k]...)
			continue
		}
		if err != nil {
			io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			return
		}
		u.mu.Lock()
		u.lines = append(u.lines, string(req.Method)+" "+string(req.Target))
		u.mu.Unlock()
		buf = buf[n:]
		if req.Chunked {
			var d wire.ChunkedDecoder
			for {
				n, _, err := d.Decode(buf)
				buf = buf[n:]
				if err == io.EOF {
					break
				}
				if err != wire.ErrNeedMore {
					return
				}
				k, rerr := c.Read(tmp)
				if rerr != nil {
					return
				}
				buf = append(buf, tmp[:k]...)
			}
		}
		// Skip a body by its length (the tests that use this send none
		// or a small one).
		for int64(len(buf)) < req.ContentLength {
			k, rerr := c.Read(tmp)
			if rerr != nil {
				return
			}
			buf = append(buf, tmp[:k]...)
		}
		if req.ContentLength > 0 {
			buf = buf[req.ContentLength:]
		}
		buf = append([]byte(nil), buf...)
		body := u.name
		if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body); err != nil {
			return
		}
		if u.closeAfter {
			return
		}
	}
}

func (u *rawUpstream) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.lines...)
}

func get(t *testing.T, addr, path string, fields ...string) *rawResponse {
	t.Helper()
	req := "GET " + path + " HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n"
	for _, f := range fields {
		req += f + "\r\n"
	}
	return roundTrip(t, addr, req+"\r\n")
}

var _ = bytes.Equal

// bufioReader reads from c one byte at a time buffered, so that several
// responses read off one connection do not lose bytes between readers.
func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(oneByte{c}, 16) }

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) { return o.r.Read(p[:1]) }
