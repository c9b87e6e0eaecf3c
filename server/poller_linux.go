//go:build linux

package server

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller is one readiness loop: an epoll instance and the goroutine that
// waits on it.
//
// The goroutine never blocks in epoll_wait. A goroutine blocked in a system
// call keeps its P (the runtime's right to run Go code) until sysmon takes
// it back, which can take up to 10 ms when the process is quiet; with one
// loop per core, all the Ps would sit in epoll_wait, and a worker woken by
// a loop would wait for sysmon before it could answer (measured: ~470 µs
// per kept-alive request on 2 cores, against ~30 µs). Instead the epoll
// descriptor, which is itself pollable, is registered with Go's netpoller
// through an os.File: the loop parks like any goroutine waiting on a
// socket, holding no P, and calls epoll_wait only with a zero timeout.
type poller struct {
	e      *engine
	epfd   int
	file   *os.File // owns epfd, registered with Go's netpoller
	rc     syscall.RawConn
	wakefd int // an eventfd that makes the loop look at e.stopped

	// failed is set once epoll_wait failed: the loop has stopped, and no
	// connection is given to it any more.
	failed    atomic.Bool
	closeOnce sync.Once

	events []unix.EpollEvent // the loop's; filled by pollOnce
	n      int
	werr   error

	// watchers are the armed callbacks of watched connections
	// (watch_linux.go): kept here rather than in pollConn, whose size is
	// every idle connection's budget.
	watchMu  sync.Mutex
	watchers map[*pollConn]func()
}

func newPoller(e *engine) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, err
	}
	// os.NewFile registers a non-blocking descriptor with the netpoller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, err
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		unix.Close(wfd)
		return nil, err
	}
	return &poller{e: e, epfd: epfd, file: f, rc: rc, wakefd: wfd}, nil
}

func (p *poller) wake() {
	var one = [8]byte{1}
	unix.Write(p.wakefd, one[:])
}

// closeFiles closes the epoll and wake-up descriptors, once.
func (p *poller) closeFiles() {
	p.closeOnce.Do(func() {
		p.file.Close()
		unix.Close(p.wakefd)
	})
}

func (p *poller) run() {
	// The callback is made once: a closure made per call would escape
	// through the RawConn interface and allocate on every wake-up.
	p.events = make([]unix.EpollEvent, 256)
	poll := p.pollOnce
	for {
		// Read calls poll at once and again each time the netpoller
		// reports the epoll descriptor readable; it parks the goroutine
		// in between.
		err := p.rc.Read(poll)
		if err == nil {
			err = p.werr
		}
		if err != nil {
			p.fail(err)
			return
		}
		if h := p.e.hooks.Load(); h != nil && h.polled != nil {
			h.polled()
		}
		for i := range p.n {
			ev := &p.events[i]
			fd := int(ev.Fd)
			if fd == p.wakefd {
				if p.e.stopped.Load() {
					p.closeFiles()
					return
				}
				continue
			}
			// The number may belong to a newer connection than the
			// event's: only the generation tells.
			if pc := p.e.table.get(fd); pc != nil && pc.gen == uint32(ev.Pad) {
				pc.notify(ev.Events)
			}
		}
	}
}

// pollOnce takes the ready events without blocking; it reports whether
// there was anything (or an error) to act on.
func (p *poller) pollOnce(fd uintptr) bool {
	if h := p.e.hooks.Load(); h != nil && h.pollErr != nil {
		if err := h.pollErr(p); err != nil {
			p.n, p.werr = 0, err
			return true
		}
	}
	for {
		p.n, p.werr = rawEpollWait(int(fd), p.events)
		if p.werr != unix.EINTR {
			return p.n > 0 || p.werr != nil
		}
	}
}

// fail takes a loop whose epoll_wait failed out of service. No readiness
// will be reported for its connections again, so those parked are closed
// and busy ones made to fail, rather than left to hang until a timeout;
// add gives new connections to the other loops. The loop's descriptors
// stay open until the engine stops, so that an epoll_ctl still on its way
// cannot reach a reused number.
func (p *poller) fail(err error) {
	p.failed.Store(true)
	healthy := 0
	for _, q := range p.e.pollers {
		if !q.failed.Load() {
			healthy++
		}
	}
	p.e.srv.log.Error("epoll_wait failed; the loop stops and its connections are closed",
		"err", err, "loops_left", healthy)
	p.e.table.each(func(pc *pollConn) {
		if pc.p == p {
			pc.fail()
		}
	})
	if p.e.stopped.Load() { // stop may have looked before failed was set
		p.closeFiles()
	}
}
