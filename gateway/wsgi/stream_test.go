package wsgi_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
)

// TestLongStream: Timeout bounds the wait for the head and each silence
// of a stream, not the stream, so a server-sent-events response longer
// than Timeout goes through whole; a silence past it cuts the stream and
// costs the worker (its stack logged); MaxStream bounds the whole
// response, and past it the application is told to stop and its worker
// serves on.
func TestLongStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		maxStream  time.Duration
		path       string
		whole      bool     // the client gets the whole stream
		events     int      // at least this many events reach the client
		logs       []string // in the log
		noLogs     []string // not in the log
		sameWorker bool     // the worker serves on afterwards
	}{
		{name: "stream longer than the timeout", path: "/ticks?n=12&every=0.2&name=sse", whole: true, events: 12,
			noLogs: []string{"request timed out", "killing"}, sameWorker: true},
		{name: "silence past the timeout", path: "/ticks?n=2&every=0.1&stall=5&name=stall", events: 2,
			logs: []string{"request timed out: the application was silent past the timeout"}},
		{name: "past max_stream", maxStream: 1500 * time.Millisecond, path: "/ticks?n=100&every=0.1&name=capped", events: 5,
			logs: []string{"response ran past max_stream", "max_stream=1.5s"}, noLogs: []string{"killing"}, sameWorker: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			notes := filepath.Join(t.TempDir(), "notes")
			g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Timeout: 2 * time.Second, Env: []string{"RAWAPP_CLOSE_LOG=" + notes}}, MaxStream: tc.maxStream})
			pid := g.mustGet(t, "/pid", 200).body
			start := time.Now()
			r := g.get(t, tc.path)
			if r.status != 200 {
				t.Fatalf("status %d %q", r.status, r.body)
			}
			if got := strings.Count(r.body, "data: ") - strings.Count(r.body, "data: end"); got < tc.events {
				t.Errorf("%d events reached the client, want at least %d (%v)", got, tc.events, r.err)
			}
			if whole := r.err == nil && strings.HasSuffix(r.body, "data: end\n\n"); whole != tc.whole {
				t.Errorf("the whole stream reached the client: %v (%v), want %v", whole, r.err, tc.whole)
			}
			if tc.maxStream > 0 && time.Since(start) > tc.maxStream+time.Second {
				t.Errorf("the stream lasted %v, max_stream is %v", time.Since(start), tc.maxStream)
			}
			g.log.waitFor(t, 5*time.Second, tc.logs...)
			for _, bad := range tc.noLogs {
				if line := g.log.line(bad); line != "" {
					t.Errorf("the log says %q: %s", bad, line)
				}
			}
			if tc.sameWorker {
				// The application's close() ran, and the worker serves on.
				waitUntil(t, 5*time.Second, "close() recorded", func() bool {
					b, _ := os.ReadFile(notes)
					return len(b) > 0
				})
				if now := g.mustGet(t, "/pid", 200).body; now != pid {
					t.Errorf("the worker changed from %s to %s", pid, now)
				}
			}
		})
	}
	noZombies(t)
}

