package fastcgi_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/brick-server/brick/gateway/fastcgi"
	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// BenchmarkGateway measures the gateway's own cost per request, against a
// fake FastCGI server that answers at once: the script lookup, the
// variables, the records, the kept-alive connection.
func BenchmarkGateway(b *testing.B) {
	root := b.TempDir()
	os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php"), 0o644)
	answer := cat(stdout("Content-Type: text/plain\r\n\r\nhello"), stdout(""), end(0))
	sock := fakeFPM(b, func() []byte { return answer }, false)
	h, err := fastcgi.New(fastcgi.Config{Root: root, FastCGI: "unix:" + sock, Conns: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	target := []byte("/index.php?x=1")
	r := &web.Request{Body: web.NoBody}
	r.RequestHead = wire.RequestHead{Method: []byte("GET"), Target: target, Path: target[:10], Query: target[11:],
		Proto: []byte("HTTP/1.1"), Major: 1, Minor: 1, Host: []byte("example.com")}
	r.Header.Add("User-Agent", "bench")
	var w testutil.DiscardWriter
	b.ReportAllocs()
	for b.Loop() {
		w.H.Reset()
		if err := h.ServeHTTP(&w, r); err != nil {
			b.Fatal(err)
		}
	}
}
