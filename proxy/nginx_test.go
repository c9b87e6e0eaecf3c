package proxy_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// startNginx runs nginx on a free port with a generated configuration:
// a fixed answer at / and the files of root under /files/.
func startNginx(t *testing.T, root string) string {
	t.Helper()
	bin := testutil.LookPath(t, "nginx")
	prefix := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s;
    location / { return 200 "nginx says hi\n"; }
    location /files/ { alias %[3]s/; }
  }
}
`, prefix, addr, root)
	file := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", prefix, "-c", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(prefix, "error.log"))
			t.Fatalf("nginx did not start: %v\n%s%s", err, stderr.String(), log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNginxUpstream: nginx as the upstream, over kept-alive connections:
// its answers and a 3 MiB file arrive whole, with its fields.
func TestNginxUpstream(t *testing.T) {
	root := t.TempDir()
	data := make([]byte, 3<<20)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(root, "blob"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	addr, _ := serve(t, config(startNginx(t, root)))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i := range 5 {
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r := readResponse(t, br, false)
		if r.Status != 200 || string(r.Body) != "nginx says hi\n" || !bytes.HasPrefix(r.Header.Get("Server"), []byte("nginx")) {
			t.Fatalf("request %d:\n%s%s", i, r.raw, r.Body)
		}
	}
	// HEAD: the upstream's length passes on, with no body, and the
	// connection goes on.
	fmt.Fprintf(c, "HEAD /files/blob HTTP/1.1\r\nHost: x\r\n\r\n")
	if r := readResponse(t, br, true); r.Status != 200 || r.ContentLength != int64(len(data)) {
		t.Fatalf("HEAD:\n%s", r.raw)
	}
	fmt.Fprintf(c, "GET /files/blob HTTP/1.1\r\nHost: x\r\n\r\n")
	r := readResponse(t, br, false)
	if r.Status != 200 || !bytes.Equal(r.Body, data) {
		t.Fatalf("blob: status %d, %d bytes of %d, equal %v", r.Status, len(r.Body), len(data), bytes.Equal(r.Body, data))
	}
}
