package websocket

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/brick-server/brick/wire/wsframe"
)

// recordConn records what is written to it.
type recordConn struct {
	net.Conn
	out bytes.Buffer
}

func (c *recordConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *recordConn) Close() error                     { return nil }
func (c *recordConn) SetWriteDeadline(time.Time) error { return nil }

// foreignStream is what a library writes on a hijacked connection: the
// 101 head (when it writes it itself), then frames of each length form,
// a control frame inside a fragmented message and a compressed frame. It
// returns the stream and the offsets where frames may start.
func foreignStream(head string) ([]byte, []int) {
	b := []byte(head)
	bounds := []int{len(b)}
	frame := func(fin bool, op wsframe.Opcode, rsv byte, n int) {
		b = wsframe.AppendHeader(b, wsframe.Header{Fin: fin, Op: op, Rsv: rsv, Length: int64(n)})
		b = append(b, bytes.Repeat([]byte{'x'}, n)...)
		bounds = append(bounds, len(b))
	}
	frame(true, wsframe.OpText, 0, 5)
	frame(false, wsframe.OpBinary, 0, 300)
	frame(true, wsframe.OpPing, 0, 4)
	frame(false, wsframe.OpContinuation, 0, 0)
	frame(true, wsframe.OpContinuation, 0, 70000)
	frame(true, wsframe.OpBinary, wsframe.RSV1, 9)
	return b, bounds
}

// TestForeignFollowsFrames: whatever the library's writes look like (the
// stream whole, byte by byte, in odd pieces), a close frame owed between
// two writes goes out at the next frame boundary and nothing after it;
// after a response head that is not 101 no frame is followed and nothing
// is added.
func TestForeignFollowsFrames(t *testing.T) {
	t.Parallel()
	closeFrame := wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Op: wsframe.OpClose, Length: 19})
	closeFrame = wsframe.AppendClose(closeFrame, wsframe.CloseGoingAway, "server going away")
	for _, tc := range []struct {
		name string
		head string
		f    Foreign
		ws   bool
	}{
		{"frames", "", ForeignFrames, true},
		{"head-then-frames", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", ForeignHandshake, true},
		{"refused", "HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\n", ForeignHandshake, false},
	} {
		stream, bounds := foreignStream(tc.head)
		for _, split := range []int{len(stream), 1, 3, 7, 1000} {
			// The close frame is owed at a write's start: near each
			// frame's end, and inside the long frame.
			owed := map[int]bool{}
			for _, x := range append(bounds, 40000) {
				for _, o := range []int{x - 2, x - 1, x, x + 1} {
					// In small pieces, the long frame is crossed once.
					if o >= 0 && o <= len(stream) && (split >= 16 || o < 1000 || x == bounds[len(bounds)-2]) {
						owed[o/split*split] = true
					}
				}
			}
			if !tc.ws {
				owed = map[int]bool{0: true} // never sent: the whole stream is written each time
			}
			for owedAt := range owed {
				rc := &recordConn{}
				c := &foreignConn{followed: followed{Conn: rc, inHead: tc.f == ForeignHandshake}, closed: make(chan struct{})}
				for off := 0; off < len(stream); off += split {
					if off == owedAt && !c.away {
						c.owe()
					}
					n, err := c.Write(stream[off:min(off+split, len(stream))])
					if err != nil || n != min(split, len(stream)-off) {
						t.Fatalf("%s split %d: Write = %d, %v", tc.name, split, n, err)
					}
					if c.sent && off > owedAt+100 {
						break // the rest is dropped, as the last 100 bytes showed
					}
				}
				if owedAt >= len(stream) {
					c.owe()
				}
				want := stream
				if tc.ws {
					b := len(stream)
					for _, x := range bounds {
						if x >= owedAt {
							b = x
							break
						}
					}
					want = append(append([]byte(nil), stream[:b]...), closeFrame...)
				}
				if !bytes.Equal(rc.out.Bytes(), want) {
					t.Fatalf("%s split %d, owed at %d: wrote %d bytes, want %d (the stream to a frame boundary, then the close frame)", tc.name, split, owedAt, rc.out.Len(), len(want))
				}
			}
		}
	}
}

// FuzzForeign: any bytes a library writes (or a proxy relays, masked
// toward the upstream), in any pieces, with the close frame owed at any
// point: no panic, and what goes out is a prefix of the input, followed
// by the close frame when one went out.
func FuzzForeign(f *testing.F) {
	stream, _ := foreignStream("HTTP/1.1 101 Switching Protocols\r\n\r\n")
	f.Add(stream, uint8(7), uint16(100), true, false)
	f.Add([]byte("\x81\x7e\x00"), uint8(1), uint16(1), false, false)
	f.Add([]byte("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00abc"), uint8(2), uint16(3), false, false)
	f.Add([]byte("\x82\x83\x01\x02\x03\x04abc\x81\x80\x01\x02\x03\x04"), uint8(3), uint16(4), false, true)
	f.Fuzz(func(t *testing.T, in []byte, split uint8, owedAt uint16, head, masked bool) {
		n := max(int(split), 1)
		rc := &recordConn{}
		c := &foreignConn{followed: followed{Conn: rc, inHead: head, masked: masked}, closed: make(chan struct{})}
		for off := 0; off < len(in); off += n {
			if off >= int(owedAt) && !c.away {
				c.owe()
			}
			c.Write(in[off:min(off+n, len(in))])
		}
		out := rc.out.Bytes()
		if c.sent {
			k := 21
			if masked {
				k += 4
			}
			if len(out) < k || out[len(out)-k] != 0x88 {
				t.Fatalf("the close frame is not last: % x", out)
			}
			out = out[:len(out)-k]
		}
		if !bytes.HasPrefix(in, out) {
			t.Fatalf("wrote bytes that are not the input's prefix")
		}
	})
}
