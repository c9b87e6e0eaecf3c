package static_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/brick-server/brick/static"
)

// BenchmarkHotCompressible asks, over a kept-alive connection, for each of
// many small compressible files in turn with Accept-Encoding: br, with the
// default configuration (precompressed siblings on) and the real
// revalidation interval. reads/op and compressions/op show how often the
// cache goes back to the disk and the compressor: once per file, ideally,
// however long the run.
func BenchmarkHotCompressible(b *testing.B) {
	root := b.TempDir()
	const files = 1000
	css := bytes.Repeat([]byte("body { color: #123456; margin: 0 auto; }\n"), 400) // 16 KiB
	for i := range files {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%04d.css", i)), css, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	fs, err := static.New(static.Defaults(root))
	if err != nil {
		b.Fatal(err)
	}
	var reads, comps atomic.Int64
	static.SetTestHooks(fs, 0, func(string) { reads.Add(1) }, func(string, string) { comps.Add(1) })
	addr := serveFS(b, fs)
	c := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1}}
	get := func(i int) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/f%04d.css", addr, i%files), nil)
		req.Header.Set("Accept-Encoding", "br")
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "br" {
			b.Fatalf("= %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
	}
	for i := range files {
		get(i) // warm: every file read and compressed once
	}
	reads.Store(0)
	comps.Store(0)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		get(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(reads.Load())/float64(b.N), "reads/op")
	b.ReportMetric(float64(comps.Load())/float64(b.N), "compressions/op")
}

// cpuTime is the user and system CPU time of the process, client and
// server together: on a shared machine it varies less than elapsed time.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
