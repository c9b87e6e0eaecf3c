package h2

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestFloods sends each kind of frame a client can send for free faster
// than its cap and expects GOAWAY ENHANCE_YOUR_CALM.
func TestFloods(t *testing.T) {
	tests := []struct {
		name  string
		flood func(c *client)
	}{
		{"rapid reset", func(c *client) {
			// CVE-2023-44487: streams opened and reset at once.
			// It stops when the server hangs up: the test may be over.
			for id := uint32(1); id < 1200; id += 2 {
				if c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.block("GET", "/slow"), EndStream: true, EndHeaders: true}) != nil ||
					c.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
					return
				}
			}
		}},
		{"SETTINGS", func(c *client) {
			for range 300 {
				c.fr.WriteSettings()
			}
		}},
		{"PING", func(c *client) {
			for range 300 {
				c.fr.WritePing(false, [8]byte{1})
			}
		}},
		{"empty DATA", func(c *client) {
			c.request(1, "POST", "/slow", false)
			for range 400 {
				c.fr.WriteData(1, false, nil)
			}
		}},
		{"empty CONTINUATION", func(c *client) {
			c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.block("GET", "/"), EndStream: true})
			for range 400 {
				c.fr.WriteContinuation(1, false, nil)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := serveTest(t, &Config{})
			c := dial(t, addr)
			go tc.flood(c)
			c.goAway(http2.ErrCodeEnhanceYourCalm)
		})
	}
}

// TestContinuationFlood sends a header block that never ends
// (CVE-2024-27316): the server stops it at the encoded bound with
// ENHANCE_YOUR_CALM, without waiting for its end.
func TestContinuationFlood(t *testing.T) {
	addr := serveTest(t, &Config{MaxHeaderBytes: 16 << 10})
	c := dial(t, addr)
	go func() {
		c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.block("GET", "/"), EndStream: true})
		var b bytes.Buffer
		e := hpack.NewEncoder(&b)
		for range 1000 {
			b.Reset()
			e.WriteField(hpack.HeaderField{Name: "x-flood", Value: strings.Repeat("a", 1000), Sensitive: true})
			if c.fr.WriteContinuation(1, false, b.Bytes()) != nil {
				return
			}
		}
	}()
	c.goAway(http2.ErrCodeEnhanceYourCalm)
}

// TestHeaderListLimit sends header lists over the decoded bound: one
// large, and an HPACK bomb (a small block naming a large table entry
// again and again). Each is answered 431 on its stream and the
// connection serves the next request.
func TestHeaderListLimit(t *testing.T) {
	addr := serveTest(t, &Config{MaxHeaderBytes: 16 << 10})
	c := dial(t, addr)
	// Large: 20 KiB of fields in one block.
	c.request(1, "GET", "/", true, "x-big", strings.Repeat("b", 20<<10))
	if s := c.status(1); s != "431" {
		t.Fatalf("large header list: %s, want 431", s)
	}
	// The bomb: a 3 KiB field enters the table (within the limit), then
	// a block of 200 one-byte references to it decodes to 600 KiB.
	c.request(3, "GET", "/", true, "x-bomb", strings.Repeat("c", 3000))
	if s := c.status(3); s != "200" {
		t.Fatalf("request adding the entry: %s, want 200", s)
	}
	block := c.block("GET", "/")
	for range 200 {
		block = append(block, 0x80|62) // indexed: the newest dynamic entry
	}
	if len(block) > 1024 {
		t.Fatalf("bomb block is %d bytes", len(block))
	}
	c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, BlockFragment: block, EndStream: true, EndHeaders: true})
	if s := c.status(5); s != "431" {
		t.Fatalf("HPACK bomb: %s, want 431", s)
	}
	c.request(7, "GET", "/", true)
	if s := c.status(7); s != "200" {
		t.Fatalf("after the 431s: %s, want 200", s)
	}
}

// TestRefusedStream opens more streams than SETTINGS_MAX_CONCURRENT_STREAMS
// allows: the one over is refused, the others served.
func TestRefusedStream(t *testing.T) {
	addr := serveTest(t, &Config{MaxStreams: 2})
	c := dial(t, addr)
	c.request(1, "GET", "/slow", true)
	c.request(3, "GET", "/slow", true)
	c.request(5, "GET", "/", true)
	if code := c.reset(5); code != http2.ErrCodeRefusedStream {
		t.Fatalf("third stream reset with %v, want REFUSED_STREAM", code)
	}
}

// TestZeroWindowStall is a client that opens no window: the stream it
// starves is reset after the write timeout, and when the connection
// window is the one it starves, the connection is closed.
func TestZeroWindowStall(t *testing.T) {
	t.Run("stream window", func(t *testing.T) {
		t.Parallel()
		addr := serveTest(t, &Config{Write: 200 * time.Millisecond})
		c := dial(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
		c.request(1, "GET", "/big", true)
		c.reset(1)
	})
	t.Run("connection window", func(t *testing.T) {
		t.Parallel()
		addr := serveTest(t, &Config{Write: 200 * time.Millisecond})
		c := dial(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
		c.request(1, "GET", "/big", true)
		c.goAway(http2.ErrCodeEnhanceYourCalm)
	})
}
