package h2

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
)

// servedFile is a file the tests serve with web.SendFile; it stays open
// until the handlers serving it have returned, as a handler's caller
// keeps the file it sends open (SendFile uses its descriptor).
type servedFile struct {
	f       *os.File
	body    []byte
	running sync.WaitGroup
}

func testFile(t testing.TB, size int) *servedFile {
	t.Helper()
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i*7 + i>>12)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sf := &servedFile{f: f, body: body}
	// Registered before the server's, this runs after the connections
	// are closed, which ends the handlers' waits.
	t.Cleanup(func() {
		sf.running.Wait()
		f.Close()
	})
	return sf
}

// handler serves the file: /file whole with its length, /short declaring
// 100000 bytes more than the file holds, /prefixed behind a few bytes
// written first, /unsized without a length.
func (sf *servedFile) handler() web.HandlerFunc {
	return func(w web.ResponseWriter, r *web.Request) error {
		sf.running.Add(1)
		defer sf.running.Done()
		size := int64(len(sf.body))
		n, declared := size, size
		switch string(r.Path) {
		case "/short":
			n += 100000
			declared = n
		case "/prefixed":
			declared += int64(len(prefix))
		}
		if string(r.Path) != "/unsized" {
			var num [20]byte
			w.Header().AddBytes([]byte("Content-Length"), strconv.AppendInt(num[:0], declared, 10))
		}
		if string(r.Path) == "/prefixed" {
			if _, err := w.Write([]byte(prefix)); err != nil {
				return err
			}
		}
		_, err := web.SendFile(w, sf.f, 0, n)
		return err
	}
}

const prefix = "prefix:"

// body reads stream id's DATA frames to its end, giving the window back
// as it goes, and returns the payload and the frames' sizes (an empty
// END_STREAM frame counts as 0).
func (c *client) body(id uint32) ([]byte, []int) {
	c.t.Helper()
	var got []byte
	var sizes []int
	c.until("the body", func(f http2.Frame) bool {
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				c.t.Fatalf("stream %d reset: %v", id, f.ErrCode)
			}
		case *http2.DataFrame:
			if f.StreamID != id {
				return false
			}
			got = append(got, f.Data()...)
			sizes = append(sizes, len(f.Data()))
			if n := uint32(len(f.Data())); n > 0 {
				c.fr.WriteWindowUpdate(0, n)
				c.fr.WriteWindowUpdate(id, n)
			}
			return f.StreamEnded()
		}
		return false
	})
	return got, sizes
}

// TestSendFile serves a file through web.SendFile over h2c, with the
// client's windows at their initial 65535 bytes and smaller: the body
// arrives whole, in frames no larger than the client's frame size, and
// the last one carries END_STREAM (no empty DATA frame after it).
func TestSendFile(t *testing.T) {
	t.Parallel()
	sf := testFile(t, 300000)
	want := sf.body
	cfg := &Config{Handler: sf.handler()}
	addr := serveTest(t, cfg)
	for _, tc := range []struct {
		name     string
		path     string
		window   uint32 // SETTINGS_INITIAL_WINDOW_SIZE; 0 leaves 65535
		wantBody []byte
	}{
		{"whole", "/file", 0, want},
		{"small window", "/file", 5000, want},
		{"one-byte window", "/file", 1, want[:0]}, // checked below: the first byte only
		{"after a write", "/prefixed", 0, append([]byte(prefix), want...)},
		{"no length", "/unsized", 0, want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var settings []http2.Setting
			if tc.window > 0 {
				settings = append(settings, http2.Setting{ID: http2.SettingInitialWindowSize, Val: tc.window})
			}
			c := dial(t, addr, settings...)
			if tc.window == 1 {
				// The stream gets one byte at a time: ask for the first
				// two only, then reset it.
				c.request(1, "GET", tc.path, true)
				if s := c.status(1); s != "200" {
					t.Fatalf(":status %s", s)
				}
				for i := range 2 {
					f := c.until("DATA", func(f http2.Frame) bool { _, ok := f.(*http2.DataFrame); return ok }).(*http2.DataFrame)
					if !bytes.Equal(f.Data(), want[i:i+1]) {
						t.Fatalf("frame %d: %q, want one byte %q", i, f.Data(), want[i:i+1])
					}
					c.fr.WriteWindowUpdate(1, 1)
				}
				c.fr.WriteRSTStream(1, http2.ErrCodeCancel)
				return
			}
			c.request(1, "GET", tc.path, true)
			if s := c.status(1); s != "200" {
				t.Fatalf(":status %s", s)
			}
			if tc.path != "/unsized" && c.got["content-length"] != strconv.Itoa(len(tc.wantBody)) {
				t.Errorf("content-length %q, want %d", c.got["content-length"], len(tc.wantBody))
			}
			got, sizes := c.body(1)
			if !bytes.Equal(got, tc.wantBody) {
				t.Fatalf("%d bytes, want %d (equal: false)", len(got), len(tc.wantBody))
			}
			for i, n := range sizes {
				// Only a response without a length may need an empty
				// frame to end.
				if n == 0 && (tc.path != "/unsized" || i != len(sizes)-1) {
					t.Fatalf("an empty DATA frame (frame %d of %d)", i+1, len(sizes))
				}
				if n > maxFrameSize || tc.window > 0 && n > int(tc.window) {
					t.Fatalf("a DATA frame of %d bytes (frame size %d, window %d)", n, maxFrameSize, tc.window)
				}
			}
		})
	}
}

