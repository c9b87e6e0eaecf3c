package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// bufWriter is a ResponseWriter without abilities.
type bufWriter struct {
	h    wire.Header
	body strings.Builder
}

func (b *bufWriter) Header() *wire.Header              { return &b.h }
func (b *bufWriter) WriteHeader(int)                   {}
func (b *bufWriter) Write(p []byte) (int, error)       { return b.body.Write(p) }
func (b *bufWriter) WriteString(s string) (int, error) { return b.body.WriteString(s) }

// senderWriter records SendFile calls.
type senderWriter struct {
	bufWriter
	off, n int64
}

func (s *senderWriter) SendFile(f *os.File, off, n int64) (int64, error) {
	s.off, s.n = off, n
	return n, nil
}

// wrapper hides the writer it wraps except through Unwrap.
type wrapper struct{ web.ResponseWriter }

func (w wrapper) Unwrap() web.ResponseWriter { return w.ResponseWriter }

func TestSendFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("0123456789"), 0o644)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sw := new(senderWriter)
	if n, err := web.SendFile(wrapper{wrapper{sw}}, f, 2, 5); n != 5 || err != nil || sw.off != 2 || sw.n != 5 {
		t.Errorf("through two wrappers: %d, %v; SendFile(%d, %d)", n, err, sw.off, sw.n)
	}
	bw := new(bufWriter)
	if n, err := web.SendFile(wrapper{bw}, f, 3, 4); n != 4 || err != nil || bw.body.String() != "3456" {
		t.Errorf("fallback copy: %d, %v, %q", n, err, bw.body.String())
	}
	bw = new(bufWriter)
	if _, err := web.SendFile(bw, f, 8, 5); err == nil {
		t.Errorf("copying past the end: no error (%q)", bw.body.String())
	}
}
