package wsgi

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/gateway/internal/coalesce"
	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/procpool"
)

// worker is one Python process and the Go end of its socket. It serves one
// request at a time; the pool hands it to one handler at a time, so its
// fields need no lock except where noted.
type worker struct {
	pool  *Pool
	slot  *slot
	proc  process
	conn  *sock
	gen   int // the pool generation (SIGHUP reload) it was started for
	limit int // requests before it is recycled; 0: no limit

	frames frameReader // what the worker sends, read from conn

	// served counts completed requests; the memory watcher reads it too.
	served atomic.Int64
	// timedOut marks a worker killed for running past the timeout, so
	// its replacement is counted as such.
	timedOut atomic.Bool

	// sendMu orders the request frames sent to the worker: they are
	// queued in the order of their places (see Pool.acquire).
	sendMu sync.Mutex
	// seq counts the requests sent, under sendMu: the worker numbers
	// them alike, and a cancel frame names the request it is for.
	seq uint32

	// inflight counts the requests given a place on the worker whose
	// response has not been read whole: the one it runs and those queued
	// behind it, whose calls wait in turns, in the order they were sent.
	// streaming: the response being read is a stream, and nothing more
	// is queued behind it. broken: discard killed it. Under pool.mu.
	inflight  int
	turns     []*call
	streaming bool
	broken    bool
	// lastQueued is when a request was last queued behind another here
	// (Pool.saturated). Under pool.mu.
	lastQueued time.Time
	// headSince is when the request wk runs began (its send, or the end
	// of the one before); usual is how long wk's answers took of late,
	// from headSince to their end. Under pool.mu.
	headSince time.Time
	usual     time.Duration
	// sleeps: wk's requests may sleep (a database, a network call), so
	// nothing is packed onto it (pack.go); samples holds the last four
	// samples its end frames carried, a bit each, set when blocked.
	// Under pool.mu.
	sleeps  bool
	samples uint8

	// retiring marks a worker to leave service once idle: its slot has
	// started its replacement. Set under pool.mu.
	retiring bool
	// recycle asks the slot for a replacement (max requests, max memory,
	// reload); sent to at most once, under pool.mu.
	recycleAsked bool

	// out turns what the worker prints into log records, and collects a
	// stuck worker's stack dump.
	out pyproc.Output
}

// errStartup is a worker that could not load the application: the
// Python traceback, to show the operator.
type errStartup struct {
	module    string
	traceback string
}

func (e *errStartup) Error() string {
	return fmt.Sprintf("wsgi: the worker could not load %s:\n%s", e.module, strings.TrimRight(e.traceback, "\n"))
}

// errStartAborted is a start given up because another worker of the same
// generation failed to start.
var errStartAborted = errors.New("wsgi: worker start aborted")

// spawn starts one worker and waits until it is ready or has failed. A
// close of abort (nil: never) gives up the start, as the pool's Close does.
// With Preload the worker is forked by the generation's zygote.
func (p *Pool) spawn(gen int, abort <-chan struct{}) (*worker, error) {
	// No answer yet: not known to be quick, nor not to sleep.
	w := &worker{pool: p, gen: gen, usual: pipelineWindow, sleeps: true, samples: sampleHistory}
	w.out = pyproc.Output{Log: p.log, Kind: "wsgi"}
	var proc process
	if p.cfg.Preload {
		z, err := p.zygoteFor(gen, abort)
		if err != nil {
			return nil, err
		}
		fp, conn, err := z.fork(w.out.Line, p.cfg.StartTimeout)
		if err != nil {
			return nil, err
		}
		w.conn, proc = conn, fp
	} else {
		fds, err := pyproc.SocketPair()
		if err != nil {
			return nil, fmt.Errorf("wsgi: socketpair: %w", err)
		}
		theirs := os.NewFile(uintptr(fds[1]), "wsgi-worker-peer")
		w.conn = newSock(fds[0])
		pp, err := procpool.Start(procpool.Spec{
			Path:       p.python,
			Args:       []string{p.script, p.cfg.App, p.mode()},
			Dir:        p.cfg.Dir,
			Env:        p.env,
			ExtraFiles: []*os.File{theirs},
			Output:     w.out.Line,
		})
		theirs.Close()
		if err != nil {
			w.conn.Close()
			// exec blames the interpreter for a working directory that
			// is gone (removed since the pool started).
			if derr := checkDir(p.cfg); derr != nil {
				return nil, derr
			}
			return nil, fmt.Errorf("wsgi: cannot start %s: %w (install Python 3 or pass --python)", p.python, err)
		}
		proc = pp
	}
	w.conn.writeTimeout = p.cfg.Timeout
	w.frames = newFrameReader(w.conn, frameBufferSize, maxControlFrame)
	w.proc = proc
	w.out.SetPid(proc.Pid())
	w.limit = p.cfg.RequestLimit()
	typ, payload, err := p.awaitReady(w.conn, &w.frames, proc, abort)
	switch {
	case err != nil:
		if errors.Is(err, errExitedEarly) {
			w.out.Flush()
		}
	case typ == FrameReady:
		p.log.Info("wsgi worker ready", "pid", proc.Pid(), "info", string(payload))
		return w, nil
	case typ == FrameFatal:
		err = &errStartup{module: p.cfg.App, traceback: string(payload)}
	default:
		err = fmt.Errorf("wsgi: worker sent frame %q before ready", typ)
	}
	w.kill()
	return nil, err
}