// TestReasonPhrase: the reason phrase the application gives reaches the
// client on the wire, as gunicorn and uWSGI keep it, whole or streamed;
// HTTP/2 has no reason phrases, and the status goes alone.
func TestReasonPhrase(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	for _, tc := range []struct{ path, line string }{
		{"/status?s=299+Custom+Reason", "HTTP/1.1 299 Custom Reason"},
		{"/status?s=200+Everything+Fine", "HTTP/1.1 200 Everything Fine"},
		{"/ticks?n=2&status=200+Streaming+Along", "HTTP/1.1 200 Streaming Along"},
		{"/hello", "HTTP/1.1 200 OK"},
	} {
		c, br := g.rawConn(t)
		io.WriteString(c, "GET "+tc.path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		line, err := br.ReadString('\n')
		if err != nil || strings.TrimRight(line, "\r\n") != tc.line {
			t.Errorf("GET %s: status line %q, %v; want %q", tc.path, line, err, tc.line)
		}
		c.Close()
	}
	resp, err := h2Client(g, nil).Get("http://h2.test/status?s=299+Custom+Reason")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 299 {
		t.Errorf("over HTTP/2: %s %d, want HTTP/2 and 299", resp.Proto, resp.StatusCode)
	}
}

// TestClientLeavesQueue: a client that leaves while its request waits
// for a worker, over HTTP/1.1 or HTTP/2 (resetting its stream or closing
// the connection), is reported as 499 (client closed), not as a 503 it
// never saw; the application never runs its request and no 503 is logged,
// for a full pool or for a shutdown.
func TestClientLeavesQueue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// send sends GET path and returns what makes the client leave.
		send func(t *testing.T, g *gateway, path string) (leave func())
	}{
		{name: "HTTP/1.1 connection closed", send: func(t *testing.T, g *gateway, path string) func() {
			c, _ := g.rawConn(t)
			io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
			return func() { c.Close() }
		}},
		{name: "HTTP/2 stream reset", send: func(t *testing.T, g *gateway, path string) func() {
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://h2.test"+path, nil)
			go h2Client(g, nil).Do(req)
			return cancel
		}},
		{name: "HTTP/2 connection closed", send: func(t *testing.T, g *gateway, path string) func() {
			conns := make(chan net.Conn, 1)
			go h2Client(g, conns).Get("http://h2.test" + path)
			c := <-conns
			return func() { c.Close() }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			notes := filepath.Join(t.TempDir(), "notes")
			codes := make(chan string, 8)
			obs := web.ObserverFunc(func(r *web.Request, c web.Completion) { codes <- string(r.Path) + " " + itoa(c.Code()) })
			g := startGatewayObserved(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Env: []string{"RAWAPP_CLOSE_LOG=" + notes}}, QueueTimeout: 2 * time.Second}, obs)
			busy := make(chan result, 1)
			go func() { busy <- g.get(t, "/sleep?s=3&note=busy") }()
			waitUntil(t, 10*time.Second, "the worker busy", func() bool { return g.pool.Snapshot().Busy == 1 })

			leave := tc.send(t, g, "/sleep?s=0&note=queued")
			waitUntil(t, 10*time.Second, "a request queued", func() bool { return g.pool.Snapshot().QueueLength == 1 })
			leave()
			select {
			case got := <-codes:
				if got != "/sleep 499" {
					t.Errorf("reported %q, want the queued request as 499", got)
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("the queued request was not reported within 2 s of its client leaving")
			}
			if r := <-busy; r.status != 200 {
				t.Errorf("the busy request got %d, %v", r.status, r.err)
			}
			time.Sleep(200 * time.Millisecond)
			if b, _ := os.ReadFile(notes); strings.Contains(string(b), "queued") {
				t.Errorf("the application ran the request of a client that had left")
			}
			for _, bad := range []string{"no worker free", "answering 503", "shutting down"} {
				if line := g.log.line(bad); line != "" {
					t.Errorf("the log says %q: %s", bad, line)
				}
			}
		})
	}
}

// TestClientLeavesStream: a client that leaves in the middle of a
// streamed response, closing or resetting its connection over HTTP/1.1,
// or resetting its stream or closing its connection over HTTP/2, costs
// the worker nothing: the application is told to stop (its close() runs),
// nothing says the worker failed, and the same worker serves the next
// request.
func TestClientLeavesStream(t *testing.T) {
	t.Parallel()
	closes := closeLog(filepath.Join(t.TempDir(), "closes"))
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Timeout: 5 * time.Second, Env: []string{"RAWAPP_CLOSE_LOG=" + string(closes)}}})
	pid := g.mustGet(t, "/pid", 200).body
	http1 := func(linger bool) func(t *testing.T, path string) func() {
		return func(t *testing.T, path string) func() {
			c, br := g.rawConn(t)
			io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
			if _, body := readHead(t, br); body == "" {
				t.Fatalf("GET %s: no body before leaving", path)
			}
			if linger {
				c.(*net.TCPConn).SetLinger(0) // a reset, not a FIN
			}
			return func() { c.Close() }
		}
	}
	http2 := func(closeConn bool) func(t *testing.T, path string) func() {
		return func(t *testing.T, path string) func() {
			conns := make(chan net.Conn, 1)
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://h2.test"+path, nil)
			resp, err := h2Client(g, conns).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := resp.Body.Read(make([]byte, 10)); err != nil {
				t.Fatalf("GET %s over HTTP/2: %v before leaving", path, err)
			}
			c := <-conns
			if closeConn {
				return func() { c.Close() }
			}
			t.Cleanup(func() { c.Close() })
			return cancel
		}
	}
	for i, tc := range []struct {
		name  string
		leave func(t *testing.T, path string) (leave func())
	}{
		{"HTTP/1.1 connection closed", http1(false)},
		{"HTTP/1.1 connection reset", http1(true)},
		{"HTTP/2 stream reset", http2(false)},
		{"HTTP/2 connection closed", http2(true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/close?mode=slow&name=slow", "/ticks?n=200&every=0.05&name=ticks"} {
				name := fmt.Sprintf("%s%d", path[strings.Index(path, "name=")+5:], i)
				path = path[:strings.Index(path, "name=")+5] + name
				tc.leave(t, path)()
				closes.waitFor(t, name)
				if now := g.mustGet(t, "/pid", 200).body; now != pid {
					t.Fatalf("after the client of %s left, worker %s serves, not %s", path, now, pid)
				}
			}
			for _, bad := range []string{"worker failed", "replacing", "killing", "starting a replacement"} {
				if line := g.log.line(bad); line != "" {
					t.Errorf("the log says %q: %s", bad, line)
				}
			}
		})
	}
}

