package websocket

import (
	"context"
	"sync"

	"github.com/brick-server/brick/wire/wsframe"
)

// live holds the process's accepted connections, for Drain: a process
// that hands its sockets to a new binary (SIGUSR2) keeps serving the
// WebSockets it holds instead of cutting them.
var live struct {
	mu    sync.Mutex
	conns map[drainable]struct{}
	empty chan struct{} // closed, and replaced, when the last one ends
}

// drainable is a tracked connection: a *Conn, or a *foreignConn that a
// library serves (TrackForeign).
type drainable interface {
	// goAway closes the connection with 1001 (going away) and returns
	// when it has ended, or after a bounded wait.
	goAway()
}

func (c *Conn) goAway() { c.Close(wsframe.CloseGoingAway, "server going away") }

func track(c drainable) {
	live.mu.Lock()
	if live.conns == nil {
		live.conns = map[drainable]struct{}{}
	}
	if len(live.conns) == 0 {
		live.empty = make(chan struct{})
	}
	live.conns[c] = struct{}{}
	live.mu.Unlock()
}

func untrack(c drainable) {
	live.mu.Lock()
	if _, ok := live.conns[c]; ok {
		delete(live.conns, c)
		if len(live.conns) == 0 {
			close(live.empty)
		}
	}
	live.mu.Unlock()
}

// Open returns how many accepted connections are open in this process,
// those counted by TrackForeign included.
func Open() int {
	live.mu.Lock()
	defer live.mu.Unlock()
	return len(live.conns)
}

// Drain waits until every accepted connection of the process has closed
// or ctx ends; then it closes those left with 1001 (going away) and
// waits for their closing handshakes (each bounded by its CloseTimeout).
// It returns how many it closed. A server that stops or hands its
// sockets over calls it after its listeners have stopped, so that the
// WebSockets it holds live on for a grace period instead of being cut.
func Drain(ctx context.Context) int {
	live.mu.Lock()
	if len(live.conns) == 0 {
		live.mu.Unlock()
		return 0
	}
	empty := live.empty
	live.mu.Unlock()
	select {
	case <-empty:
		return 0
	case <-ctx.Done():
	}
	live.mu.Lock()
	left := make([]drainable, 0, len(live.conns))
	for c := range live.conns {
		left = append(left, c)
	}
	live.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range left {
		wg.Go(c.goAway)
	}
	wg.Wait()
	return len(left)
}
