package h2

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// FuzzFields feeds decoded header fields ("name: value" lines) to the
// request checks: they never panic, and a request they accept has a
// method, a path starting with "/" (or "*" for OPTIONS), and no field a
// handler must not see.
func FuzzFields(f *testing.F) {
	for _, s := range []string{
		":method: GET\n:scheme: https\n:path: /a?b=c\n:authority: x\n",
		":method: POST\n:scheme: http\n:path: /\ncontent-length: 3\ncookie: a=1\ncookie: b=2\n",
		":method: CONNECT\n:authority: x:443\n",
		":method: OPTIONS\n:scheme: http\n:path: *\n",
		":path: /\n:method: GET\n:method: GET\n",
		":method: GET\nx: y\n:scheme: http\n:path: /\n",
		":method: GET\n:scheme: http\n:path: /\nConnection: close\n",
		":method: GET\n:scheme: http\n:path: /\nte: gzip\n",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, in string, end bool) {
		var fs fields
		fs.reset(4096, 100)
		for _, line := range strings.Split(in, "\n") {
			name, value, _ := strings.Cut(line, ": ")
			if line == "" {
				continue
			}
			fs.emit(hpack.HeaderField{Name: name, Value: value})
		}
		if fs.tooBig || fs.finish(end) != nil || fs.connect {
			return
		}
		var r web.Request
		fs.request(&r, end)
		if len(r.Method) == 0 || len(r.Path) == 0 || r.Path[0] != '/' && string(r.Path) != "*" {
			t.Fatalf("accepted method %q path %q", r.Method, r.Path)
		}
		for _, fl := range r.Header.Fields() {
			if fl.Name[0] == ':' || bytes.ContainsAny(fl.Value, "\r\n\x00") || string(fl.Name) == "connection" {
				t.Fatalf("accepted field %q: %q", fl.Name, fl.Value)
			}
		}
	})
}

// FuzzParseSettings decodes HTTP2-Settings values: never a panic, and
// what it accepts holds whole, valid settings.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"AAMAAABkAAQAAP__", "", "AAMAAABkAAQAAP__==", "!!", "AAEAAEAA", "AAIAAAAC"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		list, err := ParseSettings(v)
		if err != nil {
			return
		}
		for _, s := range list {
			if s.Valid() != nil {
				t.Fatalf("accepted %v", s)
			}
		}
	})
}

// FuzzMatchPreface checks the preface detection against its definition.
func FuzzMatchPreface(f *testing.F) {
	for _, s := range []string{ClientPreface, "PRI * HTTP/2.0\r\n", "P", "GET / HTTP/1.1\r\n", ClientPreface + "\x00\x00\x00\x04"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		full, partial := MatchPreface(b)
		wantFull := bytes.HasPrefix(b, []byte(ClientPreface))
		wantPartial := !wantFull && strings.HasPrefix(ClientPreface, string(b))
		if full != wantFull || partial != wantPartial {
			t.Fatalf("MatchPreface(%q) = %v, %v", b, full, partial)
		}
	})
}

// FuzzConn runs the connection's state machine over arbitrary frames
// after a valid preface: it must neither panic nor hang, whatever the
// client sends, and end once the client has closed.
func FuzzConn(f *testing.F) {
	var b bytes.Buffer
	c := &client{}
	c.enc = hpack.NewEncoder(&c.buf)
	fr := http2.NewFramer(&b, nil)
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.block("POST", "/echo"), EndHeaders: true})
	fr.WriteData(1, true, []byte("hello"))
	fr.WriteWindowUpdate(0, 100)
	fr.WritePing(false, [8]byte{})
	fr.WriteRSTStream(3, http2.ErrCodeCancel)
	f.Add(b.Bytes())
	f.Add([]byte{0, 0, 0, 9, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, frames []byte) {
		srv, cli := net.Pipe()
		conn := NewConn(srv, &Config{Handler: web.HandlerFunc(testHandler), Logger: slog.New(slog.DiscardHandler),
			Read: 100 * time.Millisecond, Write: 100 * time.Millisecond, Idle: time.Second}, ConnOptions{})
		go io.Copy(io.Discard, cli)
		go func() {
			io.WriteString(cli, ClientPreface)
			http2.NewFramer(cli, nil).WriteSettings()
			cli.Write(frames)
			cli.Close()
		}()
		done := make(chan struct{})
		go func() { conn.Serve(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("connection still open 5 s after the client closed")
		}
	})
}
