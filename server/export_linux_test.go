package server

import "time"

// DelayPolledEvents makes every readiness loop of s wait d between taking a
// batch of events and handling it, which widens the window in which an
// event can outlive its connection. It starts the engine if need be.
func DelayPolledEvents(s *Server, d time.Duration) error {
	e, err := s.engineForTest()
	if err != nil {
		return err
	}
	e.hooks.Store(&testHooks{polled: func() { time.Sleep(d) }})
	return nil
}

func (s *Server) engineForTest() (*engine, error) {
	s.init()
	return s.startEngine()
}

// Loops returns how many readiness loops s runs, starting them if need be.
func Loops(s *Server) (int, error) {
	e, err := s.engineForTest()
	if err != nil {
		return 0, err
	}
	return len(e.pollers), nil
}

// FailLoop makes readiness loop i of s fail: its next epoll_wait returns
// err, as a broken epoll descriptor would.
func FailLoop(s *Server, i int, err error) error {
	e, serr := s.engineForTest()
	if serr != nil {
		return serr
	}
	target := e.pollers[i]
	for {
		old := e.hooks.Load()
		h := new(testHooks)
		if old != nil {
			*h = *old
		}
		prev := h.pollErr
		h.pollErr = func(p *poller) error {
			if p == target {
				return err
			}
			if prev != nil {
				return prev(p)
			}
			return nil
		}
		if e.hooks.CompareAndSwap(old, h) {
			break
		}
	}
	target.wake()
	return nil
}

// HoldAccepted makes s's accept loops call hold after taking each
// connection, before giving it to a readiness loop.
func HoldAccepted(s *Server, hold func()) error {
	e, err := s.engineForTest()
	if err != nil {
		return err
	}
	e.hooks.Store(&testHooks{accepted: hold})
	return nil
}
