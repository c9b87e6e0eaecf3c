package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/internal/testutil"
)

// TestPHPFlagsMatchFile: `brick php` compiles to the Options of its TOML
// twin, a php route at "/".
func TestPHPFlagsMatchFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		toml string
	}{{
		name: "defaults",
		args: []string{dir},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
php = { root = "DIR" }
`,
	}, {
		name: "every php flag",
		args: []string{"-fastcgi", "127.0.0.1:9000", dir, "-index", "app.php", "-timeout", "90", "-conns", "2", "-access-log", "stdout"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "stdout"
[[site]]
[[site.route]]
path = "/"
php = { root = "DIR", fastcgi = "127.0.0.1:9000", index = "app.php", timeout = "1m30s", conns = 2 }
`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			q, code := compilePHP(tc.args, io.Discard, &stderr)
			if code >= 0 {
				t.Fatalf("compilePHP(%q): exit %d: %s", tc.args, code, stderr.String())
			}
			file, err := config.Parse([]byte(strings.ReplaceAll(tc.toml, "DIR", dir)), "brick.toml")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, want := comparable(q.opts), comparable(file)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("flags and file differ:\nflags: %+v %+v\nfile:  %+v %+v", got, *got.Sites[0].Routes[0].PHP, want, *want.Sites[0].Routes[0].PHP)
			}
		})
	}
}

// TestPHPCommandLine: what `brick php` refuses, naming the flag, and that
// its usage says PHP-FPM must be running.
func TestPHPCommandLine(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"usage", []string{"php", "-h"}, 0, "Brick does not start PHP: PHP-FPM must be running"},
		{"no directory", []string{"php"}, 2, "brick php: say which directory to serve"},
		{"not a directory", []string{"php", dir + "/none"}, 2, "is not a directory"},
		{"bad address", []string{"php", "-fastcgi", "php-fpm", dir}, 2, `brick php: -fastcgi: php fastcgi "php-fpm" is neither`},
		{"relative socket", []string{"php", "-fastcgi", "unix:php.sock", dir}, 2, "must name a socket by its absolute path"},
		{"bad index", []string{"php", "-index", "index.html", dir}, 2, `brick php: -index: php index "index.html" must be`},
		{"zero conns", []string{"php", "-conns", "0", dir}, 2, "brick php: -conns: php conns must be positive"},
		{"zero timeout", []string{"php", "-timeout", "0", dir}, 2, "brick php: -timeout: php timeout must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Help asked for goes to stdout; mistakes to stderr.
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			out := stderr.String()
			if tc.code == 0 {
				out = stdout.String()
			}
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("run(%q) = %d, output %q; want %d and %q", tc.args, code, out, tc.code, tc.want)
			}
		})
	}
}

// TestPHPServes runs `brick php DIR` against a PHP-FPM the test starts:
// a script runs, a file is served as it is.
func TestPHPServes(t *testing.T) {
	bin := testutil.LookPath(t, "php-fpm8.2", "/usr/sbin/php-fpm8.2")
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	os.Mkdir(site, 0o755)
	os.WriteFile(filepath.Join(site, "hi.php"), []byte(`<?php echo "hi from ", $_SERVER["SCRIPT_NAME"];`), 0o644)
	os.WriteFile(filepath.Join(site, "a.txt"), []byte("text"), 0o644)
	sock := filepath.Join(dir, "fpm.sock")
	conf := "[global]\nerror_log = /proc/self/fd/2\ndaemonize = no\npid = " + dir + "/fpm.pid\n" +
		"[t]\nlisten = " + sock + "\npm = static\npm.max_children = 1\n"
	os.WriteFile(filepath.Join(dir, "fpm.conf"), []byte(conf), 0o644)
	args := []string{"-F", "-n", "-y", filepath.Join(dir, "fpm.conf"), "-p", dir}
	if os.Geteuid() == 0 {
		args = append(args, "-R")
	}
	fpm := exec.Command(bin, args...)
	if err := fpm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fpm.Process.Kill(); fpm.Wait() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 500 {
			t.Fatal("php-fpm did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	p := start(t, "php", "-fastcgi", "unix:"+sock, "-conns", "1", "-addr", "127.0.0.1:0", site)
	for path, want := range map[string]string{"/hi.php": "hi from /hi.php", "/a.txt": "text"} {
		if status, body, _ := get(t, "http://"+p.addr+path); status != 200 || body != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, status, body, want)
		}
	}
}
