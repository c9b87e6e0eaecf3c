//go:build !race

package websocket

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/brick-server/brick/wire/wsframe"
)

// TestEchoAllocs echoes small text and binary messages over a loopback
// TCP connection: after the first message, reading and writing one
// allocates nothing (the caller passes its buffer back, frames are built
// in the connection's write buffer).
func TestEchoAllocs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for _, deflate := range []bool{false, true} {
		o := (&Options{Compression: deflate}).withDefaults()
		c := newConn(sc, bufio.NewReader(sc), o, "")
		if deflate {
			// Small messages stay below CompressMin: the extension costs
			// them nothing.
			c.enableDeflate(wsframe.Deflate{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15})
		}
		text := clientFrame(true, 0, wsframe.OpText, "héllo, small message")
		bin := clientFrame(true, 0, wsframe.OpBinary, "\x00\x01\x02 binary")
		echo := make([]byte, 64)
		var buf []byte
		round := func(frame []byte, n int) {
			if _, err := client.Write(frame); err != nil {
				t.Fatal(err)
			}
			typ, msg, err := c.ReadMessage(buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				t.Fatal(err)
			}
			buf = msg
			if _, err := io.ReadFull(client, echo[:2+n]); err != nil {
				t.Fatal(err)
			}
		}
		round(text, len("héllo, small message"))
		allocs := testing.AllocsPerRun(500, func() {
			round(text, len("héllo, small message"))
			round(bin, len("\x00\x01\x02 binary"))
		})
		if allocs != 0 {
			t.Errorf("deflate=%v: %.1f allocations per two messages echoed, want 0", deflate, allocs)
		}
	}
}
