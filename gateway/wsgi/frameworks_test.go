package wsgi_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
)

// frameworks are the real applications the gateway must run unchanged.
// Each answers the same routes (see testdata/apps).
var frameworks = []struct {
	name string
	cfg  wsgi.Config
	boom string // the message of the /error route's exception
}{
	{"flask", wsgi.Config{Settings: pyproc.Settings{App: "flaskapp:app"}}, "RuntimeError: boom from flask"},
	{"django", wsgi.Config{Settings: pyproc.Settings{App: "mysite.wsgi:application", Dir: appsDir + "/mysite"}}, "RuntimeError: boom from django"},
	{"pyramid", wsgi.Config{Settings: pyproc.Settings{App: "pyramidapp:application"}}, "RuntimeError: boom from pyramid"},
}

// bigBody is what the /big routes answer.
var bigBody = bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16)

func echoOf(b []byte) string {
	return fmt.Sprintf("%d %x", len(b), sha256.Sum256(b))
}

// TestFrameworks runs every framework's routes through one two-worker pool
// per framework, the frameworks in parallel.
func TestFrameworks(t *testing.T) {
	for _, fw := range frameworks {
		t.Run(fw.name, func(t *testing.T) {
			t.Parallel()
			cfg := fw.cfg
			cfg.Workers = 2
			cfg.Timeout = 30 * time.Second
			g := startGateway(t, cfg)

			t.Run("hello", func(t *testing.T) {
				r := g.mustGet(t, "/hello", 200)
				if r.body != "Hello, World!" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
					t.Errorf("GET /hello = %q (%s)", r.body, r.header.Get("Content-Type"))
				}
			})

			t.Run("post", func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				for _, size := range []int{0, 1, 64<<10 - 1, 64<<10 + 1, 1 << 20, 10 << 20} {
					body := make([]byte, size)
					for i := range body {
						body[i] = byte(rng.Uint32())
					}
					for _, chunked := range []bool{false, true} {
						r := g.post(t, "/echo", body, chunked)
						if r.err != nil || r.status != 200 || r.body != echoOf(body) {
							t.Errorf("POST /echo %d bytes (chunked %v) = %d %q, %v; want %q", size, chunked, r.status, trim(r.body), r.err, echoOf(body))
						}
					}
				}
			})

			t.Run("query and path", func(t *testing.T) {
				for _, tc := range []struct{ path, want string }{
					{"/query?q=a%20b&x=1", "q=a%20b&x=1|a b"},
					{"/query?q=caf%C3%A9", "q=caf%C3%A9|café"},
					{"/query", "|"},
					{"/path/a%20b/c", "a b/c"},
					{"/path/caf%C3%A9", "café"},
					{"/path/100%25", "100%"},
					{"/path/a%2Fb", "a/b"},
				} {
					if r := g.mustGet(t, tc.path, 200); r.body != tc.want {
						t.Errorf("GET %s = %q, want %q", tc.path, r.body, tc.want)
					}
				}
			})

			t.Run("headers", func(t *testing.T) {
				req, _ := http.NewRequest("GET", g.url+"/headers", nil)
				req.Header.Set("X-Custom", "hello, world")
				r := g.do(req)
				if r.err != nil || r.status != 200 || r.body != "hello, world" || r.header.Get("X-Reply") != "yes" {
					t.Errorf("GET /headers = %d %q X-Reply %q, %v", r.status, r.body, r.header.Get("X-Reply"), r.err)
				}
			})

			t.Run("cookies", func(t *testing.T) {
				r := g.mustGet(t, "/cookies", 200)
				got := r.header.Values("Set-Cookie")
				if len(got) != 2 || !strings.HasPrefix(got[0], "a=1") || !strings.HasPrefix(got[1], "b=2") {
					t.Errorf("Set-Cookie fields = %q, want a=1 and b=2", got)
				}
			})

			t.Run("stream", func(t *testing.T) {
				// The chunks are produced 0.3 s apart; each must reach the
				// client when produced, not all at the end.
				resp, err := g.client.Get(g.url + "/stream")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				br := bufio.NewReader(resp.Body)
				first, err := br.ReadString('\n')
				t0 := time.Now()
				if err != nil || first != "chunk 0\n" {
					t.Fatalf("first chunk %q, %v", first, err)
				}
				rest, err := io.ReadAll(br)
				gap := time.Since(t0)
				if err != nil || string(rest) != "chunk 1\nchunk 2\n" {
					t.Fatalf("rest %q, %v", rest, err)
				}
				if gap < 400*time.Millisecond {
					t.Errorf("the last chunk came %v after the first; the stream was buffered", gap)
				}
			})

			t.Run("big", func(t *testing.T) {
				r := g.mustGet(t, "/big", 200)
				if r.body != string(bigBody) {
					t.Errorf("GET /big: %d bytes, want the %d of the app", len(r.body), len(bigBody))
				}
			})

			t.Run("error", func(t *testing.T) {
				before := waitPIDs(t, g.pool, 2, nil)
				r := g.get(t, "/error")
				if r.err != nil || r.status != 500 {
					t.Fatalf("GET /error = %d %q, %v; want 500", r.status, trim(r.body), r.err)
				}
				g.log.waitFor(t, 5*time.Second, fw.boom, "Traceback")
				for range 4 {
					g.mustGet(t, "/hello", 200)
				}
				if after := wsgi.WorkerPIDs(g.pool); !slices.Equal(before, after) {
					t.Errorf("workers %v before an exception, %v after: an exception must not cost a worker", before, after)
				}
				if strings.Contains(g.log.String(), "worker failed") {
					t.Errorf("an exception was taken for a worker failure")
				}
			})

			t.Run("crash", func(t *testing.T) {
				before := waitPIDs(t, g.pool, 2, nil)
				r := g.get(t, "/crash")
				if r.err != nil || r.status != 502 {
					t.Fatalf("GET /crash = %d %q, %v; want 502", r.status, trim(r.body), r.err)
				}
				for range 4 {
					g.mustGet(t, "/hello", 200)
				}
				after := waitPIDs(t, g.pool, 2, before)
				if kept := intersect(before, after); len(kept) != 1 {
					t.Errorf("workers %v before the crash, %v after: want exactly one replaced", before, after)
				}
				g.log.waitFor(t, 5*time.Second, "exit status 3")
				for range 4 {
					g.mustGet(t, "/hello", 200)
				}
				noZombies(t)
			})
		})
	}
}

func intersect(a, b []int) []int {
	var both []int
	for _, x := range a {
		if slices.Contains(b, x) {
			both = append(both, x)
		}
	}
	return both
}
