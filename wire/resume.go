package wire

// ScanPos returns where the search for the end of a partial head will
// resume. A server that hands a connection between goroutines while a head
// trickles in saves it with the connection and restores it with ResumeAt,
// so that parsing a head that arrives byte by byte stays linear.
func (p *RequestParser) ScanPos() int { return p.scan }

// ResumeAt restores a position saved with ScanPos for the same partial head.
// A wrong position never changes a verdict: Parse ignores one outside the
// buffer, and a complete head is always parsed in full from its start. At
// worst, a position past the end of the head makes Parse wait for more.
func (p *RequestParser) ResumeAt(pos int) { p.scan = pos }