// errExitedEarly is a process that ended before it said it was ready.
var errExitedEarly = errors.New("exited before it was ready")

// mode is the worker's second argument: whether it is one of several.
func (p *Pool) mode() string {
	if p.cfg.Workers > 1 {
		return "multiprocess"
	}
	return "singleprocess"
}

// awaitReady reads the first frame of a starting worker or zygote within
// StartTimeout. Readiness is a frame on the socket, never an exit code.
// Close (or abort) does not wait out an import: it kills the process,
// which ends the read.
func (p *Pool) awaitReady(conn *sock, frames *frameReader, proc process, abort <-chan struct{}) (byte, []byte, error) {
	conn.SetDeadline(time.Now().Add(p.cfg.StartTimeout))
	readDone := make(chan struct{})
	var stopped atomic.Pointer[error]
	go func() {
		select {
		case <-p.closing:
			stopped.Store(&errPoolClosed)
			proc.Kill()
		case <-abort:
			stopped.Store(&errStartAborted)
			proc.Kill()
		case <-readDone:
		}
	}()
	typ, payload, err := frames.readFrame()
	close(readDone)
	if why := stopped.Load(); why != nil {
		conn.Close()
		proc.Kill()
		<-proc.Done()
		return 0, nil, *why
	}
	conn.SetDeadline(time.Time{})
	switch {
	case err == nil:
		return typ, payload, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, nil, fmt.Errorf("wsgi: worker for %s not ready after %v (raise --start-timeout if the app is slow to import)", p.cfg.App, p.cfg.StartTimeout)
	}
	proc.Kill()
	<-proc.Done()
	return 0, nil, fmt.Errorf("wsgi: worker for %s %w (%s); its output is in the log above", p.cfg.App, errExitedEarly, proc.Exit())
}

// dumpStack asks the worker's faulthandler for every thread's Python stack
// and returns it, for the log line that says where a request hung.
func (w *worker) dumpStack() string { return w.out.DumpStack(w.proc) }

// kill ends the worker at once and closes its socket.
func (w *worker) kill() {
	w.conn.Close()
	if w.proc != nil {
		w.proc.Kill()
	}
}

// stop ends an idle worker gracefully: closing its socket makes it leave
// its loop; a worker that does not is killed after a grace period.
func (w *worker) stop(grace time.Duration) {
	w.conn.Close()
	select {
	case <-w.proc.Done():
	case <-time.After(grace):
		// worker.py ignores SIGTERM (systemd sends it to the whole
		// service), so there is no gentler signal to try first.
		w.proc.Kill()
		<-w.proc.Done()
	}
}

// send numbers c's request frame for the worker and queues it (c.sent
// names it), or writes it when it is too large to copy or carries the
// body's descriptor; the caller holds sendMu, so that frames are queued in
// the order of their places. lead says the caller leads the batch: it must
// call w.conn.out.Sent(c.sent), after giving sendMu back (Pool.sent) so
// that the requests runnable meanwhile can be queued behind it and join
// the batch.
//
// A follower's frame is written by the leader, which may be a cancel,
// whose failure no request sees. So every request learns from Sent
// whether its own frame reached the worker before it reads an answer: one
// at the head of the worker at once, one queued behind another when its
// turn comes (the request before it may have been answered whole before
// the write failed). A request whose frame did not reach the worker goes
// to another, as it did when its own write failed.
func (w *worker) send(c *call, body *os.File) (lead bool, err error) {
	w.seq++
	c.seq = w.seq
	c.sent = 0
	switch {
	case body != nil:
		return false, w.conn.writeDirect(c.frame, int(body.Fd()))
	case len(c.frame) > coalesce.MaxQueued:
		return false, w.conn.writeDirect(c.frame, -1)
	}
	c.sent, lead, err = w.conn.out.Add(c.frame, nil)
	return lead, err
}

// cancel tells the worker to stop request seq, or to skip it if it has
// not started it: its client went away, or its response ran past
// MaxStream. A cancel for a request already answered is ignored. The
// request's frame is queued already, so the cancel follows it; it goes
// out with the batch being gathered, if there is one.
func (w *worker) cancel(seq uint32) {
	var buf [cancelFrameLen]byte
	if _, lead, err := w.conn.out.Add(AppendCancel(buf[:0], seq), nil); lead && err == nil {
		w.conn.out.Flush()
	}
}
