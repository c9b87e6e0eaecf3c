package acme

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mholt/acmez/v3/acme"
)

// TestListeners: the issuer is pointed at Brick's bound listeners, so
// that certmagic's solvers find the ports taken and start none, and a
// challenge type without a listener (or not offered) is off.
func TestListeners(t *testing.T) {
	tests := []struct {
		name              string
		http01, tlsalpn01 bool
		httpAddr, tlsAddr string
		wantHost          string
		wantHTTP, wantTLS int // 0: the challenge is off
		zerossl           bool
		wantZeroSSL       bool
		wantErr           string
	}{
		{name: "ZeroSSL on the plain listener", http01: true, tlsalpn01: true, httpAddr: "127.0.0.1:8080", tlsAddr: "127.0.0.1:8443",
			wantHost: "127.0.0.1", wantHTTP: 8080, wantTLS: 8443, zerossl: true, wantZeroSSL: true},
		{name: "ZeroSSL without a plain listener", http01: true, tlsalpn01: true, tlsAddr: "127.0.0.1:8443",
			wantHost: "127.0.0.1", wantTLS: 8443, zerossl: true},
		{name: "both", http01: true, tlsalpn01: true, httpAddr: "127.0.0.1:8080", tlsAddr: "127.0.0.1:8443",
			wantHost: "127.0.0.1", wantHTTP: 8080, wantTLS: 8443},
		{name: "every interface", http01: true, tlsalpn01: true, httpAddr: "[::]:80", tlsAddr: "[::]:443",
			wantHost: "::", wantHTTP: 80, wantTLS: 443},
		{name: "no plain listener", http01: true, tlsalpn01: true, tlsAddr: "127.0.0.1:8443",
			wantHost: "127.0.0.1", wantTLS: 8443},
		{name: "tls-alpn-01 not offered", http01: true, httpAddr: "127.0.0.1:8080", tlsAddr: "127.0.0.1:8443",
			wantHost: "127.0.0.1", wantHTTP: 8080},
		{name: "listeners on different hosts", http01: true, tlsalpn01: true, httpAddr: "127.0.0.1:8080", tlsAddr: "127.0.0.2:8443",
			wantHost: "127.0.0.1", wantHTTP: 8080},
		{name: "nothing can answer", http01: true, tlsAddr: "127.0.0.1:8443", wantErr: "no listener can answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			key := ""
			if tc.zerossl {
				key = "zerossl-key"
			}
			m, err := New(Config{CA: "https://ca.test/dir", Storage: t.TempDir(), RenewInterval: 1e9, ZeroSSLAPIKey: key,
				HTTP01: tc.http01, TLSALPN01: tc.tlsalpn01, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Stop()
			err = m.Manage(nil, tc.httpAddr, tc.tlsAddr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			iss := m.issuer
			if iss.ListenHost != tc.wantHost || iss.DisableHTTPChallenge != (tc.wantHTTP == 0) || iss.DisableTLSALPNChallenge != (tc.wantTLS == 0) ||
				tc.wantHTTP != 0 && iss.AltHTTPPort != tc.wantHTTP || tc.wantTLS != 0 && iss.AltTLSALPNPort != tc.wantTLS {
				t.Fatalf("issuer: host %q, http %v:%d, tls-alpn %v:%d", iss.ListenHost, !iss.DisableHTTPChallenge, iss.AltHTTPPort, !iss.DisableTLSALPNChallenge, iss.AltTLSALPNPort)
			}
			// ZeroSSL, when used, is tried after the ACME CA, on the
			// plain listener.
			if got := len(m.cfg.Issuers) == 2; got != tc.wantZeroSSL {
				t.Fatalf("%d issuers, ZeroSSL wanted: %v", len(m.cfg.Issuers), tc.wantZeroSSL)
			}
			if tc.wantZeroSSL && (m.cfg.Issuers[1] != m.zerossl || m.zerossl.ListenHost != tc.wantHost || m.zerossl.AltHTTPPort != tc.wantHTTP) {
				t.Fatalf("ZeroSSL issuer %+v", m.cfg.Issuers[1])
			}
			if tc.zerossl && !tc.wantZeroSSL && !strings.Contains(logs.String(), "no plain listener") {
				t.Fatalf("no warning about ZeroSSL:\n%s", logs.String())
			}
		})
	}
}

// TestRetryAfter: an unreachable CA is retried soon, doubling to a
// minute; an answer from the CA (a problem document) waits minutes.
func TestRetryAfter(t *testing.T) {
	_, netErr := (&net.Dialer{}).Dial("tcp", "127.0.0.1:1")
	if netErr == nil {
		t.Skip("something listens on port 1")
	}
	for _, tc := range []struct {
		attempt int
		err     error
		want    time.Duration
	}{
		{0, fmt.Errorf("obtaining: %w", netErr), time.Second},
		{3, fmt.Errorf("obtaining: %w", netErr), 8 * time.Second},
		{20, fmt.Errorf("obtaining: %w", netErr), time.Minute},
		{0, fmt.Errorf("obtaining: %w", acme.Problem{Type: "urn:ietf:params:acme:error:unauthorized"}), time.Minute},
		{2, fmt.Errorf("obtaining: %w", acme.Problem{Type: "urn:ietf:params:acme:error:rateLimited"}), 5 * time.Minute},
		{50, errors.New("storage: disk full"), time.Hour},
	} {
		if got := retryAfter(tc.attempt, tc.err); got != tc.want {
			t.Errorf("retryAfter(%d, %v) = %s, want %s", tc.attempt, tc.err, got, tc.want)
		}
	}
}

// TestDefaultStorage: $XDG_DATA_HOME first, then /var/lib/brick when it
// can be written, else the user's XDG data directory.
func TestDefaultStorage(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	if got := DefaultStorage(); got != "/data/brick" {
		t.Errorf("with XDG_DATA_HOME: %s", got)
	}
	t.Setenv("XDG_DATA_HOME", "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	want := filepath.Join(home, ".local", "share", "brick")
	if writable(systemStorage) || !exists(systemStorage) && writable(filepath.Dir(systemStorage)) {
		want = systemStorage // root, or a writable /var/lib/brick
	}
	if got := DefaultStorage(); got != want {
		t.Errorf("DefaultStorage() = %s, want %s", got, want)
	}
}

// TestManageReleases: a name left out of a later Manage (a reload that
// removed its site) stops being obtained and is gone from Certificates;
// the others stay.
func TestManageReleases(t *testing.T) {
	var logs lockedBuffer
	m, err := New(Config{CA: "https://127.0.0.1:1/dir", Storage: t.TempDir(), RenewInterval: time.Second,
		HTTP01: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	names := func() []string {
		var out []string
		for _, c := range m.Certificates() {
			out = append(out, c.Name)
		}
		slices.Sort(out)
		return out
	}
	if err := m.Manage([]string{"a.test", "b.test"}, "127.0.0.1:8080", ""); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	a := m.managed["a.test"]
	m.mu.Unlock()
	if err := m.Manage([]string{"b.test", "c.test"}, "127.0.0.1:8080", ""); err != nil {
		t.Fatal(err)
	}
	if got := names(); !slices.Equal(got, []string{"b.test", "c.test"}) {
		t.Fatalf("managed after the reload: %v", got)
	}
	select {
	case <-a.ctx.Done():
	default:
		t.Fatal("a.test's obtain loop was not stopped")
	}
	if !strings.Contains(logs.String(), "name=a.test") || !strings.Contains(logs.String(), "no longer managed") {
		t.Fatalf("no log line for the released name:\n%s", logs.String())
	}
}

// lockedBuffer is a log destination the obtain loops write to while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFollowKeepsFallbackUntilReplaced: preparing a newer manager (a
// reload that may still be refused) leaves the running one's fallback in
// place; only DropFallback, once the newer one is in force, forgets it.
func TestFollowKeepsFallbackUntilReplaced(t *testing.T) {
	mk := func() *Manager {
		m, err := New(Config{CA: "https://ca.test/dir", Storage: t.TempDir(), RenewInterval: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Stop)
		return m
	}
	first, running, next := mk(), mk(), mk()
	running.Follow(first)
	next.Follow(running)
	if running.prev.Load() != first {
		t.Fatal("preparing a newer manager dropped the running one's fallback")
	}
	running.DropFallback()
	if running.prev.Load() != nil || next.prev.Load() != running {
		t.Fatal("DropFallback: want running without a fallback, next following running")
	}
}
