package h2

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// TestContinue sends a request with "expect: 100-continue": the server
// answers 100 when the handler reads the body, then the response.
func TestContinue(t *testing.T) {
	addr := serveTest(t, &Config{})
	c := dial(t, addr)
	c.request(1, "POST", "/echo", false, "expect", "100-continue")
	if s := c.status(1); s != "100" {
		t.Fatalf("interim status %s, want 100", s)
	}
	c.fr.WriteData(1, true, []byte("body"))
	if s := c.status(1); s != "200" {
		t.Fatalf("final status %s, want 200", s)
	}
	f := c.until("DATA", func(f http2.Frame) bool { _, ok := f.(*http2.DataFrame); return ok })
	if d := f.(*http2.DataFrame); string(d.Data()) != "body" {
		t.Fatalf("echoed %q", d.Data())
	}
}

// TestRefusedRequests covers requests answered or reset before any
// handler runs.
func TestRefusedRequests(t *testing.T) {
	tests := []struct {
		name   string
		send   func(c *client)
		status string        // a response, or
		reset  http2.ErrCode // a reset
	}{
		{"CONNECT", func(c *client) {
			c.buf.Reset()
			c.enc.WriteField(hf(":method", "CONNECT"))
			c.enc.WriteField(hf(":authority", "example.com:443"))
			c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.buf.Bytes(), EndHeaders: true})
		}, "405", 0},
		{"body over the limit", func(c *client) {
			c.request(1, "POST", "/echo", false, "content-length", "100000")
		}, "413", 0},
		{"upper-case field name", func(c *client) {
			c.request(1, "GET", "/", true, "X-Upper", "1")
		}, "", http2.ErrCodeProtocol},
		{"connection field", func(c *client) {
			c.request(1, "GET", "/", true, "connection", "close")
		}, "", http2.ErrCodeProtocol},
		{"content-length and END_STREAM", func(c *client) {
			c.request(1, "POST", "/", true, "content-length", "5")
		}, "", http2.ErrCodeProtocol},
		{"body longer than content-length", func(c *client) {
			c.request(1, "POST", "/echo", false, "content-length", "2")
			c.fr.WriteData(1, true, []byte("three"))
		}, "", http2.ErrCodeProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := serveTest(t, &Config{MaxBodyBytes: 1000})
			c := dial(t, addr)
			tc.send(c)
			if tc.status != "" {
				if s := c.status(1); s != tc.status {
					t.Fatalf("status %s, want %s", s, tc.status)
				}
			} else if code := c.reset(1); code != tc.reset {
				t.Fatalf("reset %v, want %v", code, tc.reset)
			}
			// The connection serves on.
			c.request(3, "GET", "/", true)
			if s := c.status(3); s != "200" {
				t.Fatalf("next request: %s", s)
			}
		})
	}
}

// TestShutdownDrains starts a slow request, then shuts the connection
// down: GOAWAY names the stream, which finishes; a stream opened after
// the GOAWAY is not served; then the connection closes.
func TestShutdownDrains(t *testing.T) {
	cfg := &Config{Handler: nil}
	addr := serveTest(t, cfg)
	c := dial(t, addr)
	c.request(1, "POST", "/echo", false)
	// Wait until the stream is open on the server: its handler reads.
	time.Sleep(50 * time.Millisecond)
	conns := liveConns(t, cfg)
	conns.Shutdown()
	f := c.until("GOAWAY", func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok }).(*http2.GoAwayFrame)
	if f.ErrCode != http2.ErrCodeNo || f.LastStreamID != 1 {
		t.Fatalf("GOAWAY %v last stream %d, want NO_ERROR, 1", f.ErrCode, f.LastStreamID)
	}
	c.request(3, "GET", "/", true)
	c.fr.WriteData(1, true, []byte("finished"))
	if s := c.status(1); s != "200" {
		t.Fatalf("stream 1: %s", s)
	}
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			break // closed
		}
		if h, ok := f.(*http2.HeadersFrame); ok && h.StreamID == 3 {
			t.Fatal("stream 3, opened after GOAWAY, was served")
		}
	}
}

// TestBlockedHandler: a handler that blocks, and a stream whose client
// opens no window, hold up neither the connection nor its other streams,
// whether their requests come one by one or in one write (one read, the
// streams queued for the connection's workers together).
func TestBlockedHandler(t *testing.T) {
	for _, burst := range []bool{false, true} {
		t.Run(fmt.Sprintf("burst=%v", burst), func(t *testing.T) {
			t.Parallel()
			addr := serveTest(t, &Config{})
			c := dial(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
			var out bytes.Buffer
			if burst {
				c.fr = http2.NewFramer(&out, c.nc)
			}
			c.request(1, "GET", "/slow", true)
			c.request(3, "GET", "/big", true) // stalls: no stream window
			c.request(5, "GET", "/", true)
			if burst {
				c.nc.Write(out.Bytes())
				c.fr = http2.NewFramer(c.nc, c.nc)
			}
			if s := c.status(5); s != "200" {
				t.Fatalf("stream 5: %s", s)
			}
			c.fr.WriteWindowUpdate(5, 2)
			f := c.until("DATA on stream 5", func(f http2.Frame) bool {
				d, ok := f.(*http2.DataFrame)
				return ok && d.StreamID == 5
			})
			if d := f.(*http2.DataFrame); string(d.Data()) != "ok" {
				t.Fatalf("stream 5 body %q", d.Data())
			}
		})
	}
}

// TestSettingsAckBeforeWokenData: DATA that a larger
// SETTINGS_INITIAL_WINDOW_SIZE allows follows that SETTINGS' ACK. A
// client may wait for the ACK before looking for the DATA (h2spec 6.9.2
// does, skipping other frames meanwhile). The order was a race: the
// stream woken by the new window could write first. Many connections
// make the race likely to show.
func TestSettingsAckBeforeWokenData(t *testing.T) {
	addr := serveTest(t, &Config{})
	for i := range 100 {
		c := dial(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
		c.until("SETTINGS ACK", func(f http2.Frame) bool {
			sf, ok := f.(*http2.SettingsFrame)
			return ok && sf.IsAck()
		})
		c.request(1, "GET", "/", true)
		c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1})
		f := c.until("SETTINGS ACK or DATA", func(f http2.Frame) bool {
			sf, ok := f.(*http2.SettingsFrame)
			_, data := f.(*http2.DataFrame)
			return data || ok && sf.IsAck()
		})
		if _, ok := f.(*http2.DataFrame); ok {
			t.Fatalf("connection %d: DATA before the ACK of the SETTINGS that allowed it", i)
		}
		c.until("DATA", func(f http2.Frame) bool {
			d, ok := f.(*http2.DataFrame)
			return ok && len(d.Data()) == 1
		})
		c.nc.Close()
	}
}
