//go:build !race

package asgi

import (
	"bytes"
	"io"
	"net/netip"
	"testing"

	"github.com/brick-server/brick/gateway/cgienv"
	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// The Go side's per-request work, once a call's buffers have grown, must
// not allocate (STYLE.md §10): decoding the path, building the start
// frame, reading the worker's frames, parsing the head into a reused one.
// The race detector allocates, hence the build tag.
func TestRequestPathAllocs(t *testing.T) {
	r := &web.Request{Body: web.NoBody, RemoteAddr: netip.MustParseAddrPort("[::ffff:10.0.0.2]:51234"),
		LocalAddr: netip.MustParseAddrPort("10.0.0.1:8080")}
	raw := "GET /api/caf%C3%A9/items?id=7&q=x HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\nAccept: */*\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n"
	if _, err := new(wire.RequestParser).Parse(&r.RequestHead, []byte(raw), nil); err != nil {
		t.Fatal(err)
	}
	h := &Handler{cfg: &Config{Settings: pyproc.Settings{Mount: "/api"}}}
	c := &call{}
	var reply []byte
	reply = append(reply, frameBytes(FrameHead, 9, "200\x00content-type\x00application/json\x00content-length\x002")...)
	reply = append(reply, frameBytes(FrameData, 9, "{}")...)
	reply = append(reply, frameBytes(FrameEnd, 9, "")...)
	src := bytes.NewReader(reply)
	fr := newFrameReader(src)
	var head Head
	var pending []byte
	allocs := testing.AllocsPerRun(200, func() {
		path, err := cgienv.AppendPath(c.path[:0], r.Path)
		if err != nil {
			t.Fatal(err)
		}
		c.path = path
		h.scope(c, r, path)
		c.frame = c.enc.AppendFrame(c.frame[:0], 9, KindHTTP, 0, nil)
		src.Reset(reply)
		fr.br.Reset(src)
		for range 3 {
			typ, _, n, err := fr.next()
			if err != nil {
				t.Fatal(err)
			}
			switch typ {
			case FrameHead:
				p, err := fr.payload(n)
				if err != nil || ParseHead(p, &head) != nil {
					t.Fatal(err)
				}
			case FrameData:
				if pending, err = fr.into(pending[:0], n); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per request, want 0", allocs)
	}
}

// Queueing a frame for the worker and writing the batch reuse the
// socket's two buffers: nothing is allocated per request.
func TestSockQueueAllocs(t *testing.T) {
	s, peer := sockPair(t)
	go io.Copy(io.Discard, peer)
	frame := frameBytes(FrameStart, 7, "a start frame's scope strings")
	allocs := testing.AllocsPerRun(500, func() {
		if err := s.queue(frame); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per queued frame, want 0", allocs)
	}
}
