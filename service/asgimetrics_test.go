package service_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	coder "github.com/coder/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// poolApp is a raw ASGI application for the pool metrics: /hold starts a
// response and holds it open until the client leaves, /crash ends the
// worker, /block blocks its event loop, /pid names the worker; WebSockets
// echo. While the file "slowstart" exists, an import takes half a second,
// so that a request has to wait for a restarting worker.
const poolApp = `import asyncio, os, time

if os.path.exists("slowstart"):
    time.sleep(0.5)

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            await send({"type": m["type"] + ".complete"})
            if m["type"] == "lifespan.shutdown":
                return
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        while True:
            m = await receive()
            if m["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": m.get("text") or ""})
    path = scope["path"].rsplit("/", 1)[-1]
    if path == "crash":
        os._exit(3)
    if path == "block":
        time.sleep(30)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    if path == "hold":
        await send({"type": "http.response.body", "body": b"held\n", "more_body": True})
        while (await receive())["type"] != "http.disconnect":
            pass
        return
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})
`

const poolConf = `
[server]
listen = ["127.0.0.1:0"]

[log]
access = "off"

[[site]]

  [[site.route]]
  path = "/q/"
  asgi = { app = "queueapp", chdir = ".", python = "{{python}}", workers = 1, timeout = "60s" }

  [[site.route]]
  path = "/"
  asgi = { app = "poolapp", chdir = ".", python = "{{python}}", workers = 1, timeout = "1s" }
`

