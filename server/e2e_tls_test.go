package server_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TLS end to end: the modes below serve with ServeTLS and their env.dial
// speaks TLS, so a test written for the matrix runs over TLS unchanged.

var tlsModes = []mode{
	{name: "epoll/native/tls", tls: true},
	{name: "epoll/nethttp/tls", adapt: true, tls: true},
	{name: "goroutine/native/tls", std: true, tls: true},
}

// runTLS runs f over TLS in both engine models.
func runTLS(t *testing.T, f func(t *testing.T, m mode)) {
	t.Helper()
	for _, m := range tlsModes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// tlsSetup is a test CA and a server configuration with one certificate
// per name: "localhost" (with 127.0.0.1), "a.test" and "b.test", picked by
// SNI; no name, no certificate.
type tlsSetup struct {
	ca     *testutil.CA
	server *tls.Config
	certs  map[string]*tls.Certificate
}

var (
	tlsOnce   sync.Once
	tlsShared *tlsSetup
)

func testTLS(t testing.TB) *tlsSetup {
	tlsOnce.Do(func() {
		ca := testutil.NewCA(t)
		s := &tlsSetup{ca: ca, certs: map[string]*tls.Certificate{}}
		for _, hosts := range [][]string{{"localhost", "127.0.0.1"}, {"a.test"}, {"b.test"}} {
			kp := ca.KeyPair(t, hosts...)
			for _, h := range hosts {
				s.certs[h] = &kp
			}
		}
		s.server = &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
				name := hello.ServerName
				if name == "" {
					name = "localhost"
				}
				if c := s.certs[name]; c != nil {
					return c, nil
				}
				return nil, fmt.Errorf("no certificate for %q", hello.ServerName)
			},
		}
		tlsShared = s
	})
	return tlsShared
}

// clientConfig trusts the test CA and asks for name.
func (s *tlsSetup) clientConfig(name string) *tls.Config {
	return &tls.Config{RootCAs: s.ca.Pool, ServerName: name}
}

// client runs a TLS handshake for "localhost" over c.
func (s *tlsSetup) client(t testing.TB, c net.Conn) net.Conn {
	t.Helper()
	tc := tls.Client(c, s.clientConfig("localhost"))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	return tc
}

// TestTLSRequestLoop runs the request loop's behaviours over TLS: keep
// alive, pipelining, bodies, 100-continue, large and streamed responses,
// hijack.
func TestTLSRequestLoop(t *testing.T) {
	runTLS(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		c, br := e.dial(t)
		// Keep-alive, then a pipelined batch in one write.
		for range 3 {
			expectOpen(t, c, br)
		}
		write(t, c, "GET /query?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"+
			"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"+
			"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		for i, want := range []string{"x=1", "hello", "Hello, World!"} {
			r := readResponse(t, br, "GET")
			if r.StatusCode != 200 || r.body != want {
				t.Fatalf("pipelined response %d: %d %q, want %q", i, r.StatusCode, r.body, want)
			}
		}
		// 100-continue: the body is sent after the interim response.
		write(t, c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
			t.Fatalf("interim response: %q %v", line, err)
		}
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		write(t, c, "abc")
		if r := readResponse(t, br, "POST"); r.body != "abc" {
			t.Fatalf("body after 100-continue: %q", r.body)
		}
		// A body of a megabyte each way, then a large response.
		big := pattern(1 << 20)
		write(t, c, fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(big), big))
		if r := readResponse(t, br, "POST"); r.body != big {
			t.Fatalf("1 MiB echo: got %d bytes", len(r.body))
		}
		write(t, c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		if r := readResponse(t, br, "GET"); r.StatusCode != 200 || len(r.body) == 0 {
			t.Fatalf("/big: %d, %d bytes", r.StatusCode, len(r.body))
		}
		expectOpen(t, c, br)
	})
}

