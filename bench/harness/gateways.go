package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The gateway scenarios put a backend behind each server: proxy, an nginx
// answering "Hello, World!" itself (return 200); php, PHP-FPM (pm =
// static, one child) running a hello script. The backend runs on CPU 0
// beside the server, as in a one-core deployment, and is shared by every
// server of the scenario; wrk runs on CPU 1. The server's CPU time counts
// the server's processes only (the backend's work is the same behind
// every server), so requests per server-CPU-second is the cost of the
// gateway itself; req/s also shows what the backend's share of CPU 0
// leaves.

// backend is a process a gateway scenario's servers send requests to.
type backend struct {
	cmd  *exec.Cmd
	done <-chan struct{}
	// addr is what the servers are given: 127.0.0.1:port for proxy,
	// the socket path for php.
	addr string
	// root is the php scenario's document root.
	root string
}

func (b *backend) stop() { stop(b.cmd, b.done) }

// startBackend starts the backend of sc.gateway.
func (h *harness) startBackend(sc scenario) (*backend, error) {
	switch sc.gateway {
	case "proxy":
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		cmd, err := nginxWith(h.tmp, "upstream", port, 4096, "", "", `        location / {
            default_type text/plain;
            return 200 "Hello, World!";
        }`)
		if err != nil {
			return nil, err
		}
		done, err := launch(cmd)
		if err != nil {
			return nil, err
		}
		b := &backend{cmd: cmd, done: done, addr: fmt.Sprintf("127.0.0.1:%d", port)}
		if err := waitReady(port, done); err != nil {
			b.stop()
			return nil, fmt.Errorf("upstream nginx: %w", err)
		}
		return b, nil
	case "php":
		return startFPM(h.tmp)
	}
	return nil, fmt.Errorf("no backend for %q", sc.gateway)
}

// phpFPM is Debian's PHP-FPM binary.
const phpFPM = "/usr/sbin/php-fpm8.2"

