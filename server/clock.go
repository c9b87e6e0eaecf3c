package server

import (
	"sync/atomic"
	"time"
)

// clock keeps the formatted Date header value and a coarse time, updated
// once a second by one goroutine per server, so the request path never
// formats a date (RFC 9110 §6.6.1 needs only one-second resolution).
type clock struct {
	date atomic.Pointer[[]byte]
	now  atomic.Int64 // unix nanoseconds at the last tick
}

const dateFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

func (c *clock) set(t time.Time) {
	b := t.UTC().AppendFormat(make([]byte, 0, len(dateFormat)), dateFormat)
	c.date.Store(&b)
	c.now.Store(t.UnixNano())
}

// start ticks at every second boundary until done is closed, calling each
// with the time.
func (c *clock) start(done <-chan struct{}, each func(now int64)) {
	c.set(time.Now())
	go func() {
		for {
			now := time.Now()
			wait := now.Truncate(time.Second).Add(time.Second).Sub(now)
			t := time.NewTimer(wait)
			select {
			case <-done:
				t.Stop()
				return
			case <-t.C:
			}
			c.set(time.Now())
			each(c.now.Load())
		}
	}()
}

// Date returns the current Date header value.
func (c *clock) Date() []byte { return *c.date.Load() }

// Now returns the time at the last tick, in unix nanoseconds.
func (c *clock) Now() int64 { return c.now.Load() }
