// Package bufpool pools the byte buffers that belong to a connection while
// it is busy: its read buffer and its output buffer. An idle connection
// gives its buffers back, which is what keeps idle connections cheap.
package bufpool

import (
	"math/bits"
	"sync"
)

// Size classes run from 4 KiB to 1 MiB in powers of two; larger buffers are
// not pooled.
const (
	minShift = 12
	maxShift = 20
)

// pools hold *[]byte: a pointer goes into a sync.Pool without allocating,
// a slice header would be boxed on every Put. The *[]byte boxes themselves
// are recycled through boxes, so a steady Get/Put cycle allocates nothing.
var (
	pools [maxShift - minShift + 1]sync.Pool
	boxes sync.Pool
)

// Get returns a buffer with length 0 and capacity at least n.
func Get(n int) []byte {
	i := class(n)
	if i < 0 {
		return make([]byte, 0, n)
	}
	if p, ok := pools[i].Get().(*[]byte); ok {
		b := (*p)[:0]
		*p = nil
		boxes.Put(p)
		return b
	}
	return make([]byte, 0, 1<<(i+minShift))
}

// Put returns b to the pool. b must not be used afterwards, and no slice of
// it may still be in use anywhere.
func Put(b []byte) {
	c := cap(b)
	if c < 1<<minShift || c > 1<<maxShift || c&(c-1) != 0 {
		return
	}
	i := bits.Len(uint(c)) - 1 - minShift
	p, _ := boxes.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b[:0]
	pools[i].Put(p)
}

// class returns the pool index for a buffer of at least n bytes, or -1.
func class(n int) int {
	if n <= 1<<minShift {
		return 0
	}
	if n > 1<<maxShift {
		return -1
	}
	return bits.Len(uint(n-1)) - minShift
}
