package wsgi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/procpool"
)

// Zygote frames (python/zygote.py), beside the worker's 'R' and 'X'.
const (
	frameFork   byte = 'F' // Brick to zygote: fork a worker (socket and pipe attached)
	frameForked byte = 'P' // zygote to Brick: the pid of the worker forked
	frameExited byte = 'W' // zygote to Brick: a worker ended: pid, then how
)

// zygote is the Python process that imported the application of one
// generation once (Config.Preload) and forks its workers. Brick starts and
// supervises it as it does a worker; the workers it forks are watched
// through pidfds (forkedProc).
type zygote struct {
	gen    int
	proc   *procpool.Process
	conn   *sock
	frames frameReader

	forkMu  sync.Mutex     // one fork at a time, so replies pair with requests
	replies chan forkReply // from 'P' frames
	dead    chan struct{}

	mu    sync.Mutex
	kids  map[int]*forkedProc
	early map[int]string // exits reported before their fork was adopted

	// testForked runs between a fork's answer and the adoption of its
	// worker, a window tests widen (Pool.testForked; nil in production).
	testForked func()
}

// zygoteStart is a zygote being started: those who need the same
// generation's zygote meanwhile wait for its outcome.
type zygoteStart struct {
	done chan struct{}
	err  error // set before done is closed
}

// errGenRetired is a worker asked for a generation that a Reload has
// replaced since: the slot has a worker of the new one already.
var errGenRetired = errors.New("wsgi: the generation was replaced by a reload")

// forkReply is the zygote's answer to a fork frame: the worker's pid, or
// 0 and why the fork failed (a process limit, no memory).
type forkReply struct {
	pid int
	err string
}

// zygoteFor returns the live zygote of generation gen, starting it when
// there is none (the first worker of a generation, or after the zygote
// died). An application that fails to import fails here, once for the
// whole generation: those who waited for the same start share its error.
// A start holds up no other generation: while a Reload's new zygote
// imports, the old one forks replacements for the workers that die. No
// zygote is started for a generation a Reload retired (errGenRetired), nor
// once the pool closes.
func (p *Pool) zygoteFor(gen int, abort <-chan struct{}) (*zygote, error) {
	for {
		p.zmu.Lock()
		if z := p.zygotes[gen]; z != nil {
			select {
			case <-z.dead:
				p.log.Warn("wsgi zygote exited; starting another", "pid", z.proc.Pid(), "exit", z.proc.Exit())
				delete(p.zygotes, gen)
			default:
				p.zmu.Unlock()
				return z, nil
			}
		}
		if st := p.zstarts[gen]; st != nil {
			p.zmu.Unlock()
			select {
			case <-st.done:
				if st.err != nil {
					return nil, st.err
				}
				continue
			case <-abort:
				return nil, errStartAborted
			case <-p.closing:
				return nil, errPoolClosed
			}
		}
		p.mu.Lock()
		retired := gen < p.gen
		p.mu.Unlock()
		var err error
		switch {
		case p.stopping():
			err = errPoolClosed
		case retired:
			err = errGenRetired
		case closed(abort):
			err = errStartAborted
		}
		if err != nil {
			p.zmu.Unlock()
			return nil, err
		}
		st := &zygoteStart{done: make(chan struct{})}
		p.zstarts[gen] = st
		p.zmu.Unlock()

		z, err := p.startZygote(gen, abort)
		p.zmu.Lock()
		delete(p.zstarts, gen)
		if err == nil && p.stopping() {
			// Close took the zygotes already, or is about to find this
			// one gone: it is stopped here.
			err = errPoolClosed
		} else if err == nil {
			p.zygotes[gen] = z
		}
		st.err = err
		close(st.done)
		p.zmu.Unlock()
		if err != nil {
			if z != nil {
				z.stop()
			}
			return nil, err
		}
		return z, nil
	}
}

// closed reports whether c (nil: never) is closed.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// dropZygotes retires the zygotes of the generations keep says no to:
// each stops once the workers it forked have all ended, so that it, their
// parent, reaps them (were it gone, they would be orphans for init to
// reap, and a Brick that is process 1 in a container never would).
func (p *Pool) dropZygotes(keep func(gen int) bool) {
	p.zmu.Lock()
	var stop []*zygote
	for g, z := range p.zygotes {
		if !keep(g) {
			stop = append(stop, z)
			delete(p.zygotes, g)
		}
	}
	p.zmu.Unlock()
	for _, z := range stop {
		p.zwg.Go(func() { z.stopWhenIdle(p.closing) })
	}
}

// stopWhenIdle stops the zygote once none of its workers lives, or at
// once when closing is closed (the pool's Close then stops them all).
func (z *zygote) stopWhenIdle(closing <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		z.mu.Lock()
		n := len(z.kids)
		z.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-t.C:
		case <-z.dead:
		case <-closing:
		}
		select {
		case <-z.dead:
		case <-closing:
		default:
			continue
		}
		break
	}
	z.stop()
}

