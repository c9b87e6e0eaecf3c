package wsgi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/brick-server/brick/gateway/wsgi"
)

// TestWorkerDecodesEnviron: worker.py reads back every string of a request
// frame as Go encoded it, split at the NULs when none holds one
// (FlagNoNul) and cut by the offset table when one does.
func TestWorkerDecodesEnviron(t *testing.T) {
	t.Parallel()
	w := startRawWorker(t)
	for _, tc := range []struct {
		name, path, query string
	}{
		{"plain", "/env", "a=1"},
		{"empty values", "/env", ""},
		{"latin-1", "/env/caf\xe9", "q=\xff"},
		{"a NUL in a value", "/env/a\x00b", "x=\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var enc wsgi.RequestEncoder
			for _, kv := range [][2]string{{"REQUEST_METHOD", "GET"}, {"SCRIPT_NAME", ""}, {"PATH_INFO", tc.path},
				{"QUERY_STRING", tc.query}, {"SERVER_NAME", "x"}, {"SERVER_PORT", "80"}, {"SERVER_PROTOCOL", "HTTP/1.1"},
				{"wsgi.url_scheme", "http"}, {"HTTP_X_LAST", "last"}} {
				enc.AddString(kv[0], kv[1])
			}
			w.send(t, enc.AppendFrame(nil, 0, nil))
			got := w.response(t, nil)
			status, body, _ := strings.Cut(got, " ")
			if status != "200" {
				t.Fatalf("response %q", got)
			}
			_, body, _ = strings.Cut(body, " ") // the reason
			var env map[string]string
			if err := json.Unmarshal([]byte(body), &env); err != nil {
				t.Fatalf("%v: %q", err, body)
			}
			// JSON carries the latin-1 strings as the code points they are.
			latin1 := func(s string) string {
				r := make([]rune, len(s))
				for i := range len(s) {
					r[i] = rune(s[i])
				}
				return string(r)
			}
			for k, v := range map[string]string{"PATH_INFO": tc.path, "QUERY_STRING": tc.query, "SCRIPT_NAME": "", "HTTP_X_LAST": "last"} {
				if env[k] != latin1(v) {
					t.Errorf("%s = %q, want %q", k, env[k], latin1(v))
				}
			}
		})
	}
}
