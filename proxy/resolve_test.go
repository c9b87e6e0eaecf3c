package proxy_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
)

// mapTransport resolves names from a table the test changes, as DNS
// would change under a running proxy.
type mapTransport struct {
	mu    sync.Mutex
	names map[string]string
}

func (m *mapTransport) set(name, addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.names[name] = addr
}

func (m *mapTransport) Dial(ctx context.Context, addr string) (net.Conn, error) {
	m.mu.Lock()
	to := m.names[addr]
	m.mu.Unlock()
	var d net.Dialer
	return d.DialContext(ctx, "tcp", to)
}

// TestNameResolvedPerConnection: the upstream's name goes to the
// Transport for each new connection, so a changed address is followed
// without a reload (nginx resolves once at start).
func TestNameResolvedPerConnection(t *testing.T) {
	a, b := startRaw(t, "a", true), startRaw(t, "b", true)
	m := &mapTransport{names: map[string]string{}}
	m.set("app.internal:8000", strings.TrimPrefix(a.URL, "http://"))
	c := config("http://app.internal:8000")
	c.Transport = m
	addr, _ := serve(t, c)
	if r := get(t, addr, "/"); string(r.Body) != "a" {
		t.Fatalf("first answer from %q", r.Body)
	}
	m.set("app.internal:8000", strings.TrimPrefix(b.URL, "http://"))
	if r := get(t, addr, "/"); string(r.Body) != "b" {
		t.Fatalf("after the change, answer from %q", r.Body)
	}
}
