package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestEarlyAnswer: an upstream that refuses a large body at once (413)
// and closes without reading it: the client gets the 413, not a 502.
func TestEarlyAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large")
				c.Close()
			}()
		}
	}()
	addr, _ := serve(t, config("http://"+ln.Addr().String()))
	body := strings.NewReader(strings.Repeat("x", 8<<20))
	resp, err := http.Post("http://"+addr+"/up", "application/octet-stream", body)
	if err != nil {
		t.Fatalf("%v (the proxy cut the upload instead of answering)", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || string(b) != "too large" {
		t.Errorf("%d %q, want the upstream's 413", resp.StatusCode, b)
	}
}
