package wsgi

import (
	"os"
	"sync"
)

// spoolState says how a streamed response ended.
type spoolState int

const (
	spoolOpen    spoolState = iota
	spoolEnd                // complete
	spoolAbort              // the application raised after the head
	spoolTimeout            // the worker ran past --timeout
	spoolBroken             // the worker died or broke the protocol
	spoolCut                // the response ran past MaxStream (take only)
)

// spool holds a response between the worker, which fills it as fast as it
// produces, and the client, which empties it at its own pace: in memory up
// to a bound, then in an unlinked temporary file. This is what frees a
// Python worker from a slow client.
type spool struct {
	mu      sync.Mutex
	ready   chan struct{} // signalled when data arrives or the state changes
	drained chan struct{} // signalled when the reader takes from the file
	fileMax int64         // bound on unread bytes in the file
	mem     []byte        // unread bytes in memory
	spare   []byte        // the buffer the reader gave back
	memMax  int
	tmpDir  string
	file    *os.File // unread bytes past mem, in order
	fileEnd int64
	fileOff int64
	readBuf []byte
	state   spoolState
	dropped bool // the client is gone or the body is over its length
	cut     bool // the response ran past MaxStream: take reports spoolCut
	// cancelled is set once the worker was sent a cancel frame.
	cancelled bool
	seq       uint32 // the request's number on its worker, for the cancel frame
	refs      int    // the pump and the handler
}

func newSpool(memMax, fileMax int64, tmpDir string, seq uint32) *spool {
	return &spool{ready: make(chan struct{}, 1), drained: make(chan struct{}, 1),
		memMax: int(memMax), fileMax: fileMax, tmpDir: tmpDir, refs: 2, seq: seq}
}

func (s *spool) signalDrained() {
	select {
	case s.drained <- struct{}{}:
	default:
	}
}

func (s *spool) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// put appends response bytes; it never waits for the client.
func (s *spool) put(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped {
		return nil
	}
	if s.file == nil && len(s.mem)+len(p) <= s.memMax {
		if s.mem == nil {
			s.mem, s.spare = s.spare[:0], nil
		}
		s.mem = append(s.mem, p...)
		s.signal()
		return nil
	}
	if s.file == nil {
		f, err := tempFile(s.tmpDir)
		if err != nil {
			return err
		}
		s.file = f
	}
	// Past the bound, the worker waits for the client, as nginx does
	// past proxy_max_temp_file_size: the disk is not an endless buffer.
	for s.fileEnd-s.fileOff >= s.fileMax && !s.dropped {
		s.mu.Unlock()
		<-s.drained
		s.mu.Lock()
	}
	if s.dropped {
		return nil
	}
	if _, err := s.file.WriteAt(p, s.fileEnd); err != nil {
		return err
	}
	s.fileEnd += int64(len(p))
	s.signal()
	return nil
}

// finish records how the response ended.
func (s *spool) finish(st spoolState) {
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
	s.signal()
	s.release()
}

// fileChunk is the most take reads from the file at a time: the buffer
// is held while a slow client takes it, so it is what a slow client costs
// in memory once its response is on disk.
const fileChunk = 64 << 10

// take waits for bytes or the end. The bytes are the caller's until the
// next take.
func (s *spool) take() ([]byte, spoolState) {
	for {
		s.mu.Lock()
		if s.cut {
			s.mu.Unlock()
			return nil, spoolCut
		}
		if len(s.mem) > 0 {
			data := s.mem
			s.mem = nil
			s.spare = s.readBuf[:0]
			s.readBuf = data
			s.mu.Unlock()
			return data, spoolOpen
		}
		if s.fileOff < s.fileEnd {
			f, off, n := s.file, s.fileOff, min(s.fileEnd-s.fileOff, fileChunk)
			s.mu.Unlock()
			if cap(s.readBuf) < int(n) {
				s.readBuf = make([]byte, n)
			}
			// Only this goroutine reads, and written bytes never change.
			k, err := f.ReadAt(s.readBuf[:n], off)
			if err != nil && k < int(n) {
				return nil, spoolBroken
			}
			s.mu.Lock()
			s.fileOff += int64(k)
			if s.fileOff == s.fileEnd {
				// Caught up: the file starts over, so a long response
				// to a slow client holds on disk only what it has not
				// yet taken, as MaxTempFile means.
				if s.file.Truncate(0) == nil {
					s.fileOff, s.fileEnd = 0, 0
				}
			}
			s.mu.Unlock()
			s.signalDrained()
			return s.readBuf[:k], spoolOpen
		}
		st := s.state
		s.mu.Unlock()
		if st != spoolOpen {
			return nil, st
		}
		<-s.ready
	}
}

// empty reports whether the reader has caught up with the worker.
func (s *spool) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mem) == 0 && s.fileOff == s.fileEnd
}

// discard drops what is left: the client cannot take more.
func (s *spool) discard() {
	s.mu.Lock()
	s.dropped = true
	s.mem = nil
	s.fileOff = s.fileEnd
	s.mu.Unlock()
	s.signalDrained()
}

// cancel tells the worker the client went away, unless its response has
// already ended (and the worker moved on to another request).
func (s *spool) cancel(wk *worker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancelLocked(wk)
}

func (s *spool) cancelLocked(wk *worker) {
	s.dropped = true
	if s.state == spoolOpen && !s.cancelled {
		s.cancelled = true
		wk.cancel(s.seq)
	}
	s.signalDrained()
}

// cutOff ends a response that ran past MaxStream: the reader learns at
// its next take, and the worker is told to stop as for a client that
// left; a response that ended already is left alone.
func (s *spool) cutOff(wk *worker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != spoolOpen {
		return
	}
	s.cut = true
	s.cancelLocked(wk)
	s.signal()
}

// release drops one reference; the last closes the temporary file.
func (s *spool) release() {
	s.mu.Lock()
	s.refs--
	last := s.refs == 0
	f := s.file
	s.mu.Unlock()
	if last && f != nil {
		f.Close()
	}
}
