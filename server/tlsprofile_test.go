package server_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/server"
)

// startTLSServer serves helloHandler over TLS with the test certificates
// on a loopback port.
func startTLSServer(t *testing.T) (*server.Server, string) {
	t.Helper()
	srv := &server.Server{Handler: helloHandler}
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeTLS(ln, testTLS(t).server)
	t.Cleanup(func() { srv.Close() })
	return srv, ln.Addr().String()
}

// TestTLSTicketKeyRotation: a session resumes after one rotation of the
// ticket keys (the previous key still decrypts) and not after two (the
// key that encrypted its ticket is forgotten).
func TestTLSTicketKeyRotation(t *testing.T) {
	tests := []struct {
		rotations int
		resume    bool
	}{
		{0, true},
		{1, true},
		{2, false},
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("TLS %x, %d rotations", v, tc.rotations), func(t *testing.T) {
				srv, addr := startTLSServer(t)
				cfg := testTLS(t).clientConfig("localhost")
				cfg.MaxVersion = v
				cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
				get := func() bool {
					c, err := tls.Dial("tcp", addr, cfg)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(10 * time.Second))
					// TLS 1.3 tickets arrive after the handshake: a
					// request and its response bring them in.
					write(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
					readResponse(t, bufio.NewReader(c), "GET")
					return c.ConnectionState().DidResume
				}
				if get() {
					t.Fatal("the first connection resumed")
				}
				for range tc.rotations {
					server.RotateTicketKeys(srv)
				}
				if got := get(); got != tc.resume {
					t.Fatalf("resumed %v after %d rotations, want %v", got, tc.rotations, tc.resume)
				}
			})
		}
	}
}

// TestTLSOpenSSLResumption: openssl s_client saves its session and
// resumes it on the next connection, with TLS 1.2 and 1.3.
func TestTLSOpenSSLResumption(t *testing.T) {
	openssl := testutil.LookPath(t, "openssl")
	_, addr := startTLSServer(t)
	root := testTLS(t).ca.WriteRoot(t, t.TempDir())
	for _, v := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(v, func(t *testing.T) {
			sess := filepath.Join(t.TempDir(), "sess.pem")
			for i, arg := range []string{"-sess_out", "-sess_in"} {
				cmd := exec.Command(openssl, "s_client", v, "-connect", addr, "-servername", "localhost",
					"-CAfile", root, "-verify_return_error", arg, sess, "-ign_eof")
				// A request, so that TLS 1.3 tickets arrive before the end.
				cmd.Stdin = strings.NewReader("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("openssl s_client %s: %v\n%s", arg, err, out)
				}
				resumed := strings.Contains(string(out), "Reused, ")
				if resumed != (i == 1) || !strings.Contains(string(out), "Hello, World!") {
					t.Fatalf("connection %d: resumed=%v\n%s", i, resumed, out)
				}
			}
		})
	}
}

// TestTLSProfile: Mozilla's "intermediate" profile: TLS 1.2 and 1.3, and
// in TLS 1.2 ECDHE key exchange with AEAD ciphers only; a client offering
// anything else is refused.
func TestTLSProfile(t *testing.T) {
	_, addr := startTLSServer(t)
	tests := []struct {
		name    string
		version uint16
		suite   uint16
		ok      bool
	}{
		{"ECDHE AES-128-GCM", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
		{"ECDHE AES-256-GCM", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, true},
		{"ECDHE ChaCha20-Poly1305", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"ECDHE AES-CBC-SHA", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
		{"ECDHE AES-CBC-SHA256", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, false},
		{"RSA key exchange, GCM", tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"TLS 1.1", tls.VersionTLS11, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
		{"TLS 1.0", tls.VersionTLS10, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testTLS(t).clientConfig("localhost")
			cfg.MinVersion, cfg.MaxVersion = tc.version, tc.version
			cfg.CipherSuites = []uint16{tc.suite}
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
			if !tc.ok {
				if err == nil {
					c.Close()
					t.Fatalf("handshake succeeded with %s", tls.CipherSuiteName(tc.suite))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := c.ConnectionState().CipherSuite; got != tc.suite {
				t.Fatalf("suite %s", tls.CipherSuiteName(got))
			}
		})
	}
}

// TestTLSTrickledHandshake: a ClientHello sent a byte every 100 ms keeps
// arriving but never ends in time: the handshake is cut at the header
// timeout from the connection's start, not extended by each byte.
func TestTLSTrickledHandshake(t *testing.T) {
	for _, m := range tlsModes {
		if m.adapt {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			e := m.start(t, newApp(), func(s *server.Server) { s.Timeouts.ReadHeader = time.Second })
			raw, err := net.Dial("tcp", e.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			tr := &trickle{Conn: raw}
			tr.slow.Store(true)
			tc := tls.Client(tr, e.tls.clientConfig("localhost"))
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- tc.Handshake() }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("a trickled handshake finished")
				}
			case <-time.After(8 * time.Second):
				t.Fatal("a trickled handshake held the connection open")
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Fatalf("trickled handshake cut after %v", d)
			}
		})
	}
}
