//go:build !linux

package schedfront

// Batch stands for Linux's SCHED_BATCH, which other systems lack.
const Batch = 3

// Hold does nothing where Linux's scheduling policies do not exist.
func Hold(policy int) (release func(), err error) { return func() {}, nil }

// Unheld runs fn.
func Unheld(fn func()) { fn() }
