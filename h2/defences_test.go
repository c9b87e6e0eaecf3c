package h2

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// open starts a request from a flooding goroutine, which may outlive
// its test: a failed write is the flood's end, not a test failure.
func open(c *client, id uint32, method, path string, end bool) {
	c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.block(method, path), EndStream: end, EndHeaders: true})
}

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
			open(c, 1, "POST", "/slow", false)
			for range 400 {
				c.fr.WriteData(1, false, nil)
			}
		}},
		{"WINDOW_UPDATE", func(c *client) {
			// Updates no DATA earned, on the connection and an open stream.
			open(c, 1, "POST", "/slow", false)
			for range 400 {
				c.fr.WriteWindowUpdate(0, 1)
				c.fr.WriteWindowUpdate(1, 1)
			}
		}},
		{"PRIORITY", func(c *client) {
			for range 1500 {
				c.fr.WritePriority(3, http2.PriorityParam{StreamDep: 0, Weight: 15})
			}
		}},
		{"unknown frame type", func(c *client) {
			for range 400 {
				c.fr.WriteRawFrame(0xfa, 0, 0, []byte("grease"))
			}
		}},
		{"RST_STREAM on closed streams", func(c *client) {
			open(c, 1, "GET", "/", true)
			for range 400 {
				c.fr.WriteRSTStream(1, http2.ErrCodeCancel)
			}
		}},
		{"GOAWAY", func(c *client) {
			for range 400 {
				c.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
			}
		}},
		{"SETTINGS ACK", func(c *client) {
			for range 400 {
				c.fr.WriteSettingsAck()
			}
		}},
		{"PING ACK", func(c *client) {
			for range 400 {
				c.fr.WritePing(true, [8]byte{2})
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

// TestWindowUpdatesEarned downloads with a client that returns window
// for every 2 KiB it reads, on the stream and the connection, many times
// faster than the WINDOW_UPDATE cap: updates DATA earned are not a flood.
func TestWindowUpdatesEarned(t *testing.T) {
	addr := serveTest(t, &Config{MaxWindowUpdatesPerSecond: 10})
	c := dial(t, addr)
	for id := uint32(1); id <= 9; id += 2 {
		c.request(id, "GET", "/big", true)
		got := 0
		for got < 1<<20 {
			f := c.until("DATA", func(f http2.Frame) bool { _, ok := f.(*http2.DataFrame); return ok })
			n := uint32(len(f.(*http2.DataFrame).Data()))
			got += int(n)
			for n > 0 {
				k := min(n, 2048)
				c.fr.WriteWindowUpdate(0, k)
				c.fr.WriteWindowUpdate(id, k)
				n -= k
			}
		}
	}
	c.request(11, "GET", "/", true)
	if s := c.status(11); s != "200" {
		t.Fatalf("after the downloads: %s, want 200", s)
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
// again and again), and more fields than MaxHeaderCount. Each is answered 431 on its stream and the
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
	// Many small fields: within the size bound, over the count.
	many := make([]string, 0, 2*101)
	for i := range 101 {
		many = append(many, fmt.Sprintf("x-%d", i), "v")
	}
	c.request(7, "GET", "/", true, many...)
	if s := c.status(7); s != "431" {
		t.Fatalf("101 header fields: %s, want 431", s)
	}
	c.request(9, "GET", "/", true, many[:200]...)
	if s := c.status(9); s != "200" {
		t.Fatalf("100 header fields: %s, want 200", s)
	}
	c.request(11, "GET", "/", true)
	if s := c.status(11); s != "200" {
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