// TestASGIPoolMetrics scrapes /metrics from the admin handler of a
// service running two ASGI applications and checks that the pools'
// series follow what happens: a request in flight, an open WebSocket,
// an event loop that stops turning (a request timed out, then the worker
// killed) on poolapp; a crash, and a request waiting for the restarting
// worker, on queueapp, whose timeout is long enough to wait however
// loaded the machine is.
func TestASGIPoolMetrics(t *testing.T) {
	t.Parallel()
	testutil.NeedPython(t)
	f := load(t, poolConf, func(dir string) {
		for _, name := range []string{"poolapp.py", "queueapp.py"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(poolApp), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
	admin := "http://" + loopback.Serve(t, &server.Server{Handler: f.svc.Admin()}) + "/metrics"
	m := poolMetrics{t: t, url: admin}
	pid := get(t, f.base+"/pid")
	series := func(name string, kv ...string) sel {
		return sel{name: name, labels: strings.Join(append([]string{"app", "poolapp"}, kv...), ",")}
	}
	py := func(name string, kv ...string) sel {
		return series(name, append([]string{"gateway", "asgi"}, kv...)...)
	}
	busy, idle := py("brick_python_workers", "state", "busy"), py("brick_python_workers", "state", "idle")
	streams := func(pid string) sel { return series("brick_asgi_worker_streams", "pid", pid) }
	websockets := series("brick_asgi_open_websockets")
	queue := py("brick_python_queue_length")
	crashes := py("brick_python_worker_restarts_total", "reason", "crash")
	killed := py("brick_python_worker_restarts_total", "reason", "timeout")
	timeouts := py("brick_python_timeouts_total")
	qpid := get(t, f.base+"/q/pid")
	qpy := func(name string, kv ...string) sel {
		return sel{name: name, labels: strings.Join(append([]string{"app", "queueapp", "gateway", "asgi"}, kv...), ",")}
	}
	qbusy, qidle := qpy("brick_python_workers", "state", "busy"), qpy("brick_python_workers", "state", "idle")
	qqueue := qpy("brick_python_queue_length")
	qcrashes := qpy("brick_python_worker_restarts_total", "reason", "crash")

	m.want("at rest", map[sel]float64{busy: 0, idle: 1, streams(pid): 0, websockets: 0, queue: 0, timeouts: 0})
	if _, ok := m.scrape().value(py("brick_python_worker_memory_bytes", "pid", pid)); !ok {
		t.Errorf("no memory series for worker %s", pid)
	}

	// A response being streamed is a scope in flight.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.base+"/hold", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != "held\n" {
		t.Fatalf("GET /hold: %q, %v", line, err)
	}
	m.want("a request in flight", map[sel]float64{busy: 1, idle: 0, streams(pid): 1})
	cancel()
	resp.Body.Close()
	m.want("the request over", map[sel]float64{busy: 0, idle: 1, streams(pid): 0})

	// An open WebSocket, then closed.
	ws, _, err := coder.Dial(context.Background(), "ws"+strings.TrimPrefix(f.base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Write(context.Background(), coder.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ws.Read(context.Background()); err != nil || string(msg) != "hi" {
		t.Fatalf("echo: %q, %v", msg, err)
	}
	m.want("a WebSocket open", map[sel]float64{websockets: 1, busy: 1, streams(pid): 1})
	ws.Close(coder.StatusNormalClosure, "")
	m.want("the WebSocket closed", map[sel]float64{websockets: 0, busy: 0, streams(pid): 0})

	// A blocked event loop: the request gets 504 at the timeout (1 s),
	// and the heartbeat kills the worker a second later.
	resp, err = http.Get(f.base + "/block")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 504 {
		t.Errorf("GET /block: %s; want 504", resp.Status)
	}
	m.want("the blocked worker killed", map[sel]float64{timeouts: 1, killed: 1})
	if n, ok := m.scrape().value(crashes); ok && n != 0 {
		t.Errorf("%v = %v; a worker killed for its blocked loop is a timeout, not a crash", crashes, n)
	}

	// A crash is counted; a request that comes while the only worker
	// restarts (slowly: "slowstart") waits in the queue, then is served.
	marker := filepath.Join(f.dir, "slowstart")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(f.base + "/q/crash"); err == nil {
		resp.Body.Close()
	}
	m.want("the worker crashed", map[sel]float64{qcrashes: 1, qbusy: 0, qidle: 0})
	got := make(chan string, 1)
	go func() { got <- get(t, f.base+"/q/pid") }()
	m.want("a request waiting for a worker", map[sel]float64{qqueue: 1})
	newPid := <-got
	os.Remove(marker)
	if newPid == qpid {
		t.Errorf("pid %s still serves after the crash", qpid)
	}
	m.want("the replacement serving", map[sel]float64{qqueue: 0, qidle: 1, qcrashes: 1})
	if h := m.scrape().histogram(qpy("brick_python_queue_wait_seconds")); h.GetSampleSum() < 0.1 || h.GetSampleCount() != 3 {
		t.Errorf("queue wait: %d requests, %.3f s in all; want 3, the waiting one's 0.1 s or more", h.GetSampleCount(), h.GetSampleSum())
	}
}

// get returns the body of a GET that must answer 200.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Errorf("GET %s: %s %q", url, resp.Status, b)
	}
	return string(b)
}

// sel picks a series: its name and label pairs (others ignored).
type sel struct {
	name   string
	labels string
}

func (s sel) String() string { return s.name + "{" + s.labels + "}" }

// poolMetrics scrapes an admin listener's /metrics.
type poolMetrics struct {
	t   *testing.T
	url string
}

type families map[string]*dto.MetricFamily

func (m poolMetrics) scrape() families {
	m.t.Helper()
	resp, err := http.Get(m.url)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		m.t.Fatalf("parsing %s: %v", m.url, err)
	}
	return fams
}

// want scrapes until every series has its value, for up to 20 s.
func (m poolMetrics) want(what string, want map[sel]float64) {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		fams := m.scrape()
		var wrong []string
		for s, v := range want {
			if got, ok := fams.value(s); !ok || got != v {
				wrong = append(wrong, fmt.Sprintf("%v = %v (found %v), want %v", s, got, ok, v))
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s, after 20 s:\n%s", what, strings.Join(wrong, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f families) sample(s sel) *dto.Metric {
	fam := f[s.name]
	if fam == nil {
		return nil
	}
	kv := strings.Split(s.labels, ",")
next:
	for _, m := range fam.Metric {
		have := map[string]string{}
		for _, lp := range m.Label {
			have[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if have[kv[i]] != kv[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

func (f families) value(s sel) (float64, bool) {
	m := f.sample(s)
	switch {
	case m == nil:
		return 0, false
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Gauge != nil:
		return m.Gauge.GetValue(), true
	}
	return 0, false
}

func (f families) histogram(s sel) *dto.Histogram { return f.sample(s).GetHistogram() }