// startFPM starts PHP-FPM with one child (pm = static), as root when the
// harness is, and a document root holding index.php.
func startFPM(tmp string) (*backend, error) {
	if _, err := os.Stat(phpFPM); err != nil {
		return nil, fmt.Errorf("%s is not installed: bench/run installs php8.2-fpm with apt-get", phpFPM)
	}
	dir := filepath.Join(tmp, "php")
	root := filepath.Join(dir, "www")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php\necho 'Hello, World!';\n"), 0o644); err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "fpm.sock")
	conf := fmt.Sprintf(`[global]
error_log = %[1]s/fpm.log
daemonize = no
pid = %[1]s/fpm.pid
[bench]
listen = %[2]s
listen.backlog = 4096
pm = static
pm.max_children = 1
php_admin_value[display_errors] = Off
php_admin_value[output_buffering] = 0
`, dir, sock)
	cfg := filepath.Join(dir, "fpm.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	args := []string{"-F", "-n", "-y", cfg, "-p", dir}
	if os.Geteuid() == 0 {
		args = append(args, "-R")
	}
	cmd := pinned(4096, phpFPM, args...)
	done, err := launch(cmd)
	if err != nil {
		return nil, err
	}
	b := &backend{cmd: cmd, done: done, addr: sock, root: root}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			time.Sleep(200 * time.Millisecond) // bound, then listening
			return b, nil
		}
		select {
		case <-done:
			return nil, fmt.Errorf("php-fpm exited at start; see %s/fpm.log", dir)
		default:
		}
		if time.Now().After(deadline) {
			b.stop()
			return nil, fmt.Errorf("php-fpm did not create %s in 10 s", sock)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gatewayServers lists the servers of a gateway scenario, Brick first:
// the real cmd/brick binary (brick proxy, brick php) with GOMAXPROCS=1;
// nginx with one worker (proxy_pass with keep-alive connections to the
// upstream; fastcgi_pass without, since PHP-FPM's one child serves one
// connection until it closes); Caddy when installed.
func (h *harness) gatewayServers(sc scenario, b *backend) []serverSpec {
	brick := func(args ...string) func(int, int) (*exec.Cmd, error) {
		return func(port, nofile int) (*exec.Cmd, error) {
			exe, err := h.brickBinary()
			if err != nil {
				return nil, err
			}
			a := append([]string{args[0], "-addr", fmt.Sprintf("127.0.0.1:%d", port)}, args[1:]...)
			cmd := pinned(nofile, exe, a...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd, nil
		}
	}
	var specs []serverSpec
	var nginxHTTP, nginxServer, caddyfile string
	switch sc.gateway {
	case "proxy":
		// Both keep up to 64 idle connections to the upstream, as many
		// as wrk's. brick-idle32 is Brick with its default max_idle of
		// 32, which used to close the excess of each burst of answers
		// and dial it again (now kept for a second: proxy/upstream.go).
		specs = append(specs, serverSpec{"brick", brick("proxy", "-max-idle", "64", "http://"+b.addr)},
			serverSpec{"brick-idle32", brick("proxy", "http://"+b.addr)})
		nginxHTTP = fmt.Sprintf("    upstream up {\n        server %s;\n        keepalive 64;\n    }", b.addr)
		nginxServer = `        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }`
		caddyfile = fmt.Sprintf("reverse_proxy %s", b.addr)
	case "php":
		specs = append(specs, serverSpec{"brick", brick("php", "-fastcgi", "unix:"+b.addr, "-conns", "1", b.root)})
		nginxServer = fmt.Sprintf(`        root %[1]s;
        location / {
            try_files $uri /index.php$is_args$args;
        }
        location ~ \.php$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_pass unix:%[2]s;
        }`, b.root, b.addr)
		caddyfile = fmt.Sprintf("root * %s\n\tphp_fastcgi unix/%s", b.root, b.addr)
	}
	specs = append(specs, serverSpec{"nginx", func(port, nofile int) (*exec.Cmd, error) {
		return nginxWith(h.tmp, "nginx-"+sc.gateway, port, nofile, nginxHTTP, "", nginxServer)
	}})
	if caddy, err := exec.LookPath("caddy"); err == nil {
		specs = append(specs, serverSpec{"caddy", func(port, nofile int) (*exec.Cmd, error) {
			home := filepath.Join(h.tmp, "caddy-home")
			file := filepath.Join(h.tmp, fmt.Sprintf("Caddyfile-%s-%d", sc.gateway, port))
			text := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n}\nhttp://127.0.0.1:%d {\n\t%s\n}\n", port, caddyfile)
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				return nil, err
			}
			cmd := pinned(nofile, caddy, "run", "--config", file, "--adapter", "caddyfile")
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "HOME="+home,
				"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"))
			return cmd, nil
		}})
	} else {
		log.Printf("caddy is not installed: the %s scenario runs without it (bench/run installs it)", sc.gateway)
	}
	return specs
}

// gatewaySpecs starts sc's backend and lists the servers to measure in
// front of it; the function returned stops the backend.
func (h *harness) gatewaySpecs(sc scenario) ([]serverSpec, func(), error) {
	b, err := h.startBackend(sc)
	if err != nil {
		return nil, nil, err
	}
	specs := h.gatewayServers(sc, b)
	if h.only != nil {
		specs = filterServers(specs, h.only)
	}
	return specs, b.stop, nil
}

// gatewayNote describes a gateway scenario's backend for its table.
var gatewayNote = map[string]string{
	"proxy": "Each server proxies to the same upstream, an nginx (one worker, on CPU 0) answering return 200 itself; req per server-CPU-s counts the proxy's CPU time only.",
	"php":   "Each server sends the script to the same PHP-FPM 8.2 (pm = static, one child, on CPU 0); req per server-CPU-s counts the web server's CPU time only, not PHP's.",
}
