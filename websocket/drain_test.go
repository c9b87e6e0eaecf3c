package websocket_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"

	"github.com/brick-server/brick/nethttp"
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

// slowMessage is sent by the streaming servers below: a binary message
// of 200 KiB written in 1 KiB pieces, slowly enough that a drain falls
// inside it.
const slowPieces, slowPiece = 200, 1 << 10

// netHTTPStreamers are net/http WebSocket servers that answer any
// message with one long message written piece by piece.
var netHTTPStreamers = []struct {
	name string
	h    http.Handler
}{
	{"coder", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coder.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				if s := coder.CloseStatus(err); s != -1 {
					c.Close(s, "")
				}
				return
			}
			mw, err := c.Writer(ctx, coder.MessageBinary)
			if err != nil {
				return
			}
			for range slowPieces {
				mw.Write(make([]byte, slowPiece))
				time.Sleep(2 * time.Millisecond)
			}
			mw.Close()
		}
	})},
	{"gorilla", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := gorilla.Upgrader{}
		c, err := u.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
			mw, err := c.NextWriter(gorilla.BinaryMessage)
			if err != nil {
				return
			}
			for range slowPieces {
				mw.Write(make([]byte, slowPiece))
				time.Sleep(2 * time.Millisecond)
			}
			mw.Close()
		}
	})},
}

// TestDrainNetHTTP: WebSockets that coder/websocket and gorilla serve
// through package nethttp are counted and drained like Brick's own:
// Drain waits for them until its deadline, then sends 1001 going away
// between two of the library's frames (inside a message being written,
// too) and the client sees a clean close, not a broken frame. Not
// parallel: Drain is process-wide.
func TestDrainNetHTTP(t *testing.T) {
	servers := map[string][2]http.Handler{}
	for _, s := range netHTTPServers {
		servers[s.name] = [2]http.Handler{s.h}
	}
	for _, s := range netHTTPStreamers {
		hs := servers[s.name]
		hs[1] = s.h
		servers[s.name] = hs
	}
	for _, srv := range []string{"coder", "gorilla"} {
		for _, tc := range []struct {
			name        string
			clientLeave time.Duration // the client closes after this; 0: never
			grace       time.Duration
			midMessage  bool // a long message is being written when the grace ends
			wantCut     int
		}{
			{"closed-by-client-within-grace", 100 * time.Millisecond, 5 * time.Second, false, 0},
			{"cut-at-grace", 0, 300 * time.Millisecond, false, 1},
			{"cut-inside-a-message", 0, 100 * time.Millisecond, true, 1},
		} {
			t.Run(srv+"/"+tc.name, func(t *testing.T) {
				h := servers[srv][0]
				if tc.midMessage {
					h = servers[srv][1]
				}
				addr := serve(t, nethttp.Handler(h))
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c, _, err := coder.Dial(ctx, "ws://"+addr+"/", nil)
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseNow()
				c.SetReadLimit(1 << 20)
				if err := c.Write(ctx, coder.MessageText, []byte("hi")); err != nil {
					t.Fatal(err)
				}
				readErr := make(chan error, 1)
				if tc.midMessage {
					// The first piece arrived: the message is under way.
					_, rd, err := c.Reader(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := io.ReadFull(rd, make([]byte, slowPiece)); err != nil {
						t.Fatal(err)
					}
					go func() {
						_, err := io.Copy(io.Discard, rd)
						readErr <- err
					}()
				} else {
					if _, msg, err := c.Read(ctx); err != nil || string(msg) != "hi" {
						t.Fatalf("echo: %q, %v", msg, err)
					}
					go func() {
						if tc.clientLeave > 0 {
							time.Sleep(tc.clientLeave)
							readErr <- c.Close(coder.StatusNormalClosure, "")
							return
						}
						_, _, err := c.Read(ctx)
						readErr <- err
					}()
				}
				if n := websocket.Open(); n != 1 {
					t.Fatalf("Open() = %d with one %s WebSocket open, want 1", n, srv)
				}
				dctx, dcancel := context.WithTimeout(context.Background(), tc.grace)
				defer dcancel()
				start := time.Now()
				cut := websocket.Drain(dctx)
				took := time.Since(start)
				if cut != tc.wantCut {
					t.Fatalf("Drain cut %d connections, want %d", cut, tc.wantCut)
				}
				err = <-readErr
				if n := websocket.Open(); n != 0 {
					t.Errorf("Open() = %d after the drain, want 0", n)
				}
				if tc.wantCut == 0 {
					if err != nil || took > 2*time.Second {
						t.Errorf("Drain took %v though the client left after %v (close: %v)", took, tc.clientLeave, err)
					}
					return
				}
				if coder.CloseStatus(err) != coder.StatusGoingAway {
					t.Errorf("the client saw %v, want 1001 going away", err)
				}
				if took < tc.grace {
					t.Errorf("Drain returned after %v, before the grace of %v", took, tc.grace)
				}
				if took > tc.grace+3*time.Second {
					t.Errorf("Drain took %v: the library did not end the connection after the close frame", took)
				}
			})
		}
	}
}
