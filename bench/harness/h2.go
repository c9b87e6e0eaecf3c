package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// The h2 scenarios: h2load (nghttp2-client) on CPU 1, -m32 streams per
// connection, asks for the 13-byte benchmark response over HTTP/2, with
// TLS (ALPN h2, the tls scenarios' certificate) and over h2c with prior
// knowledge. h2load is the client for both, so the figures compare the
// servers, not the clients.

// h2Streams is h2load's -m by default: concurrent streams per connection.
const h2Streams = 32

// h2Streams is the scenario's h2load -m.
func (sc scenario) h2Streams() int {
	if sc.streams > 0 {
		return sc.streams
	}
	return h2Streams
}

// brickHTTP1 is the h2-static-1m row of Brick over HTTP/1.1 with TLS, the
// reference the issue sets for HTTP/2's CPU per byte: the "brick" row's
// server, asked by wrk in turns with h2load (slotsOf).
const brickHTTP1 = "brick-http1.1-tls"

// h2FileServers lists the servers of the h2 file scenario: Brick's
// static handler (over HTTP/2 and, paired, over HTTP/1.1 with TLS), h2o
// and nginx over HTTP/2 serving the same directory.
func (h *harness) h2FileServers() ([]serverSpec, error) {
	cert, key, err := h.tlsFiles()
	if err != nil {
		return nil, err
	}
	bin, dir := h.tmp, h.staticDir
	specs := []serverSpec{
		{"brick", func(port, nofile int) (*exec.Cmd, error) {
			cmd := pinned(nofile, filepath.Join(bin, "brick-bench"), "-addr", fmt.Sprintf("127.0.0.1:%d", port),
				"-tls-cert", cert, "-tls-key", key, "-static", dir)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd, nil
		}},
		{"nginx", func(port, nofile int) (*exec.Cmd, error) {
			httpExtra := fmt.Sprintf("    ssl_certificate %s;\n    ssl_certificate_key %s;\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers %s;\n    default_type application/octet-stream;",
				cert, key, intermediateCiphers)
			return nginxWith(bin, "nginx-h2-static", port, nofile, httpExtra, " ssl http2", "        root "+dir+";")
		}},
	}
	if exe, err := exec.LookPath("h2o"); err == nil {
		specs = append(specs, serverSpec{"h2o", func(port, nofile int) (*exec.Cmd, error) {
			return h2oCmd(exe, bin, dir, cert, key, port, nofile)
		}})
	} else {
		log.Printf("h2o is not installed: the h2 scenarios run without it (bench/run installs it)")
	}
	if h.only != nil {
		specs = filterServers(specs, h.only)
	}
	return specs, nil
}

// h2Servers lists the servers of an h2 scenario, Brick first; h2o's and
// Caddy's rows are left out when they are not installed.
func (h *harness) h2Servers(tls bool) ([]serverSpec, error) {
	cert, key, err := h.tlsFiles()
	if err != nil {
		return nil, err
	}
	bin := h.tmp
	goServer := func(exe string, args ...string) func(int, int) (*exec.Cmd, error) {
		return func(port, nofile int) (*exec.Cmd, error) {
			a := []string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)}
			if tls {
				a = append(a, "-tls-cert", cert, "-tls-key", key)
			}
			cmd := pinned(nofile, filepath.Join(bin, exe), append(a, args...)...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd, nil
		}
	}
	specs := []serverSpec{
		{"brick", goServer("brick-bench", "-api", "native")},
		{"nginx", func(port, nofile int) (*exec.Cmd, error) {
			httpExtra, listen := "", " http2"
			if tls {
				httpExtra = fmt.Sprintf("    ssl_certificate %s;\n    ssl_certificate_key %s;\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers %s;",
					cert, key, intermediateCiphers)
				listen = " ssl http2"
			}
			return nginxWith(bin, "nginx-h2", port, nofile, httpExtra, listen, `        location / {
            default_type text/plain;
            return 200 "Hello, World!";
        }`)
		}},
	}
	if exe, err := exec.LookPath("h2o"); err == nil {
		specs = append(specs, serverSpec{"h2o", func(port, nofile int) (*exec.Cmd, error) {
			if tls {
				return h2oCmd(exe, bin, h.staticDir, cert, key, port, nofile)
			}
			return h2oPlainCmd(exe, bin, h.staticDir, port, nofile)
		}})
	} else {
		log.Printf("h2o is not installed: the h2 scenarios run without it (bench/run installs it)")
	}
	if exe, err := exec.LookPath("caddy"); err == nil {
		specs = append(specs, serverSpec{"caddy", func(port, nofile int) (*exec.Cmd, error) {
			if tls {
				return caddyTLSCmd(exe, bin, cert, key, port, nofile)
			}
			return caddyH2CCmd(exe, bin, port, nofile)
		}})
	} else {
		log.Printf("caddy is not installed: the h2 scenarios run without it (bench/run installs it)")
	}
	nethttp := goServer("nethttp-bench")
	if !tls {
		nethttp = goServer("nethttp-bench", "-h2c")
	}
	specs = append(specs, serverSpec{"net/http", nethttp})
	if h.only != nil {
		specs = filterServers(specs, h.only)
	}
	return specs, nil
}

