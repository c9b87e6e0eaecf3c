package proxy_test

import (
	"bufio"
	"io"
	"net"
	"testing"
)

// BenchmarkTunnelEcho: one 64-byte WebSocket message through a proxied
// tunnel to an upstream that echoes it (masked frames one way, unmasked
// the other, as on the wire), one at a time: the relay's cost per
// message, frame following included.
func BenchmarkTunnelEcho(b *testing.B) {
	const n = 64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		in := make([]byte, 2+4+n)
		out := append([]byte{0x82, n}, make([]byte, n)...)
		for {
			if _, err := io.ReadFull(br, in); err != nil {
				return
			}
			for i := range n {
				out[2+i] = in[6+i] ^ in[2+i%4]
			}
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}()
	addr, _ := serve(b, config("http://"+ln.Addr().String()))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	frame := append([]byte{0x82, 0x80 | n, 1, 2, 3, 4}, make([]byte, n)...)
	got := make([]byte, 2+n)
	for b.Loop() {
		if _, err := c.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(br, got); err != nil {
			b.Fatal(err)
		}
	}
}
