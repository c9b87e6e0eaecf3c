package cgi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/brick-server/brick/gateway/cgienv"
	"github.com/brick-server/brick/internal/procpool"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// ErrNoHeader means the script's output has no header block: it ended
// before the empty line that ends one.
var ErrNoHeader = errors.New("cgi: the script's output ended before the empty line that ends its header block")

// maxHeader bounds a script's header block; a longer one is 502.
const maxHeader = 64 << 10

// outputGrace bounds the wait for the end of a script's standard error
// once the script has been reaped.
const outputGrace = 500 * time.Millisecond

// readSize is the size of the reads from a script's output: each read is
// written and flushed at once, so a script that writes slowly streams.
const readSize = 32 << 10

// proc is one running script: its own process group, so that a timeout
// kills whatever it started too.
type proc struct {
	cmd    *exec.Cmd
	child  *procpool.Child
	out    *os.File // read end of its standard output
	errOut *os.File // read end of its standard error, read by logStderr
	killed atomic.Bool
	stop   func() bool // disarms the kill armed on the deadline
	logged chan struct{}
}

// kill kills the script's whole process group; once the script has been
// reaped it does nothing.
func (p *proc) kill() {
	p.killed.Store(true)
	p.child.Kill()
}

// wait closes the output, reaps the script and waits for its standard
// error to be logged. A script that lingers after its output is closed is
// killed at the deadline, as any other.
func (p *proc) wait() error {
	p.out.Close()
	err := p.child.Wait()
	p.stop()
	// What the script wrote is in the pipe already; only a process that
	// left its group can hold standard error open longer.
	p.errOut.SetReadDeadline(time.Now().Add(outputGrace))
	<-p.logged
	return err
}

// timedOut reports whether the script was killed at its deadline, rather
// than having exited before (a kill then reaches a zombie, or nothing).
func (p *proc) timedOut() bool {
	if !p.killed.Load() {
		return false
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return !ok || ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// start starts the script with its environment and body, its standard
// output and error on pipes, and its kill armed on ctx.
func (h *Handler) start(ctx context.Context, s script, env []string, stdin *os.File) (*proc, error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd := &exec.Cmd{
		Path: s.file, Args: []string{s.file}, Env: env,
		// RFC 3875 §7.2: the current directory is the script's.
		Dir:    filepath.Dir(s.file),
		Stdout: outW, Stderr: errW,
	}
	if stdin != nil {
		cmd.Stdin = stdin
	}
	// A process group of its own, which the timeout kills whole, and
	// death with Brick.
	child, err := procpool.StartChild(cmd)
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, child: child, out: outR, errOut: errR, logged: make(chan struct{})}
	p.stop = context.AfterFunc(ctx, p.kill)
	if d, ok := ctx.Deadline(); ok {
		// Also for output held open by a process that left the group.
		outR.SetReadDeadline(d)
		errR.SetReadDeadline(d.Add(time.Second))
	}
	go h.logStderr(errR, s.name, p.logged)
	return p, nil
}

// run runs the script and relays its response.
func (h *Handler) run(w web.ResponseWriter, r *web.Request, s script, env []string, stdin *os.File) error {
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.Timeout)
	defer cancel()
	p, err := h.start(ctx, s, env, stdin)
	if err != nil {
		return web.Error(502, fmt.Errorf("cgi: %s: cannot run %s (%w); is it a program, or a script whose first line names its interpreter (#!/bin/sh)?", s.name, s.file, err))
	}

	buf := make([]byte, 0, readSize)
	block, body := -1, -1
	for block < 0 {
		if len(buf) == cap(buf) {
			if len(buf) >= maxHeader {
				p.kill()
				p.wait()
				return web.Error(502, fmt.Errorf("cgi: %s: header block longer than %d KiB", s.name, maxHeader>>10))
			}
			buf = append(buf, make([]byte, readSize)...)[:len(buf)]
		}
		n, rerr := p.out.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		block, body = cgienv.HeadEnd(buf)
		if block < 0 && rerr != nil {
			if errors.Is(rerr, os.ErrDeadlineExceeded) {
				p.kill()
			}
			exit := p.wait()
			return h.noHeader(s, p, exit)
		}
	}
	var fields wire.Header
	head, err := cgienv.ParseResponseHead(buf[:block], &fields)
	if err != nil {
		p.kill()
		p.wait()
		return web.Error(502, fmt.Errorf("cgi: %s: %w", s.name, err))
	}
	if head.LocalRedirect() {
		// No body goes with a local redirect (RFC 3875 §6.2.2): let the
		// script finish, then serve the path it named.
		if exit := p.wait(); p.timedOut() {
			return web.Error(504, fmt.Errorf("cgi: %s: ran past its timeout (%v)", s.name, h.cfg.Timeout))
		} else if exit != nil {
			h.log.Warn("cgi: script failed after a local redirect; following it", "script", s.name, "exit", exit)
		}
		return h.localRedirect(w, r, string(head.Location))
	}
	status := writeHead(w, &head, &fields)
	return h.relay(w, s, p, buf[body:], wire.BodyAllowed(status))
}

