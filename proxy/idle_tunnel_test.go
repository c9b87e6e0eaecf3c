package proxy_test

import (
	"bufio"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// idleTunnels is n switched connections through a proxy to an upstream
// that holds its side without a goroutine per connection, so that what
// the count of goroutines shows is the proxy's.
type idleTunnels struct {
	clients []net.Conn
	readers []*bufio.Reader
	ups     []net.Conn
}

func (it *idleTunnels) close() {
	for _, c := range it.clients {
		c.Close()
	}
	for _, c := range it.ups {
		c.Close()
	}
}

// openIdleTunnels opens n tunnels one after the other: the upstream's
// accept loop reads each request head and answers 101 itself.
func openIdleTunnels(t *testing.T, n int) (*idleTunnels, func() (goroutines int, bytes uint64)) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	addr, _ := serve(t, config("http://"+ln.Addr().String()))
	it := &idleTunnels{}
	t.Cleanup(it.close)
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(c)
			for {
				line, err := br.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
			}
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			accepted <- c
		}
	}()
	usage := func() (int, uint64) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return runtime.NumGoroutine(), m.HeapInuse + m.StackInuse
	}
	// Warm up: the first tunnel starts what every later one shares.
	open := func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		it.ups = append(it.ups, <-accepted)
		br := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if r := readResponse(t, br, false); r.Status != 101 {
			t.Fatalf("answer:\n%s", r.raw)
		}
		c.SetReadDeadline(time.Time{})
		it.clients = append(it.clients, c)
		it.readers = append(it.readers, br)
	}
	open()
	time.Sleep(50 * time.Millisecond)
	g0, b0 := usage()
	for range n {
		open()
	}
	// The handlers' goroutines end just after the 101 is written.
	time.Sleep(100 * time.Millisecond)
	return it, func() (int, uint64) {
		g, b := usage()
		return g - g0, b - min(b, b0)
	}
}

// TestIdleTunnelsHoldNoGoroutine: idle switched connections through the
// proxy hold no goroutine (both sides are watched for readiness), and
// bytes still pass both ways after the idle time. The measurement for
// the README is the n = 1000 case's log line.
func TestIdleTunnelsHoldNoGoroutine(t *testing.T) {
	for _, n := range []int{1000} {
		it, usage := openIdleTunnels(t, n)
		g, b := usage()
		t.Logf("%d idle tunnels: %d goroutines, %d bytes of heap and stack (%.1f KiB a tunnel)",
			n, g, b, float64(b)/float64(n)/1024)
		if g > n/20 {
			t.Errorf("%d idle tunnels hold %d goroutines", n, g)
		}
		for i := range n {
			c, up, br := it.clients[i], it.ups[i], it.readers[i]
			c.SetDeadline(time.Now().Add(5 * time.Second))
			up.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "ping")
			got := make([]byte, 4)
			if _, err := io.ReadFull(up, got); err != nil || string(got) != "ping" {
				t.Fatalf("tunnel %d: upstream got %q, %v", i, got, err)
			}
			io.WriteString(up, "pong")
			if _, err := io.ReadFull(br, got); err != nil || string(got) != "pong" {
				t.Fatalf("tunnel %d: client got %q, %v", i, got, err)
			}
		}
		// The client's end reaches the upstream as an end of stream.
		it.clients[1].Close()
		if n, err := it.ups[1].Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("after the client's close the upstream read %d, %v", n, err)
		}
		// An end from the upstream ends the client's side too.
		it.ups[0].Close()
		it.clients[0].SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := it.readers[0].ReadByte(); err == nil || !strings.Contains(err.Error(), "EOF") && err != io.EOF {
			t.Errorf("after the upstream's close the client read %v", err)
		}
	}
}

// TestUpgradeEarlyBytes: bytes of the new protocol the client sent in the
// same packet as its request reach the upstream.
func TestUpgradeEarlyBytes(t *testing.T) {
	up, heads := startEchoUpgrade(t)
	addr, _ := serve(t, config(up))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly")
	br := bufio.NewReader(c)
	if r := readResponse(t, br, false); r.Status != 101 {
		t.Fatalf("answer:\n%s", r.raw)
	}
	<-heads
	got := make([]byte, len("hello early"))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != "hello early" {
		t.Fatalf("echo %q, %v", got, err)
	}
}
