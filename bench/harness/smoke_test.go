package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
)

// TestSmoke runs `bench/run smoke`: every server, every scenario, briefly,
// so the harness cannot rot. It asserts that each server produced a row,
// not any figure: speed lives in benchmarks, not in timed tests.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts every peer server")
	}
	for _, tool := range []string{"wrk", "taskset"} {
		testutil.LookPath(t, tool)
	}
	t.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin") // Debian's nginx
	testutil.LookPath(t, "nginx")
	// The harness runs without these, leaving their rows out.
	_, err := exec.LookPath("caddy")
	caddy := testutil.Want(t, "caddy", err)
	uwsgi := testutil.Want(t, "uwsgi with its python3 plugin and "+python, uwsgiMissing())
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "bench", "run"), "smoke")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench/run smoke: %v\n%s", err, out)
	}
	wants := []string{"### plaintext", "### pipelined", "### idle", "### static-1k", "### static-1m", "| nginx-nopush |",
		"### tls-keepalive", "### tls-handshake", "### tls-idle",
		"| brick |", "| brick-nethttp |", "| fasthttp |", "| nginx |", "| net/http |"}
	if caddy {
		wants = append(wants, "| caddy |")
	}
	wants = append(wants, "### proxy", "| brick-idle32 |")
	if _, err := os.Stat(phpFPM); testutil.Want(t, "php-fpm8.2", err) {
		wants = append(wants, "### php")
	}
	if uwsgi {
		wants = append(wants, "### wsgi-bare-1w", "| uwsgi |", "### wsgi-slow-flask-1w", "of 4 |")
	}
	for _, want := range wants {
		if !strings.Contains(string(out), want) {
			t.Errorf("smoke output lacks %q:\n%s", want, out)
		}
	}
}
