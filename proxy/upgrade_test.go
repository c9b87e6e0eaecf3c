package proxy_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// startEchoUpgrade runs a raw upstream that answers an Upgrade request
// with 101 and then echoes every byte, and reports the request heads
// it saw on heads.
func startEchoUpgrade(t *testing.T) (string, chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	heads := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				var head string
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					head += line
					if line == "\r\n" {
						break
					}
				}
				heads <- head
				if !strings.Contains(strings.ToLower(head), "upgrade: websocket") {
					io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
					return
				}
				io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello ")
				io.Copy(c, br)
			}()
		}
	}()
	return "http://" + ln.Addr().String(), heads
}

// TestUpgrade: a WebSocket-style switch passes through; bytes flow both
// ways afterwards, and an h2c upgrade is not passed on.
func TestUpgrade(t *testing.T) {
	up, heads := startEchoUpgrade(t)
	addr, _ := serve(t, config(up))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: abc\r\n\r\n")
	br := bufio.NewReader(c)
	r := readResponse(t, br, false)
	if r.Status != 101 || !strings.EqualFold(string(r.Header.Get("Upgrade")), "websocket") {
		t.Fatalf("answer:\n%s", r.raw)
	}
	if h := <-heads; !strings.Contains(h, "Sec-WebSocket-Key: abc") || !strings.Contains(h, "Connection: Upgrade") {
		t.Errorf("upstream saw:\n%s", h)
	}
	io.WriteString(c, "ping")
	got := make([]byte, len("hello ping"))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != "hello ping" {
		t.Fatalf("echo %q, %v", got, err)
	}

	r = get(t, addr, "/ws", "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA")
	if h := <-heads; strings.Contains(strings.ToLower(h), "h2c") || strings.Contains(h, "HTTP2-Settings") || r.Status == 101 {
		t.Errorf("h2c passed on (status %d); upstream saw:\n%s", r.Status, h)
	}
}