// TestSendFileShrunk: a file shorter than the length declared resets the
// stream, and the window it had taken for the missing bytes goes back to
// the connection, whose next stream gets the whole file within the
// client's 65535-byte connection window.
func TestSendFileShrunk(t *testing.T) {
	t.Parallel()
	sf := testFile(t, 100000)
	want := sf.body
	addr := serveTest(t, &Config{Handler: sf.handler()})
	c := dial(t, addr)
	c.request(1, "GET", "/short", true)
	if s := c.status(1); s != "200" {
		t.Fatalf(":status %s", s)
	}
	// What arrived of the short stream is given back to the connection
	// only: the stream is about to be reset.
	var got int
	c.until("RST_STREAM", func(f http2.Frame) bool {
		switch f := f.(type) {
		case *http2.DataFrame:
			got += len(f.Data())
			if n := uint32(len(f.Data())); n > 0 {
				c.fr.WriteWindowUpdate(0, n)
				c.fr.WriteWindowUpdate(1, n)
			}
		case *http2.RSTStreamFrame:
			return f.StreamID == 1
		}
		return false
	})
	if got > len(want) {
		t.Fatalf("%d bytes of a %d-byte file", got, len(want))
	}
	c.request(3, "GET", "/file", true)
	if s := c.status(3); s != "200" {
		t.Fatalf(":status %s", s)
	}
	if body, _ := c.body(3); !bytes.Equal(body, want) {
		t.Fatalf("%d bytes, want %d", len(body), len(want))
	}
}

// TestSendFileZeroWindow: a client that opens no stream window until it
// has the response head gets the head at once (it is not flow
// controlled), then the body once it opens the window.
func TestSendFileZeroWindow(t *testing.T) {
	t.Parallel()
	sf := testFile(t, 100000)
	want := sf.body
	addr := serveTest(t, &Config{Handler: sf.handler()})
	c := dial(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	c.nc.SetDeadline(time.Now().Add(3 * time.Second))
	c.request(1, "GET", "/file", true)
	if s := c.status(1); s != "200" {
		t.Fatalf(":status %s", s)
	}
	c.fr.WriteWindowUpdate(1, 1000)
	if body, _ := c.body(1); !bytes.Equal(body, want) {
		t.Fatalf("%d bytes, want %d", len(body), len(want))
	}
}

// TestSendFileSlowClientMemory: a client that asks for a large file on
// many streams with large windows and reads nothing holds no more than
// the connection's few batch buffers (fileBufs) once its socket is full:
// every other stream waits for a buffer rather than holding one. Not
// parallel: it measures the heap.
func TestSendFileSlowClientMemory(t *testing.T) {
	sf := testFile(t, 1<<20)
	addr := serveTest(t, &Config{Handler: sf.handler()})
	c := dial(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 24})
	c.fr.WriteWindowUpdate(0, 1<<30)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const streams = 64
	for i := range streams {
		c.request(uint32(2*i+1), "GET", "/file", true)
	}
	// The socket's buffers fill within milliseconds; then the streams
	// wait, for the socket or for a buffer.
	time.Sleep(time.Second)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 1<<20 {
		t.Errorf("the heap grew by %d KiB with %d streams waiting on a full socket, want under 1024 (%d KiB of batch buffers)",
			grew>>10, streams, fileBufs*fileBatch>>10)
	}
}

// lockedBuffer is a Trace writer the test reads while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// TestSendFileTrace: `brick -v` shows a file's first bytes and counts the
// rest, as for a body written with Write.
func TestSendFileTrace(t *testing.T) {
	t.Parallel()
	sf := testFile(t, 100000)
	var trace lockedBuffer
	addr := serveTest(t, &Config{Handler: sf.handler(), Trace: &trace})
	c := dial(t, addr)
	c.request(1, "GET", "/file", true)
	if s := c.status(1); s != "200" {
		t.Fatalf(":status %s", s)
	}
	c.body(1)
	more := []byte("> [... " + strconv.Itoa(len(sf.body)-traceBodyMax) + " more bytes]")
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := trace.bytes()
		if bytes.Contains(out, more) && bytes.Contains(out, sf.body[:16]) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the trace lacks the body's first bytes or %q:\n%q", more, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWriteTimeoutSlowClient: a client that stops reading has the
// connection closed after the write timeout, the deadline kept across
// writes (setWriteDeadline) notwithstanding.
func TestWriteTimeoutSlowClient(t *testing.T) {
	t.Parallel()
	sf := testFile(t, 1<<20)
	cfg := &Config{Handler: sf.handler(), Write: 300 * time.Millisecond}
	addr := serveTest(t, cfg)
	c := dial(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 24})
	c.fr.WriteWindowUpdate(0, 1<<30)
	for i := range 16 {
		c.request(uint32(2*i+1), "GET", "/file", true)
	}
	select {
	case <-liveConns(t, cfg).doneC:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection outlived its write timeout by seconds")
	}
}
