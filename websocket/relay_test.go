package websocket

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/wire/wsframe"
)

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closeOf parses the one frame in b as a close frame, masked or not as
// masked says, and returns its code.
func closeOf(t *testing.T, b []byte, masked bool) int {
	t.Helper()
	h, n, err := wsframe.Parser{Server: masked}.ParseHeader(b)
	if err != nil || h.Op != wsframe.OpClose || int64(len(b)-n) != h.Length {
		t.Fatalf("not one close frame (masked %v): % x (%v)", masked, b, err)
	}
	p := append([]byte(nil), b[n:]...)
	if masked {
		wsframe.Mask(h.Mask, 0, p)
	}
	code, _, err := wsframe.ParseClose(p)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestRelayGoAway: a relayed WebSocket gets a close frame (1001) each
// way at its next frame boundary, unmasked to the client and masked to
// the upstream, and GoAway returns once the tunnel ends, without ending
// it; a direction inside a frame gets its close frame when the frame
// ends. A relay that is not a WebSocket is ended at once, with nothing
// written.
func TestRelayGoAway(t *testing.T) {
	t.Parallel()
	head := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	frame := func(masked bool, n int) []byte {
		h := wsframe.Header{Fin: true, Op: wsframe.OpBinary, Length: int64(n), Masked: masked, Mask: [4]byte{1, 2, 3, 4}}
		return append(wsframe.AppendHeader(nil, h), bytes.Repeat([]byte{'x'}, n)...)
	}
	for _, tc := range []struct {
		name    string
		ws      bool
		partial int // bytes of the upstream's next frame written before GoAway
	}{
		{"at boundaries", true, 0},
		{"upstream inside a frame", true, 5},
		{"not a WebSocket", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, up := &recordConn{}, &recordConn{}
			var ended atomic.Int32
			var r *Relay
			r = NewRelay(client, up, tc.ws, func() { ended.Add(1); r.Ended() })
			r.Track()
			r.Client().Write(append(append([]byte(nil), head...), frame(false, 3)...))
			r.Upstream().Write(frame(true, 200))
			next := frame(true, 9)
			r.Upstream().Write(next[:tc.partial])
			clientBefore, upBefore := client.out.Len(), up.out.Len()
			done := make(chan struct{})
			go func() { r.GoAway(); close(done) }()
			if !tc.ws {
				<-done
				if ended.Load() != 1 || client.out.Len() != clientBefore || up.out.Len() != upBefore {
					t.Fatalf("ended %d times, wrote %d and %d bytes more; want ended once, nothing written",
						ended.Load(), client.out.Len()-clientBefore, up.out.Len()-upBefore)
				}
				return
			}
			sentTo := func(f *followed, out *bytes.Buffer, from int) func() []byte {
				return func() []byte {
					f.mu.Lock() // held by GoAway's goroutines while they write
					defer f.mu.Unlock()
					if !f.sent {
						return nil
					}
					return append([]byte(nil), out.Bytes()[from:]...)
				}
			}
			var b []byte
			waitFor(t, "close frame to the client", func() bool { b = sentTo(&r.client, &client.out, clientBefore)(); return b != nil })
			if code := closeOf(t, b, false); code != wsframe.CloseGoingAway {
				t.Errorf("close code to the client %d, want 1001", code)
			}
			if tc.partial > 0 {
				time.Sleep(20 * time.Millisecond)
				r.upstream.mu.Lock()
				sent := r.upstream.sent
				r.upstream.mu.Unlock()
				if sent {
					t.Fatal("a close frame went to the upstream inside a frame")
				}
				// The frame ends, then the close frame; what follows is
				// dropped.
				r.Upstream().Write(append(next[tc.partial:], frame(true, 4)...))
				upBefore += len(next) - tc.partial
			}
			waitFor(t, "close frame to the upstream", func() bool { b = sentTo(&r.upstream, &up.out, upBefore)(); return b != nil })
			if code := closeOf(t, b, true); code != wsframe.CloseGoingAway {
				t.Errorf("close code to the upstream %d, want 1001", code)
			}
			select {
			case <-done:
				t.Fatal("GoAway returned before the tunnel ended")
			case <-time.After(20 * time.Millisecond):
			}
			r.Ended() // the peers answered and the proxy closed the tunnel
			<-done
			live.mu.Lock()
			_, counted := live.conns[r]
			live.mu.Unlock()
			if ended.Load() != 0 || counted {
				t.Errorf("GoAway ended the tunnel itself (%d), or it is still counted (%v)", ended.Load(), counted)
			}
		})
	}
}
