package wsgi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/wsgi"
)

// requestAs is a request frame for method target.
func requestAs(method, target string) []byte {
	path, query, _ := strings.Cut(target, "?")
	var enc wsgi.RequestEncoder
	for _, kv := range [][2]string{{"REQUEST_METHOD", method}, {"SCRIPT_NAME", ""}, {"PATH_INFO", path},
		{"QUERY_STRING", query}, {"SERVER_NAME", "x"}, {"SERVER_PORT", "80"}, {"SERVER_PROTOCOL", "HTTP/1.1"},
		{"wsgi.url_scheme", "http"}, {"CONTENT_LENGTH", "0"}} {
		enc.AddString(kv[0], kv[1])
	}
	return enc.AppendFrame(nil, 0, nil)
}

// TestWorkerHoldsAnswers drives worker.py with requests queued behind one
// another: finished answers are held while the next request is already
// buffered, and sent together, within the rules that bound the hold
// (worker.py, Worker.finish). first is when the first answer must come,
// measured from the send: after (at least) or within (at most).
func TestWorkerHoldsAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		bound  string // BRICK_WSGI_HOLD_BOUND; "" for the default (1 ms)
		reqs   [][]byte
		after  time.Duration
		within time.Duration
	}{
		{"answers wait for the batch's end", "30",
			[][]byte{requestAs("GET", "/hello"), requestAs("GET", "/hello"), requestAs("GET", "/sleep?s=0.4")},
			400 * time.Millisecond, 10 * time.Second},
		// _HOLD_MAX counts answers, not the buffers each is made of.
		{"up to sixteen answers wait", "30",
			append(slices.Repeat([][]byte{requestAs("GET", "/hello")}, 16), requestAs("GET", "/sleep?s=0.4")),
			400 * time.Millisecond, 10 * time.Second},
		{"a slow request does not keep them past the bound", "",
			[][]byte{requestAs("GET", "/hello"), requestAs("GET", "/hello"), requestAs("GET", "/sleep?s=1")},
			0, 500 * time.Millisecond},
		{"no request that is not idempotent starts with answers held", "30",
			[][]byte{requestAs("GET", "/hello"), requestAs("POST", "/sleep?s=1")},
			0, 500 * time.Millisecond},
		{"the answer to a request that is not idempotent is not held", "30",
			[][]byte{requestAs("POST", "/hello"), requestAs("GET", "/sleep?s=0.4")},
			0, 200 * time.Millisecond},
		{"no wait for Brick with answers held", "30",
			[][]byte{requestAs("GET", "/hello"), requestAs("GET", "/hello")},
			0, 2 * time.Second},
		// A cancel for a request answered already (0: none is numbered
		// so) is the last frame buffered.
		{"no wait for Brick after a cancel frame", "30",
			[][]byte{requestAs("GET", "/hello"), requestAs("GET", "/hello"), wsgi.AppendCancel(nil, 0)},
			0, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var env []string
			if tc.bound != "" {
				env = append(env, "BRICK_WSGI_HOLD_BOUND="+tc.bound)
			}
			w := startRawWorker(t, env...)
			begun := time.Now()
			w.send(t, tc.reqs...)
			if got := w.response(t, nil); got != "200 OK Hello, World!" {
				t.Fatalf("first response %q", got)
			}
			if took := time.Since(begun); took < tc.after || took > tc.within {
				t.Errorf("the first answer came after %v, want between %v and %v", took, tc.after, tc.within)
			}
			for _, f := range tc.reqs[1:] {
				if f[0] != wsgi.FrameRequest {
					continue
				}
				if got := w.response(t, nil); !strings.HasPrefix(got, "200 OK") {
					t.Errorf("next response %q", got)
				}
			}
		})
	}
}