// startZygote starts the zygote of generation gen and waits until it has
// imported the application.
func (p *Pool) startZygote(gen int, abort <-chan struct{}) (*zygote, error) {
	fds, err := pyproc.SocketPair()
	if err != nil {
		return nil, fmt.Errorf("wsgi: socketpair: %w", err)
	}
	theirs := os.NewFile(uintptr(fds[1]), "wsgi-zygote-peer")
	z := &zygote{gen: gen, conn: newSock(fds[0]), replies: make(chan forkReply, 1), dead: make(chan struct{}),
		kids: map[int]*forkedProc{}, early: map[int]string{}, testForked: p.testForked}
	z.frames = newFrameReader(z.conn, frameBufferSize, maxControlFrame)
	var zpid atomic.Int64
	proc, err := procpool.Start(procpool.Spec{
		Path:       p.python,
		Args:       []string{p.zygoteScript, p.cfg.App, p.mode()},
		Dir:        p.cfg.Dir,
		Env:        p.env,
		ExtraFiles: []*os.File{theirs},
		Output: func(line []byte) {
			p.log.Info("wsgi zygote output", "pid", zpid.Load(), "text", string(line))
		},
	})
	theirs.Close()
	if err != nil {
		z.conn.Close()
		if derr := checkDir(p.cfg); derr != nil {
			return nil, derr
		}
		return nil, fmt.Errorf("wsgi: cannot start %s: %w (install Python 3 or pass --python)", p.python, err)
	}
	zpid.Store(int64(proc.Pid()))
	z.proc = proc
	typ, payload, err := p.awaitReady(z.conn, &z.frames, proc, abort)
	switch {
	case err != nil:
	case typ == FrameReady:
		p.log.Info("wsgi zygote ready: the application is imported once, workers are forked from it", "pid", proc.Pid(), "generation", gen, "info", string(payload))
		go z.read()
		go z.watchExit()
		return z, nil
	case typ == FrameFatal:
		err = &errStartup{module: p.cfg.App, traceback: string(payload)}
	default:
		err = fmt.Errorf("wsgi: zygote sent frame %q before ready", typ)
	}
	z.conn.Close()
	proc.Kill()
	<-proc.Done()
	return nil, err
}

// watchExit ends the zygote's reports (read, and so dead) once it has
// exited. The end of its socket alone may never come: a process the
// application started at import, and that left the zygote's process group
// (a daemon: procpool's kill of the group misses it), holds the zygote's
// end open. The reports already sent are read first.
func (z *zygote) watchExit() {
	<-z.proc.Done()
	z.conn.shutdownRead()
}

// read takes the zygote's reports until its socket ends.
func (z *zygote) read() {
	defer close(z.dead)
	for {
		typ, payload, err := z.frames.readFrame()
		if err != nil || len(payload) < 4 || typ != frameForked && typ != frameExited {
			z.conn.Close()
			return
		}
		pid := int(binary.LittleEndian.Uint32(payload))
		if typ == frameForked {
			z.replies <- forkReply{pid: pid, err: string(payload[4:])}
			continue
		}
		how := string(payload[4:])
		z.mu.Lock()
		fp := z.kids[pid]
		delete(z.kids, pid)
		if fp == nil {
			z.early[pid] = how
		}
		z.mu.Unlock()
		if fp != nil {
			fp.reported(how)
		}
	}
}

// fork asks the zygote for a worker whose end of the socket is conn and
// whose output goes to output.
func (z *zygote) fork(output func([]byte), timeout time.Duration) (*forkedProc, *sock, error) {
	fds, err := pyproc.SocketPair()
	if err != nil {
		return nil, nil, fmt.Errorf("wsgi: socketpair: %w", err)
	}
	conn := newSock(fds[0])
	pr, pw, err := os.Pipe()
	if err != nil {
		syscall.Close(fds[1])
		conn.Close()
		return nil, nil, err
	}
	z.forkMu.Lock()
	err = z.conn.WriteWithFD(AppendFrameHeader(nil, frameFork, 0), fds[1], int(pw.Fd()))
	syscall.Close(fds[1])
	pw.Close()
	var pid int
	if err == nil {
		select {
		case r := <-z.replies:
			pid = r.pid
			if pid == 0 {
				err = fmt.Errorf("wsgi: the zygote could not fork a worker: %s", r.err)
			}
		case <-z.dead:
			err = errors.New("wsgi: the zygote died")
		case <-time.After(timeout):
			// A zygote that does not answer is stuck (a fork hook, a
			// lock taken at import), and a late answer would be taken
			// for the next fork's: it is killed, and the next worker
			// needed comes from a new one.
			err = fmt.Errorf("wsgi: the zygote did not fork a worker within %v; killed it, a new one starts for the next worker", timeout)
			z.proc.Kill()
			<-z.dead
		}
	}
	z.forkMu.Unlock()
	if err != nil {
		pr.Close()
		conn.Close()
		return nil, nil, err
	}
	if z.testForked != nil {
		z.testForked()
	}
	fp, err := adopt(pid, pr, output)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	z.mu.Lock()
	how, early := z.early[pid]
	delete(z.early, pid)
	if !early {
		z.kids[pid] = fp
	}
	z.mu.Unlock()
	if early {
		fp.reported(how)
	}
	return fp, conn, nil
}

// stop ends the zygote: closing its socket makes it leave; its workers
// are not its to stop.
func (z *zygote) stop() {
	z.conn.Close()
	select {
	case <-z.proc.Done():
	case <-time.After(closeGrace):
		z.proc.Kill()
		<-z.proc.Done()
	}
}
