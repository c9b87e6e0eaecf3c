package websocket_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	coder "github.com/coder/websocket"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire/wsframe"
)

// TestConnectionModels echoes through both of the server's connection
// models (epoll loops and a goroutine per connection): hijacking hands
// over a working connection in each.
func TestConnectionModels(t *testing.T) {
	t.Parallel()
	for _, perConn := range []bool{false, true} {
		t.Run(fmt.Sprintf("GoroutinePerConn=%v", perConn), func(t *testing.T) {
			e := newEcho(websocket.Options{Compression: true})
			addr := loopback.Serve(t, &server.Server{Handler: e, GoroutinePerConn: perConn})
			clients[0].run(t, addr, true)
			if code := websocket.CloseCode(e.wait(t)); code != 4000 {
				t.Errorf("close code %d", code)
			}
		})
	}
}

// TestConcurrentConnections holds 1,000 connections open at once, each
// echoing a message, and reports what an idle one costs the process.
func TestConcurrentConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	const n = 1000
	e := &echo{}
	addr := serve(t, e)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	conns := make([]*rawClient, n)
	for i := range conns {
		conns[i] = dialRaw(t, addr, "/")
		conns[i].nc.SetDeadline(time.Now().Add(60 * time.Second))
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			msg := fmt.Sprintf("message %d", i)
			c.frame(true, 0, wsframe.OpText, []byte(msg), false)
			h, p, err := c.next()
			if err != nil || h.Op != wsframe.OpText || string(p) != msg {
				t.Errorf("connection %d: %v %q %v", i, h.Op, p, err)
			}
		})
	}
	wg.Wait()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	// The clients live in this process too: half the goroutines and a
	// share of the memory are theirs (a bufio.Reader each), so this is an
	// upper bound for the server side.
	t.Logf("%d idle connections: %d more goroutines, %.1f KiB heap+stacks each (clients included)",
		n, runtime.NumGoroutine()-g0,
		float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse)/n/1024)
	for _, c := range conns {
		c.send(wsframe.OpClose, "\x03\xe8")
	}
	for _, c := range conns {
		if code := c.closeCode(); code != 1000 {
			t.Fatalf("close code %d", code)
		}
	}
}

// TestClientNeverReads writes to a client that reads nothing: the write
// timeout ends the connection instead of blocking the handler forever.
func TestClientNeverReads(t *testing.T) {
	t.Parallel()
	ended := make(chan error, 1)
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		c, err := websocket.Accept(w, r, &websocket.Options{WriteTimeout: 200 * time.Millisecond})
		if err != nil {
			return nil
		}
		msg := []byte(strings.Repeat("x", 64<<10))
		for {
			if err := c.WriteMessage(websocket.Binary, msg); err != nil {
				ended <- err
				c.Close(wsframe.CloseGoingAway, "")
				return nil
			}
		}
	})
	addr := serve(t, h)
	dialRaw(t, addr, "/")
	select {
	case err := <-ended:
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "timeout") {
			t.Errorf("write ended with %v, want a timeout", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the handler is still writing to a client that never reads")
	}
}

// TestReaderAndWriter reads in one goroutine while another pushes
// messages and finally closes (run with -race): the shape of a gateway.
func TestReaderAndWriter(t *testing.T) {
	t.Parallel()
	readEnd := make(chan int, 1)
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return nil
		}
		go func() {
			var buf []byte
			for {
				_, msg, err := c.ReadMessage(buf)
				if err != nil {
					readEnd <- websocket.CloseCode(err)
					return
				}
				buf = msg
			}
		}()
		for i := range 50 {
			if err := c.WriteMessage(websocket.Text, []byte(fmt.Sprint("push ", i))); err != nil {
				t.Errorf("push %d: %v", i, err)
			}
		}
		if err := c.Close(4005, "pushed"); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := c.WriteMessage(websocket.Text, []byte("late")); !errors.Is(err, websocket.ErrClosed) {
			t.Errorf("write after Close: %v, want ErrClosed", err)
		}
		return nil
	})
	addr := serve(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := coder.Dial(ctx, "ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for i := range 20 {
			c.Write(ctx, coder.MessageText, []byte(fmt.Sprint("from client ", i)))
		}
	}()
	for i := 0; ; i++ {
		_, msg, err := c.Read(ctx)
		if err != nil {
			if coder.CloseStatus(err) != 4005 || i != 50 {
				t.Errorf("after %d messages: %v, want 50 then close 4005", i, err)
			}
			break
		}
		if want := fmt.Sprint("push ", i); string(msg) != want {
			t.Fatalf("got %q, want %q", msg, want)
		}
	}
	select {
	case code := <-readEnd:
		if code != 4005 {
			t.Errorf("the reader saw %d, want the echoed 4005", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reader did not end")
	}
}
