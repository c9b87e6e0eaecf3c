package websocket

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/brick-server/brick/wire/wsframe"
)

// memConn is a net.Conn that reads a fixed client stream in pieces of at
// most split bytes and records what the server writes.
type memConn struct {
	in    []byte
	split int
	out   bytes.Buffer
}

func (c *memConn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.split)], c.in)
	c.in = c.in[n:]
	return n, nil
}
func (c *memConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return nil }
func (c *memConn) RemoteAddr() net.Addr             { return nil }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// conversation reads every message of a client stream read in pieces of
// split bytes, and describes the messages, how the stream ended and what
// the server sent back.
func conversation(stream []byte, split int, deflate bool) string {
	mc := &memConn{in: stream, split: split}
	o := (&Options{MaxMessageSize: 1 << 16, Compression: deflate}).withDefaults()
	c := newConn(mc, bufio.NewReaderSize(mc, 16), o, "")
	if deflate {
		c.enableDeflate(wsframe.Deflate{ServerNoContextTakeover: true, ClientMaxWindowBits: 15})
	}
	var desc []string
	var buf []byte
	for range 100 {
		typ, msg, err := c.ReadMessage(buf)
		if err != nil {
			desc = append(desc, fmt.Sprintf("end %d", CloseCode(err)))
			break
		}
		desc = append(desc, fmt.Sprintf("%d %q", typ, msg))
		buf = msg
	}
	return fmt.Sprintf("%v\nsent %q", desc, mc.out.Bytes())
}

// clientFrame builds a masked client frame.
func clientFrame(fin bool, rsv byte, op wsframe.Opcode, p string) []byte {
	h := wsframe.Header{Fin: fin, Rsv: rsv, Op: op, Masked: true, Mask: [4]byte{7, 1, 9, 3}, Length: int64(len(p))}
	b := []byte(p)
	wsframe.Mask(h.Mask, 0, b)
	return append(wsframe.AppendHeader(nil, h), b...)
}

// FuzzReadMessage feeds a client's byte stream to a Conn whole and in
// pieces: the messages, the close code and the bytes the server answers
// with (pongs, close frames) must not depend on how reads split it.
func FuzzReadMessage(f *testing.F) {
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	f.Add(cat(clientFrame(true, 0, wsframe.OpText, "hello"), clientFrame(true, 0, wsframe.OpClose, "\x03\xe8")), uint8(1), false)
	f.Add(cat(clientFrame(false, 0, wsframe.OpText, "h\xc3"), clientFrame(true, 0, wsframe.OpPing, "p"), clientFrame(true, 0, wsframe.OpContinuation, "\xa9")), uint8(2), false)
	f.Add(cat(clientFrame(true, wsframe.RSV1, wsframe.OpText, "\xf2H\xcd\xc9\xc9\x07\x00")), uint8(3), true)
	f.Add(cat(clientFrame(true, 0, wsframe.OpText, "\xff")), uint8(5), false)
	f.Add(cat(clientFrame(true, 0, wsframe.OpClose, "\x03")), uint8(1), false)
	f.Fuzz(func(t *testing.T, stream []byte, split uint8, deflate bool) {
		whole := conversation(stream, len(stream)+1, deflate)
		pieces := conversation(stream, int(split%7)+1, deflate)
		if whole != pieces {
			t.Fatalf("whole:\n%s\nin pieces of %d:\n%s", whole, split%7+1, pieces)
		}
	})
}
