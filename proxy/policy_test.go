package proxy_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestPolicies: how requests spread over three upstreams for each
// policy.
func TestPolicies(t *testing.T) {
	ups := []*rawUpstream{startRaw(t, "a", false), startRaw(t, "b", false), startRaw(t, "c", false)}
	to := []string{ups[0].URL, ups[1].URL, ups[2].URL}
	const n = 30
	tests := []struct {
		policy string
		fields func(i int) []string
		check  func(counts map[string]int) string
	}{
		{"round_robin", nil, func(c map[string]int) string {
			if c["a"] != n/3 || c["b"] != n/3 || c["c"] != n/3 {
				return "not even"
			}
			return ""
		}},
		{"least_conn", nil, everyOne},
		{"random_two", nil, everyOne},
		{"ip_hash", nil, oneOnly},
		{"header:X-User", func(int) []string { return []string{"X-User: alice"} }, oneOnly},
		{"header:X-User", func(i int) []string { return []string{fmt.Sprintf("X-User: user%d", i)} }, everyOne},
	}
	for _, tc := range tests {
		t.Run(tc.policy, func(t *testing.T) {
			c := config(to...)
			c.Policy = tc.policy
			addr, _ := serve(t, c)
			counts := map[string]int{}
			for i := range n {
				var fields []string
				if tc.fields != nil {
					fields = tc.fields(i)
				}
				r := get(t, addr, "/", fields...)
				counts[string(r.Body)]++
			}
			if msg := tc.check(counts); msg != "" {
				t.Errorf("%s: %v", msg, counts)
			}
		})
	}
}

func everyOne(c map[string]int) string {
	if c["a"] == 0 || c["b"] == 0 || c["c"] == 0 {
		return "an upstream got nothing"
	}
	return ""
}

func oneOnly(c map[string]int) string {
	if len(c) != 1 {
		return "spread over several upstreams"
	}
	return ""
}

// TestCookieSticky: a client without the cookie is given one, and with
// it stays on its upstream.
func TestCookieSticky(t *testing.T) {
	a, b := startRaw(t, "a", false), startRaw(t, "b", false)
	c := config(a.URL, b.URL)
	c.Policy = "cookie:srv"
	addr, _ := serve(t, c)
	first := get(t, addr, "/")
	sc := string(first.Header.Get("Set-Cookie"))
	if !strings.HasPrefix(sc, "srv=") {
		t.Fatalf("no sticky cookie: %q", first.raw)
	}
	cookie := strings.SplitN(sc, ";", 2)[0]
	for range 6 {
		r := get(t, addr, "/", "Cookie: other=1; "+cookie)
		if string(r.Body) != string(first.Body) || r.Header.Has("Set-Cookie") {
			t.Fatalf("cookie %s sent to %s (Set-Cookie %q), first went to %s", cookie, r.Body, r.Header.Get("Set-Cookie"), first.Body)
		}
	}
}

// TestPassiveHealth: a dead upstream costs no client a 502 (the connect
// failure moves on) and is then left out for fail_timeout.
func TestPassiveHealth(t *testing.T) {
	live := startRaw(t, "live", false)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c := config(dead, live.URL)
	c.FailTimeout = time.Minute
	addr, _ := serve(t, c)
	for i := range 6 {
		if r := get(t, addr, "/"); r.Status != 200 || string(r.Body) != "live" {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
	}
}

// TestRetryStaleConnection: an upstream that closes each kept-alive
// connection after answering, without saying so, costs no request: an
// idempotent one is sent again on a new connection.
func TestRetryStaleConnection(t *testing.T) {
	u := startRaw(t, "u", true)
	addr, _ := serve(t, config(u.URL))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 5 {
		fmt.Fprintf(c, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
		r := readResponse(t, bufioReader(c), false)
		if r.Status != 200 {
			t.Fatalf("request %d: status %d", i, r.Status)
		}
		time.Sleep(20 * time.Millisecond) // the upstream's close arrives
	}
}

// TestPooling: sequential requests share one kept-alive upstream
// connection; max_idle 0 keeps none.
func TestPooling(t *testing.T) {
	for _, tc := range []struct{ maxIdle, want int }{{32, 1}, {0, 8}} {
		u := startRaw(t, "u", false)
		c := config(u.URL)
		c.MaxIdle = tc.maxIdle
		addr, _ := serve(t, c)
		for range 8 {
			if r := get(t, addr, "/"); r.Status != 200 {
				t.Fatalf("status %d", r.Status)
			}
		}
		u.mu.Lock()
		n := u.conns
		u.mu.Unlock()
		if n != tc.want {
			t.Errorf("max_idle %d: %d upstream connections for 8 requests, want %d", tc.maxIdle, n, tc.want)
		}
	}
}
