package web

import (
	"errors"
	"fmt"
	"testing"

	"github.com/brick-server/brick/wire"
)

// TestOutcome: what a line says the client got.
func TestOutcome(t *testing.T) {
	get := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	head := "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
	bodyErr := &wire.Error{Status: 413, Reason: "request body too large"}
	tests := []struct {
		name   string
		raw    string
		rec    recorder
		err    error
		status int
		bytes  int64
	}{
		{"nothing written", get, recorder{}, nil, 200, 0},
		{"written", get, recorder{status: 201, bytes: 4}, nil, 201, 4},
		{"HEAD", head, recorder{status: 200, bytes: 13}, nil, 200, 0},
		{"handler error", get, recorder{}, Error(404, nil), 404, 10},
		{"discarded body", get, recorder{status: 200, bytes: 5}, Error(503, nil), 503, 20},
		{"wrapped", get, recorder{}, fmt.Errorf("ctx: %w", Error(403, nil)), 403, 10},
		{"joined", get, recorder{}, errors.Join(errors.New("a"), Error(429, nil)), 429, 18},
		{"plain error", get, recorder{}, errors.New("disk"), 500, 22},
		{"status out of range", get, recorder{}, Error(302, nil), 500, 22},
		{"body error", get, recorder{}, fmt.Errorf("read: %w", bodyErr), 413, int64(len(bodyErr.Reason) + 1)},
		{"abort", get, recorder{}, ErrAbortHandler, 444, 0},
		{"abort after flush", get, recorder{status: 200, bytes: 3, started: true}, ErrAbortHandler, 200, 3},
		{"error after flush", get, recorder{status: 200, bytes: 7, started: true}, Error(500, nil), 200, 7},
		{"HEAD error", head, recorder{}, Error(404, nil), 404, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, bytes := Outcome(&tc.rec, parseRequest(t, tc.raw), tc.err)
			if status != tc.status || bytes != tc.bytes {
				t.Errorf("outcome = %d %d, want %d %d", status, bytes, tc.status, tc.bytes)
			}
			var we *wire.Error
			if tc.err != nil && !tc.rec.started && !errors.Is(tc.err, ErrAbortHandler) && !errors.As(tc.err, &we) {
				if s := StatusOf(tc.err); s != status {
					t.Errorf("web.StatusOf says %d", s)
				}
			}
		})
	}
}

func parseRequest(t *testing.T, raw string) *Request {
	t.Helper()
	r := &Request{Body: NoBody}
	if _, err := r.Request.Parse([]byte(raw), nil); err != nil {
		t.Fatal(err)
	}
	return r
}

// startedWriter is a writer underneath that has sent part of the response
// by itself, as the server does with a body larger than its buffer.
type startedWriter struct{ ResponseWriter }

func (startedWriter) Started() bool { return true }

// TestRecorderSeesServerStart: a response the server began sending is
// started for the recorder too, through any wrapper, so a handler error
// after it is logged as the cut response it is.
func TestRecorderSeesServerStart(t *testing.T) {
	rec, _ := Record(unwrapOnly{startedWriter{}})
	if !rec.Started() {
		t.Fatal("Started() = false under a writer that has started")
	}
	status, _ := Outcome(rec, parseRequest(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Error(500, nil))
	if status == 500 {
		t.Errorf("a cut response logged as the 500 the client never got")
	}
	if rec, _ := Record(unwrapOnly{}); rec.Started() {
		t.Error("Started() = true before anything was sent")
	}
}

// unwrapOnly is a wrapper that only unwraps.
type unwrapOnly struct{ inner ResponseWriter }

func (u unwrapOnly) Header() *wire.Header              { return nil }
func (u unwrapOnly) WriteHeader(int)                   {}
func (u unwrapOnly) Write(p []byte) (int, error)       { return len(p), nil }
func (u unwrapOnly) WriteString(s string) (int, error) { return len(s), nil }
func (u unwrapOnly) Unwrap() ResponseWriter            { return u.inner }
