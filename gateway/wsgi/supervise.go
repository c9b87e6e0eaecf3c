package wsgi

import (
	"errors"
	"strings"
	"time"

	"github.com/brick-server/brick/internal/procpool"
)

// slot owns one worker position.
type slot struct {
	recycle chan *worker // asks for a replacement of this worker
}

// run keeps the slot's worker alive. w is its first worker, or nil.
func (p *Pool) run(s *slot, w *worker) {
	defer p.wg.Done()
	backoff := procpool.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second, Stable: 10 * time.Second}
	for {
		for w == nil {
			p.mu.Lock()
			gen := p.gen
			p.mu.Unlock()
			nw, err := p.spawn(gen)
			if err == nil {
				w = nw
				w.slot = s
				p.enlist(w)
				break
			}
			if errors.Is(err, errPoolClosed) {
				return
			}
			p.log.Error("wsgi worker failed to start; retrying", "err", err)
			select {
			case <-time.After(backoff.Next(0)):
			case <-p.closing:
				return
			}
		}
		// A worker started before a Reload runs the old code: replace it.
		p.checkGen(w)
		select {
		case <-w.proc.Done():
			p.delist(w)
			select {
			case <-p.closing:
				return // stopped by Close, not a failure to report
			default:
			}
			if !w.retiring {
				reason := "crash"
				if w.timedOut.Load() {
					reason = "timeout"
				}
				p.countRestart(reason)
				p.log.Warn("wsgi worker exited; starting a replacement", "pid", w.proc.Pid(), "exit", w.proc.Exit(), "served", w.served.Load())
				select {
				case <-time.After(backoff.Next(w.proc.Uptime())):
				case <-p.closing:
					return
				}
			}
			w = nil
		case old := <-s.recycle:
			if old != w {
				continue // a request for a worker that already left
			}
			p.mu.Lock()
			gen := p.gen
			p.mu.Unlock()
			nw, err := p.spawn(gen)
			if errors.Is(err, errPoolClosed) {
				return
			}
			if err != nil {
				// The old worker keeps serving: a reload whose new code
				// does not import must not take the site down.
				p.log.Error("wsgi: replacement worker failed to start; the old one keeps serving", "err", err)
				p.mu.Lock()
				old.recycleAsked = false
				p.mu.Unlock()
				continue
			}
			nw.slot = s
			p.enlist(nw)
			p.retire(old)
			go func() {
				<-old.proc.Done()
				p.delist(old)
			}()
			w = nw
		case <-p.closing:
			return
		}
	}
}

// checkGen recycles a worker started for a generation a Reload has since
// replaced: it began before the reload and so runs the old code.
func (p *Pool) checkGen(w *worker) {
	p.mu.Lock()
	stale := w.gen < p.gen && !w.recycleAsked && !w.retiring && !p.closed
	if stale {
		w.recycleAsked = true
	}
	p.mu.Unlock()
	if stale {
		// The slot's own goroutine calls this: never block on its channel.
		select {
		case w.slot.recycle <- w:
		default:
			// A stale request fills it; the slot will see this worker's
			// generation next time round.
			p.mu.Lock()
			w.recycleAsked = false
			p.mu.Unlock()
		}
	}
}

// enlist puts a ready worker into service.
func (p *Pool) enlist(w *worker) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		w.stop(time.Second)
		return
	}
	p.live[w] = true
	p.mu.Unlock()
	p.release(w)
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

// retire marks w to leave service: at once if idle, else when its
// request ends.
func (p *Pool) retire(w *worker) {
	p.mu.Lock()
	w.retiring = true
	for i, iw := range p.idle {
		if iw == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			p.mu.Unlock()
			go w.stop(p.cfg.Grace)
			return
		}
	}
	p.mu.Unlock()
}

// askRecycle asks w's slot for a replacement, once.
func (p *Pool) askRecycle(w *worker, why string) {
	if !p.markRecycle(w) {
		return
	}
	p.log.Info("wsgi worker recycling", "pid", w.proc.Pid(), "why", why, "served", w.served.Load())
	p.countRestart(strings.ReplaceAll(why, " ", "_"))
	// Not on the request's time: the slot may be busy starting a worker.
	go p.sendRecycle(w)
}

// markRecycle notes that w's replacement is asked for; it reports false
// when it already was, or w is leaving anyway.
func (p *Pool) markRecycle(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.recycleAsked || w.retiring || p.closed {
		return false
	}
	w.recycleAsked = true
	return true
}

// sendRecycle hands w to its slot for replacement.
func (p *Pool) sendRecycle(w *worker) {
	select {
	case w.slot.recycle <- w:
	case <-p.closing:
	}
}

// discard takes a broken worker (crashed, timed out, out of protocol) out
// of service and kills it; its slot starts a replacement.
func (p *Pool) discard(w *worker) {
	w.kill()
}
