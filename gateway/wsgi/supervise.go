package wsgi

import (
	"errors"
	"strings"
	"time"

	"github.com/brick-server/brick/internal/procpool"
)

// slot owns one worker position. Its goroutine (run) restarts the worker
// when it dies and replaces it when it must be recycled; Reload swaps a
// new generation into every slot at once.
type slot struct {
	// w is the slot's worker in service; nil while a dead one's
	// replacement starts. Under Pool.mu.
	w *worker
	// wake tells the slot's goroutine to look again: a recycle was asked
	// for, or Reload gave the slot a new worker.
	wake chan struct{}
}

// poke wakes the slot's goroutine; a wake already pending covers this one.
func (s *slot) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Delays between attempts to start a worker.
var (
	// restartBackoff paces restarts after a worker died or its
	// replacement failed to start while none serves.
	restartBackoff = procpool.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second, Stable: 10 * time.Second}
	// recycleBackoff paces new attempts at a recycle whose replacement
	// failed to start while the old worker serves on: its application
	// may now fail to import, and an attempt costs a whole interpreter
	// start, so they must not follow each other at once.
	recycleBackoff = procpool.Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}
)

// run keeps the slot's worker alive and recycles it when asked.
func (p *Pool) run(s *slot) {
	defer p.wg.Done()
	crash, failed := restartBackoff, recycleBackoff
	var retry *time.Timer // the next attempt at a recycle that failed
	var retryFor *worker  // the worker it would replace
	for {
		p.mu.Lock()
		w := s.w
		p.mu.Unlock()
		if w == nil {
			if !p.restart(s, &crash, 0) {
				return
			}
			continue
		}
		if retry != nil && retryFor != w {
			// The worker that could not be replaced is gone: whatever
			// follows starts afresh.
			retry.Stop()
			retry, retryFor = nil, nil
			failed.Reset()
		}
		if retry == nil && p.wantsReplacement(w) {
			err := p.replace(s, w)
			if errors.Is(err, errPoolClosed) {
				return
			}
			if err != nil {
				d := failed.Next(0)
				p.log.Error("wsgi: replacement worker failed to start; the old one keeps serving", "pid", w.proc.Pid(), "retry_in", d.String(), "err", err)
				retry, retryFor = time.NewTimer(d), w
			} else {
				retryFor = nil
				failed.Reset()
			}
			continue
		}
		var retryC <-chan time.Time
		if retry != nil {
			retryC = retry.C
		}
		select {
		case <-w.proc.Done():
			p.mu.Lock()
			current := s.w == w
			if current {
				s.w = nil
			}
			p.mu.Unlock()
			if !current {
				continue // retired by Reload, which delists it
			}
			p.delist(w)
			select {
			case <-p.closing:
				return // stopped by Close, not a failure to report
			default:
			}
			reason := "crash"
			if w.timedOut.Load() {
				reason = "timeout"
			}
			p.countRestart(reason)
			p.log.Warn("wsgi worker exited; starting a replacement", "pid", w.proc.Pid(), "exit", w.proc.Exit(), "served", w.served.Load())
			if !p.restart(s, &crash, crash.Next(w.proc.Uptime())) {
				return
			}
		case <-s.wake:
		case <-retryC:
			retry = nil // retryFor stays: the attempt is for the same worker
		case <-p.closing:
			if retry != nil {
				retry.Stop()
			}
			return
		}
	}
}

// restart fills s, whose worker died, after waiting delay: it starts a
// worker, and waits and tries again while none can start. It returns when
// s has a worker (its own, or one a Reload gave it), and reports false
// when the pool closed instead.
func (p *Pool) restart(s *slot, b *procpool.Backoff, delay time.Duration) bool {
	for {
		if delay > 0 && !p.sleep(s, delay) {
			return false
		}
		p.mu.Lock()
		gen, filled := p.gen, s.w != nil
		p.mu.Unlock()
		if filled {
			return true
		}
		nw, err := p.spawn(gen, nil)
		if errors.Is(err, errPoolClosed) {
			return false
		}
		if errors.Is(err, errGenRetired) {
			delay = 0 // a Reload filled s meanwhile: the loop sees it
			continue
		}
		if err != nil {
			delay = b.Next(0)
			p.log.Error("wsgi worker failed to start; retrying", "retry_in", delay.String(), "err", err)
			continue
		}
		p.mu.Lock()
		switch {
		case p.closed:
			p.mu.Unlock()
			nw.stop(time.Second)
			return false
		case s.w != nil && s.w.gen >= nw.gen:
			// A Reload filled the slot while this one started.
			p.mu.Unlock()
			go nw.stop(time.Second)
			return true
		}
		p.installLocked(s, nw)
		p.mu.Unlock()
		return true
	}
}

// sleep waits d, or less when a Reload fills s meanwhile; it reports false
// when the pool closed.
func (p *Pool) sleep(s *slot, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-s.wake:
			p.mu.Lock()
			filled := s.w != nil
			p.mu.Unlock()
			if filled {
				return true
			}
		case <-p.closing:
			return false
		}
	}
}

// wantsReplacement reports whether w must be recycled: it was asked to
// be, or it runs the code of a generation before the one in service.
func (p *Pool) wantsReplacement(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && !w.retiring && (w.recycleAsked || w.gen < p.gen)
}

// replace starts w's successor and swaps it into s. When the successor
// cannot start, w keeps serving and the error is returned.
func (p *Pool) replace(s *slot, w *worker) error {
	p.mu.Lock()
	gen := p.gen
	p.mu.Unlock()
	nw, err := p.spawn(gen, nil)
	if errors.Is(err, errGenRetired) {
		return nil // a Reload replaced w meanwhile
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		go nw.stop(time.Second)
		return errPoolClosed
	}
	if s.w != w && s.w != nil && s.w.gen >= nw.gen {
		// A Reload replaced w while its successor started.
		go nw.stop(time.Second)
		return nil
	}
	p.installLocked(s, nw)
	return nil
}

// installLocked makes nw s's worker and puts it in service; the worker it
// replaces, if any, is retired. The caller holds p.mu and has checked that
// the pool is open.
func (p *Pool) installLocked(s *slot, nw *worker) {
	old := s.w
	s.w, nw.slot = nw, s
	p.live[nw] = true
	p.lendLocked(nw)
	if old != nil {
		p.retireLocked(old)
	}
}

// retireLocked marks w to leave service: at once if idle, else when its
// request ends. It is delisted once it has exited. Under p.mu.
func (p *Pool) retireLocked(w *worker) {
	w.retiring = true
	for i, iw := range p.idle {
		if iw == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			go w.stop(p.cfg.Grace)
			break
		}
	}
	go func() {
		<-w.proc.Done()
		p.delist(w)
	}()
}

// delist takes a dead or retired worker out of service.
func (p *Pool) delist(w *worker) {
	p.mu.Lock()
	delete(p.live, w)
	for i, iw := range p.idle {
		if iw == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	w.conn.Close()
}

// askRecycle asks w's slot for a replacement, once. Until the slot has
// one ready, w serves on.
func (p *Pool) askRecycle(w *worker, why string) {
	p.mu.Lock()
	if w.recycleAsked || w.retiring || p.closed {
		p.mu.Unlock()
		return
	}
	w.recycleAsked = true
	p.mu.Unlock()
	p.log.Info("wsgi worker recycling", "pid", w.proc.Pid(), "why", why, "served", w.served.Load())
	p.countRestart(strings.ReplaceAll(why, " ", "_"))
	w.slot.poke()
}
