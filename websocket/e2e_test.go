package websocket_test

import (
	"errors"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
)

// echo is the handler most tests talk to: it echoes every message and
// reports how the connection ended on closed (when not nil).
type echo struct {
	opts   websocket.Options
	closed chan error
}

func (e *echo) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	c, err := websocket.Accept(w, r, &e.opts)
	if err != nil {
		return nil
	}
	var buf []byte
	for {
		typ, msg, err := c.ReadMessage(buf)
		if err != nil {
			if e.closed != nil {
				e.closed <- err
			}
			return nil
		}
		if string(msg) == "close-4002" {
			c.Close(4002, "asked to")
			continue
		}
		if err := c.WriteMessage(typ, msg); err != nil {
			if e.closed != nil && !errors.Is(err, websocket.ErrClosed) {
				e.closed <- err
			}
			return nil
		}
		buf = msg
	}
}

func newEcho(o websocket.Options) *echo {
	return &echo{opts: o, closed: make(chan error, 16)}
}

func (e *echo) wait(t interface {
	Helper()
	Fatal(...any)
}) error {
	t.Helper()
	select {
	case err := <-e.closed:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not see the connection end")
	}
	return nil
}