// TestTLSPlainHTTP: plain HTTP sent to the TLS port is answered with a 400
// in plain HTTP, and the connection closed, as nginx does.
func TestTLSPlainHTTP(t *testing.T) {
	runTLS(t, func(t *testing.T, m mode) {
		e := m.start(t, newApp(), nil)
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		write(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r := readResponse(t, br, "GET")
		if r.StatusCode != 400 || !strings.Contains(r.body, "HTTPS") || !r.Close {
			t.Fatalf("plain HTTP to TLS port: %d %q close=%v", r.StatusCode, r.body, r.Close)
		}
		expectClosed(t, c, br)
	})
}

// TestTLSHandshakes: versions, SNI and resumption, with Go's client.
func TestTLSHandshakes(t *testing.T) {
	type check struct {
		name    string
		cfg     func(s *tlsSetup) *tls.Config
		wantErr bool
		want    uint16 // negotiated version
		wantCN  string
	}
	checks := []check{
		{name: "TLS 1.3", cfg: func(s *tlsSetup) *tls.Config { return s.clientConfig("localhost") }, want: tls.VersionTLS13, wantCN: "localhost"},
		{name: "TLS 1.2", cfg: func(s *tlsSetup) *tls.Config {
			c := s.clientConfig("localhost")
			c.MaxVersion = tls.VersionTLS12
			return c
		}, want: tls.VersionTLS12, wantCN: "localhost"},
		{name: "SNI a.test", cfg: func(s *tlsSetup) *tls.Config { return s.clientConfig("a.test") }, want: tls.VersionTLS13, wantCN: "a.test"},
		{name: "SNI b.test", cfg: func(s *tlsSetup) *tls.Config { return s.clientConfig("b.test") }, want: tls.VersionTLS13, wantCN: "b.test"},
		{name: "unknown SNI refused", cfg: func(s *tlsSetup) *tls.Config {
			c := s.clientConfig("c.test")
			c.InsecureSkipVerify = true // refused by the server, not the client
			return c
		}, wantErr: true},
		{name: "TLS 1.0 only refused", cfg: func(s *tlsSetup) *tls.Config {
			c := s.clientConfig("localhost")
			c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			return c
		}, wantErr: true},
	}
	runTLS(t, func(t *testing.T, m mode) {
		if m.adapt {
			t.Skip("handshakes do not depend on the handler")
		}
		e := m.start(t, newApp(), nil)
		for _, ck := range checks {
			t.Run(ck.name, func(t *testing.T) {
				c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.addr, ck.cfg(e.tls))
				if ck.wantErr {
					if err == nil {
						c.Close()
						t.Fatal("handshake succeeded")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				st := c.ConnectionState()
				if st.Version != ck.want || st.NegotiatedProtocol != "" && st.NegotiatedProtocol != "http/1.1" {
					t.Fatalf("version %x, ALPN %q", st.Version, st.NegotiatedProtocol)
				}
				if cn := st.PeerCertificates[0].Subject.CommonName; cn != ck.wantCN {
					t.Fatalf("certificate for %q, want %q", cn, ck.wantCN)
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				expectOpen(t, c, bufio.NewReader(c))
			})
		}
		for _, alpn := range []struct {
			offer []string
			want  string
		}{
			{[]string{"h2", "http/1.1"}, "h2"},
			{[]string{"http/1.1", "h2"}, "h2"}, // the server's preference
			{[]string{"http/1.1"}, "http/1.1"},
		} {
			t.Run("ALPN "+strings.Join(alpn.offer, ","), func(t *testing.T) {
				cfg := e.tls.clientConfig("localhost")
				cfg.NextProtos = alpn.offer
				c, err := tls.Dial("tcp", e.addr, cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if p := c.ConnectionState().NegotiatedProtocol; p != alpn.want {
					t.Fatalf("ALPN chose %q, want %s", p, alpn.want)
				}
			})
		}
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(fmt.Sprintf("resumption %x", v), func(t *testing.T) {
				cfg := e.tls.clientConfig("localhost")
				cfg.MaxVersion = v
				cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
				for i := range 2 {
					c, err := tls.Dial("tcp", e.addr, cfg)
					if err != nil {
						t.Fatal(err)
					}
					c.SetDeadline(time.Now().Add(10 * time.Second))
					// TLS 1.3 tickets arrive after the handshake: a
					// request and its response bring them in.
					expectOpen(t, c, bufio.NewReader(c))
					resumed := c.ConnectionState().DidResume
					c.Close()
					if resumed != (i == 1) {
						t.Fatalf("connection %d: resumed=%v", i, resumed)
					}
				}
			})
		}
	})
}

// TestTLSSlowHandshake: a handshake that never finishes, and a request
// record trickled a byte at a time, are both cut at the header timeout.
func TestTLSSlowHandshake(t *testing.T) {
	for _, m := range tlsModes {
		if m.adapt {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			e := m.start(t, newApp(), func(s *server.Server) { s.Timeouts.ReadHeader = time.Second })
			// Half a ClientHello.
			c, err := net.Dial("tcp", e.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			write(t, c, "\x16\x03\x01\x02\x00\x01")
			start := time.Now()
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadAll(c); err != nil && !isReset(err) {
				t.Fatalf("read: %v", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("half a handshake held the connection %v", d)
			}
			// A request trickled one byte of TLS record at a time.
			raw, err := net.Dial("tcp", e.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			tr := &trickle{Conn: raw}
			tc := tls.Client(tr, e.tls.clientConfig("localhost"))
			if err := tc.Handshake(); err != nil {
				t.Fatal(err)
			}
			tr.slow.Store(true)
			start = time.Now()
			done := make(chan error, 1)
			go func() {
				_, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("a trickled request was taken in full")
				}
			case <-time.After(8 * time.Second):
				t.Fatal("a trickled record held the connection open")
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Fatalf("trickled record cut after %v", d)
			}
		})
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || errors.Is(err, io.EOF))
}

// trickle writes a byte at a time, one every 100 ms, once slow is set.
type trickle struct {
	net.Conn
	slow atomic.Bool
}

func (c *trickle) Write(p []byte) (int, error) {
	if !c.slow.Load() {
		return c.Conn.Write(p)
	}
	for i := range p {
		if _, err := c.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return len(p), nil
}

// TestTLSIdleHoldsNoGoroutine: in the readiness model, 200 kept-alive TLS
// connections idle after a request hold no goroutine.
func TestTLSIdleHoldsNoGoroutine(t *testing.T) {
	e := tlsModes[0].start(t, newApp(), nil)
	cfg := e.tls.clientConfig("localhost")
	// Warm up: the loops and a worker exist before counting.
	c0, br0 := e.dial(t)
	expectOpen(t, c0, br0)
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	const n = 200
	var conns []*tls.Conn
	for range n {
		c, err := tls.Dial("tcp", e.addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		expectOpen(t, c, bufio.NewReader(c))
		conns = append(conns, c)
	}
	// Workers left over from the burst linger a while; the bound is the
	// client side's goroutines, which crypto/tls does not create: none.
	time.Sleep(200 * time.Millisecond)
	after := runtime.NumGoroutine()
	if grew := after - before; grew > 16 {
		t.Fatalf("%d idle TLS connections: goroutines %d -> %d", n, before, after)
	}
	if idle, ok := e.srv.IdleConns(); ok && idle > 0 && idle < n {
		t.Logf("idle at last sweep: %d", idle)
	}
}

// TestTLSCurl and TestTLSOpenSSL check with other implementations' clients.
func TestTLSCurl(t *testing.T) {
	curl := testutil.LookPath(t, "curl")
	e := tlsModes[0].start(t, newApp(), nil)
	ca := e.tls.ca.WriteRoot(t, t.TempDir())
	_, port, _ := net.SplitHostPort(e.addr)
	for _, c := range []struct{ name, host, version string }{
		{"localhost TLS 1.3", "localhost", "--tlsv1.3"},
		{"a.test TLS 1.2", "a.test", "--tls-max"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"-sS", "--cacert", ca, "--resolve", c.host + ":" + port + ":127.0.0.1"}
			if c.version == "--tls-max" {
				args = append(args, "--tls-max", "1.2")
			} else {
				args = append(args, c.version)
			}
			url := "https://" + c.host + ":" + port + "/"
			out, err := exec.Command(curl, append(args, url, url)...).CombinedOutput()
			if err != nil || string(out) != "Hello, World!Hello, World!" {
				t.Fatalf("curl: %v: %s", err, out)
			}
		})
	}
	t.Run("TLS 1.0 refused", func(t *testing.T) {
		out, err := exec.Command(curl, "-sS", "--cacert", ca, "--tlsv1.0", "--tls-max", "1.0",
			"https://localhost:"+port+"/").CombinedOutput()
		if err == nil {
			t.Fatalf("curl with TLS 1.0 only got an answer: %s", out)
		}
	})
}

func TestTLSOpenSSL(t *testing.T) {
	openssl := testutil.LookPath(t, "openssl")
	e := tlsModes[0].start(t, newApp(), nil)
	ca := e.tls.ca.WriteRoot(t, t.TempDir())
	for _, c := range []struct {
		name    string
		args    []string
		wantOK  bool
		wantOut string
	}{
		{"TLS 1.3", []string{"-tls1_3", "-servername", "a.test"}, true, "Protocol  : TLSv1.3"},
		{"TLS 1.2 ECDHE AEAD", []string{"-tls1_2", "-servername", "b.test"}, true, "ECDHE"},
		{"TLS 1.2 CBC refused", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA", "-servername", "a.test"}, false, ""},
		{"wrong SNI refused", []string{"-servername", "nobody.test"}, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"s_client", "-connect", e.addr, "-CAfile", ca, "-verify_return_error", "-ign_eof"}, c.args...)
			cmd := exec.Command(openssl, args...)
			cmd.Stdin = strings.NewReader("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			out, err := cmd.CombinedOutput()
			ok := err == nil && strings.Contains(string(out), "Hello, World!")
			if ok != c.wantOK || c.wantOK && !strings.Contains(string(out), c.wantOut) {
				t.Fatalf("openssl s_client %v: ok=%v err=%v\n%s", c.args, ok, err, out)
			}
		})
	}
}

// TestTLSRequestState: handlers see the connection's TLS state, natively
// and through the net/http adapter (r.TLS), and plain requests see none.
func TestTLSRequestState(t *testing.T) {
	native := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		if r.TLS == nil {
			_, err := w.WriteString("plain")
			return err
		}
		_, err := fmt.Fprintf(w, "%s %s %x", r.TLS.ServerName, r.TLS.NegotiatedProtocol, r.TLS.Version)
		return err
	})
	adapted := nethttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			io.WriteString(w, "plain")
			return
		}
		fmt.Fprintf(w, "%s %s %x", r.TLS.ServerName, r.TLS.NegotiatedProtocol, r.TLS.Version)
	}))
	for _, std := range []bool{false, true} {
		for name, h := range map[string]web.Handler{"native": native, "nethttp": adapted} {
			t.Run(fmt.Sprintf("%s/goroutine=%v", name, std), func(t *testing.T) {
				srv := &server.Server{Handler: h, GoroutinePerConn: std}
				tlsLn, _ := server.Listen("127.0.0.1:0", server.ListenConfig{})
				plainLn, _ := server.Listen("127.0.0.1:0", server.ListenConfig{})
				go srv.ServeTLS(tlsLn, testTLS(t).server)
				go srv.Serve(plainLn)
				defer srv.Close()
				cfg := testTLS(t).clientConfig("a.test")
				cfg.NextProtos = []string{"http/1.1"}
				c, err := tls.Dial("tcp", tlsLn.Addr().String(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				for range 2 {
					write(t, c, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
					if r := readResponse(t, br, "GET"); r.body != "a.test http/1.1 304" {
						t.Fatalf("over TLS: %q", r.body)
					}
				}
				p, err := net.Dial("tcp", plainLn.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				p.SetDeadline(time.Now().Add(10 * time.Second))
				write(t, p, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				if r := readResponse(t, bufio.NewReader(p), "GET"); r.body != "plain" {
					t.Fatalf("plain HTTP on the same server: %q", r.body)
				}
			})
		}
	}
}

// TestTLSResumeAcrossListeners: listeners given the same configuration
// share session tickets, so a session begun on one resumes on another
// (as on ":443" over IPv4 and IPv6).
func TestTLSResumeAcrossListeners(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(fmt.Sprintf("%x", v), func(t *testing.T) {
			srv := &server.Server{Handler: helloHandler}
			cfg := testTLS(t).server
			var addrs []string
			for range 2 {
				ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
				if err != nil {
					t.Fatal(err)
				}
				addrs = append(addrs, ln.Addr().String())
				go srv.ServeTLS(ln, cfg)
			}
			defer srv.Close()
			ccfg := testTLS(t).clientConfig("localhost")
			ccfg.MaxVersion = v
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			for i, addr := range addrs {
				c, err := tls.Dial("tcp", addr, ccfg)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				write(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				readResponse(t, bufio.NewReader(c), "GET")
				resumed := c.ConnectionState().DidResume
				c.Close()
				if resumed != (i == 1) {
					t.Fatalf("connection %d (listener %d): resumed=%v", i, i, resumed)
				}
			}
		})
	}
}

// TestTLSPython: Python's ssl client, through http.client, with TLS 1.3
// and 1.2 on one kept-alive connection each, and a name the server has no
// certificate for refused.
func TestTLSPython(t *testing.T) {
	python := testutil.NeedPython(t, "ssl")
	const script = `
import http.client, ssl, sys
addr, cafile = sys.argv[1], sys.argv[2]
host, port = addr.rsplit(":", 1)
for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.maximum_version = version
    c = http.client.HTTPSConnection("localhost", int(port), context=ctx, timeout=10)
    for path in ("/", "/query?py"):
        c.request("GET", path)
        r = c.getresponse()
        print(c.sock.version(), r.status, r.read().decode())
    c.close()
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
try:
    s = ctx.wrap_socket(__import__("socket").create_connection((host, int(port)), timeout=10), server_hostname="nobody.test")
    print("wrong name accepted")
except ssl.SSLError as e:
    print("wrong name refused")
`
	e := tlsModes[0].start(t, newApp(), nil)
	ca := e.tls.ca.WriteRoot(t, t.TempDir())
	out, err := exec.Command(python, "-c", script, e.addr, ca).CombinedOutput()
	want := "TLSv1.3 200 Hello, World!\nTLSv1.3 200 py\nTLSv1.2 200 Hello, World!\nTLSv1.2 200 py\nwrong name refused\n"
	if err != nil || string(out) != want {
		t.Fatalf("python: %v\n%s\nwant:\n%s", err, out, want)
	}
}

// TestTLSSendFile: a file response, which a plain connection sends with
// sendfile(2), is copied through TLS, whole, and the connection goes on.
func TestTLSSendFile(t *testing.T) {
	body := pattern(3<<20 + 123)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w.Header().Set("Content-Length", strconv.Itoa(len(body)-100))
		_, err = web.SendFile(w, f, 100, int64(len(body)-100))
		return err
	})
	for _, std := range []bool{false, true} {
		t.Run(fmt.Sprintf("goroutine=%v", std), func(t *testing.T) {
			srv := &server.Server{Handler: h, GoroutinePerConn: std}
			ln, _ := server.Listen("127.0.0.1:0", server.ListenConfig{})
			go srv.ServeTLS(ln, testTLS(t).server)
			defer srv.Close()
			c, err := tls.Dial("tcp", ln.Addr().String(), testTLS(t).clientConfig("localhost"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(c)
			write(t, c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
			for i := range 2 {
				if r := readResponse(t, br, "GET"); r.StatusCode != 200 || r.body != body[100:] {
					t.Fatalf("response %d: %d, %d bytes, want %d", i, r.StatusCode, len(r.body), len(body)-100)
				}
			}
		})
	}
}
