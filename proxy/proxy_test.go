package proxy_test

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRequestHeaders: the fields the upstream receives, for an untrusted
// and a trusted client.
func TestRequestHeaders(t *testing.T) {
	b := startPython(t, "a")
	tests := []struct {
		name    string
		trusted bool
		fields  []string
		want    map[string][]string // nil value: absent
	}{
		{
			name: "hop-by-hop removed, named ones too",
			fields: []string{"Connection: keep-alive, X-Drop", "X-Drop: secret", "Keep-Alive: timeout=5",
				"Proxy-Authorization: Basic eA==", "TE: trailers", "Trailer: X-T", "Upgrade: h2c", "X-Kept: yes"},
			want: map[string][]string{"X-Drop": nil, "Keep-Alive": nil, "Proxy-Authorization": nil, "TE": nil,
				"Trailer": nil, "Upgrade": nil, "Connection": nil, "X-Kept": {"yes"}, "Host": {"example.test"}},
		},
		{
			name:   "forged forwarding fields replaced",
			fields: []string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-Proto: https", "X-Forwarded-Host: evil.test", "Forwarded: for=6.6.6.6"},
			want: map[string][]string{"X-Forwarded-For": {"127.0.0.1"}, "X-Forwarded-Proto": {"http"},
				"X-Forwarded-Host": {"example.test"}, "Forwarded": {"for=127.0.0.1;host=example.test;proto=http"}},
		},
		{
			name:    "a trusted proxy's fields kept and added to",
			trusted: true,
			fields:  []string{"X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https", "X-Forwarded-Host: front.test", "Forwarded: for=203.0.113.7"},
			want: map[string][]string{"X-Forwarded-For": {"203.0.113.7, 127.0.0.1"}, "X-Forwarded-Proto": {"https"},
				"X-Forwarded-Host": {"front.test"}, "Forwarded": {"for=203.0.113.7, for=127.0.0.1;host=example.test;proto=http"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config(b.URL)
			if tc.trusted {
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			}
			addr, _ := serve(t, c)
			r := get(t, addr, "/x?q=1", tc.fields...)
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			e := decodeEcho(t, r.Body)
			if e.Path != "/x?q=1" {
				t.Errorf("path %q", e.Path)
			}
			for name, want := range tc.want {
				if got := e.get(name); !slices.Equal(got, want) {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestResponseHeaders: the upstream's hop-by-hop fields, and those its
// Connection names, do not reach the client.
func TestResponseHeaders(t *testing.T) {
	b := startPython(t, "a")
	addr, _ := serve(t, config(b.URL))
	r := get(t, addr, "/hop")
	for _, name := range []string{"X-Secret", "Keep-Alive", "Proxy-Thing", "Trailer"} {
		if r.Header.Has(name) {
			t.Errorf("%s reached the client:\n%s", name, r.raw)
		}
	}
	if string(r.Header.Get("X-Kept")) != "yes" || string(r.Body) != "hop" {
		t.Errorf("end-to-end field or body lost:\n%s%s", r.raw, r.Body)
	}
}

// TestStripPrefix: the route's path is removed when asked.
func TestStripPrefix(t *testing.T) {
	b := startPython(t, "a")
	for _, tc := range []struct{ prefix, path, want string }{
		{"/api/", "/api/users?x=1", "/users?x=1"},
		{"/api", "/api/users", "/users"},
		{"/api", "/api", "/"},
		{"/api", "/apiary", "/apiary"},
		{"/api/", "/api/", "/"},
	} {
		c := config(b.URL)
		c.StripPrefix, c.Prefix = true, tc.prefix
		addr, _ := serve(t, c)
		if e := decodeEcho(t, get(t, addr, tc.path).Body); e.Path != tc.want {
			t.Errorf("prefix %q, %s: upstream saw %q, want %q", tc.prefix, tc.path, e.Path, tc.want)
		}
	}
}

// TestUpload: 20 MiB arrive hash-exact, with a Content-Length and
// chunked.
func TestUpload(t *testing.T) {
	b := startPython(t, "a")
	addr, _ := serve(t, config(b.URL))
	data := make([]byte, 20<<20)
	rand.Read(data)
	sum := sha256.Sum256(data)
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(string(data))
		if chunked {
			body = io.MultiReader(body) // hides the length: net/http chunks it
		}
		req, _ := http.NewRequest("POST", "http://"+addr+"/up", body)
		if !chunked {
			req.ContentLength = int64(len(data))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e := decodeEcho(t, out)
		if e.Len != int64(len(data)) || e.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("chunked=%v: upstream got %d bytes, sha256 %s", chunked, e.Len, e.SHA256)
		}
		if te := e.get("Transfer-Encoding"); chunked != (len(te) == 1) {
			t.Errorf("chunked=%v: Transfer-Encoding %q upstream", chunked, te)
		}
	}
}

// TestStreaming: the first event reaches the client while the upstream
// is still producing the rest.
func TestStreaming(t *testing.T) {
	b := startPython(t, "a")
	addr, _ := serve(t, config(b.URL))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	io.WriteString(c, "GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	var seen string
	for !strings.Contains(seen, "data: 0") {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%v after %q", err, seen)
		}
		seen += line
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("first event after %v; the upstream takes 1.5 s in all, the first event is at once", d)
	}
}

// TestErrors: 502 when nothing answers, 504 past the timeout.
func TestErrors(t *testing.T) {
	b := startPython(t, "a")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name, to, path string
		timeout        time.Duration
		status         int
	}{
		{"connection refused", dead, "/", time.Second, 502},
		{"upstream too slow", b.URL, "/slow", 300 * time.Millisecond, 504},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config(tc.to)
			c.Timeout = tc.timeout
			addr, _ := serve(t, c)
			if r := get(t, addr, tc.path); r.Status != tc.status {
				t.Errorf("status %d, want %d", r.Status, tc.status)
			}
		})
	}
}

// TestCutResponse: an upstream that dies in the middle of its body
// leaves the client a visibly cut response, never a complete one.
func TestCutResponse(t *testing.T) {
	b := startPython(t, "a")
	addr, _ := serve(t, config(b.URL))
	for _, path := range []string{"/die", "/diechunked"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: read %d bytes, err %v; want a cut (unexpected EOF)", path, n, err)
		}
	}
}
