package wsgi_test

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/web"
)

// rawWorker is worker.py driven frame by frame over its socket, as Brick
// drives it, with nothing of the Go side in between.
type rawWorker struct {
	conn *os.File
	r    *bufio.Reader
}

func startRawWorker(t *testing.T, env ...string) *rawWorker {
	t.Helper()
	needPython(t)
	script := filepath.Join(t.TempDir(), "worker.py")
	if err := os.WriteFile(script, wsgi.WorkerSource(), 0o600); err != nil {
		t.Fatal(err)
	}
	fds, err := pyproc.SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	syscall.SetNonblock(fds[0], true) // so that deadlines apply
	ours, theirs := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "theirs")
	cmd := exec.Command(python, script, "rawapp:application", "singleprocess")
	cmd.Dir = appsDir
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	theirs.Close()
	t.Cleanup(func() {
		ours.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	ours.SetDeadline(time.Now().Add(20 * time.Second))
	w := &rawWorker{conn: ours, r: bufio.NewReader(ours)}
	if typ, payload := w.frame(t); typ != wsgi.FrameReady {
		t.Fatalf("first frame %q %q, want ready", typ, payload)
	}
	return w
}

// request is a request frame for GET target.
func request(target string) []byte {
	path, query, _ := strings.Cut(target, "?")
	var enc wsgi.RequestEncoder
	for _, kv := range [][2]string{{"REQUEST_METHOD", "GET"}, {"SCRIPT_NAME", ""}, {"PATH_INFO", path},
		{"QUERY_STRING", query}, {"SERVER_NAME", "x"}, {"SERVER_PORT", "80"}, {"SERVER_PROTOCOL", "HTTP/1.1"},
		{"wsgi.url_scheme", "http"}} {
		enc.AddString(kv[0], kv[1])
	}
	return enc.AppendFrame(nil, 0, nil)
}

func (w *rawWorker) send(t *testing.T, frames ...[]byte) {
	t.Helper()
	var all []byte
	for _, f := range frames {
		all = append(all, f...)
	}
	if _, err := w.conn.Write(all); err != nil {
		t.Fatal(err)
	}
}

func (w *rawWorker) frame(t *testing.T) (byte, []byte) {
	t.Helper()
	var h [wsgi.FrameHeaderLen]byte
	if _, err := io.ReadFull(w.r, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	typ, n := wsgi.ParseFrameHeader(h[:])
	p := make([]byte, n)
	if _, err := io.ReadFull(w.r, p); err != nil {
		t.Fatalf("reading a %q frame: %v", typ, err)
	}
	return typ, p
}

// response reads one response: "A <payload>" for an abort, else
// "<status> <body>"; onData runs after each data frame.
func (w *rawWorker) response(t *testing.T, onData func()) string {
	t.Helper()
	status, body := "", ""
	for {
		typ, p := w.frame(t)
		switch typ {
		case wsgi.FrameAbort:
			return "A " + string(p)
		case wsgi.FrameHead:
			status, _, _ = strings.Cut(string(p), "\x00")
		case wsgi.FrameData:
			body += string(p)
			if onData != nil {
				onData()
			}
		case wsgi.FrameEnd:
			return status + " " + body
		default:
			t.Fatalf("unexpected %q frame", typ)
		}
	}
}

// TestWorkerPipeline drives worker.py with requests queued behind the one
// it runs, as Brick sends them to a saturated worker: they are answered in
// order, and a cancel frame reaches the request it names and no other.
func TestWorkerPipeline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, w *rawWorker, closes string)
	}{
		{"queued requests answered in order", func(t *testing.T, w *rawWorker, closes string) {
			w.send(t, request("/sleep?s=0.2&note=first"), request("/status?s="+url.QueryEscape("201 Made")), request("/hello"))
			for _, want := range []string{"200 OK slept", "201 Made ", "200 OK Hello, World!"} {
				if got := w.response(t, nil); !strings.HasPrefix(got, want) {
					t.Errorf("response %q, want %q", got, want)
				}
			}
		}},
		{"a request cancelled while queued is skipped", func(t *testing.T, w *rawWorker, closes string) {
			w.send(t, request("/sleep?s=0.2&note=first"), request("/sleep?s=0&note=second"), wsgi.AppendCancel(nil, 2))
			if got := w.response(t, nil); got != "200 OK slept" {
				t.Errorf("first response %q", got)
			}
			if got := w.response(t, nil); got != "A cancelled before it started" {
				t.Errorf("cancelled request answered %q, want a bare abort", got)
			}
			w.send(t, request("/hello"))
			if got := w.response(t, nil); got != "200 OK Hello, World!" {
				t.Errorf("next request answered %q", got)
			}
			if b, _ := os.ReadFile(closes); strings.Contains(string(b), "second") {
				t.Errorf("the application ran the cancelled request: %q", b)
			}
		}},
		{"a cancel for an answered request is ignored", func(t *testing.T, w *rawWorker, closes string) {
			w.send(t, request("/hello"))
			w.response(t, nil)
			w.send(t, wsgi.AppendCancel(nil, 1), request("/ticks?n=3&every=0.05"))
			if got := w.response(t, nil); !strings.HasSuffix(got, "data: end\n\n") {
				t.Errorf("the stream after a stale cancel was cut: %q", got)
			}
		}},
		{"a cancel reaches a stream with requests queued behind it", func(t *testing.T, w *rawWorker, closes string) {
			w.send(t, request("/ticks?n=100&every=0.05&name=capped"))
			// The request queued behind the stream comes before the
			// cancel, as when Brick queued it before the client left.
			once := sync.OnceFunc(func() { w.send(t, request("/hello"), wsgi.AppendCancel(nil, 1)) })
			if got := w.response(t, once); strings.Contains(got, "data: 99") {
				t.Errorf("the stream ran to its end despite its cancel: %d bytes", len(got))
			}
			if got := w.response(t, nil); got != "200 OK Hello, World!" {
				t.Errorf("the request queued behind the stream answered %q", got)
			}
			if b, _ := os.ReadFile(closes); !strings.Contains(string(b), "capped") {
				t.Errorf("the cancelled stream's close() did not run: %q", b)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			closes := filepath.Join(t.TempDir(), "closes")
			tc.run(t, startRawWorker(t, "RAWAPP_CLOSE_LOG="+closes), closes)
		})
	}
}

