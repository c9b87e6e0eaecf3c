// Package testutil holds helpers that tests of several packages share.
// Only tests import it.
package testutil

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Load is a client sending requests from several goroutines, on kept-alive
// connections and on a new connection each, until stopped: the load under
// which reloads and upgrades must lose no request.
type Load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	failures   []string
	stop       chan struct{}
	wg         sync.WaitGroup
}

// StartLoad requests urls in turn from keepAlive goroutines sharing a
// kept-alive client and fresh goroutines opening a connection per request.
// check judges each answer ("" for good) and gets what before returned
// just before the request was sent (nil when before is nil). A transport
// error (refused, reset, EOF) is a failure. The load stops when the test
// ends, if not before.
//
// Go's Transport retries an idempotent request once, on a new connection,
// when a kept-alive connection turns out to be closed by the server before
// the answer began: the race every HTTP/1.1 client has with a server
// closing an idle connection, which a draining server does. That is the
// only retry; a new connection that fails is a failure.
func StartLoad(t testing.TB, keepAlive, fresh int, urls []string, before func() any, check func(url string, status int, body string, before any) string) *Load {
	l := &Load{stop: make(chan struct{})}
	run := func(c *http.Client, g int, kind string) {
		defer l.wg.Done()
		for i := g; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			u := urls[i%len(urls)]
			var b4 any
			if before != nil {
				b4 = before()
			}
			status, body, err := get(c, u)
			if err != nil {
				l.fail(fmt.Sprintf("GET %s (%s): %v", u, kind, err))
				continue
			}
			if why := check(u, status, body, b4); why != "" {
				l.fail(fmt.Sprintf("GET %s (%s): %d %q: %s", u, kind, status, body, why))
				continue
			}
			l.ok.Add(1)
		}
	}
	kept := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: keepAlive}}
	for g := range keepAlive {
		l.wg.Add(1)
		go run(kept, g, "kept-alive")
	}
	for g := range fresh {
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		l.wg.Add(1)
		go run(c, keepAlive+g, "new connection")
	}
	t.Cleanup(l.Halt)
	return l
}

func get(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (l *Load) fail(msg string) {
	l.failed.Add(1)
	l.mu.Lock()
	if len(l.failures) < 20 {
		l.failures = append(l.failures, time.Now().Format("15:04:05.000 ")+msg)
	}
	l.mu.Unlock()
}

// Halt stops the load and waits for the requests in flight.
func (l *Load) Halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// WaitFor waits until n more requests have succeeded.
func (l *Load) WaitFor(t testing.TB, n int64) {
	t.Helper()
	target := l.ok.Load() + n
	deadline := time.Now().Add(30 * time.Second)
	for l.ok.Load() < target {
		if time.Now().After(deadline) {
			l.mu.Lock()
			failures := strings.Join(l.failures, "\n")
			l.mu.Unlock()
			t.Fatalf("the load made %d of %d more requests in 30 s (%d failed):\n%s", l.ok.Load()-target+n, n, l.failed.Load(), failures)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Report stops the load and fails the test on any failed request.
func (l *Load) Report(t testing.TB) {
	t.Helper()
	l.Halt()
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed; the first ones:\n%s", n, n+l.ok.Load(), strings.Join(l.failures, "\n"))
	}
	t.Logf("%d requests, %d failed", l.ok.Load()+l.failed.Load(), l.failed.Load())
}