// h2oPlainCmd runs h2o with one thread on a cleartext port, which takes
// h2c with prior knowledge as well as HTTP/1.1.
func h2oPlainCmd(exe, bin, staticDir string, port, nofile int) (*exec.Cmd, error) {
	dir := filepath.Join(bin, fmt.Sprintf("h2o-h2c-%d", port))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`num-threads: 1
user: root
error-log: %[1]s/error.log
max-connections: %[4]d
listen:
  host: 127.0.0.1
  port: %[2]d
hosts:
  default:
    paths:
      /:
        file.dir: %[3]s
`, dir, port, staticDir, nofile)
	path := filepath.Join(dir, "h2o.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return pinned(nofile, exe, "-m", "master", "-c", path), nil
}

// caddyH2CCmd runs Caddy (GOMAXPROCS=1) answering the benchmark response
// over cleartext HTTP/1.1 and h2c.
func caddyH2CCmd(exe, bin string, port, nofile int) (*exec.Cmd, error) {
	home := filepath.Join(bin, "caddy-home")
	dir := filepath.Join(bin, fmt.Sprintf("caddy-h2c-%d", port))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`{
	admin off
	auto_https off
	servers {
		protocols h1 h2c
	}
}
http://:%d {
	bind 127.0.0.1
	respond "Hello, World!"
}
`, port)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := pinned(nofile, exe, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"))
	return cmd, nil
}

// h2URL is the scenario's URL for h2load.
func h2URL(port int, sc scenario) string {
	scheme := "http"
	if sc.tls {
		scheme = "https"
	}
	path := "/hello"
	if sc.file != "" {
		path = sc.file
	}
	return fmt.Sprintf("%s://127.0.0.1:%d%s", scheme, port, path)
}

// waitReadyH2 polls with one h2load request until the server answers it
// over HTTP/2.
func waitReadyH2(port int, sc scenario, done <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("server exited during start-up")
		default:
		}
		out, _ := exec.Command("h2load", "-n1", "-c1", h2URL(port, sc)).CombinedOutput()
		if m := h2ReqRE.FindStringSubmatch(string(out)); m != nil && m[2] == "1" && m[4] == "0" {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server did not answer HTTP/2 on port %d within 20 s", port)
}

var (
	// "requests: 10 total, 10 started, 10 done, 10 succeeded, 0 failed, 0 errored, 0 timeout"
	h2ReqRE = regexp.MustCompile(`requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored`)
	// "finished in 5.00s, 123456.70 req/s, 1.20MB/s"
	h2RateRE = regexp.MustCompile(`finished in ([\d.]+)s, ([\d.]+) req/s`)
	// "status codes: 10 2xx, 0 3xx, 0 4xx, 0 5xx"
	h2StatusRE = regexp.MustCompile(`status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx`)
)

// h2load runs h2load pinned to CPU 1 for d and parses its report. Its
// latency figures are per request across streams; the table keeps the
// mean in p50's column blank, so only throughput and CPU are reported.
func (h *harness) h2load(ctx context.Context, port int, sc scenario, d time.Duration) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "taskset", "-c", "1", "h2load",
		"-c", strconv.Itoa(sc.conns), "-m", strconv.Itoa(sc.h2Streams()), "-t1",
		"-D", strconv.Itoa(int(d.Seconds())), h2URL(port, sc)).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("h2load: %v\n%s", err, out)
	}
	return parseH2load(string(out))
}

func parseH2load(out string) (wrkResult, error) {
	var r wrkResult
	m := h2RateRE.FindStringSubmatch(out)
	req := h2ReqRE.FindStringSubmatch(out)
	if m == nil || req == nil {
		return r, fmt.Errorf("no report in h2load's output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[2], 64)
	r.requests, _ = strconv.ParseFloat(req[2], 64)
	if req[3] != "0" || req[4] != "0" {
		r.errors = fmt.Sprintf("%s failed, %s errored", req[3], req[4])
	}
	if s := h2StatusRE.FindStringSubmatch(out); s != nil && (s[3] != "0" || s[4] != "0") {
		r.errors += fmt.Sprintf(" %s 4xx, %s 5xx", s[3], s[4])
	}
	return r, nil
}
