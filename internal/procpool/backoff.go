package procpool

import "time"

// Defaults for the zero fields of a Backoff.
const (
	// DefaultBackoffMin is the first delay: short enough that a worker
	// which died once is back before anyone notices.
	DefaultBackoffMin = 100 * time.Millisecond
	// DefaultBackoffMax caps the delay, so a fixed application comes
	// back within seconds.
	DefaultBackoffMax = 10 * time.Second
	// DefaultBackoffStable is the uptime from which a process counts as
	// healthy: longer than any plausible import-and-crash cycle.
	DefaultBackoffStable = 30 * time.Second
)

// Backoff computes restart delays for a slot whose process keeps dying.
// The delay starts at Min and doubles with each quick death up to Max; a
// process that lived at least Stable counts as healthy, and the delay
// after its death is Min again. A crash loop thus costs little CPU and
// log space, while a worker that dies once a day is replaced at once.
//
// The zero value is ready to use with the defaults. A Backoff belongs to
// one slot and is not safe for concurrent use.
type Backoff struct {
	// Min is the first delay; 0 means DefaultBackoffMin.
	Min time.Duration
	// Max caps the delay; 0 means DefaultBackoffMax. A Max below Min
	// counts as Min.
	Max time.Duration
	// Stable is the uptime from which a process counts as healthy; 0
	// means DefaultBackoffStable.
	Stable time.Duration

	last time.Duration // the delay Next returned last; 0 before the first
}

// Next returns how long to wait before restarting a process that died
// after running for uptime (Process.Uptime).
func (b *Backoff) Next(uptime time.Duration) time.Duration {
	lo, hi, stable := b.Min, b.Max, b.Stable
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	if hi <= 0 {
		hi = DefaultBackoffMax
	}
	if hi < lo {
		hi = lo
	}
	if stable <= 0 {
		stable = DefaultBackoffStable
	}

	d := 2 * b.last
	switch {
	case b.last == 0 || uptime >= stable:
		d = lo
	case d <= 0 || d > hi: // d <= 0: the doubling overflowed
		d = hi
	case d < lo:
		d = lo
	}
	b.last = d
	return d
}

// Reset makes the next delay Min again, as if the slot were new.
func (b *Backoff) Reset() { b.last = 0 }
