//go:build linux

package proxy

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestSendThenRead: what sendThenRead was given reaches the peer whole,
// however much of it the socket takes at once, before the answer is read.
func TestSendThenRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{
		{"head", 200},
		{"past the send buffer", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			want := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16)
			got := make(chan []byte, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					got <- nil
					return
				}
				defer c.Close()
				b := make([]byte, len(want))
				_, err = io.ReadFull(c, b)
				got <- b
				if err == nil {
					c.Write([]byte("answer"))
				}
			}()
			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			nc.(*net.TCPConn).SetWriteBuffer(4096)
			c := fastConn(nc).(*rawConn)
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			c.sendThenRead(want)
			buf := make([]byte, 64)
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != "answer" {
				t.Fatalf("read %q, %v", buf[:n], err)
			}
			if b := <-got; !bytes.Equal(b, want) {
				t.Errorf("the peer got %d bytes, not the %d sent", len(b), len(want))
			}
		})
	}
}
