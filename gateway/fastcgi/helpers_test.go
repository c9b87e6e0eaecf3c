package fastcgi_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/fastcgi"
	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
)

// Integration tests: a real Brick server on a loopback socket in front of
// a real PHP-FPM (Debian's php8.2-fpm) started by the test with a
// generated configuration, listening on a unix socket in the test's
// directory.

// testdataDir returns the absolute path of a directory under testdata.
func testdataDir(t testing.TB, name string) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fpm is a PHP-FPM master process the test started.
type fpm struct {
	sock string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// startFPM starts php-fpm8.2 with pm = static and two children, as the
// current user, and waits for its socket. extra lines go to the pool's
// section.
func startFPM(t *testing.T, extra ...string) *fpm {
	t.Helper()
	bin := testutil.LookPath(t, "php-fpm8.2", "/usr/sbin/php-fpm8.2")
	dir := t.TempDir()
	sock := filepath.Join(dir, "fpm.sock")
	conf := fmt.Sprintf(`[global]
error_log = /proc/self/fd/2
daemonize = no
pid = %[1]s/fpm.pid
[test]
listen = %[2]s
pm = static
pm.max_children = 2
catch_workers_output = yes
decorate_workers_output = no
php_admin_value[display_errors] = Off
php_admin_value[log_errors] = On
php_admin_value[error_log] =
php_admin_value[output_buffering] = 0
php_admin_value[upload_max_filesize] = 16M
php_admin_value[post_max_size] = 16M
php_admin_value[upload_tmp_dir] = %[1]s
`, dir, sock) + strings.Join(extra, "\n") + "\n"
	cfgPath := filepath.Join(dir, "fpm.conf")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-F", "-n", "-y", cfgPath, "-p", dir}
	if os.Geteuid() == 0 {
		args = append(args, "-R") // a test run as root runs its children as root
	}
	f := &fpm{sock: sock, log: &syncBuffer{}, done: make(chan struct{})}
	f.cmd = exec.Command(bin, args...)
	f.cmd.Stdout, f.cmd.Stderr = f.log, f.log
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { f.cmd.Wait(); close(f.done) }()
	t.Cleanup(f.stop)
	f.waitListening(t)
	return f
}

// waitListening waits until PHP-FPM accepts connections.
func (f *fpm) waitListening(t *testing.T) {
	t.Helper()
	sock := f.sock
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The socket file appears at bind, before listen: only a
		// connection that is accepted says PHP-FPM is ready.
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		select {
		case <-f.done:
			t.Fatalf("php-fpm exited at start:\n%s", f.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("php-fpm did not listen on %s in 10 s:\n%s", sock, f.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends PHP-FPM (SIGQUIT: graceful) and waits for it.
func (f *fpm) stop() {
	select {
	case <-f.done:
		return
	default:
	}
	f.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
		f.cmd.Process.Kill()
		<-f.done
	}
}

// syncBuffer is a bytes.Buffer written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve runs a Brick server whose handler is a PHP handler of cfg, and
// returns its base URL and the handler's log.
func serve(t *testing.T, cfg fastcgi.Config) (string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := fastcgi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	addr := loopback.Serve(t, &server.Server{Handler: h})
	return "http://" + addr, logs
}

// client does not follow redirects: the tests look at them.
var client = &http.Client{
	Timeout:       20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type result struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, req *http.Request) result {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return result{resp.StatusCode, resp.Header, string(b)}
}

func get(t *testing.T, url string) result {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// contains fails the test unless s holds want.
func contains(t *testing.T, what, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Errorf("%s = %q, want it to contain %q", what, s, want)
	}
}

// restart stops PHP-FPM and starts it again on the same socket and
// configuration, as a package upgrade or a reload that replaces its
// children does: every kept-alive connection to it is closed.
func (f *fpm) restart(t *testing.T) {
	t.Helper()
	f.stop()
	os.Remove(f.sock)
	nf := &fpm{sock: f.sock, log: f.log, done: make(chan struct{})}
	nf.cmd = exec.Command(f.cmd.Path, f.cmd.Args[1:]...)
	nf.cmd.Stdout, nf.cmd.Stderr = f.log, f.log
	if err := nf.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { nf.cmd.Wait(); close(nf.done) }()
	*f = *nf
	f.waitListening(t)
}
