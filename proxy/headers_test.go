package proxy_test

import (
	"bufio"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/brick-server/brick/proxy"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// captureUpstream answers every request with an empty 200 and sends the
// head it read on heads.
func captureUpstream(t *testing.T) (string, chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	heads := make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					var head strings.Builder
					for {
						line, err := br.ReadString('\n')
						if err != nil {
							return
						}
						head.WriteString(line)
						if line == "\r\n" {
							break
						}
					}
					heads <- head.String()
					c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), heads
}

// TestForwardingFields: the forwarding fields for clients of each kind
// of address, called on the handler directly so the peer can be any.
func TestForwardingFields(t *testing.T) {
	up, heads := captureUpstream(t)
	c := config(up)
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	h, err := proxy.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	tests := []struct {
		name, peer, fields string
		want, absent       []string
	}{
		{"IPv4", "192.0.2.1:5000", "", []string{"X-Forwarded-For: 192.0.2.1\r\n", "Forwarded: for=192.0.2.1;host=h.test;proto=http\r\n"}, nil},
		{"IPv6 quoted in Forwarded", "[2001:db8::1]:5000", "", []string{"X-Forwarded-For: 2001:db8::1\r\n", `Forwarded: for="[2001:db8::1]";host=h.test;proto=http` + "\r\n"}, nil},
		{"IPv4-mapped unmapped", "[::ffff:192.0.2.9]:5000", "", []string{"X-Forwarded-For: 192.0.2.9\r\n"}, nil},
		{"Unix socket: no address", "", "X-Forwarded-For: 6.6.6.6\r\n", []string{"Forwarded: for=unknown;host=h.test;proto=http\r\n"}, []string{"X-Forwarded-For", "6.6.6.6"}},
		{"trusted chain", "10.1.2.3:5000", "X-Forwarded-For: 198.51.100.7\r\nX-Forwarded-For: 198.51.100.8\r\n", []string{"X-Forwarded-For: 198.51.100.7, 198.51.100.8, 10.1.2.3\r\n"}, nil},
		{"untrusted chain replaced", "192.0.2.1:5000", "X-Forwarded-For: 198.51.100.7\r\n", []string{"X-Forwarded-For: 192.0.2.1\r\n"}, []string{"198.51.100.7"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := "GET / HTTP/1.1\r\nHost: h.test\r\n" + tc.fields + "\r\n"
			r := &web.Request{Body: web.NoBody}
			if tc.peer != "" {
				r.RemoteAddr = netip.MustParseAddrPort(tc.peer)
			}
			var p wire.RequestParser
			if _, err := p.Parse(&r.RequestHead, []byte(raw), nil); err != nil {
				t.Fatal(err)
			}
			if err := h.ServeHTTP(&discardWriter{}, r); err != nil {
				t.Fatal(err)
			}
			head := <-heads
			for _, w := range tc.want {
				if !strings.Contains(head, w) {
					t.Errorf("no %q in\n%s", w, head)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(head, a) {
					t.Errorf("%q in\n%s", a, head)
				}
			}
		})
	}
}
