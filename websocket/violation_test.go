package websocket_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/klauspost/compress/flate"

	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire/wsframe"
)

// TestViolations breaks one rule of RFC 6455 per case over a raw socket
// and expects the close code the rule calls for, both in the server's
// close frame and in what the handler's ReadMessage reports.
func TestViolations(t *testing.T) {
	t.Parallel()
	type step func(c *rawClient)
	data := func(fin bool, op wsframe.Opcode, p string) step {
		return func(c *rawClient) { c.frame(fin, 0, op, []byte(p), false) }
	}
	tests := []struct {
		name  string
		steps []step
		ext   []string
		want  int
	}{
		{"unmasked client frame", []step{func(c *rawClient) { c.frame(true, 0, wsframe.OpText, []byte("hi"), true) }}, nil, 1002},
		{"fragmented ping", []step{data(false, wsframe.OpPing, "x")}, nil, 1002},
		{"ping over 125 bytes", []step{data(true, wsframe.OpPing, string(make([]byte, 126)))}, nil, 1002},
		{"invalid UTF-8", []step{data(true, wsframe.OpText, "a\xffb")}, nil, 1007},
		{"UTF-8 surrogate", []step{data(true, wsframe.OpText, "\xed\xa0\x80")}, nil, 1007},
		{"UTF-8 cut at the message end", []step{data(false, wsframe.OpText, "é"[:1]), data(true, wsframe.OpContinuation, "")}, nil, 1007},
		{"invalid UTF-8 across fragments", []step{data(false, wsframe.OpText, "\xe2\x82"), data(true, wsframe.OpContinuation, "\x28")}, nil, 1007},
		{"message over the limit", []step{data(true, wsframe.OpBinary, string(make([]byte, 1025)))}, nil, 1009},
		{"fragments over the limit", []step{data(false, wsframe.OpBinary, string(make([]byte, 1000))), data(true, wsframe.OpContinuation, string(make([]byte, 100)))}, nil, 1009},
		{"close code 1005", []step{data(true, wsframe.OpClose, "\x03\xed")}, nil, 1002},
		{"close code 999", []step{data(true, wsframe.OpClose, "\x03\xe7")}, nil, 1002},
		{"close code 5000", []step{data(true, wsframe.OpClose, "\x13\x88")}, nil, 1002},
		{"close payload of one byte", []step{data(true, wsframe.OpClose, "\x03")}, nil, 1002},
		{"close reason not UTF-8", []step{data(true, wsframe.OpClose, "\x03\xe8\xff")}, nil, 1007},
		{"reserved bit", []step{func(c *rawClient) { c.frame(true, wsframe.RSV2, wsframe.OpText, []byte("x"), false) }}, nil, 1002},
		{"RSV1 without deflate", []step{func(c *rawClient) { c.frame(true, wsframe.RSV1, wsframe.OpText, []byte("x"), false) }}, nil, 1002},
		{"reserved opcode 3", []step{data(true, 3, "x")}, nil, 1002},
		{"reserved opcode 11", []step{data(true, 11, "")}, nil, 1002},
		{"continuation without a message", []step{data(true, wsframe.OpContinuation, "x")}, nil, 1002},
		{"new message inside a fragmented one", []step{data(false, wsframe.OpText, "a"), data(true, wsframe.OpText, "b")}, nil, 1002},
		{"zip bomb", []step{func(c *rawClient) {
			c.frame(true, wsframe.RSV1, wsframe.OpBinary, deflateRaw(make([]byte, 1<<20)), false)
		}}, []string{"Sec-WebSocket-Extensions: permessage-deflate"}, 1009},
		{"garbage compressed", []step{func(c *rawClient) {
			c.frame(true, wsframe.RSV1, wsframe.OpBinary, []byte{0xff, 0xff, 0xff, 0xff}, false)
		}}, []string{"Sec-WebSocket-Extensions: permessage-deflate"}, 1007},
		{"RSV1 on a continuation", []step{func(c *rawClient) {
			c.frame(false, wsframe.RSV1, wsframe.OpBinary, deflateRaw([]byte("ab")), false)
			c.frame(true, wsframe.RSV1, wsframe.OpContinuation, nil, false)
		}}, []string{"Sec-WebSocket-Extensions: permessage-deflate"}, 1002},
	}
	e := newEcho(websocket.Options{MaxMessageSize: 1024, Compression: true})
	addr := serve(t, e)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, addr, "/", tc.ext...)
			for _, s := range tc.steps {
				s(c)
			}
			if got := c.closeCode(); got != tc.want {
				t.Errorf("server closed with %d, want %d", got, tc.want)
			}
			if got := websocket.CloseCode(e.wait(t)); got != tc.want {
				t.Errorf("handler saw the end as %d, want %d", got, tc.want)
			}
		})
	}
}

