package websocket_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire"
)

// TestHandshakeRejected sends requests that are not valid opening
// handshakes (RFC 6455 §4.2.1) and expects the status and the fields that
// tell the client what to do.
func TestHandshakeRejected(t *testing.T) {
	t.Parallel()
	const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	const good = "Upgrade: websocket\r\nConnection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 13\r\n"
	tests := []struct {
		name, req string
		status    int
		header    map[string]string
	}{
		{"POST", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" + good, 405, map[string]string{"Allow": "GET"}},
		{"HTTP/1.0", "GET / HTTP/1.0\r\nHost: h\r\n" + good, 400, nil},
		{"no Upgrade", "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 13\r\n", 426, map[string]string{"Upgrade": "websocket", "Sec-WebSocket-Version": "13"}},
		{"no Connection upgrade", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" + key + "Sec-WebSocket-Version: 13\r\n", 426, nil},
		{"version 8", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 8\r\n", 426, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"two versions", "GET / HTTP/1.1\r\nHost: h\r\n" + good + "Sec-WebSocket-Version: 13\r\n", 426, nil},
		{"no key", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 400, nil},
		{"key of 15 bytes", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\nSec-WebSocket-Version: 13\r\n", 400, nil},
		{"key not base64", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\nSec-WebSocket-Version: 13\r\n", 400, nil},
		{"two keys", "GET / HTTP/1.1\r\nHost: h\r\n" + good + key, 400, nil},
		{"a body", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n" + good + "\r\nab", 400, nil},
		{"bad extensions", "GET / HTTP/1.1\r\nHost: h\r\n" + good + "Sec-WebSocket-Extensions: permessage-deflate;;\r\n", 400, nil},
		{"cross origin", "GET / HTTP/1.1\r\nHost: h\r\n" + good + "Origin: http://evil.example\r\n", 403, nil},
	}
	addr := serve(t, newEcho(websocket.Options{}))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := roundTrip(t, addr, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			for k, v := range tc.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

func roundTrip(t *testing.T, addr, req string) *http.Response {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if !strings.HasSuffix(req, "ab") {
		req += "\r\n"
	}
	io.WriteString(nc, req)
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	return resp
}

// TestGatewayAccept drives the steps a gateway uses: Check, a decision,
// then Accept with a chosen subprotocol and extra fields, or an ordinary
// HTTP answer instead of the upgrade.
func TestGatewayAccept(t *testing.T) {
	t.Parallel()
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		hs, err := websocket.Check(r)
		if err != nil {
			websocket.Reject(w, err)
			return nil
		}
		switch string(r.Path) {
		case "/deny":
			w.Header().Set("X-Why", "denied")
			w.WriteHeader(403)
			w.WriteString("no\n")
			return nil
		case "/bad-protocol":
			_, err := hs.Accept(w, websocket.AcceptOptions{Subprotocol: "never-offered"}, nil)
			if !errors.Is(err, websocket.ErrBadAccept) {
				t.Errorf("Accept with a subprotocol not offered: %v", err)
			}
			websocket.Reject(w, err)
			return nil
		case "/bad-header":
			_, err := hs.Accept(w, websocket.AcceptOptions{Header: []wire.Field{{Name: []byte("Sec-WebSocket-Accept"), Value: []byte("x")}}}, nil)
			websocket.Reject(w, err)
			return nil
		}
		if strings.Join(hs.Subprotocols, ",") != "one,two,three" {
			t.Errorf("offered subprotocols %q", hs.Subprotocols)
		}
		c, err := hs.Accept(w, websocket.AcceptOptions{
			Subprotocol: "two",
			Header:      []wire.Field{{Name: []byte("Set-Cookie"), Value: []byte("a=b")}},
		}, nil)
		if err != nil {
			return err
		}
		_, msg, err := c.ReadMessage(nil)
		if err == nil {
			err = c.WriteMessage(websocket.Text, append([]byte(c.Subprotocol()+":"), msg...))
		}
		if err == nil {
			err = c.Close(1000, "")
		}
		if err != nil {
			t.Errorf("conversation: %v", err)
		}
		return nil
	})
	addr := serve(t, h)
	c := dialRaw(t, addr, "/", "Sec-WebSocket-Protocol: one, two", "Sec-WebSocket-Protocol: three")
	if got := header(c.resp, "Sec-WebSocket-Protocol"); got != "two" {
		t.Errorf("Sec-WebSocket-Protocol %q", got)
	}
	if got := header(c.resp, "Set-Cookie"); got != "a=b" {
		t.Errorf("Set-Cookie %q", got)
	}
	if got := header(c.resp, "Sec-WebSocket-Accept"); got == "" {
		t.Error("no Sec-WebSocket-Accept")
	}
	c.send(1, "hi")
	if _, got := c.readData(); got != "two:hi" {
		t.Errorf("echo %q", got)
	}
	if code := c.closeCode(); code != 1000 {
		t.Errorf("close code %d", code)
	}
	for path, status := range map[string]int{"/deny": 403, "/bad-protocol": 500, "/bad-header": 500} {
		c := dialHandshake(t, addr, path)
		if c.resp.StatusCode != status {
			t.Errorf("%s: status %d, want %d", path, c.resp.StatusCode, status)
		}
	}
}

// TestCheckOrigin: Options.CheckOrigin replaces the same-origin rule.
func TestCheckOrigin(t *testing.T) {
	t.Parallel()
	e := newEcho(websocket.Options{CheckOrigin: func(r *web.Request) bool {
		return string(r.Header.Get("Origin")) == "https://app.example"
	}})
	addr := serve(t, e)
	for origin, status := range map[string]int{"https://app.example": 101, "http://" + addr: 403, "null": 403} {
		if c := dialHandshake(t, addr, "/", "Origin: "+origin); c.resp.StatusCode != status {
			t.Errorf("Origin %s: status %d, want %d", origin, c.resp.StatusCode, status)
		}
	}
}

// TestAcceptKey is RFC 6455 §1.3's example.
func TestAcceptKey(t *testing.T) {
	if got := websocket.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("AcceptKey = %q", got)
	}
}
