package proxy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// spool holds a body read ahead of its sending: in memory up to its
// memory limit, the rest in an unlinked temporary file. buffer_requests
// reads the client's body into one before an upstream is picked;
// buffer_responses the upstream's body before the client is written to.
type spool struct {
	mem  []byte
	max  int // bytes kept in memory
	file *os.File
	size int64
	// scratch carries pieces between the file and the connections.
	scratch []byte
}

// errSpoolFull: a body grew past the buffer's cap.
var errSpoolFull = errors.New("proxy: body over buffer_max")

// pooledSpoolMem is the largest memory buffer a spool keeps when it goes
// back to the pool: a few large bodies must not pin their memory.
const pooledSpoolMem = 64 << 10

var spools = sync.Pool{New: func() any { return new(spool) }}

func getSpool(memMax int) *spool {
	s := spools.Get().(*spool)
	s.max = memMax
	if s.scratch == nil {
		s.scratch = make([]byte, copyBuf)
	}
	return s
}

// release removes the temporary file and gives s back to the pool.
func (s *spool) release() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
	s.size = 0
	if cap(s.mem) > pooledSpoolMem {
		s.mem = nil
	}
	s.mem = s.mem[:0]
	spools.Put(s)
}

// write appends p, to memory while it fits, then to the file.
func (s *spool) write(p []byte) error {
	s.size += int64(len(p))
	if s.file == nil && len(s.mem)+len(p) <= s.max {
		s.mem = append(s.mem, p...)
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "brick-proxy-*")
		if err != nil {
			return err
		}
		// Unlinked at once: nothing is left behind by a crash.
		os.Remove(f.Name())
		s.file = f
	}
	_, err := s.file.Write(p)
	return err
}

// readFrom reads r to its end into s, failing with errSpoolFull past
// limit bytes.
func (s *spool) readFrom(r io.Reader, limit int64) error {
	scratch := s.scratch
	for {
		n, err := r.Read(scratch)
		if n > 0 {
			if s.size+int64(n) > limit {
				return errSpoolFull
			}
			if werr := s.write(scratch[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", errClientBody, err)
		}
	}
}

// each passes the body to fn in order, in pieces: the memory part whole,
// the file's through the scratch buffer.
func (s *spool) each(fn func([]byte) error) error {
	scratch := s.scratch
	if len(s.mem) > 0 {
		if err := fn(s.mem); err != nil {
			return err
		}
	}
	if s.file == nil {
		return nil
	}
	var off int64
	for {
		n, err := s.file.ReadAt(scratch, off)
		off += int64(n)
		if n > 0 {
			if ferr := fn(scratch[:n]); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
