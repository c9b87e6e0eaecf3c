package h2

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// loadClient sends rounds of GET requests, many streams at a time, as
// h2load -m does, and reads the responses without allocating: its
// header block is encoded once (indexed by then), its frames are counted,
// not decoded. It is the benchmark's and the allocation test's client.
type loadClient struct {
	tb      testing.TB
	nc      net.Conn
	round   []byte // one round of HEADERS frames; their stream ids change
	offs    []int  // where each frame's stream id is in round
	next    uint32 // the next stream id
	in      []byte
	i, n    int
	streams int
}

// helloHandler is the benchmark's handler: the 13-byte response.
var helloBody = []byte("Hello, World!")

func helloHandler(w web.ResponseWriter, r *web.Request) error {
	w.Header().Set("Content-Type", "text/plain")
	_, err := w.Write(helloBody)
	return err
}

func newLoadClient(tb testing.TB, addr string, streams int) *loadClient {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	lc := &loadClient{tb: tb, nc: nc, next: 1, in: make([]byte, 256<<10), streams: streams}
	var setup bytes.Buffer
	setup.WriteString(ClientPreface)
	fr := http2.NewFramer(&setup, nil)
	fr.WriteSettings()
	fr.WriteWindowUpdate(0, 1<<30)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	block := func() []byte {
		hb.Reset()
		enc.WriteField(hpack.HeaderField{Name: ":method", Value: "GET"})
		enc.WriteField(hpack.HeaderField{Name: ":scheme", Value: "http"})
		enc.WriteField(hpack.HeaderField{Name: ":path", Value: "/hello"})
		enc.WriteField(hpack.HeaderField{Name: ":authority", Value: "bench"})
		enc.WriteField(hpack.HeaderField{Name: "user-agent", Value: "h2load"})
		return bytes.Clone(hb.Bytes())
	}
	// The first block fills the client's table; the later ones index it.
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: lc.next, BlockFragment: block(), EndStream: true, EndHeaders: true})
	lc.next += 2
	indexed := block()
	if _, err := nc.Write(setup.Bytes()); err != nil {
		tb.Fatal(err)
	}
	lc.await(1)
	var round bytes.Buffer
	rf := http2.NewFramer(&round, nil)
	for range streams {
		lc.offs = append(lc.offs, round.Len()+5)
		rf.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: indexed, EndStream: true, EndHeaders: true})
	}
	lc.round = round.Bytes()
	return lc
}

// do sends one round and waits for all its responses.
func (lc *loadClient) do() {
	for _, off := range lc.offs {
		binary.BigEndian.PutUint32(lc.round[off:], lc.next)
		lc.next += 2
	}
	if _, err := lc.nc.Write(lc.round); err != nil {
		lc.tb.Fatal(err)
	}
	lc.await(lc.streams)
}

// await reads frames until n streams have ended, answering SETTINGS.
func (lc *loadClient) await(n int) {
	lc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for n > 0 {
		for lc.n-lc.i < 9 || lc.n-lc.i < 9+int(lc.in[lc.i])<<16|int(lc.in[lc.i+1])<<8|int(lc.in[lc.i+2]) {
			if lc.i > 0 {
				lc.n = copy(lc.in, lc.in[lc.i:lc.n])
				lc.i = 0
			}
			k, err := lc.nc.Read(lc.in[lc.n:])
			if err != nil && err != io.EOF || k == 0 {
				lc.tb.Fatalf("reading responses: %v", err)
			}
			lc.n += k
		}
		h := lc.in[lc.i:]
		size := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
		typ, flags := http2.FrameType(h[3]), http2.Flags(h[4])
		switch {
		case typ == http2.FrameSettings && flags&http2.FlagSettingsAck == 0:
			if _, err := lc.nc.Write([]byte{0, 0, 0, 4, 1, 0, 0, 0, 0}); err != nil {
				lc.tb.Fatal(err)
			}
		case typ == http2.FrameGoAway || typ == http2.FrameRSTStream:
			lc.tb.Fatalf("server sent %v", typ)
		case (typ == http2.FrameHeaders || typ == http2.FrameData) && flags&0x1 != 0:
			n--
		}
		lc.i += 9 + size
	}
}

// BenchmarkStreams is h2load -m32 on one connection: 32 GETs per round,
// the 13-byte response. It reports per request.
func BenchmarkStreams(b *testing.B) {
	addr := serveTest(b, &Config{Handler: web.HandlerFunc(helloHandler)})
	lc := newLoadClient(b, addr, 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 32 {
		lc.do()
	}
}
