package server_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// TestHelperIdleClient is not a test: TestIdleMemory runs the test binary
// again with BRICK_IDLE_CLIENT set, so that the clients' memory is not in
// the server's heap. It opens n connections (TLS or not), sends one GET for
// path on each, reads the response, prints "ready" and holds them until
// its standard input closes.
func TestHelperIdleClient(t *testing.T) {
	spec := os.Getenv("BRICK_IDLE_CLIENT")
	if spec == "" {
		t.Skip("a helper process for TestIdleMemory")
	}
	f := strings.Split(spec, ",") // addr,n,tls,path
	n, _ := strconv.Atoi(f[1])
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", f[0])
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(1)
		}
		if f[2] == "tls" {
			c = tls.Client(c, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", f[3])
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			fmt.Println("request:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		conns = append(conns, c)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// idleCost measures the server's heap and stacks per idle kept-alive
// connection: n connections from another process, each after one request.
func idleCost(t *testing.T, useTLS bool, path string, n int) float64 {
	t.Helper()
	body := strings.Repeat("x", 1<<20)
	srv := &server.Server{Handler: web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		if string(r.Path) == "/1m" {
			_, err := w.WriteString(body)
			return err
		}
		_, err := w.WriteString("Hello, World!")
		return err
	})}
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	mode := "plain"
	if useTLS {
		mode = "tls"
		go srv.ServeTLS(ln, testTLS(t).server)
	} else {
		go srv.Serve(ln)
	}
	defer srv.Close()
	measure := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc + ms.StackInuse
	}
	// One connection first, so that what every server holds once (the
	// loops, a worker, pools) is in the baseline.
	warm := exec.Command(os.Args[0], "-test.run=^TestHelperIdleClient$")
	warm.Env = append(os.Environ(), fmt.Sprintf("BRICK_IDLE_CLIENT=%s,1,%s,%s", ln.Addr(), mode, path))
	holdIdle(t, warm)
	time.Sleep(300 * time.Millisecond)
	before := measure()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperIdleClient$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("BRICK_IDLE_CLIENT=%s,%d,%s,%s", ln.Addr(), n, mode, path))
	holdIdle(t, cmd)
	time.Sleep(300 * time.Millisecond)
	after := measure()
	if open := srv.OpenConns(); open < n {
		t.Fatalf("%d connections open, want %d", open, n+1)
	}
	return float64(int64(after)-int64(before)) / float64(n)
}

// holdIdle starts a helper client and waits until its connections are
// idle; it is stopped at the test's end.
func holdIdle(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("idle client: %q", line)
	}
}

// TestIdleMemory measures what an idle kept-alive connection costs the
// server (heap and stacks), plain and over TLS, after a small response
// and after a 1 MiB one, in the same run. The bound is the goal:
// an idle TLS connection at or below nginx's measured 14.9 KiB.
func TestIdleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2000 connections per case")
	}
	const n = 2000
	plain := idleCost(t, false, "/", n)
	small := idleCost(t, true, "/", n)
	large := idleCost(t, true, "/1m", n)
	t.Logf("idle connection, server heap+stacks: plain %.0f B, TLS after a small response %.0f B (%.1fx), TLS after 1 MiB %.0f B (%.1fx)",
		plain, small, small/plain, large, large/plain)
	if small > 14.9*1024 {
		t.Errorf("an idle TLS connection costs %.0f B after a small response, over nginx's 14.9 KiB", small)
	}
}
