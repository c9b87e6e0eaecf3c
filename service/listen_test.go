package service_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/brick-server/brick/service"
)

// TestOpenPortInUse: Open reports a busy address as a ListenError naming
// it, and says whether it is the admin listener's, before building
// anything (the static root below would be served, were it built).
func TestOpenPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	tests := []struct {
		name   string
		server string
		admin  bool
	}{
		{"a site's address", fmt.Sprintf("listen = %q", addr), false},
		{"the second of two", fmt.Sprintf("listen = [\"127.0.0.1:0\", %q]", addr), false},
		{"the admin address", fmt.Sprintf("listen = \"127.0.0.1:0\"\nadmin = %q", addr), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, "[server]\n"+tc.server+"\n[[site]]\n[[site.route]]\npath = \"/\"\nstatic = { root = \".\" }\n")
			before := openFDs(t)
			svc, err := service.Open(service.File(file), nil, slog.New(slog.DiscardHandler))
			if err == nil {
				svc.Close()
				t.Fatal("Open: no error")
			}
			var le *service.ListenError
			if !errors.As(err, &le) || le.Addr != addr || le.Admin != tc.admin || !errors.Is(err, syscall.EADDRINUSE) {
				t.Fatalf("Open: %#v; want a ListenError for %s (admin %v) wrapping EADDRINUSE", err, addr, tc.admin)
			}
			if want := "cannot listen on " + addr + ": address already in use"; err.Error() != want {
				t.Errorf("Open: %q, want %q", err, want)
			}
			if after := openFDs(t); after != before {
				t.Errorf("%d descriptors open before Open, %d after it failed: a listener leaked", before, after)
			}
		})
	}
}

// TestOpenClosesListenersWhenBuildFails: the listeners Open bound are
// closed again when what comes after them fails (here opening the access
// log, which is a directory).
func TestOpenClosesListenersWhenBuildFails(t *testing.T) {
	file := writeFile(t, "[server]\nlisten = \"127.0.0.1:0\"\nadmin = \"127.0.0.1:0\"\n"+
		"[log]\naccess = "+strconv.Quote(t.TempDir())+"\n[[site]]\n[[site.route]]\npath = \"/\"\nrespond = { body = \"x\" }\n")
	before := openFDs(t)
	svc, err := service.Open(service.File(file), nil, slog.New(slog.DiscardHandler))
	if err == nil {
		svc.Close()
		t.Fatal("Open: no error")
	}
	if !strings.Contains(err.Error(), "access log") {
		t.Errorf("Open: %v; want the access log's error", err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open before Open, %d after it failed: the listeners leaked", before, after)
	}
}

func writeFile(t *testing.T, conf string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "brick.toml")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
