package static_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/static"
)

// counter counts the test hooks' calls by name.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = make(map[string]int)
	}
	c.n[key]++
}

func (c *counter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

// serveFS serves fs on a loopback port until the test ends.
func serveFS(t testing.TB, fs *static.FileServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Handler: fs}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		fs.Close()
	})
	return ln.Addr().String()
}

// TestCacheKeepsUnchangedFiles asks for unchanged files over many
// revalidation intervals, with precompressed siblings on (the default): each
// file (and sibling) is read once and compressed once, however many times
// the cache checks it against the disk.
func TestCacheKeepsUnchangedFiles(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name, target, ae string
		reads            map[string]int
		compressions     map[string]int
	}{
		{"compressed on the fly", "/style.css", "br", map[string]int{"style.css": 1}, map[string]int{"style.css br": 1}},
		{"precompressed siblings", "/app.js", "br", map[string]int{"app.js": 1, "app.js.br": 1, "app.js.gz": 1}, nil},
		{"identity", "/hello.txt", "gzip, br", map[string]int{"hello.txt": 1}, nil},
		{"index file", "/site/", "gzip", map[string]int{"site/index.html": 1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := static.New(defaults(s))
			if err != nil {
				t.Fatal(err)
			}
			var reads, comps counter
			const interval = 10 * time.Millisecond
			static.SetTestHooks(fs, interval, reads.add, func(name, coding string) { comps.add(name + " " + coding) })
			addr := serveFS(t, fs)
			for i := 0; i < 20; i++ {
				if resp, _ := do(t, addr, "GET", tc.target, "Accept-Encoding: "+tc.ae); resp.StatusCode != 200 {
					t.Fatalf("GET %s = %d", tc.target, resp.StatusCode)
				}
				time.Sleep(2 * interval)
			}
			for name, want := range tc.reads {
				if got := reads.get(name); got != want {
					t.Errorf("%s read %d times over 20 revalidations, want %d", name, got, want)
				}
			}
			for key, want := range tc.compressions {
				if got := comps.get(key); got != want {
					t.Errorf("%s compressed %d times over 20 revalidations, want %d", key, got, want)
				}
			}
		})
	}
}

// TestCacheSeesSiblingChanges changes, adds and removes a precompressed
// sibling of a cached file and expects the next answer after the
// revalidation interval to follow.
func TestCacheSeesSiblingChanges(t *testing.T) {
	s := newSite(t)
	fs, err := static.New(defaults(s))
	if err != nil {
		t.Fatal(err)
	}
	static.SetTestHooks(fs, 10*time.Millisecond, nil, nil)
	addr := serveFS(t, fs)
	js := []byte("console.log('precompressed');\n")
	other := []byte("console.log('other');\n")
	sibling := filepath.Join(s.root, "app.js.br")
	tests := []struct {
		name   string
		change func() error
		coding string
		want   []byte
	}{
		{"sibling as it was", func() error { return nil }, "br", js},
		{"sibling removed", func() error { return os.Remove(sibling) }, "gzip", js},
		{"sibling added", func() error { return os.WriteFile(sibling, compressed(t, "br", other), 0o644) }, "br", other},
		{"sibling rewritten", func() error { return os.WriteFile(sibling, compressed(t, "br", js), 0o644) }, "br", js},
	}
	do(t, addr, "GET", "/app.js", "Accept-Encoding: br, gzip")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.change(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(30 * time.Millisecond)
			resp, body := do(t, addr, "GET", "/app.js", "Accept-Encoding: br, gzip")
			if c := resp.Header.Get("Content-Encoding"); c != tc.coding {
				t.Fatalf("Content-Encoding %q, want %q", c, tc.coding)
			}
			if got := decode(t, tc.coding, body); !bytes.Equal(got, tc.want) {
				t.Errorf("body %q, want %q", got, tc.want)
			}
		})
	}
}

// compressed is b in coding, through the helpers of e2e_test.go.
func compressed(t *testing.T, coding string, b []byte) []byte {
	if coding == "gzip" {
		return gz(t, b)
	}
	return br(t, b)
}

// TestCacheLimitCountsCompressedCopies fills a small cache with
// compressible files, each asked for in two codings, and expects the bytes
// held (identity and compressed copies) to stay under the limit, counted
// exactly, with the files asked for last still cached.
func TestCacheLimitCountsCompressedCopies(t *testing.T) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore")
	const files, size = 24, 8 << 10
	for i := range files {
		var b bytes.Buffer
		for b.Len() < size {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%02d.txt", i)), b.Bytes()[:size], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const limit = 64 << 10
	cfg := static.Defaults(root)
	cfg.CacheFileMax, cfg.CacheTotal = 16<<10, limit
	fs, err := static.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveFS(t, fs)
	for i := range files {
		for _, ae := range []string{"br", "gzip", "identity"} {
			target := fmt.Sprintf("/f%02d.txt", i)
			if resp, _ := do(t, addr, "GET", target, "Accept-Encoding: "+ae); resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d", target, resp.StatusCode)
			}
		}
		counted, held := static.CacheUse(fs)
		if held > limit || counted != held {
			t.Fatalf("after %d files: cache holds %d bytes and counts %d, limit %d", i+1, held, counted, limit)
		}
	}
	if !static.Cached(fs, fmt.Sprintf("/f%02d.txt", files-1)) {
		t.Errorf("the file asked for last is not cached: a full cache must evict, not refuse")
	}
}

// TestCacheLimitConcurrent has several clients fill, grow and evict the
// cache at once (run it with -race): the count stays exact and within the
// limit.
func TestCacheLimitConcurrent(t *testing.T) {
	root := t.TempDir()
	css := bytes.Repeat([]byte("body { color: #123456; margin: 0 auto; }\n"), 200)
	const files = 16
	for i := range files {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%02d.css", i)), css, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const limit = 24 << 10
	cfg := static.Defaults(root)
	cfg.CacheTotal = limit
	fs, err := static.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	static.SetTestHooks(fs, 5*time.Millisecond, nil, nil)
	addr := serveFS(t, fs)
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			defer client.CloseIdleConnections()
			for i := range 40 {
				ae := [...]string{"br", "gzip", "identity"}[(c+i)%3]
				target := fmt.Sprintf("/f%02d.css", (c*7+i)%files)
				req, _ := http.NewRequest("GET", "http://"+addr+target, nil)
				req.Header.Set("Accept-Encoding", ae)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				want := "identity"
				if c := resp.Header.Get("Content-Encoding"); c != "" {
					want = c
				}
				if err != nil || resp.StatusCode != 200 || want != ae || ae == "identity" && !bytes.Equal(body, css) {
					t.Errorf("GET %s (%s) = %d, %q, %d bytes, %v", target, ae, resp.StatusCode, want, len(body), err)
					return
				}
			}
		})
	}
	wg.Wait()
	if counted, held := static.CacheUse(fs); held > limit || counted != held {
		t.Errorf("cache holds %d bytes and counts %d, limit %d", held, counted, limit)
	}
}