// TestPipelinedUnderLoad sends many concurrent requests to one worker:
// some are queued on it behind others (Pipelined), and every client gets
// its own answer.
func TestPipelinedUnderLoad(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	// On a loaded machine a quick answer may take longer than the 5 ms
	// window, and nothing would be queued: this tests what queueing does.
	wsgi.SetPipelineWindow(g.pool, time.Second)
	g.mustGet(t, "/hello", 200)
	deadline := time.Now().Add(10 * time.Second)
	for round := 0; g.pool.Snapshot().Pipelined == 0; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("no request was queued on the busy worker in %d rounds of 16 concurrent requests", round)
		}
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				q := fmt.Sprintf("round=%d&i=%d", round, i)
				r := g.get(t, "/env?"+q)
				if r.status != 200 || !strings.Contains(r.body, `"QUERY_STRING": "`+q+`"`) {
					t.Errorf("request %s got %d %q", q, r.status, trim(r.body))
				}
			})
		}
		wg.Wait()
	}
}

// TestPipelineWorkerCrash: a worker that dies costs the request it ran;
// the requests queued behind it never started, and go to its replacement.
func TestPipelineWorkerCrash(t *testing.T) {
	t.Parallel()
	g := startGateway(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application"}})
	// On a loaded machine a quick answer may take longer than the 5 ms
	// window, and nothing would be queued: this tests what queueing does.
	wsgi.SetPipelineWindow(g.pool, time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for round := 0; ; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("no request was queued behind the crashing one in %d rounds", round)
		}
		for range 3 {
			g.mustGet(t, "/hello", 200) // a quick worker, so requests queue on it
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if r := g.get(t, "/crash?after=0.004"); r.status != 502 {
				t.Errorf("the crashing request got %d, want 502", r.status)
			}
		})
		time.Sleep(time.Millisecond)
		for i := range 3 {
			wg.Go(func() {
				if r := g.get(t, fmt.Sprintf("/hello?i=%d", i)); r.status != 200 {
					t.Errorf("a request behind the crash got %d %q, want 200", r.status, trim(r.body))
				}
			})
		}
		wg.Wait()
		if g.log.line("worker failed before the request queued on it started") != "" {
			return
		}
		waitUntil(t, 10*time.Second, "the crashed worker replaced", func() bool { return g.pool.Snapshot().Idle == 1 })
	}
}

// TestClientLeavesPipeline: a client that leaves while its request is
// queued on a busy worker is reported as 499, and the worker skips its
// request: the application never runs it.
func TestClientLeavesPipeline(t *testing.T) {
	t.Parallel()
	notes := filepath.Join(t.TempDir(), "notes")
	codes := make(chan string, 1024)
	obs := web.ObserverFunc(func(r *web.Request, c web.Completion) { codes <- string(r.Target) + " " + itoa(c.Code()) })
	g := startGatewayObserved(t, wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Env: []string{"RAWAPP_CLOSE_LOG=" + notes}}}, obs)
	// On a loaded machine a quick answer may take longer than the 5 ms
	// window, and nothing would be queued: this tests what queueing does.
	wsgi.SetPipelineWindow(g.pool, time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for round := 0; ; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("no request was queued on the busy worker in %d rounds", round)
		}
		for range 3 {
			g.mustGet(t, "/hello", 200) // a quick worker, so requests queue on it
		}
		before := g.pool.Snapshot().Pipelined
		busy := make(chan result, 1)
		go func() { busy <- g.get(t, "/sleep?s=0.6&note=busy") }()
		time.Sleep(time.Millisecond)
		c, _ := g.rawConn(t)
		target := fmt.Sprintf("/sleep?s=0&note=queued%d", round)
		io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(20 * time.Millisecond)
		queued := g.pool.Snapshot().Pipelined > before
		c.Close()
		if r := <-busy; r.status != 200 {
			t.Fatalf("the busy request got %d, %v", r.status, r.err)
		}
		if !queued {
			continue // the request went to the pool's queue or ran first: try again
		}
		for got := range codes {
			if strings.HasPrefix(got, target) {
				if got != target+" 499" {
					t.Errorf("reported %q, want the queued request as 499", got)
				}
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
		if b, _ := os.ReadFile(notes); strings.Contains(string(b), "queued"+itoa(round)+"\n") {
			t.Errorf("the application ran the request of a client that had left: %q", b)
		}
		return
	}
}