// noHeader answers a script whose output ended, or whose time ran out,
// before its header block did.
func (h *Handler) noHeader(s script, p *proc, exit error) error {
	if p.timedOut() {
		return web.Error(504, fmt.Errorf("cgi: %s: ran past its timeout (%v) before sending its header block; killed", s.name, h.cfg.Timeout))
	}
	var ee *exec.ExitError
	if errors.As(exit, &ee) {
		return web.Error(502, fmt.Errorf("cgi: %s: %v before ending its header block (see its standard error in the log)", s.name, exit))
	}
	return web.Error(502, fmt.Errorf("cgi: %s: %w", s.name, ErrNoHeader))
}

// writeHead sends the script's status and fields, and returns the status.
// A field the route set (headers = ...) is replaced by the script's of the
// same name; repeated script fields are all sent. The script's
// Content-Length is dropped: the script's output ends when it exits, and
// the server frames what it relays.
func writeHead(w web.ResponseWriter, head *cgienv.ResponseHead, fields *wire.Header) int {
	hd := w.Header()
	all := fields.Fields()
	for i, f := range all {
		name := string(f.Name)
		if wire.EqualFold(f.Name, "Content-Length") {
			continue
		}
		repeated := false
		for _, g := range all[:i] {
			if wire.EqualFold(g.Name, name) {
				repeated = true
				break
			}
		}
		if !repeated {
			hd.Del(name)
		}
		hd.AddBytes(f.Name, f.Value)
	}
	status := head.Code()
	w.WriteHeader(status)
	return status
}

// relay streams the script's output after its header block to the client,
// flushing after each read so that a script that writes slowly streams. A
// response the client must not get a body with is read and dropped, so
// the script does not die of SIGPIPE.
func (h *Handler) relay(w web.ResponseWriter, s script, p *proc, first []byte, bodyAllowed bool) error {
	buf := first[len(first):cap(first)]
	if len(buf) < readSize/2 {
		buf = make([]byte, readSize)
	}
	data := first
	for {
		if len(data) > 0 && bodyAllowed {
			if _, err := w.Write(data); err != nil {
				p.kill()
				p.wait()
				return err
			}
			if err := web.Flush(w); err != nil && !errors.Is(err, web.ErrNotSupported) {
				// A writer that cannot flush sends at its end.
				p.kill()
				p.wait()
				return err
			}
		}
		n, rerr := p.out.Read(buf)
		data = buf[:n]
		if rerr == nil || n > 0 {
			continue
		}
		late := errors.Is(rerr, os.ErrDeadlineExceeded)
		if late {
			p.kill()
		}
		exit := p.wait()
		if late || p.timedOut() {
			return fmt.Errorf("cgi: %s: ran past its timeout (%v); response cut", s.name, h.cfg.Timeout)
		}
		if exit != nil {
			h.log.Warn("cgi: script failed after its header block", "script", s.name, "exit", exit)
		}
		return nil
	}
}
