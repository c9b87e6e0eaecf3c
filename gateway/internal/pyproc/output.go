package pyproc

import (
	"bytes"
	"log/slog"
	"sync"
	"syscall"
	"time"
)

// Output turns what a worker prints (the application's prints, Python
// warnings and tracebacks) into log records: lines that come in one burst
// make one record, so a traceback reads as one entry. Its Line method is
// a procpool.Spec.Output.
type Output struct {
	Log  *slog.Logger
	Kind string // "asgi" or "wsgi", for the record's message

	mu      sync.Mutex
	pid     int
	capture *bytes.Buffer
	burst   bytes.Buffer
	timer   *time.Timer
}

// SetPid names the process in the records, once it is known.
func (o *Output) SetPid(pid int) {
	o.mu.Lock()
	o.pid = pid
	o.mu.Unlock()
}

// Line collects one line.
func (o *Output) Line(line []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.capture != nil {
		o.capture.Write(line)
		o.capture.WriteByte('\n')
		return
	}
	if o.burst.Len() > 0 {
		o.burst.WriteByte('\n')
	}
	o.burst.Write(line)
	if o.burst.Len() >= 64<<10 {
		o.flushLocked()
		return
	}
	if o.timer == nil {
		o.timer = time.AfterFunc(20*time.Millisecond, o.Flush)
	} else {
		o.timer.Reset(20 * time.Millisecond)
	}
}

// Flush logs the burst collected so far.
func (o *Output) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
}

func (o *Output) flushLocked() {
	if o.burst.Len() == 0 {
		return
	}
	o.Log.Info(o.Kind+" worker output", "pid", o.pid, "text", o.burst.String())
	o.burst.Reset()
}

// Signaller is the part of a process DumpStack uses: a procpool.Process,
// or a worker forked by a zygote.
type Signaller interface {
	Signal(sig syscall.Signal) error
	WaitQuiet(quiet, limit time.Duration)
}

// DumpStack asks the process's faulthandler (registered on SIGUSR1 by
// the worker) for every thread's Python stack and returns it.
func (o *Output) DumpStack(p Signaller) string {
	var b bytes.Buffer
	o.mu.Lock()
	o.flushLocked()
	o.capture = &b
	o.mu.Unlock()
	if p.Signal(syscall.SIGUSR1) == nil {
		p.WaitQuiet(200*time.Millisecond, 3*time.Second)
	}
	o.mu.Lock()
	o.capture = nil
	o.mu.Unlock()
	return b.String()
}
