package server_test

import (
	"context"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/server"
)

// h2specSummary is h2spec's last line: "145 tests, 145 passed, 0 skipped,
// 0 failed".
var h2specSummary = regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`)

// TestH2Spec runs h2spec (all its tests, in normal and strict mode)
// against Brick over h2 (TLS) and h2c, in both engine models; every test
// must pass.
func TestH2Spec(t *testing.T) {
	bin := testutil.LookPath(t, "h2spec")
	runs := []struct {
		name   string
		m      mode
		strict bool
	}{
		{"epoll/h2c", mode{}, false},
		{"epoll/h2c/strict", mode{}, true},
		{"epoll/h2", mode{tls: true}, false},
		{"epoll/h2/strict", mode{tls: true}, true},
		{"goroutine/h2c/strict", mode{std: true}, true},
		{"goroutine/h2/strict", mode{std: true, tls: true}, true},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e := startH2(t, r.m, func(s *server.Server) {
				s.Timeouts.Idle = 5 * time.Second
			})
			host, port, _ := net.SplitHostPort(e.addr)
			// -o: seconds h2spec waits for each expected frame; generous, as the
			// suite runs six of these at once beside the race-detected test
			// suite on two cores. (A timeout here once was a real bug: DATA
			// written before a SETTINGS ACK, TestSettingsAckBeforeWokenData.)
			args := []string{"-h", host, "-p", port, "-o", "5"}
			if r.m.tls {
				args = append(args, "-t", "-k")
			}
			if r.strict {
				args = append(args, "-S")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			sum := h2specSummary.FindStringSubmatch(string(out))
			if sum == nil {
				t.Fatalf("h2spec %s: %v, no summary:\n%s", strings.Join(args, " "), err, out)
			}
			t.Logf("h2spec %s: %s", strings.Join(args, " "), sum[0])
			if sum[4] != "0" || sum[3] != "0" || err != nil {
				t.Errorf("h2spec failures (%v):\n%s", err, failures(string(out)))
			}
		})
	}
}

// failures keeps the part of h2spec's output that lists failed tests.
func failures(out string) string {
	if i := strings.Index(out, "Failures:"); i >= 0 {
		return out[i:]
	}
	return out
}
