package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reloadServerConf is a [server] table whose timeouts and limits the test
// changes with SIGHUP.
const reloadServerConf = `
[server]
listen = ["127.0.0.1:0"]
backlog = {{backlog}}
idle_timeout = "{{idle}}"
max_conns = {{max_conns}}
max_header = "{{max_header}}"

[log]
access = "off"

[[site]]
  [[site.route]]
  path = "/"
  respond = { body = "hi" }
`

func writeReloadServerConf(t *testing.T, dir, backlog, idle, maxConns, maxHeader string) {
	t.Helper()
	conf := strings.NewReplacer("{{backlog}}", backlog, "{{idle}}", idle, "{{max_conns}}", maxConns, "{{max_header}}", maxHeader).Replace(reloadServerConf)
	if err := os.WriteFile(filepath.Join(dir, "brick.toml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunReloadServerSettings changes [server] idle_timeout, max_header
// and max_conns with SIGHUP: new connections get the new values (a new
// idle connection is closed after the shorter idle timeout; a head over
// the lower max_header is 431; past the lower max_conns a new connection
// waits until one closes), and the setting a reload cannot apply
// (backlog) is named in a warning.
func TestRunReloadServerSettings(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	writeReloadServerConf(t, dir, "4096", "60s", "100", "64KiB")
	p := startRun(t, bin, dir, nil)

	writeReloadServerConf(t, dir, "512", "1s", "2", "1KiB")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLog(t, regexp.MustCompile(`msg="reloaded the configuration"`), 1, 30*time.Second)
	p.waitLog(t, regexp.MustCompile(`msg="reload: these \[server\] settings take effect on restart or binary upgrade \(SIGUSR2\); the others are reloaded" settings=backlog`), 1, time.Second)

	t.Run("idle_timeout", func(t *testing.T) {
		c := dialRequest(t, p.addr)
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Read(make([]byte, 1))
		// The idle sweep runs once a second: 1 s idle closes within 1-3 s.
		if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("idle connection after %v: %v; want it closed by the 1s idle_timeout", time.Since(start), err)
		}
		if d := time.Since(start); d < 900*time.Millisecond || d > 4*time.Second {
			t.Fatalf("idle connection closed after %v; want about 1s (idle_timeout)", d)
		}
	})

	t.Run("max_header", func(t *testing.T) {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 2048)+"\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 431 {
			t.Fatalf("a 2 KiB head after max_header = \"1KiB\": status %d, want 431", resp.StatusCode)
		}
	})

	t.Run("max_conns", func(t *testing.T) {
		// Two connections in the middle of a head hold both slots.
		var held []net.Conn
		for range 2 {
			c, err := net.Dial("tcp", p.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\n"); err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
		}
		time.Sleep(200 * time.Millisecond) // both accepted
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
		if _, err := br.ReadByte(); err == nil {
			t.Fatal("a third connection was served with max_conns = 2 and two open")
		}
		held[0].Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("the waiting connection, once a slot came free: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	})
}

// dialRequest connects to addr and reads the answer to one kept-alive
// request.
func dialRequest(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if br.Buffered() > 0 {
		t.Fatalf("%d bytes after the response", br.Buffered())
	}
	return c
}
