package wsgi

import (
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// fakeProc stands for a worker process in tests that play the worker's
// end of its socket themselves.
type fakeProc struct{ done chan struct{} }

func newFakeProc() *fakeProc { return &fakeProc{done: make(chan struct{})} }

func (p *fakeProc) Pid() int                             { return 1 << 22 }
func (p *fakeProc) Done() <-chan struct{}                { return p.done }
func (p *fakeProc) Exit() string                         { return "killed" }
func (p *fakeProc) Signal(syscall.Signal) error          { return nil }
func (p *fakeProc) Uptime() time.Duration                { return time.Second }
func (p *fakeProc) RSS() (int64, error)                  { return 0, nil }
func (p *fakeProc) WaitQuiet(quiet, limit time.Duration) {}
func (p *fakeProc) Kill() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
}

// recorder is a web.ResponseWriter that keeps the status.
type recorder struct {
	h      wire.Header
	status int
	body   []byte
}

func (r *recorder) Header() *wire.Header { return &r.h }
func (r *recorder) WriteHeader(s int)    { r.status = s }
func (r *recorder) Write(p []byte) (int, error) {
	r.body = append(r.body, p...)
	return len(p), nil
}
func (r *recorder) WriteString(s string) (int, error) { return r.Write([]byte(s)) }

// fakeWorker is a worker whose process the test plays through peer.
func fakeWorker(t *testing.T, p *Pool) (*worker, int) {
	s, peer := sockPair(t)
	s.writeTimeout = 5 * time.Second
	wk := &worker{pool: p, conn: s, proc: newFakeProc(), frames: newFrameReader(s, frameBufferSize, maxControlFrame)}
	return wk, peer
}

// TestQueuedRequestInFailedBatch: a request queued behind another whose
// frame went out in a batch led by a cancel, whose write failed (the
// worker had died), never reached the worker. When its turn comes (the
// request before it was answered whole before the worker died) it goes
// to another worker, instead of being answered 502 by the dead one.
func TestQueuedRequestInFailedBatch(t *testing.T) {
	cfg := Config{QueueSize: 4, QueueTimeout: 5 * time.Second}
	cfg.Timeout = 5 * time.Second
	p := &Pool{cfg: cfg, window: pipelineWindow, log: slog.New(slog.NewTextHandler(io.Discard, nil)), closing: make(chan struct{}),
		live: map[*worker]bool{}, slots: []*slot{{}, {}}}
	h, err := NewHandler(p)
	if err != nil {
		t.Fatal(err)
	}
	dead, deadPeer := fakeWorker(t, p)
	next, nextPeer := fakeWorker(t, p)

	// The dead worker runs a request (its first: seq 1), which began
	// just now: a small request may be queued behind it.
	p.mu.Lock()
	p.live[dead] = true
	p.slots[0].w = dead
	dead.inflight = 1
	dead.seq = 1
	dead.headSince = time.Now().Add(time.Hour)
	p.mu.Unlock()

	// A cancel leads a batch (the client of another request left)...
	if _, lead, err := dead.conn.out.Add(AppendCancel(nil, 1), nil); !lead || err != nil {
		t.Fatalf("the cancel: lead %v, err %v; want the batch's leader", lead, err)
	}
	// ...and the worker dies before the batch is written.
	syscall.Close(deadPeer)

	// The request is queued behind the first, its frame in the batch.
	rec := &recorder{}
	served := make(chan error, 1)
	go func() {
		r := &web.Request{}
		r.Method, r.Target, r.Path, r.Proto, r.Major, r.Minor = []byte("GET"), []byte("/x"), []byte("/x"), []byte("HTTP/1.1"), 1, 1
		served <- h.ServeHTTP(rec, r)
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		queued := len(dead.turns) == 1
		p.mu.Unlock()
		if queued {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the request was not queued on the worker")
		}
	}
	// The cancel's leader writes the batch, which fails; a cancel's
	// failure is no request's.
	if err := dead.conn.out.Flush(); err == nil {
		t.Fatal("the batch was written to a closed socket")
	}
	// Another worker comes free, and the first request's answer (read
	// before the worker died) is complete: the queued request's turn.
	p.mu.Lock()
	p.live[next] = true
	p.slots[1].w = next
	p.idle = append(p.idle, next)
	p.mu.Unlock()
	p.finished(dead)

	// The other worker gets the request and answers it (an exception:
	// 500).
	got := make(chan byte, 1)
	go func() {
		buf := make([]byte, 64<<10)
		if n, _ := syscall.Read(nextPeer, buf); n >= FrameHeaderLen {
			got <- buf[0]
			syscall.Write(nextPeer, append(AppendFrameHeader(nil, FrameAbort, 3), "err"...))
		}
		close(got)
	}()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request was not answered")
	}
	select {
	case typ := <-got:
		if typ != FrameRequest {
			t.Errorf("the other worker's first frame is %q, want a request", typ)
		}
	case <-time.After(time.Second):
		t.Error("the other worker got no request")
	}
	if rec.status != 500 {
		t.Errorf("status %d (%s), want the other worker's 500", rec.status, rec.body)
	}
}
