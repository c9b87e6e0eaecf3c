//go:build linux

package server

import "sync/atomic"

// fdTable maps descriptors to connections for the loops, without a lock:
// two levels of atomic pointers, the second allocated on first use.
type fdTable struct {
	chunks [1 << fdChunkBits]atomic.Pointer[fdChunk]
}

const fdChunkBits = 10

type fdChunk [1 << fdChunkBits]atomic.Pointer[pollConn]

func (t *fdTable) slot(fd int, create bool) *atomic.Pointer[pollConn] {
	hi, lo := fd>>fdChunkBits, fd&(1<<fdChunkBits-1)
	if fd < 0 || hi >= len(t.chunks) {
		return nil
	}
	ch := t.chunks[hi].Load()
	if ch == nil {
		if !create {
			return nil
		}
		t.chunks[hi].CompareAndSwap(nil, new(fdChunk))
		ch = t.chunks[hi].Load()
	}
	return &ch[lo]
}

func (t *fdTable) get(fd int) *pollConn {
	if s := t.slot(fd, false); s != nil {
		return s.Load()
	}
	return nil
}

func (t *fdTable) set(fd int, pc *pollConn) bool {
	s := t.slot(fd, true)
	if s == nil {
		return false
	}
	s.Store(pc)
	return true
}

func (t *fdTable) clear(fd int, pc *pollConn) {
	if s := t.slot(fd, false); s != nil {
		s.CompareAndSwap(pc, nil)
	}
}

func (t *fdTable) each(f func(*pollConn)) {
	for i := range t.chunks {
		ch := t.chunks[i].Load()
		if ch == nil {
			continue
		}
		for j := range ch {
			if pc := ch[j].Load(); pc != nil {
				f(pc)
			}
		}
	}
}
