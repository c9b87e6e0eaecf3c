package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"golang.org/x/sys/unix"
)

// listenEnv makes the test binary a hello server on the port it names (see
// TestMain), the stand-in for a peer server in these tests.
const listenEnv = "HARNESS_TEST_LISTEN"

func TestMain(m *testing.M) {
	if port := os.Getenv(listenEnv); port != "" {
		ln, err := listenShared(port)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		mux := http.NewServeMux()
		mux.Handle("/", hello("server"))
		// A server dying in the middle of a scenario (turns_test.go).
		mux.HandleFunc("/exit", func(http.ResponseWriter, *http.Request) { os.Exit(3) })
		http.Serve(ln, mux)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// listenShared listens on 127.0.0.1:port with SO_REUSEPORT, as Brick and
// nginx (reuseport) can: two such sockets share the port.
func listenShared(port string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return lc.Listen(context.Background(), "tcp", "127.0.0.1:"+port)
}

func hello(who string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Who", who)
		io.WriteString(w, "Hello, World!")
	})
}

// TestMeasureChecksWhoAnswers: the harness measures the server it
// started, on a free port, and refuses to measure when another process
// listens on the port instead of the server or beside it.
func TestMeasureChecksWhoAnswers(t *testing.T) {
	testutil.LookPath(t, "wrk")
	testutil.LookPath(t, "taskset")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		server   bool // the started process listens on the port
		impostor bool // this test listens on the port too
		wantErr  string
	}{
		{"the server alone", true, false, ""},
		{"another process instead of the server", false, true, "another process listens on port"},
		{"another process beside the server", true, true, "another process listens on port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ports []int
			spec := serverSpec{name: "test", start: func(port, nofile int) (*exec.Cmd, error) {
				ports = append(ports, port)
				if tc.impostor {
					ln, err := listenShared(strconv.Itoa(port))
					if err != nil {
						return nil, err
					}
					srv := &http.Server{Handler: hello("impostor")}
					go srv.Serve(ln)
					t.Cleanup(func() { srv.Close() })
				}
				if !tc.server {
					return exec.Command("sleep", "60"), nil
				}
				cmd := exec.Command(self)
				cmd.Env = append(os.Environ(), listenEnv+"="+strconv.Itoa(port))
				return cmd, nil
			}}
			h := &harness{root: root, tmp: t.TempDir()}
			sc := scenario{name: "plaintext", dur: time.Second, runs: 1, conns: 2, smoke: true}
			r, err := h.measure(context.Background(), spec, sc)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("measure: %v", err)
			case tc.wantErr == "" && r.rps == 0:
				t.Fatalf("measure: no request measured: %+v", r)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("measure = %+v, %v; want an error with %q", r, err, tc.wantErr)
			}
			// The port is one the system handed out, not a fixed one.
			if len(ports) != 1 || ports[0] == 18080 {
				t.Errorf("server started on ports %v, want one free port", ports)
			}
		})
	}
}
