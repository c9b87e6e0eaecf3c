package wsgi_test

import (
	"context"
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/gateway/wsgi"
	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TestTLSClientLeavesQueue is TestClientLeavesQueue over HTTPS, with a
// real TLS client, in both connection models: a client that closes (Go's
// tls.Conn.Close sends close_notify, then FIN) while its request waits
// for a worker is reported as 499, and the application never runs its
// request. The alert in front of the FIN once hid the client's leaving
// from the queue's check.
func TestTLSClientLeavesQueue(t *testing.T) {
	t.Parallel()
	needPython(t)
	ca := testutil.NewCA(t)
	cert := ca.KeyPair(t, "localhost", "127.0.0.1")
	for _, perConn := range []bool{false, true} {
		t.Run(map[bool]string{false: "epoll", true: "goroutine"}[perConn], func(t *testing.T) {
			t.Parallel()
			notes := filepath.Join(t.TempDir(), "notes")
			log, lb := newLogger()
			pool, err := wsgi.NewPool(wsgi.Config{Settings: pyproc.Settings{App: "rawapp:application", Python: python, Dir: appsDir,
				Workers: 1, Env: []string{"RAWAPP_CLOSE_LOG=" + notes}}, QueueTimeout: 3 * time.Second}, log)
			if err != nil {
				t.Fatalf("NewPool: %v\n%s", err, lb)
			}
			t.Cleanup(func() {
				pool.Close()
				if t.Failed() {
					t.Logf("gateway log:\n%s", lb)
				}
			})
			h, err := wsgi.NewHandler(pool)
			if err != nil {
				t.Fatal(err)
			}
			codes := make(chan string, 8)
			obs := web.ObserverFunc(func(r *web.Request, c web.Completion) { codes <- string(r.Path) + " " + itoa(c.Code()) })
			srv := &server.Server{Handler: h, Logger: log, Observer: obs, GoroutinePerConn: perConn}
			ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
			if err != nil {
				t.Fatal(err)
			}
			go srv.ServeTLS(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				srv.Shutdown(ctx)
			})
			dial := func() *tls.Conn {
				c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				c.SetDeadline(time.Now().Add(30 * time.Second))
				return c
			}

			busy := dial()
			io.WriteString(busy, "GET /sleep?s=2&note=busy HTTP/1.1\r\nHost: x\r\n\r\n")
			waitUntil(t, 10*time.Second, "the worker busy", func() bool { return pool.Snapshot().Busy == 1 })
			queued := dial()
			io.WriteString(queued, "GET /sleep?s=0&note=queued HTTP/1.1\r\nHost: x\r\n\r\n")
			waitUntil(t, 10*time.Second, "a request queued", func() bool { return pool.Snapshot().QueueLength == 1 })
			queued.Close()
			// In either order: the queued request may be given up by the
			// queue's check or when the worker comes free for it.
			var got []string
			for len(got) < 2 {
				select {
				case c := <-codes:
					got = append(got, c)
				case <-time.After(6 * time.Second):
					t.Fatalf("reported %q, then nothing for 6 s", got)
				}
			}
			slices.Sort(got)
			if want := []string{"/sleep 200", "/sleep 499"}; !slices.Equal(got, want) {
				t.Errorf("reported %q, want %q: the queued request as 499, the busy one as 200", got, want)
			}
			time.Sleep(200 * time.Millisecond)
			if b, _ := os.ReadFile(notes); strings.Contains(string(b), "queued") {
				t.Errorf("the application ran the request of a client that had left")
			}
		})
	}
}
