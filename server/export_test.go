package server

// RotateTicketKeys rotates the session ticket keys of every TLS
// configuration s serves, as TicketKeyRotation's timer does.
func RotateTicketKeys(s *Server) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.tickets {
		k.rotate()
	}
}
