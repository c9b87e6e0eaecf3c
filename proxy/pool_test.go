package proxy_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestIdleBurst: the connections of a burst larger than max_idle are
// kept for the next burst a moment later instead of being closed and
// dialled again; beyond max_idle they are closed once idle a while.
func TestIdleBurst(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond) // the burst's requests overlap
		io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := config(srv.URL)
	c.MaxIdle = 2
	addr, h := serve(t, c)
	const burst = 8
	for round := range 2 {
		var wg sync.WaitGroup
		for range burst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Get("http://" + addr + "/")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		wg.Wait()
		mu.Lock()
		n := conns
		mu.Unlock()
		if n != burst {
			t.Fatalf("after burst %d: %d upstream connections, want %d kept from the first", round, n, burst)
		}
	}
	// Past the grace, the next request returned trims the pool to
	// max_idle.
	time.Sleep(1100 * time.Millisecond)
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := idle(h); n != 2 {
		t.Errorf("%d idle connections after the grace, want max_idle 2", n)
	}
}