// readHead reads a response head from br, and what of the body has come.
func readHead(t *testing.T, br *bufio.Reader) (head, body string) {
	t.Helper()
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading a response head: %v", err)
		}
		head += line
		if line == "\r\n" {
			break
		}
	}
	b := make([]byte, 64)
	n, _ := br.Read(b)
	return head, string(b[:n])
}

// h2Client is an HTTP/2 client (h2c, prior knowledge) of g; the
// connections it makes are sent to conns, if not nil.
func h2Client(g *gateway, conns chan<- net.Conn) *http.Client {
	return &http.Client{Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
			c, err := net.Dial(network, g.addr)
			if err == nil && conns != nil {
				conns <- c
			}
			return c, err
		},
	}}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestFileWrapperBounds: wsgi.file_wrapper sends what the application's
// Content-Length allows of the file (PEP 3333), reads past 4 GiB in a
// sparse file, and sends a file longer than one data frame in several.
func TestFileWrapperBounds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sparse := filepath.Join(dir, "sparse")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	const size = 5<<30 + 4096 // past what a 32-bit length or offset holds
	tail := []byte("the end of a file past 4 GiB")
	if _, err := f.WriteAt(tail, size-int64(len(tail))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	small := filepath.Join(dir, "small")
	data := make([]byte, 1<<20+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	os.WriteFile(small, data, 0o644)
	// Frames of 64 KiB stand in for the 1 GiB ones of a file over 4 GiB.
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Env: []string{"BRICK_WSGI_SENDFILE_FRAME=65536"}}})
	for _, tc := range []struct {
		name, path string
		want       []byte
	}{
		{"bounded by Content-Length", "/file?path=" + sparse + "&length=1000", make([]byte, 1000)},
		{"offset past 4 GiB", "/file?path=" + sparse + "&seek=" + strconv.Itoa(size-len(tail)), tail},
		{"bounded past 4 GiB", "/file?path=" + sparse + "&seek=" + strconv.Itoa(size-len(tail)) + "&length=7", tail[:7]},
		{"several frames", "/file?path=" + small, data},
	} {
		r := g.get(t, tc.path)
		if r.err != nil || r.status != 200 || r.body != string(tc.want) {
			t.Errorf("%s: %d, %d bytes, %v; want 200 and %d bytes", tc.name, r.status, len(r.body), r.err, len(tc.want))
		}
	}
}

