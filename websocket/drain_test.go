package websocket_test

import (
	"context"
	"testing"
	"time"

	coder "github.com/coder/websocket"

	"github.com/brick-server/brick/websocket"
)

// TestDrain: Drain keeps open connections until they close, and closes
// those left at its deadline with 1001 going away, what an old process
// does with its WebSockets after a SIGUSR2 handover. Not parallel: Drain
// is process-wide.
func TestDrain(t *testing.T) {
	for _, tc := range []struct {
		name        string
		clientLeave time.Duration // the client closes after this; 0: never
		grace       time.Duration
		wantCut     int
	}{
		{"closed-by-client-within-grace", 100 * time.Millisecond, 5 * time.Second, 0},
		{"cut-at-grace", 0, 300 * time.Millisecond, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(t, newEcho(websocket.Options{Watched: true}))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := coder.Dial(ctx, "ws://"+addr+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if err := c.Write(ctx, coder.MessageText, []byte("hi")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Read(ctx); err != nil {
				t.Fatal(err)
			}
			if websocket.Open() < 1 {
				t.Fatalf("Open() = %d with a connection open", websocket.Open())
			}
			readErr := make(chan error, 1)
			go func() {
				if tc.clientLeave > 0 {
					time.Sleep(tc.clientLeave)
					readErr <- c.Close(coder.StatusNormalClosure, "")
					return
				}
				_, _, err := c.Read(ctx)
				readErr <- err
			}()
			dctx, dcancel := context.WithTimeout(context.Background(), tc.grace)
			defer dcancel()
			start := time.Now()
			cut := websocket.Drain(dctx)
			took := time.Since(start)
			if cut != tc.wantCut {
				t.Fatalf("Drain cut %d connections, want %d", cut, tc.wantCut)
			}
			err = <-readErr
			if tc.wantCut == 0 {
				if took > 2*time.Second {
					t.Errorf("Drain took %v though the client left after %v", took, tc.clientLeave)
				}
				return
			}
			if coder.CloseStatus(err) != coder.StatusGoingAway {
				t.Errorf("the client saw %v, want 1001 going away", err)
			}
			if took < tc.grace {
				t.Errorf("Drain returned after %v, before the grace of %v", took, tc.grace)
			}
		})
	}
}
