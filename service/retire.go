package service

import "time"

// retire closes the generation old once its requests are done (or the
// reload grace is over), except what next carried over. The grace is
// next's: the reload that retires old sets it.
func (s *Service) retire(old *live, next *generation) {
	s.retiringMu.Lock()
	if s.stopping == nil {
		s.stopping = make(chan struct{})
	}
	s.retiring.Add(1)
	stopping := s.stopping
	s.retiringMu.Unlock()
	go func() {
		defer s.retiring.Done()
		select {
		case <-old.idle:
		case <-stopping:
		case <-time.After(next.opts.Server.ReloadGrace):
			s.log.Warn("reload grace period over; closing the old configuration with requests still running")
		}
		old.gen.closeExcept(next)
	}()
}

// stopRetiring tells the generations being retired that the service
// stops: they close without waiting for their requests any longer (the
// servers have drained them).
func (s *Service) stopRetiring() {
	s.retiringMu.Lock()
	defer s.retiringMu.Unlock()
	if s.stopping == nil {
		s.stopping = make(chan struct{})
	}
	if !s.stopped {
		s.stopped = true
		close(s.stopping)
	}
}