// deflateRaw compresses p as a permessage-deflate sender would.
func deflateRaw(p []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(p)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// TestControlBetweenFragments sends a ping between the fragments of a
// message: the pong comes back at once and the message arrives whole,
// valid UTF-8 though a rune is split between fragments.
func TestControlBetweenFragments(t *testing.T) {
	addr := serve(t, newEcho(websocket.Options{}))
	c := dialRaw(t, addr, "/")
	c.frame(false, 0, wsframe.OpText, []byte("h\xc3"), false)
	c.frame(true, 0, wsframe.OpPing, []byte("p1"), false)
	h, p, err := c.next()
	if err != nil || h.Op != wsframe.OpPong || string(p) != "p1" {
		t.Fatalf("after a ping between fragments got %v %q %v, want pong p1", h.Op, p, err)
	}
	c.frame(false, 0, wsframe.OpContinuation, []byte("\xa9llo "), false)
	c.frame(true, 0, wsframe.OpPong, []byte("unsolicited"), false)
	c.frame(true, 0, wsframe.OpContinuation, []byte("world"), false)
	if op, got := c.readData(); op != wsframe.OpText || got != "héllo world" {
		t.Fatalf("echo = %v %q", op, got)
	}
}

// TestCloseCodes closes from each side and checks both sides learn the
// code: a client's 4001 reaches the handler and is echoed; the handler's
// Close(4002) reaches the client.
func TestCloseCodes(t *testing.T) {
	t.Parallel()
	e := newEcho(websocket.Options{})
	addr := serve(t, e)
	c := dialRaw(t, addr, "/")
	c.send(wsframe.OpClose, "\x0f\xa1bye")
	if got := c.closeCode(); got != 4001 {
		t.Errorf("the server answered a 4001 close with %d", got)
	}
	var ce *websocket.CloseError
	if err := e.wait(t); !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "bye" {
		t.Errorf("handler got %v, want CloseError 4001 bye", err)
	}
	c = dialRaw(t, addr, "/")
	c.send(wsframe.OpText, "close-4002")
	h, p, err := c.next()
	if err != nil || h.Op != wsframe.OpClose {
		t.Fatalf("got %v %v, want the close frame", h.Op, err)
	}
	if code, reason, _ := wsframe.ParseClose(p); code != 4002 || string(reason) != "asked to" {
		t.Errorf("close frame %d %q", code, reason)
	}
	c.send(wsframe.OpClose, string(p))
	if err := e.wait(t); websocket.CloseCode(err) != 4002 {
		t.Errorf("handler's read ended with %v, want the peer's echo 4002", err)
	}
	// An empty close frame is answered with an empty one.
	c = dialRaw(t, addr, "/")
	c.send(wsframe.OpClose, "")
	if got := c.closeCode(); got != wsframe.CloseNoStatus {
		t.Errorf("empty close answered with %d", got)
	}
	if err := e.wait(t); websocket.CloseCode(err) != wsframe.CloseNoStatus {
		t.Errorf("handler got %v, want 1005", err)
	}
}
