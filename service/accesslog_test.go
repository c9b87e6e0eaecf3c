package service_test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestAccessLogLostLines: when the access log cannot be written (every
// write to /dev/full fails as on a full disk), the lost lines are counted
// in brick_access_log_errors_total and reported in the service's log.
func TestAccessLogLostLines(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/full is Linux's")
	}
	f := load(t, accessConf("/dev/full"), nil)
	const n = 3
	for range n {
		resp, err := http.Get(f.base + "/x")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	lost := func() float64 {
		fams, err := f.svc.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, fam := range fams {
			if fam.GetName() == "brick_access_log_errors_total" {
				return fam.Metric[0].GetCounter().GetValue()
			}
		}
		return -1
	}
	// The Writer writes out and reports once a second.
	deadline := time.Now().Add(5 * time.Second)
	for (lost() < n || !strings.Contains(f.log.String(), "access log lines lost")) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if v := lost(); v != n {
		t.Errorf("brick_access_log_errors_total = %v, want %d", v, n)
	}
	if l := f.log.String(); !strings.Contains(l, "access log lines lost") || !strings.Contains(l, "dest=/dev/full") {
		t.Errorf("no report in the log:\n%s", l)
	}
}
