package main

import (
	"crypto/rand"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// serverSpec says how to start one server on a port.
type serverSpec struct {
	name  string
	start func(port int, nofile int) (*exec.Cmd, error)
}

// allServers lists the peers in table order; Brick first, as the others'
// ratios are against it.
func allServers(bin string) []serverSpec {
	goServer := func(exe string, args ...string) func(int, int) (*exec.Cmd, error) {
		return func(port, nofile int) (*exec.Cmd, error) {
			a := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)}, args...)
			cmd := pinned(nofile, filepath.Join(bin, exe), a...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd, nil
		}
	}
	return []serverSpec{
		{"brick", goServer("brick-bench", "-api", "native")},
		{"brick-nethttp", goServer("brick-bench", "-api", "nethttp")},
		{"fasthttp", goServer("fasthttp-bench")},
		{"nginx", func(port, nofile int) (*exec.Cmd, error) { return nginxCmd(bin, port, nofile) }},
		{"net/http", goServer("nethttp-bench")},
	}
}

// pinned runs exe on CPU 0 with the open-file limit set to nofile.
func pinned(nofile int, exe string, args ...string) *exec.Cmd {
	script := fmt.Sprintf(`ulimit -n %d 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec taskset -c 0 "$@"`, nofile)
	return exec.Command("sh", append([]string{"-c", script, "sh", exe}, args...)...)
}

// nginxConf is the frame of every nginx the harness runs: one worker, no
// access log, keep-alive without a request cap (as in TechEmpower's setup),
// temporary files inside the prefix. %[4]s adds http-level directives,
// %[5]s is the server block's body and %[6]s the listen directive's
// options (" ssl").
const nginxConf = `
worker_processes 1;
daemon off;
master_process on;
user root;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
worker_rlimit_nofile %[3]d;
events {
    worker_connections %[3]d;
}
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[4]s
    server {
        listen 127.0.0.1:%[2]d backlog=4096%[6]s;
%[5]s
    }
}
`

// nginxCmd runs nginx answering the benchmark response.
func nginxCmd(bin string, port, nofile int) (*exec.Cmd, error) {
	return nginxWith(bin, "nginx", port, nofile, "", "", `        location / {
            default_type text/plain;
            return 200 "Hello, World!";
        }`)
}

// nginxWith writes an nginx prefix named name with the given http-level
// directives, listen options and server body, and returns the pinned
// command running it.
func nginxWith(bin, name string, port, nofile int, httpExtra, listenOpts, serverBody string) (*exec.Cmd, error) {
	prefix := filepath.Join(bin, fmt.Sprintf("%s-%d", name, port))
	if err := os.MkdirAll(filepath.Join(prefix, "logs"), 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(prefix, "nginx.conf")
	text := fmt.Sprintf(nginxConf, prefix, port, nofile, httpExtra, serverBody, listenOpts)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	exe := "nginx"
	if _, err := exec.LookPath(exe); err != nil {
		exe = "/usr/sbin/nginx"
	}
	return pinned(nofile, exe, "-p", prefix, "-c", conf), nil
}

// waitReady polls until the server answers a request on port, for up to
// 20 s: Python servers import their application first.
func waitReady(port int, done <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	req := []byte("GET /hello HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("server exited during start-up")
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			c.Write(req)
			buf := make([]byte, 512)
			n, _ := c.Read(buf)
			c.Close()
			if n > 12 && string(buf[9:12]) == "200" {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server did not answer on port %d within 20 s", port)
}

// makeStaticDir writes the files the static scenarios serve: 1k.bin and
// 1m.bin (random bytes, so nothing compresses them), and hello, which
// waitReady asks for.
func makeStaticDir(tmp string) (string, error) {
	dir := filepath.Join(tmp, "www")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	files := map[string]int{"1k.bin": 1 << 10, "1m.bin": 1 << 20}
	for name, size := range files {
		b := make([]byte, size)
		rand.Read(b)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return "", err
		}
	}
	return dir, os.WriteFile(filepath.Join(dir, "hello"), []byte("Hello, World!"), 0o644)
}

// fileServers lists the servers of the static scenarios, Brick first.
// nginx runs with sendfile on, once with tcp_nopush on and once off;
// Caddy's row is left out (with a note) when caddy is not installed.
func fileServers(bin, dir string) []serverSpec {
	goServer := func(exe string, args ...string) func(int, int) (*exec.Cmd, error) {
		return func(port, nofile int) (*exec.Cmd, error) {
			a := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)}, args...)
			cmd := pinned(nofile, filepath.Join(bin, exe), a...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd, nil
		}
	}
	specs := []serverSpec{
		{"brick", goServer("brick-bench", "-static", dir)},
		{"nginx-nopush", func(port, nofile int) (*exec.Cmd, error) { return nginxStaticCmd(bin, dir, port, nofile, true) }},
		{"nginx", func(port, nofile int) (*exec.Cmd, error) { return nginxStaticCmd(bin, dir, port, nofile, false) }},
	}
	if caddy, err := exec.LookPath("caddy"); err == nil {
		specs = append(specs, serverSpec{"caddy", func(port, nofile int) (*exec.Cmd, error) {
			home := filepath.Join(bin, "caddy-home")
			cmd := pinned(nofile, caddy, "file-server", "--root", dir, "--listen", fmt.Sprintf("127.0.0.1:%d", port))
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "HOME="+home,
				"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"))
			return cmd, nil
		}})
	} else {
		log.Printf("caddy is not installed: the static scenarios run without it (bench/run installs it)")
	}
	return append(specs, serverSpec{"net/http", goServer("nethttp-bench", "-static", dir)})
}

// nginxStaticCmd serves dir with nginx's stock file handling: sendfile on
// and tcp_nopush as asked.
func nginxStaticCmd(bin, dir string, port, nofile int, nopush bool) (*exec.Cmd, error) {
	onOff := "off"
	if nopush {
		onOff = "on"
	}
	httpExtra := fmt.Sprintf("    sendfile on;\n    tcp_nopush %s;\n    default_type application/octet-stream;", onOff)
	return nginxWith(bin, "nginx-static", port, nofile, httpExtra, "", "        root "+dir+";")
}
