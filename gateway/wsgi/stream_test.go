package wsgi_test

import (
	"io"
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
// client on the wire, as gunicorn and uWSGI keep it, whole or streamed.
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
}

// TestClientLeavesQueue: a client that leaves while its request waits
// for a worker is reported as 499 (client closed), not as a 503 it never
// saw; the application never runs its request and no "busy" 503 is
// logged.
func TestClientLeavesQueue(t *testing.T) {
	t.Parallel()
	notes := filepath.Join(t.TempDir(), "notes")
	codes := make(chan string, 8)
	obs := web.ObserverFunc(func(r *web.Request, c web.Completion) { codes <- string(r.Path) + " " + itoa(c.Code()) })
	g := startGatewayObserved(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Env: []string{"RAWAPP_CLOSE_LOG=" + notes}}, QueueTimeout: 2 * time.Second}, obs)
	busy := make(chan result, 1)
	go func() { busy <- g.get(t, "/sleep?s=3&note=busy") }()
	waitUntil(t, 10*time.Second, "the worker busy", func() bool { return g.pool.Snapshot().Busy == 1 })

	c, _ := g.rawConn(t)
	io.WriteString(c, "GET /sleep?s=0&note=queued HTTP/1.1\r\nHost: x\r\n\r\n")
	waitUntil(t, 10*time.Second, "a request queued", func() bool { return g.pool.Snapshot().QueueLength == 1 })
	c.Close()
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
	for _, bad := range []string{"no worker free", "answering 503"} {
		if line := g.log.line(bad); line != "" {
			t.Errorf("the log says %q: %s", bad, line)
		}
	}
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
