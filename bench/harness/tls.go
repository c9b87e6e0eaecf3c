package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The tls scenarios: every server serves the benchmark response over
// HTTPS with the same ECDSA P-256 certificate, TLS 1.2 and 1.3 with
// Mozilla's "intermediate" suites where the server lets one choose (Go's
// servers: crypto/tls's defaults, which are a superset).

// intermediateCiphers are Mozilla's "intermediate" TLS 1.2 suites for an
// ECDSA certificate, in OpenSSL's names, for nginx and h2o.
const intermediateCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"

// tlsFiles makes the certificate once: self-signed, for localhost and
// 127.0.0.1 (wrk and the idle client do not verify it).
func (h *harness) tlsFiles() (cert, key string, err error) {
	cert, key = filepath.Join(h.tmp, "tls-cert.pem"), filepath.Join(h.tmp, "tls-key.pem")
	if _, err := os.Stat(cert); err == nil {
		return cert, key, nil
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		return "", "", err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	return cert, key, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
}

// tlsServers lists the servers of the tls scenarios, Brick first; h2o's
// and Caddy's rows are left out (with a note) when they are not installed.
func (h *harness) tlsServers() ([]serverSpec, error) {
	cert, key, err := h.tlsFiles()
	if err != nil {
		return nil, err
	}
	bin := h.tmp
	goServer := func(exe string, args ...string) func(int, int) (*exec.Cmd, error) {
		return func(port, nofile int) (*exec.Cmd, error) {
			a := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-tls-cert", cert, "-tls-key", key}, args...)
			cmd := pinned(nofile, filepath.Join(bin, exe), a...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd, nil
		}
	}
	specs := []serverSpec{
		{"brick", goServer("brick-bench", "-api", "native")},
		{"nginx", func(port, nofile int) (*exec.Cmd, error) {
			httpExtra := fmt.Sprintf("    ssl_certificate %s;\n    ssl_certificate_key %s;\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers %s;",
				cert, key, intermediateCiphers)
			return nginxWith(bin, "nginx-tls", port, nofile, httpExtra, " ssl", `        location / {
            default_type text/plain;
            return 200 "Hello, World!";
        }`)
		}},
	}
	if exe, err := exec.LookPath("h2o"); err == nil {
		specs = append(specs, serverSpec{"h2o", func(port, nofile int) (*exec.Cmd, error) {
			return h2oCmd(exe, bin, h.staticDir, cert, key, port, nofile)
		}})
	} else {
		log.Printf("h2o is not installed: the tls scenarios run without it (bench/run installs it)")
	}
	if exe, err := exec.LookPath("caddy"); err == nil {
		specs = append(specs, serverSpec{"caddy", func(port, nofile int) (*exec.Cmd, error) {
			return caddyTLSCmd(exe, bin, cert, key, port, nofile)
		}})
	} else {
		log.Printf("caddy is not installed: the tls scenarios run without it (bench/run installs it)")
	}
	specs = append(specs, serverSpec{"net/http", goServer("nethttp-bench")})
	if h.only != nil {
		specs = filterServers(specs, h.only)
	}
	return specs, nil
}

// h2oCmd runs h2o with one thread, serving staticDir's hello file (13
// bytes, as the others' response) over HTTPS. Its HTTP/1 idle timeout is
// raised from 10 s, so the idle scenario's first connections outlive the
// opening of the last ones, as with the others.
func h2oCmd(exe, bin, staticDir, cert, key string, port, nofile int) (*exec.Cmd, error) {
	dir := filepath.Join(bin, fmt.Sprintf("h2o-%d", port))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`num-threads: 1
user: root
error-log: %[1]s/error.log
max-connections: %[6]d
http1-request-timeout: 300
listen:
  host: 127.0.0.1
  port: %[2]d
  ssl:
    certificate-file: %[3]s
    key-file: %[4]s
    minimum-version: TLSv1.2
    cipher-suite: %[7]s
hosts:
  default:
    paths:
      /:
        file.dir: %[5]s
`, dir, port, cert, key, staticDir, nofile, intermediateCiphers)
	path := filepath.Join(dir, "h2o.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return pinned(nofile, exe, "-m", "master", "-c", path), nil
}

// caddyTLSCmd runs Caddy (GOMAXPROCS=1) answering the benchmark response
// over HTTPS with the given files: no automatic certificates, no admin
// endpoint, no redirect listener.
func caddyTLSCmd(exe, bin, cert, key string, port, nofile int) (*exec.Cmd, error) {
	home := filepath.Join(bin, "caddy-home")
	dir := filepath.Join(bin, fmt.Sprintf("caddy-tls-%d", port))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`{
	admin off
	auto_https off
}
https://:%d {
	bind 127.0.0.1
	tls %s %s
	respond "Hello, World!"
}
`, port, cert, key)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := pinned(nofile, exe, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"))
	return cmd, nil
}

// waitReadyTLS is waitReady over HTTPS.
func waitReadyTLS(port int, done <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	req := []byte("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("server exited during start-up")
		default:
		}
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", fmt.Sprintf("127.0.0.1:%d", port), cfg)
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
	return fmt.Errorf("server did not answer HTTPS on port %d within 20 s", port)
}

// tlsVersions names the TLS peers' versions, for the tables.
func tlsVersions() string {
	var out []string
	for _, c := range []struct{ label, cmd string }{{"", "h2o --version"}, {"caddy ", "caddy version"}, {"", "openssl version"}} {
		b, err := exec.Command("sh", "-c", c.cmd).CombinedOutput()
		if err != nil {
			continue
		}
		line := strings.TrimSpace(string(b))
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		out = append(out, c.label+line)
	}
	return strings.Join(out, "; ")
}