// TestFileWrapperShort: a wrapped file that holds less than the
// application's Content-Length fails as the application's error (500,
// its traceback in the log, the connection kept), before anything is sent:
// it went out as a 200 cut short, the connection closed under the client
// and nothing logged.
func TestFileWrapperShort(t *testing.T) {
	t.Parallel()
	small := filepath.Join(t.TempDir(), "small")
	if err := os.WriteFile(small, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	for _, tc := range []struct {
		name, path string
		status     int
		body       string
	}{
		{"the whole file", "/file?path=" + small + "&length=10", 200, "0123456789"},
		{"more than the file", "/file?path=" + small + "&length=20", 500, "Internal Server Error\n"},
		{"more than is left past the offset", "/file?path=" + small + "&length=5&seek=8", 500, "Internal Server Error\n"},
	} {
		r := g.get(t, tc.path)
		if r.err != nil || r.status != tc.status || r.body != tc.body {
			t.Errorf("%s: %d %q %v; want %d %q", tc.name, r.status, r.body, r.err, tc.status, tc.body)
		}
	}
	g.log.waitFor(t, 5*time.Second, "Content-Length 20 is more than the 10 bytes the wrapped file holds")
}

// TestHeadSendsNoFile: a HEAD of a wrapped file sends the head alone: the
// worker writes none of the file to Brick, which had read and dropped a
// whole data frame (16 MiB) of it before its cancel was seen.
func TestHeadSendsNoFile(t *testing.T) {
	t.Parallel()
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, nil, 0o644); err != nil || os.Truncate(big, 1<<30) != nil {
		t.Fatal("cannot make a sparse file")
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	pid := waitPIDs(t, g.pool, 1, nil)[0]
	written := func() int64 { // what the worker wrote, sendfile(2) included
		b, err := os.ReadFile("/proc/" + itoa(pid) + "/io")
		if err != nil {
			t.Skipf("no /proc/PID/io: %v", err)
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "wchar: "); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		t.Fatalf("no wchar in /proc/%d/io", pid)
		return 0
	}
	before := written()
	req, _ := http.NewRequest("HEAD", g.url+"/file?path="+big, nil)
	if r := g.do(req); r.err != nil || r.status != 200 || r.body != "" {
		t.Fatalf("HEAD: %d %q %v", r.status, r.body, r.err)
	}
	g.mustGet(t, "/hello", 200)
	if n := written() - before; n > 1<<20 {
		t.Errorf("the worker wrote %d bytes for a HEAD and a hello", n)
	}
}

// TestFileWrapperNonRegular: wsgi.file_wrapper over what is not a regular
// file (a device that never ends, a pipe whose writer stays open) sends
// what the application's Content-Length allows and stops reading there,
// as PEP 3333 asks: the worker is free for the next request at once, and
// the bound is the server's doing, not the application's fault to warn of.
func TestFileWrapperNonRegular(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Timeout: 3 * time.Second}})
	for _, tc := range []struct {
		name, path string
		want       string
	}{
		{"/dev/zero, a bound inside a block", "/file?path=/dev/zero&length=100000", strings.Repeat("\x00", 100000)},
		{"a pipe held open, all it holds", "/file?pipe=5000&length=5000", strings.Repeat("p", 5000)},
		{"a pipe held open, less than it holds", "/file?pipe=5000&length=3000", strings.Repeat("p", 3000)},
		{"a pipe held open, a Content-Length of 0", "/file?pipe=0&length=0", ""},
	} {
		r := g.get(t, tc.path)
		if r.err != nil || r.status != 200 || r.body != tc.want {
			t.Errorf("%s: %d, %d bytes, %v; want 200 and %d bytes", tc.name, r.status, len(r.body), r.err, len(tc.want))
		}
		start := time.Now()
		if r := g.get(t, "/hello"); r.status != 200 || time.Since(start) > time.Second {
			t.Errorf("%s: the next request got %d after %v: the worker is still reading the file", tc.name, r.status, time.Since(start).Round(time.Millisecond))
		}
	}
	if line := g.log.line("more than its Content-Length"); line != "" {
		t.Errorf("a wrapped file cut at the Content-Length is logged as the application's error: %s", line)
	}
}

// TestHeadStopsTheBody: a HEAD answer has no body, so the worker is told
// to stop producing one once the head is out, as for a client that left:
// a HEAD of a wrapped file of gigabytes, or of a long stream, held the
// worker (and the client, and every request queued behind it) for as long
// as the whole body took to make.
func TestHeadStopsTheBody(t *testing.T) {
	t.Parallel()
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, nil, 0o644); err != nil || os.Truncate(big, 5<<30) != nil {
		t.Fatal("cannot make a sparse file")
	}
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	for _, tc := range []struct{ name, path string }{
		{"a wrapped file of 5 GiB", "/file?path=" + big},
		{"a stream of 5 s", "/ticks?n=500&every=0.01"},
	} {
		start := time.Now()
		req, _ := http.NewRequest("HEAD", g.url+tc.path, nil)
		if r := g.do(req); r.err != nil || r.status != 200 || r.body != "" {
			t.Errorf("HEAD %s: %d %q %v", tc.name, r.status, r.body, r.err)
		}
		g.mustGet(t, "/hello", 200)
		if took := time.Since(start); took > time.Second {
			t.Errorf("HEAD %s, then GET /hello: %v; the worker made the whole body", tc.name, took.Round(time.Millisecond))
		}
	}
}
