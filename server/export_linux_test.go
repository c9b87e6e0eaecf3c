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
